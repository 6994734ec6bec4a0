//! Whether a saved plan may run (`kfollow apply PLAN`): a file anyone can edit is trusted only
//! when every check below passes, and each refusal ([`Refusal`]) comes before a single write.
//!
//! In order: its dependencies make a DAG and it was made against this target
//! ([`check_saved`]); it was made from the manifest `-f` names, or the one it names when that is
//! still there, and that manifest gives the desired state the file holds (also
//! [`check_saved`]); once the caller read the live state again, every resource reads as when the
//! plan was made ([`check_live`]); once the caller made the plan again from that, the file holds
//! exactly it ([`check_remade`]). Names a refusal quotes are made inert, so a file cannot drive
//! the terminal through them.

use std::path::Path;

use kfollow_graph::DependencyGraph;
use kfollow_model::{Observed, Plan, SavedPlan};
use kfollow_render::inert;

use crate::contract::check_same_plan;
use crate::stale::{StalePlan, check_fresh};

/// How many differences between a saved plan and the plan made again a refusal lists.
pub const MISMATCHES_SHOWN: usize = 10;

/// Why a saved plan does not run; nothing was changed. [`Refusal::help`] says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Its changes' dependencies do not make a DAG: it is no plan.
    #[error("the saved plan `{plan}` cannot be applied: {error}; nothing was changed")]
    NotADag {
        /// The plan file.
        plan: String,
        /// What is wrong with its dependencies.
        error: String,
    },
    /// It was read from another ARM endpoint or emulator world.
    #[error(
        "the saved plan `{plan}` was made against `{made_against}`, not `{target}`; nothing was changed"
    )]
    OtherTarget {
        /// The plan file.
        plan: String,
        /// Where it was made.
        made_against: String,
        /// Where this apply runs.
        target: String,
    },
    /// The manifest to compare it with cannot be read.
    #[error("cannot read the manifest `{name}`: {error}; nothing was changed")]
    ManifestUnreadable {
        /// The manifest.
        name: String,
        /// Why not.
        error: std::io::Error,
    },
    /// The manifest `-f` names is not the one it was made from.
    #[error(
        "the manifest `{name}` is not the one the plan `{plan}` was made from (`{made_from}`); nothing was changed"
    )]
    OtherManifest {
        /// The manifest `-f` names.
        name: String,
        /// The plan file.
        plan: String,
        /// The manifest the plan names.
        made_from: String,
    },
    /// The manifest it names changed since it was saved.
    #[error("the manifest `{name}` changed since the plan `{plan}` was saved; nothing was changed")]
    ManifestChanged {
        /// The manifest.
        name: String,
        /// The plan file.
        plan: String,
    },
    /// Its manifest is the one it was made from, but its desired state was edited.
    #[error(
        "the saved plan `{plan}` does not hold what its manifest `{name}` gives: its desired state was edited; nothing was changed"
    )]
    DesiredEdited {
        /// The plan file.
        plan: String,
        /// The manifest.
        name: String,
    },
    /// Live resources read differently from when it was made.
    #[error("{0}")]
    Stale(StalePlan),
    /// It is not the plan its desired state and the live state give: an edited file, or one
    /// of another kfollow version.
    #[error("the saved plan `{plan}` is not what its manifest and the live state give ({count} difference{s}); nothing was changed\n{lines}", s = if *.count == 1 { "" } else { "s" })]
    NotThePlan {
        /// The plan file.
        plan: String,
        /// How many differences there are.
        count: usize,
        /// The first [`MISMATCHES_SHOWN`] of them, one per line.
        lines: String,
    },
}

impl Refusal {
    /// What to do next.
    pub fn help(&self) -> String {
        match self {
            Refusal::NotADag { .. } | Refusal::DesiredEdited { .. } => {
                "make the plan again with `kfollow plan --out PLAN` and review it".to_owned()
            }
            Refusal::OtherTarget { .. } => {
                "apply the plan against the endpoint it was made for, or make a new plan".to_owned()
            }
            Refusal::ManifestUnreadable { .. } => {
                "name the manifest the plan was made from with `-f FILE`".to_owned()
            }
            Refusal::OtherManifest { name, .. } | Refusal::ManifestChanged { name, .. } => {
                format!(
                    "make a plan of the manifest as it is now with `kfollow plan -f {name} --out \
                     PLAN`, review it, and apply that plan"
                )
            }
            Refusal::Stale(_) => {
                "nothing was changed; run `kfollow plan --out PLAN` again and review the new plan"
                    .to_owned()
            }
            Refusal::NotThePlan { .. } => "the file was changed after `kfollow plan --out` wrote \
                                           it, or was made by another kfollow version; make the \
                                           plan again with `kfollow plan --out PLAN` and review \
                                           it"
            .to_owned(),
        }
    }
}

/// The checks before anything is read from Azure: the plan `saved`, read from the file `plan`,
/// makes a DAG, was made against `target`, and was made from the manifest `given` names (`-f`),
/// or else from the one it names, when that is still a file. An equal digest is not enough
/// when the file's desired state was edited: the manifest must also give the desired state the
/// plan holds.
///
/// Reads the file system: the metadata of the manifest the plan names, and the manifest's
/// bytes through `read` (bounded: the name in a plan file may point at a device).
///
/// # Errors
///
/// The first check that fails.
pub fn check_saved(
    saved: &SavedPlan,
    plan: &Path,
    target: &str,
    given: Option<&Path>,
    read: impl FnOnce(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<(), Refusal> {
    let shown = plan.display().to_string();
    DependencyGraph::from_depends_on(saved.plan.changes.clone()).map_err(|error| {
        Refusal::NotADag {
            plan: shown.clone(),
            error: inert(&error.to_string()).into_owned(),
        }
    })?;
    if saved.target != target {
        return Err(Refusal::OtherTarget {
            plan: shown,
            made_against: inert(&saved.target).into_owned(),
            target: target.to_owned(),
        });
    }
    let path = given.unwrap_or(Path::new(&saved.manifest));
    let name = inert(&path.display().to_string()).into_owned();
    if given.is_none() {
        match std::fs::metadata(path) {
            Ok(found) if found.is_file() => {}
            // Gone, or not a file to read twice (`plan -f /dev/stdin`): nothing to compare.
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => {}
        }
    }
    let bytes = read(path).map_err(|error| Refusal::ManifestUnreadable {
        name: name.clone(),
        error,
    })?;
    if !saved.made_from(&bytes) {
        return Err(match given {
            Some(_) => Refusal::OtherManifest {
                name,
                plan: shown,
                made_from: inert(&saved.manifest).into_owned(),
            },
            None => Refusal::ManifestChanged { name, plan: shown },
        });
    }
    let text = String::from_utf8_lossy(&bytes);
    let holds = kfollow_spec::load(&saved.desired.source_name, &text)
        .is_ok_and(|validated| saved.holds(&validated.desired));
    if !holds {
        return Err(Refusal::DesiredEdited { plan: shown, name });
    }
    Ok(())
}

/// The stale-plan check, once the live state is read again: every resource the plan was made
/// from reads as it did then.
///
/// # Errors
///
/// [`Refusal::Stale`], naming each resource that changed, appeared or is gone, one per line.
pub fn check_live(saved: &SavedPlan, observed: &Observed) -> Result<(), Refusal> {
    let now = kfollow_state::fingerprints(observed, &saved.desired);
    check_fresh(&saved.fingerprints, &now).map_err(|stale| {
        // One resource per line: the names are made inert, the line breaks between them kept.
        let names = |names: Vec<String>| names.iter().map(|n| inert(n).into_owned()).collect();
        Refusal::Stale(StalePlan {
            changed: names(stale.changed),
            appeared: names(stale.appeared),
            gone: names(stale.gone),
        })
    })
}

/// The last check: the plan in the file `plan` is exactly `remade`, the plan its desired state
/// and the live state give now.
///
/// # Errors
///
/// [`Refusal::NotThePlan`], listing the first [`MISMATCHES_SHOWN`] differences.
pub fn check_remade(saved: &SavedPlan, plan: &Path, remade: &Plan) -> Result<(), Refusal> {
    check_same_plan(&saved.plan, remade).map_err(|mismatch| {
        let lines: Vec<String> = mismatch
            .lines(MISMATCHES_SHOWN)
            .iter()
            .map(|line| inert(line).into_owned())
            .collect();
        Refusal::NotThePlan {
            plan: plan.display().to_string(),
            count: mismatch.differences.len(),
            lines: lines.join("\n"),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use kfollow_model::{Change, digest};

    use super::*;
    use crate::script::attach;

    const TARGET: &str = "emulator:world.yaml";
    const MANIFEST: &str = "version: 1
clusters:
  lead:
    id: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Kusto/clusters/leader1
    location: westeurope
  f1:
    id: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Kusto/clusters/follower1
attachments:
  - name: sales
    follower: f1
    leader: lead
    databaseName: Sales
";

    fn change(name: &str, depends_on: &[&str]) -> Change {
        attach(name, Vec::new(), depends_on)
    }

    /// A plan saved from [`MANIFEST`], named `manifest`, with `changes`.
    fn saved(manifest: &str, changes: Vec<Change>) -> SavedPlan {
        let desired = kfollow_spec::load(manifest, MANIFEST).unwrap().desired;
        let plan = Plan {
            changes,
            ..Plan::default()
        };
        let digest = digest(MANIFEST.as_bytes());
        SavedPlan::new(
            "0.1.0",
            manifest,
            &digest,
            TARGET,
            desired,
            plan,
            BTreeMap::new(),
        )
    }

    fn unread(_: &Path) -> std::io::Result<Vec<u8>> {
        panic!("the manifest was read")
    }

    fn manifest(_: &Path) -> std::io::Result<Vec<u8>> {
        Ok(MANIFEST.as_bytes().to_vec())
    }

    fn check(
        saved: &SavedPlan,
        target: &str,
        given: Option<&str>,
        read: impl FnOnce(&Path) -> std::io::Result<Vec<u8>>,
    ) -> Result<(), Refusal> {
        check_saved(
            saved,
            Path::new("p.json"),
            target,
            given.map(Path::new),
            read,
        )
    }

    #[test]
    fn the_plan_of_its_manifest_against_its_target_is_admitted() {
        let saved = saved("kfollow.yaml", vec![change("sales", &[])]);
        check(&saved, TARGET, Some("kfollow.yaml"), manifest).unwrap();
    }

    #[test]
    fn dependencies_that_make_no_dag_are_refused_before_the_manifest_is_read() {
        let saved = saved(
            "kfollow.yaml",
            vec![change("a", &["b"]), change("b", &["a"])],
        );
        let refusal = check(&saved, TARGET, Some("kfollow.yaml"), unread).unwrap_err();
        assert!(matches!(refusal, Refusal::NotADag { .. }), "{refusal:?}");
        let message = refusal.to_string();
        assert!(
            message.starts_with("the saved plan `p.json` cannot be applied: "),
            "{message}"
        );
        assert!(message.ends_with("; nothing was changed"), "{message}");
        assert_eq!(
            refusal.help(),
            "make the plan again with `kfollow plan --out PLAN` and review it"
        );
    }

    #[test]
    fn a_plan_made_elsewhere_is_refused_and_its_target_made_inert() {
        let mut saved = saved("kfollow.yaml", Vec::new());
        saved.target = "emulator:\u{1b}[2Jw.yaml".into();
        let refusal = check(&saved, TARGET, None, unread).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            r"the saved plan `p.json` was made against `emulator:\u{1b}[2Jw.yaml`, not `emulator:world.yaml`; nothing was changed"
        );
        assert_eq!(
            refusal.help(),
            "apply the plan against the endpoint it was made for, or make a new plan"
        );
    }

    #[test]
    fn another_manifest_named_with_dash_f_is_refused() {
        let saved = saved("kfollow.yaml", Vec::new());
        let other = |_: &Path| Ok(b"version: 1\n".to_vec());
        let refusal = check(&saved, TARGET, Some("o.yaml"), other).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "the manifest `o.yaml` is not the one the plan `p.json` was made from (`kfollow.yaml`); nothing was changed"
        );
        assert_eq!(
            refusal.help(),
            "make a plan of the manifest as it is now with `kfollow plan -f o.yaml --out PLAN`, review it, and apply that plan"
        );
    }

    #[test]
    fn a_manifest_that_cannot_be_read_says_why() {
        let saved = saved("kfollow.yaml", Vec::new());
        let failing = |_: &Path| Err(std::io::Error::other("too large"));
        let refusal = check(&saved, TARGET, Some("m.yaml"), failing).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "cannot read the manifest `m.yaml`: too large; nothing was changed"
        );
        assert_eq!(
            refusal.help(),
            "name the manifest the plan was made from with `-f FILE`"
        );
    }

    #[test]
    fn the_manifest_the_plan_names_is_compared_only_while_it_is_a_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("kfollow.yaml");
        let name = path.display().to_string();
        // Gone: nothing to compare, nothing read.
        check(&saved(&name, Vec::new()), TARGET, None, unread).unwrap();
        // Not a file (a folder): nothing to compare either.
        check(
            &saved(&folder.path().display().to_string(), Vec::new()),
            TARGET,
            None,
            unread,
        )
        .unwrap();
        // Changed since: refused.
        std::fs::write(&path, "version: 1\n").unwrap();
        let read = |path: &Path| std::fs::read(path);
        let refusal = check(&saved(&name, Vec::new()), TARGET, None, read).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            format!(
                "the manifest `{name}` changed since the plan `p.json` was saved; nothing was changed"
            )
        );
        // As it was: admitted.
        std::fs::write(&path, MANIFEST).unwrap();
        check(&saved(&name, Vec::new()), TARGET, None, read).unwrap();
    }

    #[test]
    fn an_edited_desired_state_is_refused_though_the_manifest_is_the_same() {
        let mut saved = saved("kfollow.yaml", Vec::new());
        saved.desired.attachments.clear();
        let refusal = check(&saved, TARGET, Some("kfollow.yaml"), manifest).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "the saved plan `p.json` does not hold what its manifest `kfollow.yaml` gives: its desired state was edited; nothing was changed"
        );
    }

    #[test]
    fn a_stale_plan_names_each_resource_on_its_own_line_made_inert() {
        let mut saved = saved("kfollow.yaml", Vec::new());
        saved
            .fingerprints
            .insert("attachment.f1/\u{1b}[2Jsales".into(), digest(b"{}"));
        let refusal = check_live(&saved, &Observed::default()).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "Saved plan is stale: 1 live resource differs from when the plan was made\n  gone      attachment.f1/\\u{1b}[2Jsales"
        );
        assert_eq!(
            refusal.help(),
            "nothing was changed; run `kfollow plan --out PLAN` again and review the new plan"
        );
        check_live(
            &self::saved("kfollow.yaml", Vec::new()),
            &Observed::default(),
        )
        .unwrap();
    }

    #[test]
    fn a_plan_that_is_not_the_one_made_again_lists_its_differences() {
        let saved = saved("kfollow.yaml", vec![change("sales", &[])]);
        check_remade(&saved, Path::new("p.json"), &saved.plan).unwrap();
        let refusal = check_remade(&saved, Path::new("p.json"), &Plan::default()).unwrap_err();
        let message = refusal.to_string();
        assert!(
            message.starts_with(
                "the saved plan `p.json` is not what its manifest and the live state give (1 difference); nothing was changed\nattachment.f1/sales: "
            ),
            "{message}"
        );
        assert!(
            refusal
                .help()
                .starts_with("the file was changed after `kfollow plan --out` wrote it")
        );
    }
}
