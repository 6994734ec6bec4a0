//! The CI recipes of `docs/ci.md`: the files in `examples/ci/` are what the page shows,
//! they are YAML, the GitHub workflows hold what the page promises, and every Azure
//! Pipelines task takes only the inputs its documentation lists.

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
