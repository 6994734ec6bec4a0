//! The GitHub Actions recipes of `examples/ci/github/`, checked the way actionlint checks a
//! workflow: the keys GitHub reads at each level, the events and their filters, permission
//! scopes, that every step runs one thing, the inputs and outputs of each action, and that
//! every expression names a context that exists where it is used (a step id of an earlier
//! step, a matrix key, a job of `needs`). actionlint itself cannot be installed from a clean
//! clone without access to GitHub (`.ci/run` runs it when it is on `PATH`); this check runs
//! everywhere.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

/// Keys of a workflow file.
const WORKFLOW_KEYS: &str = "name run-name on permissions env defaults concurrency jobs";

/// Keys of a job that runs steps.
const JOB_KEYS: &str = "name needs permissions runs-on environment concurrency outputs env \
    defaults if steps timeout-minutes strategy continue-on-error container services";

/// Keys of a step.
const STEP_KEYS: &str = "id if name uses run with env shell working-directory \
    continue-on-error timeout-minutes";

/// The events the recipes may start on, with the keys each takes.
const EVENTS: &[(&str, &str)] = &[
    (
        "pull_request",
        "types branches branches-ignore paths paths-ignore",
    ),
    (
        "push",
        "branches branches-ignore tags tags-ignore paths paths-ignore",
    ),
    ("schedule", ""),
    ("workflow_dispatch", "inputs"),
];

/// The activity types of `pull_request`.
const PULL_REQUEST_TYPES: &str = "assigned unassigned labeled unlabeled opened edited closed \
    reopened synchronize converted_to_draft ready_for_review locked unlocked review_requested \
    review_request_removed auto_merge_enabled auto_merge_disabled milestoned demilestoned \
    enqueued dequeued";

/// The scopes of `permissions`.
const PERMISSION_SCOPES: &str = "actions attestations checks contents deployments discussions \
    id-token issues models packages pages pull-requests repository-projects security-events \
    statuses";

/// The contexts an expression may name.
const CONTEXTS: &str = "github env vars secrets matrix steps needs job jobs runner strategy \
    inputs";

/// An action the recipes use: its inputs and outputs, from its `action.yml`.
struct Action {
    name: &'static str,
    /// Its inputs, separated by spaces.
    inputs: &'static str,
    /// Its outputs, separated by spaces.
    outputs: &'static str,
}

const ACTIONS: &[Action] = &[
    Action {
        name: "actions/checkout",
        inputs: "repository ref token ssh-key ssh-known-hosts ssh-strict ssh-user \
            persist-credentials path clean filter sparse-checkout sparse-checkout-cone-mode \
            fetch-depth fetch-tags show-progress lfs submodules set-safe-directory \
            github-server-url",
        outputs: "ref commit",
    },
    Action {
        name: "azure/login",
        inputs: "creds client-id tenant-id subscription-id enable-AzPSSession environment \
            allow-no-subscriptions audience auth-type",
        outputs: "",
    },
    Action {
        name: "actions/cache",
        inputs: "path key restore-keys upload-chunk-size enableCrossOsArchive \
            fail-on-cache-miss lookup-only",
        outputs: "cache-hit",
    },
    Action {
        name: "actions/upload-artifact",
        inputs: "name path if-no-files-found retention-days compression-level overwrite \
            include-hidden-files",
        outputs: "artifact-id artifact-url artifact-digest",
    },
    Action {
        name: "actions/download-artifact",
        inputs: "name artifact-ids path pattern merge-multiple github-token repository run-id",
        outputs: "download-path",
    },
    Action {
        name: "actions/github-script",
        inputs: "script github-token debug user-agent previews result-encoding retries \
            retry-exempt-status-codes base-url",
        outputs: "result",
    },
];

/// Everything wrong with a workflow, one finding a line, each with where it is.
fn lint(workflow: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    let Some(top) = workflow.as_object() else {
        return vec!["the file is not a mapping".to_owned()];
    };
    keys(&mut findings, "workflow", top, WORKFLOW_KEYS);
    for required in ["on", "jobs"] {
        if !top.contains_key(required) {
            findings.push(format!("workflow: no `{required}`"));
        }
    }
    events(&mut findings, top.get("on"));
    permissions(&mut findings, "workflow", top.get("permissions"));
    let scope = Scope::default();
    for key in ["name", "run-name", "env", "concurrency"] {
        expressions(
            &mut findings,
            &format!("workflow {key}"),
            top.get(key),
            &scope,
        );
    }
    let jobs = top.get("jobs").and_then(Value::as_object);
    for (id, job) in jobs.into_iter().flatten() {
        self::job(&mut findings, id, job, jobs);
    }
    findings
}

/// What the expressions of one place may name.
#[derive(Default)]
struct Scope {
    matrix: Option<BTreeSet<String>>,
    needs: BTreeSet<String>,
    /// Step id → the outputs it has (`None` when any name may be set, as by `run`).
    steps: Vec<(String, Option<BTreeSet<String>>)>,
    in_steps: bool,
}

fn job(findings: &mut Vec<String>, id: &str, job: &Value, jobs: Option<&Map<String, Value>>) {
    let at = format!("job `{id}`");
    let Some(job) = job.as_object() else {
        findings.push(format!("{at}: not a mapping"));
        return;
    };
    keys(findings, &at, job, JOB_KEYS);
    if !job.contains_key("runs-on") {
        findings.push(format!("{at}: no `runs-on`"));
    }
    permissions(findings, &at, job.get("permissions"));
    let mut scope = Scope::default();
    for need in strings(job.get("needs")) {
        if !jobs.is_some_and(|jobs| jobs.contains_key(need)) {
            findings.push(format!("{at}: needs `{need}`, which is no job"));
        }
        scope.needs.insert(need.to_owned());
    }
    if let Some(matrix) = job
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(Value::as_object)
    {
        scope.matrix = Some(
            matrix
                .keys()
                .filter(|k| !["include", "exclude"].contains(&k.as_str()))
                .cloned()
                .collect(),
        );
    }
    for key in [
        "name",
        "if",
        "runs-on",
        "environment",
        "concurrency",
        "env",
        "strategy",
    ] {
        let value = job.get(key);
        if key == "if" {
            condition(findings, &format!("{at} if"), value, &scope);
        } else {
            expressions(findings, &format!("{at} {key}"), value, &scope);
        }
    }
    let steps = job.get("steps").and_then(Value::as_array);
    if steps.is_none_or(Vec::is_empty) {
        findings.push(format!("{at}: no `steps`"));
    }
    scope.in_steps = true;
    for (n, step) in steps.into_iter().flatten().enumerate() {
        self::step(findings, &format!("{at} step {}", n + 1), step, &mut scope);
    }
}

fn step(findings: &mut Vec<String>, at: &str, step: &Value, scope: &mut Scope) {
    let Some(step) = step.as_object() else {
        findings.push(format!("{at}: not a mapping"));
        return;
    };
    keys(findings, at, step, STEP_KEYS);
    condition(findings, &format!("{at} if"), step.get("if"), scope);
    for key in ["name", "run", "with", "env", "working-directory"] {
        expressions(findings, &format!("{at} {key}"), step.get(key), scope);
    }
    let outputs = match (step.get("uses"), step.get("run")) {
        (Some(uses), None) => action(findings, at, uses, step.get("with")),
        (None, Some(run)) => {
            if step.contains_key("with") {
                findings.push(format!("{at}: `with` on a `run` step"));
            }
            Some(written_outputs(run.as_str().unwrap_or_default()))
        }
        _ => {
            findings.push(format!("{at}: needs exactly one of `uses` and `run`"));
            None
        }
    };
    if let Some(id) = step.get("id") {
        let id = id.as_str().unwrap_or_default().to_owned();
        if scope.steps.iter().any(|(seen, _)| *seen == id) {
            findings.push(format!("{at}: the step id `{id}` is taken"));
        }
        scope.steps.push((id, outputs));
    }
}

/// Checks `uses:` and `with:`; returns the outputs of the action when it is known.
fn action(
    findings: &mut Vec<String>,
    at: &str,
    uses: &Value,
    with: Option<&Value>,
) -> Option<BTreeSet<String>> {
    let uses = uses.as_str().unwrap_or_default();
    let Some((name, version)) = uses.split_once('@') else {
        findings.push(format!(
            "{at}: `{uses}` names no version (`owner/repo@ref`)"
        ));
        return None;
    };
    if name.split('/').count() < 2 || version.is_empty() {
        findings.push(format!("{at}: `{uses}` is not `owner/repo@ref`"));
    }
    let Some(known) = ACTIONS.iter().find(|a| a.name == name) else {
        findings.push(format!(
            "{at}: `{name}` is not an action this check knows; add its inputs and outputs"
        ));
        return None;
    };
    for input in with
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::keys)
    {
        if !listed(known.inputs, input) {
            findings.push(format!("{at}: `{name}` has no input `{input}`"));
        }
    }
    Some(
        known
            .outputs
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    )
}

/// The outputs a `run` script sets: `echo "NAME=value" >> "$GITHUB_OUTPUT"`.
fn written_outputs(script: &str) -> BTreeSet<String> {
    script
        .lines()
        .filter(|line| line.contains("GITHUB_OUTPUT"))
        .filter_map(|line| {
            let start = line.find("echo ")? + "echo ".len();
            let text = line[start..].trim_start_matches(['"', '\'']);
            let (name, _) = text.split_once('=')?;
            Some(name.to_owned())
        })
        .collect()
}

fn events(findings: &mut Vec<String>, on: Option<&Value>) {
    let Some(on) = on.and_then(Value::as_object) else {
        findings.push("on: not a mapping of events".to_owned());
        return;
    };
    for (event, filters) in on {
        let Some((_, allowed)) = EVENTS.iter().find(|(name, _)| name == event) else {
            findings.push(format!("on: unknown event `{event}`"));
            continue;
        };
        if event == "schedule" {
            for entry in filters.as_array().into_iter().flatten() {
                let cron = entry
                    .get("cron")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if cron.split_whitespace().count() != 5 {
                    findings.push(format!("on.schedule: `{cron}` is not a 5-field cron"));
                }
            }
            continue;
        }
        if let Some(filters) = filters.as_object() {
            keys(findings, &format!("on.{event}"), filters, allowed);
        }
        if event == "pull_request" {
            for kind in strings(filters.get("types")) {
                if !listed(PULL_REQUEST_TYPES, kind) {
                    findings.push(format!("on.pull_request: unknown type `{kind}`"));
                }
            }
        }
    }
}

fn permissions(findings: &mut Vec<String>, at: &str, permissions: Option<&Value>) {
    let Some(permissions) = permissions else {
        return;
    };
    if let Some(all) = permissions.as_str() {
        if !["read-all", "write-all"].contains(&all) {
            findings.push(format!("{at} permissions: `{all}`"));
        }
        return;
    }
    for (scope, level) in permissions.as_object().into_iter().flatten() {
        if !listed(PERMISSION_SCOPES, scope) {
            findings.push(format!("{at} permissions: unknown scope `{scope}`"));
        }
        let level = level.as_str().unwrap_or_default();
        let levels: &[&str] = if scope == "id-token" || scope == "models" {
            &["write", "read", "none"]
        } else {
            &["read", "write", "none"]
        };
        if !levels.contains(&level) {
            findings.push(format!("{at} permissions: `{scope}: {level}`"));
        }
    }
}

/// Keys of `map` that GitHub does not read there.
fn keys(findings: &mut Vec<String>, at: &str, map: &Map<String, Value>, allowed: &str) {
    for key in map.keys() {
        if !listed(allowed, key) {
            findings.push(format!("{at}: unknown key `{key}`"));
        }
    }
}

/// True when `word` is one of the space-separated `words`.
fn listed(words: &str, word: &str) -> bool {
    words.split_whitespace().any(|listed| listed == word)
}

/// A value, or the items of a list, as strings.
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// An `if:`: an expression whether or not it is wrapped in `${{ }}`.
fn condition(findings: &mut Vec<String>, at: &str, value: Option<&Value>, scope: &Scope) {
    let Some(text) = value.and_then(Value::as_str) else {
        return;
    };
    if text.contains("${{") {
        expressions(findings, at, value, scope);
    } else {
        references(findings, at, text, scope);
    }
}

/// Every `${{ … }}` in the strings of `value`.
fn expressions(findings: &mut Vec<String>, at: &str, value: Option<&Value>, scope: &Scope) {
    match value {
        Some(Value::String(text)) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${{") {
                let inner = &rest[start + 3..];
                let Some(end) = inner.find("}}") else {
                    findings.push(format!("{at}: `${{{{` is never closed"));
                    return;
                };
                references(findings, at, &inner[..end], scope);
                rest = &inner[end + 2..];
            }
        }
        Some(Value::Array(items)) => items
            .iter()
            .for_each(|v| expressions(findings, at, Some(v), scope)),
        Some(Value::Object(map)) => map
            .values()
            .for_each(|v| expressions(findings, at, Some(v), scope)),
        _ => {}
    }
}

/// The names an expression reads (`steps.run.outputs.result`), checked against the scope.
fn references(findings: &mut Vec<String>, at: &str, expression: &str, scope: &Scope) {
    for path in paths(expression) {
        let parts: Vec<&str> = path.split('.').collect();
        let (context, name) = (parts[0], parts.get(1).copied());
        if !listed(CONTEXTS, context) {
            findings.push(format!("{at}: unknown context `{context}` in `{path}`"));
            continue;
        }
        match (context, name) {
            ("matrix", Some(key)) => match &scope.matrix {
                None => findings.push(format!("{at}: `{path}` outside a matrix job")),
                Some(keys) if !keys.contains(key) => {
                    findings.push(format!("{at}: the matrix has no `{key}`"));
                }
                Some(_) => {}
            },
            ("needs", Some(job)) if !scope.needs.contains(job) => {
                findings.push(format!("{at}: `{path}` names a job not in `needs`"));
            }
            ("steps", _) if !scope.in_steps => {
                findings.push(format!("{at}: `{path}` outside the steps"));
            }
            ("steps", Some(id)) => match scope.steps.iter().find(|(seen, _)| seen == id) {
                None => findings.push(format!("{at}: `{path}` names no earlier step")),
                Some((_, outputs)) => {
                    if let (Some("outputs"), Some(output), Some(known)) =
                        (parts.get(2).copied(), parts.get(3), outputs)
                        && !known.contains(*output)
                    {
                        findings.push(format!("{at}: the step `{id}` has no output `{output}`"));
                    }
                }
            },
            _ => {}
        }
    }
}

/// The dotted names an expression reads, leaving out string literals, numbers, literals and
/// function names.
fn paths(expression: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = expression.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A string literal; '' is a quote inside it.
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' && chars.get(i + 1) != Some(&'\'') {
                    break;
                }
                i += if chars[i] == '\'' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '-' | '.' | '*'))
            {
                i += 1;
            }
            let path: String = chars[start..i].iter().collect();
            let call = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            if !call && !["true", "false", "null"].contains(&path.as_str()) {
                found.push(path);
            }
        } else {
            i += 1;
        }
    }
    found
}

fn workflow(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci/github")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

const WORKFLOWS: [&str; 3] = ["kfollow-plan.yml", "kfollow-apply.yml", "kfollow-drift.yml"];

#[test]
fn the_github_workflows_pass_the_structural_check() {
    for name in WORKFLOWS {
        let findings = lint(&workflow(name));
        assert!(findings.is_empty(), "{name}:\n  {}", findings.join("\n  "));
    }
}

/// A recipe, an edit that breaks it, and what the check must say.
type Case<'a> = (&'a str, &'a dyn Fn(&mut Value), &'a str);

/// The check itself: each kind of mistake in a recipe is found.
#[test]
fn a_broken_workflow_is_reported() {
    let edit = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut value = workflow(name);
        change(&mut value);
        lint(&value)
    };
    let cases: [Case; 9] = [
        (
            "kfollow-plan.yml",
            &|w| w["permissions"]["pull-request"] = "write".into(),
            "unknown scope `pull-request`",
        ),
        (
            "kfollow-plan.yml",
            &|w| w["jobs"]["plan"]["steps"][1]["with"]["client_id"] = "x".into(),
            "`azure/login` has no input `client_id`",
        ),
        (
            "kfollow-plan.yml",
            &|w| w["jobs"]["plan"]["steps"][3]["if"] = "steps.cached.outputs.cache-hit".into(),
            "`steps.cached.outputs.cache-hit` names no earlier step",
        ),
        (
            "kfollow-plan.yml",
            &|w| {
                w["jobs"]["plan"]["env"]["MANIFEST"] = "${{ matrix.environments }}".into();
            },
            "the matrix has no `environments`",
        ),
        (
            "kfollow-apply.yml",
            &|w| {
                w["jobs"]["apply"]["steps"][1]["with"]["run-id"] =
                    "${{ steps.run.outputs.results }}".into();
            },
            "the step `run` has no output `results`",
        ),
        (
            "kfollow-apply.yml",
            &|w| {
                w["jobs"]["apply"]["concurrency"]["group"] = "${{ matrix.environment }".into();
            },
            "`${{` is never closed",
        ),
        (
            "kfollow-drift.yml",
            &|w| {
                w["jobs"]["drift"]["steps"][5]["env"]["STATUS"] =
                    "${{ steps.plan.outputs.code }}".into();
            },
            "the step `plan` has no output `code`",
        ),
        (
            "kfollow-drift.yml",
            &|w| {
                w["jobs"]["drift"]
                    .as_object_mut()
                    .unwrap()
                    .remove("runs-on");
            },
            "no `runs-on`",
        ),
        (
            "kfollow-drift.yml",
            &|w| w["on"]["schedule"][0]["cron"] = "17 6 * *".into(),
            "is not a 5-field cron",
        ),
    ];
    for (name, change, expected) in cases {
        let findings = edit(name, change);
        assert!(
            findings.iter().any(|f| f.contains(expected)),
            "{name}: no `{expected}` in {findings:?}"
        );
    }
    let mut two = workflow("kfollow-plan.yml");
    two["jobs"]["plan"]["steps"][0]["run"] = "true".into();
    assert!(
        lint(&two)
            .iter()
            .any(|f| f.contains("exactly one of `uses` and `run`"))
    );
}

#[test]
fn expressions_are_read_as_github_reads_them() {
    assert_eq!(
        paths("steps.cache.outputs.cache-hit != 'true' && format('a.b {0}', github.ref)"),
        ["steps.cache.outputs.cache-hit", "github.ref"]
    );
    assert_eq!(paths("'it''s env.X' || success()"), Vec::<String>::new());
    assert_eq!(
        written_outputs("status=0\necho \"status=$status\" >> \"$GITHUB_OUTPUT\"\n"),
        BTreeSet::from(["status".to_owned()])
    );
}
