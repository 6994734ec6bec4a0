//! A kfollow built without the `emulator` feature (`cargo test --no-default-features --test
//! tests slim`): `--emulator` is refused with what to do instead.

use crate::support::{sales_workspace, small_world};

#[test]
fn the_emulator_flag_says_how_to_get_the_emulator() {
    let ws = sales_workspace(&small_world(""));
    for command in ["plan", "apply"] {
        let run = ws.emulated(&[command]).expect_code(1);
        assert!(
            run.stderr.contains(
                "this kfollow was built without the in-process emulator, so it cannot run \
                 against the world `world.yaml`; nothing was changed"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("the `emulator` feature"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("cargo run -p kfollow-emulator -- --world world.yaml"),
            "{}",
            run.stderr
        );
    }
    // The world file is left as it was.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("world.yaml")).unwrap(),
        small_world("")
    );
}
