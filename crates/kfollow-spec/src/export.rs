//! Writing a manifest: the live state of some follower clusters → the manifest text that
//! [`load`](crate::load) reads back, and that `kfollow plan` compares with the same live state
//! as "No changes".
//!
//! Every attachment of the exported clusters is written, with only what differs from what an
//! attach does by default; each follower database's settings likewise. Leaders are declared
//! with their id and location only: their own followers elsewhere stay unmanaged (reported by
//! a plan, never touched). An attachment made by Azure Data Share is left out, with a comment
//! and a warning: its Data Share subscription manages it, and a manifest that declared it could
//! not be planned. The text itself is written by [`emit`](crate::emit).

use std::collections::{BTreeMap, HashMap, HashSet};

use kfollow_model::{
    CachingPoliciesModificationKind, ClusterId, DatabaseShareOrigin, Observed, ObservedAttachment,
    ObservedCluster, ObservedFollowerSettings, ObservedPrincipal, Principal, PrincipalKind,
    PrincipalsModificationKind, Role, Timespan,
};

use crate::emit::{self, Yaml};

/// Where editors find the manifest's JSON Schema, relative to the manifest.
const SCHEMA_PATH: &str = "schemas/kfollow.schema.json";

/// An exported manifest and what it holds.
#[derive(Debug)]
pub struct Exported {
    /// The manifest's text.
    pub text: String,
    /// How many clusters it declares.
    pub clusters: usize,
    /// How many attachments it declares.
    pub attachments: usize,
    /// What could not be written exactly as it is live, one line each.
    pub warnings: Vec<String>,
}

impl Exported {
    /// The line `kfollow export` ends with: `exported 2 clusters, 3 attachments`.
    pub fn summary(&self) -> String {
        format!(
            "exported {}, {}",
            crate::plural(self.clusters, "cluster", "clusters"),
            crate::plural(self.attachments, "attachment", "attachments")
        )
    }
}

/// How [`write`] writes a manifest: `kfollow export`'s way by default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// The comment lines after the schema line; `None` for `kfollow export`'s.
    pub title: Option<Vec<String>>,
    /// Follower clusters declared with `unmanagedAttachments: detach`.
    pub detach_unmanaged_attachments: Vec<ClusterId>,
    /// Every setting of every follower database is written, defaults and absent values
    /// included (`hotCachePeriod: null`, `tables: {}`, `viewers: []`), so that applying the
    /// manifest makes each setting exactly what it is live, rather than leaving alone what a
    /// fresh attach would not set.
    pub every_setting: bool,
}

/// The manifest of the clusters `followers` (each read with its follower database settings)
/// and the leaders they follow, from `observed`, which holds all of them.
pub fn export(followers: &[ClusterId], observed: &Observed) -> Exported {
    write(followers, observed, &Options::default())
}

/// [`export`], written as `options` say.
pub(crate) fn write(followers: &[ClusterId], observed: &Observed, options: &Options) -> Exported {
    let leaders = observed.leaders_of(followers);
    let mut aliases = Aliases::default();
    let mut out = Yaml::default();
    let names: Vec<&str> = followers.iter().map(ClusterId::name).collect();
    out.comment(0, &format!("yaml-language-server: $schema={SCHEMA_PATH}"));
    out.comment(0, "");
    let title = options.title.clone().unwrap_or_else(|| {
        vec![format!(
            "Exported by `kfollow export` from the live state of {}.",
            names.join(", ")
        )]
    });
    for line in &title {
        out.comment(0, line);
    }
    out.comment(
        0,
        &format!(
            "The schema path is relative to this file: `kfollow schema > {SCHEMA_PATH}` writes it."
        ),
    );
    out.raw(0, "version", "1");
    out.blank();
    out.open(0, "clusters");
    for id in leaders.iter().chain(followers) {
        let live = observed.cluster(id);
        let alias = aliases.assign(id);
        out.open(2, &alias);
        out.entry(4, "id", &live.map_or(id, |c| &c.id).to_string());
        if let Some(live) = live.filter(|c| !c.location.trim().is_empty()) {
            out.entry(4, "location", &live.location);
        }
        if options.detach_unmanaged_attachments.contains(id) {
            out.entry(4, "unmanagedAttachments", "detach");
        }
    }
    let mut warnings = Vec::new();
    let mut attachments = 0;
    let mut left_out = Vec::new();
    for id in followers {
        let Some(follower) = observed.cluster(id) else {
            continue;
        };
        let (shared, list): (Vec<_>, Vec<_>) = follower
            .attachments_by_name()
            .into_iter()
            .partition(|a| is_data_share(observed, id, a));
        for attachment in shared {
            left_out.push(format!(
                "`{}` on `{}` follows `{}`/`{}`",
                attachment.name,
                id.name(),
                attachment.leader.name(),
                attachment.database_name
            ));
            warnings.push(format!(
                "attachment `{}` on `{}` was made by Azure Data Share (databaseShareOrigin \
                 `DataShare`); it is left out of the manifest: manage it in Azure Data Share",
                attachment.name,
                id.name()
            ));
        }
        if list.is_empty() {
            continue;
        }
        out.blank();
        if attachments == 0 {
            out.open(0, "attachments");
        }
        out.comment(2, &format!("Attachments on `{}`.", id.name()));
        for attachment in list {
            let mut cx = Writing {
                aliases: &aliases,
                follower,
                warnings: &mut warnings,
                every_setting: options.every_setting,
            };
            cx.attachment(&mut out, attachment);
            attachments += 1;
        }
    }
    if attachments == 0 {
        out.blank();
        out.raw(0, "attachments", "[]");
    }
    if !left_out.is_empty() {
        out.blank();
        out.comment(
            0,
            "Left out: attachments made by Azure Data Share (databaseShareOrigin `DataShare`).",
        );
        out.comment(
            0,
            "Their Data Share subscription manages them; a plan reports them and never detaches them.",
        );
        for line in &left_out {
            out.comment(0, &format!("  {line}"));
        }
    }
    Exported {
        text: out.finish(),
        clusters: leaders.len() + followers.len(),
        attachments,
        warnings,
    }
}

/// True when Azure Data Share made the attachment.
fn is_data_share(
    observed: &Observed,
    follower: &ClusterId,
    attachment: &ObservedAttachment,
) -> bool {
    observed.share_origin(follower, &attachment.name) == Some(DatabaseShareOrigin::DataShare)
}

/// Aliases: the cluster name, lower-cased, with `-2`, `-3`, … when two clusters share a name.
#[derive(Debug, Default)]
struct Aliases {
    by_key: HashMap<String, String>,
    used: HashSet<String>,
}

impl Aliases {
    fn assign(&mut self, id: &ClusterId) -> String {
        if let Some(alias) = self.by_key.get(&id.key()) {
            return alias.clone();
        }
        let base = id.name().to_lowercase();
        let mut alias = base.clone();
        let mut n = 2;
        while self.used.contains(&alias) {
            alias = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(alias.clone());
        self.by_key.insert(id.key(), alias.clone());
        alias
    }

    /// The alias of a cluster; every exported cluster has one, so the fallback is the name.
    fn of(&self, id: &ClusterId) -> String {
        self.by_key
            .get(&id.key())
            .cloned()
            .unwrap_or_else(|| id.name().to_lowercase())
    }
}

/// What writing one follower cluster's attachments needs.
struct Writing<'a> {
    aliases: &'a Aliases,
    follower: &'a ObservedCluster,
    warnings: &'a mut Vec<String>,
    every_setting: bool,
}

impl Writing<'_> {
    fn attachment(&mut self, out: &mut Yaml, attachment: &ObservedAttachment) {
        out.item_entry(2, "name", &attachment.name);
        out.entry(4, "follower", &self.aliases.of(&self.follower.id));
        out.entry(4, "leader", &self.aliases.of(&attachment.leader));
        out.entry(4, "databaseName", &attachment.database_name);
        if let Some(name) = non_empty(attachment.database_name_override.as_deref()) {
            out.entry(4, "databaseNameOverride", name);
        }
        if let Some(prefix) = non_empty(attachment.database_name_prefix.as_deref()) {
            out.entry(4, "databaseNamePrefix", prefix);
        }
        let default_kind = attachment.default_principals_modification_kind;
        if default_kind != PrincipalsModificationKind::default() {
            out.entry(
                4,
                "defaultPrincipalsModificationKind",
                default_kind.as_str(),
            );
        }
        if !attachment.table_level_sharing.is_empty() {
            out.open(4, "tableLevelSharing");
            for (key, list) in attachment.table_level_sharing.lists() {
                if !list.is_empty() {
                    out.raw(6, key, &emit::flow_list(list));
                }
            }
        }
        let databases = self.follower_databases(attachment);
        if attachment.database_name == "*" {
            let mut each = Yaml::default();
            for (leader_database, follower_database) in &databases {
                if let Some(settings) = self.settings(follower_database, default_kind, 8) {
                    each.open(6, leader_database);
                    each.append(settings);
                }
            }
            if !each.is_empty() {
                out.open(4, "followerDatabases");
                out.append(each);
            }
        } else if let Some((_, follower_database)) = databases.first()
            && let Some(settings) = self.settings(follower_database, default_kind, 6)
        {
            out.open(4, "followerDatabase");
            out.append(settings);
        }
    }

    /// The follower databases an attachment made, as (leader database, follower database),
    /// by leader database name: from ARM's list, which names the attachment of each; for a
    /// single database not listed yet, the name the attachment gives it.
    fn follower_databases(&self, attachment: &ObservedAttachment) -> Vec<(String, String)> {
        let mut found = self.follower.followed_by(attachment);
        if found.is_empty() && attachment.database_name != "*" {
            let prefix = non_empty(attachment.database_name_prefix.as_deref()).unwrap_or_default();
            let name = non_empty(attachment.database_name_override.as_deref()).map_or_else(
                || format!("{prefix}{}", attachment.database_name),
                str::to_owned,
            );
            found.push((attachment.database_name.clone(), name));
        }
        found
    }

    /// The settings of one follower database that differ from a fresh attach, at `indent`;
    /// `None` when there are none (or they were not read).
    fn settings(
        &mut self,
        database: &str,
        default_kind: PrincipalsModificationKind,
        indent: usize,
    ) -> Option<Yaml> {
        let live = self
            .follower
            .follower_settings
            .as_ref()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(database))
            .map(|(_, live)| live)?;
        let every = self.every_setting;
        let mut out = Yaml::default();
        match live.hot_cache_period {
            Some(hot) => out.raw(indent, "hotCachePeriod", &span(hot)),
            None if every => out.raw(indent, "hotCachePeriod", "null"),
            None => {}
        }
        overrides(&mut out, indent, "tables", &live.tables, every);
        overrides(
            &mut out,
            indent,
            "materializedViews",
            &live.materialized_views,
            every,
        );
        self.principals(&mut out, indent, live);
        // A fresh follower database takes the attachment's kind; only a different one is set.
        let kind = live.principals_modification_kind;
        if every || kind != PrincipalsModificationKind::default() || kind != default_kind {
            out.entry(indent, "principalsModificationKind", kind.as_str());
        }
        let caching = live.caching_policies_modification_kind;
        if every || caching != CachingPoliciesModificationKind::default() {
            out.entry(indent, "cachingPoliciesModificationKind", caching.as_str());
        }
        if every || live.prefetch_extents {
            out.raw(
                indent,
                "prefetchExtents",
                &live.prefetch_extents.to_string(),
            );
        }
        (!out.is_empty()).then_some(out)
    }

    fn principals(&mut self, out: &mut Yaml, indent: usize, live: &ObservedFollowerSettings) {
        let mut roles = Yaml::default();
        for role in Role::ALL {
            let mut written: Vec<Principal> = Vec::new();
            let mut raw: Vec<String> = Vec::new();
            for principal in live.principals.get(&role).into_iter().flatten() {
                match as_written(principal) {
                    Some(p) if !written.contains(&p) => written.push(p),
                    Some(_) => {}
                    None => {
                        self.warnings.push(format!(
                            "principal `{}` ({}) of `{}` is in no form a manifest takes; \
                             it is written as the service stores it, fix it before use",
                            principal.fqn, role, live.database_name
                        ));
                        raw.push(principal.fqn.clone());
                    }
                }
            }
            if written.is_empty() && raw.is_empty() {
                if self.every_setting {
                    roles.raw(indent + 2, role.manifest_name(), "[]");
                }
                continue;
            }
            roles.open(indent + 2, role.manifest_name());
            for principal in written.iter().map(ToString::to_string).chain(raw) {
                roles.item(indent + 4, &principal);
            }
        }
        if !roles.is_empty() {
            out.open(indent, "principals");
            out.append(roles);
        }
    }
}

/// A live principal as the user would write it: the principal kfollow's notes name; else a
/// user by the UPN the directory shows (`aaduser=<upn>`); else the display name or the fully
/// qualified name, whichever is a principal string first. A plan ties each of these forms
/// back to the live principal.
fn as_written(principal: &ObservedPrincipal) -> Option<Principal> {
    principal
        .noted()
        .or_else(|| {
            principal
                .upn()
                .filter(|_| principal.kind() == Some(PrincipalKind::AadUser))
                .and_then(|upn| format!("aaduser={upn}").parse().ok())
        })
        .or_else(|| {
            [&principal.display_name, &principal.fqn]
                .into_iter()
                .find_map(|text| text.trim().parse().ok())
        })
}

/// `tables` or `materializedViews`; an empty map is written as `{}` when `every` setting is.
fn overrides(
    out: &mut Yaml,
    indent: usize,
    key: &str,
    live: &BTreeMap<String, Timespan>,
    every: bool,
) {
    if live.is_empty() {
        if every {
            out.raw(indent, key, "{}");
        }
        return;
    }
    out.open(indent, key);
    for (name, hot) in live {
        out.raw(
            indent + 2,
            name,
            &format!("{{ hotCachePeriod: {} }}", span(*hot)),
        );
    }
}

fn span(value: Timespan) -> String {
    emit::timespan(&value.to_literal()).into_owned()
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_in_the_singular_and_the_plural() {
        let exported = |clusters, attachments| Exported {
            text: String::new(),
            clusters,
            attachments,
            warnings: Vec::new(),
        };
        assert_eq!(
            exported(1, 0).summary(),
            "exported 1 cluster, 0 attachments"
        );
        assert_eq!(
            exported(2, 1).summary(),
            "exported 2 clusters, 1 attachment"
        );
    }

    fn id(group: &str, name: &str) -> ClusterId {
        ClusterId::new("sub", group, name).unwrap()
    }

    fn principal(fqn: &str, display_name: &str, notes: &str) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: fqn.into(),
            display_name: display_name.into(),
            notes: notes.into(),
            details: None,
        }
    }

    #[test]
    fn principals_are_written_as_the_user_wrote_them() {
        let fqn = "aaduser=87654321-abcd;55555555-4444";
        let ours = principal(
            fqn,
            "Alice (upn: alice@contoso.com)",
            "kfollow: aaduser=alice@contoso.com",
        );
        assert_eq!(
            as_written(&ours).unwrap().to_string(),
            "aaduser=alice@contoso.com"
        );
        let shown = principal(fqn, "aadgroup=team@contoso.com", "added by hand");
        assert_eq!(
            as_written(&shown).unwrap().to_string(),
            "aadgroup=team@contoso.com"
        );
        let mut stored = principal(fqn, "Alice (upn: alice@contoso.com)", "");
        assert_eq!(as_written(&stored).unwrap().to_string(), fqn);
        // The directory's answer names the UPN of a user (not of a group).
        stored.details = Some(kfollow_model::PrincipalDetails {
            principal_type: "Microsoft Entra user".into(),
            display_name: "Alice Kusto (upn: Alice@Contoso.com)".into(),
            object_id: "87654321-abcd".into(),
        });
        assert_eq!(
            as_written(&stored).unwrap().to_string(),
            "aaduser=Alice@Contoso.com"
        );
        stored.fqn = "aadgroup=87654321-abcd;55555555-4444".into();
        assert_eq!(as_written(&stored).unwrap().to_string(), stored.fqn);
        assert!(as_written(&principal("who?", "nobody", "")).is_none());
    }

    #[test]
    fn clusters_of_one_name_get_distinct_aliases() {
        let mut aliases = Aliases::default();
        assert_eq!(aliases.assign(&id("rg-a", "FC")), "fc");
        assert_eq!(aliases.assign(&id("rg-b", "fc")), "fc-2");
        assert_eq!(aliases.assign(&id("RG-A", "fc")), "fc");
        assert_eq!(aliases.of(&id("rg-b", "FC")), "fc-2");
    }
}
