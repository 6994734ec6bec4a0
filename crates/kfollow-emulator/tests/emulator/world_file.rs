//! World files: every error names the file, and a world Azure could not hold is refused.

use kfollow_emulator::{World, WorldError, WorldProblem};

const PROD_ID: &str =
    "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod";

/// A leader and a follower of its `Sales`; `{extra}` goes under the follower's attachments.
fn world(extra_databases: &str, attachment: &str) -> String {
    format!(
        r#"clusters:
  - id: {PROD_ID}
    location: westeurope
    databases:
      - name: Sales
      - name: Logs{extra_databases}
  - id: /subscriptions/2/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcemea
    location: westeurope
    databases:
      - name: Local
    attachedDatabaseConfigurations:
      - name: sales
        clusterResourceId: {PROD_ID}
        databaseName: Sales{attachment}
"#
    )
}

/// The base world, with the attachment following `leader` instead.
fn following(leader: &str) -> String {
    world("", "").replace(
        &format!("clusterResourceId: {PROD_ID}"),
        &format!("clusterResourceId: {leader}"),
    )
}

/// Loads `text` from a file; the error, with the folder written `[DIR]`.
fn load_error(text: &str) -> (WorldError, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.yaml");
    std::fs::write(&path, text).unwrap();
    let error = World::load(&path).unwrap_err();
    let message = error
        .to_string()
        .replace(&dir.path().display().to_string(), "[DIR]");
    (error, message)
}

fn problem(error: WorldError) -> WorldProblem {
    match error {
        WorldError::Invalid { file, problem } => {
            assert!(file.is_some_and(|f| f.ends_with("world.yaml")));
            problem
        }
        other => panic!("not a rule error: {other}"),
    }
}

#[test]
fn the_base_world_loads() {
    let loaded = World::from_yaml(&world("", "")).unwrap();
    assert_eq!(loaded.follower_databases(1)[0].name, "Sales");
}

#[test]
fn a_yaml_error_names_the_file_line_and_column() {
    let text = world("", "\n        databasez: []");
    let (error, message) = load_error(&text);
    assert!(matches!(
        error,
        WorldError::Parse {
            line: Some(15),
            column: Some(9),
            ..
        }
    ));
    assert!(!message.contains("<input>"), "{message}");
    insta::assert_snapshot!(message);
}

#[test]
fn a_text_that_is_not_yaml_names_the_file() {
    let (error, message) = load_error("clusters: [\n");
    assert!(matches!(error, WorldError::Parse { line: Some(_), .. }));
    assert!(message.contains("[DIR]/world.yaml"), "{message}");
    assert!(!message.contains("<input>"), "{message}");
}

#[test]
fn two_databases_of_one_name_whatever_their_case() {
    let (error, message) = load_error(&world("\n      - name: SALES", ""));
    assert_eq!(
        problem(error),
        WorldProblem::DuplicateDatabase {
            cluster: "fcprod".into(),
            database: "SALES".into()
        }
    );
    insta::assert_snapshot!(message);
}

#[test]
fn a_leader_that_is_not_in_the_world() {
    let (error, message) = load_error(&following(
        "/subscriptions/1/resourceGroups/other/providers/Microsoft.Kusto/clusters/fcprod",
    ));
    assert!(matches!(
        problem(error),
        WorldProblem::UnknownLeader { cluster, attachment, .. }
            if cluster == "fcemea" && attachment == "sales"
    ));
    insta::assert_snapshot!(message);
}

#[test]
fn a_cluster_that_follows_itself() {
    let (error, message) = load_error(&following(
        "/subscriptions/2/resourceGroups/RG/providers/Microsoft.Kusto/clusters/FCEMEA",
    ));
    assert_eq!(
        problem(error),
        WorldProblem::SelfFollow {
            cluster: "fcemea".into(),
            attachment: "sales".into()
        }
    );
    insta::assert_snapshot!(message);
}

#[test]
fn a_follower_database_that_takes_a_database_name() {
    let (error, message) = load_error(&world("", "\n        databaseNameOverride: local"));
    assert_eq!(
        problem(error),
        WorldProblem::FollowerNameTaken {
            cluster: "fcemea".into(),
            attachment: "sales".into(),
            database: "local".into()
        }
    );
    insta::assert_snapshot!(message);
}

#[test]
fn the_earlier_rules_name_the_file_too() {
    let twice = format!(
        "{}      - name: SALES\n        clusterResourceId: {PROD_ID}\n        databaseName: Logs\n",
        world("", "")
    );
    let (error, message) = load_error(&twice);
    assert!(matches!(
        problem(error),
        WorldProblem::DuplicateAttachment { .. }
    ));
    assert!(
        message.starts_with("the world file `[DIR]/world.yaml`"),
        "{message}"
    );
}
