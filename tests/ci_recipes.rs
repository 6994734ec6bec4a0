//! The CI recipes of `docs/ci.md`: the files in `examples/ci/` are what the page shows,
//! they are YAML, the GitHub workflows hold what the page promises, every Azure Pipelines
//! task takes only the inputs its documentation lists, and the drift steps, run with bash,
//! read each exit code of `kfollow plan --detailed-exitcode` right.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every recipe file, sorted.
fn recipes() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["github", "azure-pipelines"] {
        for entry in std::fs::read_dir(root().join("examples/ci").join(folder)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    files
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not YAML: {error}", path.display()))
}

#[test]
fn the_page_shows_every_recipe_verbatim() {
    let page = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    for file in recipes() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            page.contains(&format!("```yaml\n{text}```\n")),
            "docs/ci.md does not show {} as it is",
            file.display()
        );
    }
}

#[test]
fn the_github_workflows_do_what_the_page_says() {
    let workflow = |name: &str| yaml(&root().join("examples/ci/github").join(name));
    let plan = workflow("kfollow-plan.yml");
    assert_eq!(plan["permissions"]["id-token"], "write");
    assert_eq!(plan["permissions"]["pull-requests"], "write");
    let steps = plan["jobs"]["plan"]["steps"].to_string();
    for expected in [
        "azure/login@",
        "--out kfollow.plan",
        "actions/upload-artifact@",
        "updateComment",
    ] {
        assert!(steps.contains(expected), "plan: no {expected}");
    }

    let apply = workflow("kfollow-apply.yml");
    let job = &apply["jobs"]["apply"];
    assert_eq!(job["environment"], "${{ matrix.environment }}");
    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
    assert!(
        job["concurrency"]["group"]
            .as_str()
            .unwrap()
            .contains("matrix.environment")
    );
    let steps = job["steps"].to_string();
    assert!(steps.contains("kfollow apply kfollow.plan"), "{steps}");

    let drift = workflow("kfollow-drift.yml");
    assert!(drift["on"]["schedule"][0]["cron"].is_string());
    assert_eq!(drift["permissions"]["issues"], "write");
    let steps = drift["jobs"]["drift"]["steps"].to_string();
    assert!(
        steps.contains("--detailed-exitcode --unmanaged-is-drift"),
        "{steps}"
    );
}

/// The inputs each task takes, from its reference on learn.microsoft.com (aliases included).
const TASK_INPUTS: [(&str, &[&str]); 3] = [
    (
        "AzureCLI@2",
        &[
            "azureSubscription",
            "connectedServiceNameARM",
            "scriptType",
            "scriptLocation",
            "scriptPath",
            "inlineScript",
            "arguments",
            "scriptArguments",
            "powerShellErrorActionPreference",
            "addSpnToEnvironment",
            "useGlobalConfig",
            "workingDirectory",
            "cwd",
            "failOnStandardError",
            "powerShellIgnoreLASTEXITCODE",
            "visibleAzLogin",
            "keepAzSessionActive",
        ],
    ),
    (
        "ManualValidation@1",
        &[
            "notifyUsers",
            "approvers",
            "allowApproversToApproveTheirOwnRuns",
            "instructions",
            "onTimeout",
        ],
    ),
    ("Cache@2", &["key", "path", "cacheHitVar", "restoreKeys"]),
];

/// Every `task:` step under `value`, with its inputs.
fn tasks<'a>(value: &'a Value, out: &mut Vec<(&'a str, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(task)) = map.get("task") {
                out.push((task, map.get("inputs").unwrap_or(&Value::Null)));
            }
            map.values().for_each(|v| tasks(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| tasks(v, out)),
        _ => {}
    }
}

#[test]
fn every_azure_pipelines_task_takes_only_documented_inputs() {
    let mut seen = Vec::new();
    for file in recipes()
        .iter()
        .filter(|f| f.to_string_lossy().contains("azure-pipelines"))
    {
        let pipeline = yaml(file);
        let mut found = Vec::new();
        tasks(&pipeline, &mut found);
        for (task, inputs) in found {
            let Some((_, documented)) = TASK_INPUTS.iter().find(|(name, _)| *name == task) else {
                panic!(
                    "{}: task {task} has no documented inputs here",
                    file.display()
                );
            };
            for input in inputs.as_object().into_iter().flat_map(|map| map.keys()) {
                assert!(
                    documented.contains(&input.as_str()),
                    "{}: {task} has no input `{input}`",
                    file.display()
                );
            }
            seen.push(task.to_owned());
        }
    }
    for task in ["AzureCLI@2", "ManualValidation@1", "Cache@2"] {
        assert!(seen.iter().any(|s| s == task), "no {task} in {seen:?}");
    }
    // AzureCLI@2 needs its service connection and its script.
    let pipeline = yaml(&root().join("examples/ci/azure-pipelines/kfollow.yml"));
    let mut found = Vec::new();
    tasks(&pipeline, &mut found);
    for (task, inputs) in found.iter().filter(|(task, _)| *task == "AzureCLI@2") {
        for required in [
            "azureSubscription",
            "scriptType",
            "scriptLocation",
            "inlineScript",
        ] {
            assert!(inputs.get(required).is_some(), "{task} without {required}");
        }
    }
}

/// What a drift step's script made of one exit code of `kfollow plan`: its own exit code
/// and what it handed to the next step.
#[cfg(unix)]
fn drift_step(script: &str, kfollow_exit: i32, bash_flags: &[&str]) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A kfollow that prints a plan and exits as told.
    let fake = bin.join("kfollow");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"<!-- kfollow:plan:x -->\"\nexit \"$FAKE_EXIT\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output_file = dir.path().join("github_output");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = std::process::Command::new("bash")
        .args(bash_flags)
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("FAKE_EXIT", kfollow_exit.to_string())
        .env("MANIFEST", "environments/dev/kfollow.yaml")
        .env("GITHUB_OUTPUT", &output_file)
        .output()
        .unwrap();
    let handed = std::fs::read_to_string(&output_file).unwrap_or_default()
        + &String::from_utf8_lossy(&run.stdout);
    (run.status.code().unwrap_or(-1), handed)
}

/// The drift steps run as the CI runs them, against a kfollow that exits 0, 2, 1 or as a
/// crash would: drift only on 2, in step only on 0, and anything else fails the job (so a
/// crash can never close the drift issue as "in step").
#[cfg(unix)]
#[test]
fn the_drift_steps_read_every_exit_code_right() {
    let github = yaml(&root().join("examples/ci/github/kfollow-drift.yml"));
    let steps = github["jobs"]["drift"]["steps"].as_array().unwrap();
    let step = steps.iter().find(|s| s["id"] == "plan").unwrap();
    let script = step["run"].as_str().unwrap();
    // GitHub runs `run:` with `bash -e -o pipefail`.
    let github_flags = ["--noprofile", "--norc", "-e", "-o", "pipefail"];
    for (code, expected) in [
        (0, Some("status=0\n")),
        (2, Some("status=2\n")),
        (1, None),
        (101, None),
    ] {
        let (exit, handed) = drift_step(script, code, &github_flags);
        match expected {
            Some(output) => assert_eq!((exit, handed.as_str()), (0, output), "kfollow exit {code}"),
            None => assert_ne!(exit, 0, "kfollow exit {code}: {handed}"),
        }
    }

    let azure = yaml(&root().join("examples/ci/azure-pipelines/kfollow.yml"));
    let mut found = Vec::new();
    tasks(&azure, &mut found);
    let look = found
        .iter()
        .find(|(_, inputs)| {
            inputs["inlineScript"]
                .as_str()
                .is_some_and(|s| s.contains("--unmanaged-is-drift"))
        })
        .unwrap();
    let script = look.1["inlineScript"].as_str().unwrap();
    let variable = "##vso[task.setvariable variable=drift;isoutput=true]";
    for (code, expected) in [(0, Some("no")), (2, Some("yes")), (1, None), (101, None)] {
        let (exit, handed) = drift_step(script, code, &[]);
        match expected {
            Some(drift) => {
                assert_eq!(exit, 0, "kfollow exit {code}: {handed}");
                assert!(
                    handed.contains(&format!("{variable}{drift}\n")),
                    "kfollow exit {code}: {handed}"
                );
            }
            None => {
                assert_ne!(exit, 0, "kfollow exit {code}: {handed}");
                assert!(!handed.contains(variable), "kfollow exit {code}: {handed}");
            }
        }
    }
}
