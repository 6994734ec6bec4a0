//! Reads the YAML tree into the typed manifest, field by field, reporting every shape error
//! (unknown and repeated keys, wrong types, bad enum values, malformed timespans and
//! principals) and carrying on, so one bad value does not hide the next.

use kfollow_model::{Principal, PrincipalKind, Timespan};

use crate::diagnostic::Sink;
use crate::manifest::{
    At, AttachmentSpec, CachingSpec, ClusterSpec, FollowerDatabaseSpec, Manifest, Named,
    PrincipalsSpec, SharingSpec,
};
use crate::node::{Node, Pos, Value};
use crate::schema::ManifestEnum;
use crate::suggest::did_you_mean;

/// The keys each mapping of the manifest takes (a test checks them against the JSON Schema).
pub(crate) mod keys {
    pub const MANIFEST: &[&str] = &["version", "clusters", "attachments"];
    pub const CLUSTER: &[&str] = &[
        "id",
        "subscription",
        "resourceGroup",
        "name",
        "location",
        "unmanagedFollowers",
        "unmanagedAttachments",
    ];
    pub const ATTACHMENT: &[&str] = &[
        "name",
        "follower",
        "leader",
        "databaseName",
        "databaseNameOverride",
        "databaseNamePrefix",
        "defaultPrincipalsModificationKind",
        "tableLevelSharing",
        "followerDatabase",
        "followerDatabases",
        "protect",
        "freshness",
    ];
    pub const SHARING: &[&str] = &[
        "tablesToInclude",
        "tablesToExclude",
        "externalTablesToInclude",
        "externalTablesToExclude",
        "materializedViewsToInclude",
        "materializedViewsToExclude",
        "functionsToInclude",
        "functionsToExclude",
    ];
    pub const FOLLOWER_DATABASE: &[&str] = &[
        "hotCachePeriod",
        "tables",
        "materializedViews",
        "principals",
        "principalsModificationKind",
        "cachingPoliciesModificationKind",
        "prefetchExtents",
    ];
    pub const CACHING: &[&str] = &["hotCachePeriod"];
    pub const PRINCIPALS: &[&str] = &[
        "admins",
        "users",
        "viewers",
        "unrestrictedViewers",
        "monitors",
    ];
}

/// Reads a whole manifest. Shape errors go to `sink`; what could be read is returned.
pub(crate) fn manifest(sink: &mut Sink, root: &Node) -> Manifest {
    let mut r = Reader { sink };
    let mut manifest = Manifest::default();
    let Some(fields) = r.fields(root, "the manifest", keys::MANIFEST) else {
        return manifest;
    };
    match fields.get("version") {
        Some(node) => manifest.version = r.version(node),
        None => {
            r.sink
                .error(
                    "kfollow::missing-key",
                    anchor(root),
                    "the manifest has no `version`",
                    "the manifest starts here",
                )
                .help("add `version: 1` at the top");
        }
    }
    match fields.get("clusters") {
        Some(node) => {
            for (alias, value) in r.named(node, "clusters", "cluster alias") {
                let cluster = r.cluster(value);
                manifest.clusters.push((alias, cluster));
            }
        }
        None => {
            r.sink.error(
                "kfollow::missing-key",
                anchor(root),
                "the manifest has no `clusters`",
                "the manifest starts here",
            );
        }
    }
    if let Some(node) = fields.get("attachments") {
        for item in r.list(node, "attachments") {
            if let Some(attachment) = r.attachment(item) {
                manifest.attachments.push(attachment);
            }
        }
    }
    manifest
}

struct Reader<'s, 't> {
    sink: &'s mut Sink<'t>,
}

/// The keys of one mapping, first occurrence of each, after unknown and repeated keys were
/// reported.
struct Fields<'n> {
    entries: Vec<(&'n str, Pos, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, _, node)| *node)
    }

    /// Where the key itself is written: sections are pointed at by their key.
    fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, pos, _)| *pos)
    }
}

/// Where to point at a mapping: its first key, which the parser gives a length (the mapping
/// node itself starts there with none).
fn anchor(node: &Node) -> Pos {
    match &node.value {
        Value::Map(entries) if node.pos.len == 0 => {
            entries.first().map_or(node.pos, |(key, _)| key.pos)
        }
        _ => node.pos,
    }
}

impl Reader<'_, '_> {
    fn type_error(&mut self, node: &Node, key: &str, expected: &str) {
        let found = node.value.type_name();
        let diagnostic = self.sink.error(
            "kfollow::wrong-type",
            node.pos,
            format!("`{key}` must be {expected}, not {found}"),
            format!("expected {expected}"),
        );
        if expected == "a string"
            && matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
        {
            diagnostic.help("put the value in quotes to make it a string");
        }
    }

    /// A mapping with a fixed set of keys.
    fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.type_error(node, what, "a mapping");
            return None;
        };
        let mut fields = Fields {
            entries: Vec::with_capacity(entries.len()),
        };
        let mut firsts: Vec<(&str, Pos)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Value::Str(name) = &key.value else {
                self.sink.error(
                    "kfollow::wrong-type",
                    key.pos,
                    format!("the keys of {what} must be strings"),
                    "not a string",
                );
                continue;
            };
            if let Some((_, first)) = firsts.iter().find(|(seen, _)| seen == name) {
                self.sink
                    .error(
                        "kfollow::duplicate-key",
                        key.pos,
                        format!("`{name}` appears twice in {what}"),
                        "repeated here",
                    )
                    .also("first here", *first)
                    .help("YAML keys must be unique in a mapping; keep one");
                continue;
            }
            firsts.push((name, key.pos));
            if !known.contains(&name.as_str()) {
                let diagnostic = self.sink.error(
                    "kfollow::unknown-key",
                    key.pos,
                    format!("unknown key `{name}` in {what}"),
                    "unknown key",
                );
                match did_you_mean(name, known.iter().copied()) {
                    Some(best) => diagnostic.help(format!("did you mean `{best}`?")),
                    None => diagnostic.help(format!(
                        "the keys of {what} are {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                continue;
            }
            fields.entries.push((name, key.pos, value));
        }
        Some(fields)
    }

    /// A mapping whose keys the user chooses; repeated keys are reported and skipped.
    fn named<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        key_kind: &str,
    ) -> Vec<(At<String>, &'n Node)> {
        let Value::Map(entries) = &node.value else {
            self.type_error(node, what, "a mapping");
            return Vec::new();
        };
        let mut out: Vec<(At<String>, &Node)> = Vec::with_capacity(entries.len());
        let mut seen = std::collections::HashMap::with_capacity(entries.len());
        for (key, value) in entries {
            let Some(name) = self.string(key, key_kind) else {
                continue;
            };
            if let Some(first) = seen.get(name.value.as_str()) {
                self.sink
                    .error(
                        "kfollow::duplicate-key",
                        key.pos,
                        format!("{key_kind} `{}` appears twice in `{what}`", name.value),
                        "repeated here",
                    )
                    .also("first here", *first)
                    .help("YAML keys must be unique in a mapping; keep one");
                continue;
            }
            seen.insert(name.value.clone(), key.pos);
            out.push((name, value));
        }
        out
    }

    fn list<'n>(&mut self, node: &'n Node, key: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.type_error(node, key, "a list");
                &[]
            }
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<At<String>> {
        match &node.value {
            Value::Str(text) => Some(At::new(text.clone(), node.pos)),
            _ => {
                self.type_error(node, key, "a string");
                None
            }
        }
    }

    /// A list whose items `item` reads, `what` naming it for a type error (`a list of
    /// strings`); items that do not read are reported by `item` and left out.
    fn list_of<T>(
        &mut self,
        node: &Node,
        key: &str,
        what: &str,
        item: fn(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Value::Seq(items) = &node.value else {
            self.type_error(node, key, what);
            return None;
        };
        Some(items.iter().filter_map(|n| item(self, n, key)).collect())
    }

    fn bool(&mut self, node: &Node, key: &str) -> Option<At<bool>> {
        match &node.value {
            Value::Bool(value) => Some(At::new(*value, node.pos)),
            _ => {
                self.type_error(node, key, "`true` or `false`");
                None
            }
        }
    }

    fn version(&mut self, node: &Node) -> Option<At<u32>> {
        match &node.value {
            Value::Int(1) => Some(At::new(1, node.pos)),
            _ => {
                self.sink
                    .error(
                        "kfollow::bad-version",
                        node.pos,
                        "this kfollow reads manifest `version: 1` only",
                        "unsupported version",
                    )
                    .help("write `version: 1`");
                None
            }
        }
    }

    fn enum_value<E: ManifestEnum>(&mut self, node: &Node, key: &str) -> Option<At<E>> {
        let text = match &node.value {
            Value::Str(text) => text.as_str(),
            // `None` and `null` look alike to YAML: say so instead of "not null".
            Value::Null => "null",
            _ => {
                self.type_error(node, key, &format!("one of {}", E::listed()));
                return None;
            }
        };
        if let Some(value) = E::values().iter().find(|v| v.spelling() == text) {
            return Some(At::new(*value, node.pos));
        }
        // The valid case above allocates nothing: it runs for every attachment.
        let spellings: Vec<&str> = E::values().iter().map(|v| v.spelling()).collect();
        let diagnostic = self.sink.error(
            "kfollow::bad-value",
            node.pos,
            format!("`{key}` must be one of {}, not `{text}`", E::listed()),
            "not a valid value",
        );
        if matches!(node.value, Value::Null) && spellings.contains(&"None") {
            diagnostic.help("YAML reads a bare `null` or `~` as nothing; write `None`");
        } else if let Some(best) = did_you_mean(text, spellings.iter().copied()) {
            diagnostic.help(format!("did you mean `{best}`?"));
        }
        None
    }

    /// A timespan, or `null` for "no value" (only where the manifest gives null a meaning:
    /// the database-level `hotCachePeriod`).
    fn nullable_timespan(&mut self, node: &Node, key: &str) -> Option<At<Option<Timespan>>> {
        if node.value == Value::Null {
            return Some(At::new(None, node.pos));
        }
        self.timespan(node, key)
            .map(|t| At::new(Some(t.value), t.pos))
    }

    fn timespan(&mut self, node: &Node, key: &str) -> Option<At<Timespan>> {
        let text = match &node.value {
            Value::Str(text) => text,
            _ => {
                let diagnostic = self.sink.error(
                    "kfollow::wrong-type",
                    node.pos,
                    format!(
                        "`{key}` must be a Kusto timespan such as `7d`, not {}",
                        node.value.type_name()
                    ),
                    "expected a timespan",
                );
                if let Value::Int(n) = node.value {
                    diagnostic.help(format!("add a unit: `{n}d`, `{n}h`, `{n}m` or `{n}s`"));
                }
                return None;
            }
        };
        let trimmed = text.trim_start().trim_start_matches('-').trim_start();
        let parsed = if trimmed.starts_with(['P', 'p']) {
            None
        } else {
            Timespan::parse(text).ok()
        };
        match parsed {
            Some(span) if span.is_negative() => {
                self.sink.error(
                    "kfollow::negative-timespan",
                    node.pos,
                    format!("`{key}` must not be negative, not `{text}`"),
                    "negative",
                );
                None
            }
            Some(span) => Some(At::new(span, node.pos)),
            None => {
                self.sink
                    .error(
                        "kfollow::bad-timespan",
                        node.pos,
                        format!("`{text}` is not a Kusto timespan"),
                        "not a timespan",
                    )
                    .help(
                        "write e.g. `7d`, `12h`, `30m`, `10s`, `100ms` or `timespan(1.12:00:00)`",
                    );
                None
            }
        }
    }

    fn principal(&mut self, node: &Node, key: &str) -> Option<At<Principal>> {
        let text = self.string(node, key)?;
        match text.value.parse::<Principal>() {
            Ok(principal)
                if principal.kind() == PrincipalKind::AadApp && principal.tenant().is_none() =>
            {
                // reference-security-principals.md lists applications with an explicit
                // tenant only: by id or by name, never inferred.
                self.sink
                    .error(
                        "kfollow::bad-principal",
                        node.pos,
                        format!(
                            "`{}` names an application without its tenant; Kusto takes an application only with an explicit tenant",
                            crate::source::shown_name(&text.value)
                        ),
                        "no tenant",
                    )
                    .help(format!(
                        "write `aadapp={};<tenant id or name>`, e.g. `aadapp={};contoso.com`",
                        principal.identity(),
                        principal.identity()
                    ));
                None
            }
            Ok(principal) => Some(At::new(principal, node.pos)),
            Err(error) => {
                self.sink.error(
                    "kfollow::bad-principal",
                    node.pos,
                    error.to_string(),
                    "not a principal",
                );
                None
            }
        }
    }

    fn cluster(&mut self, node: &Node) -> ClusterSpec {
        let mut cluster = ClusterSpec {
            pos: anchor(node),
            ..ClusterSpec::default()
        };
        let Some(fields) = self.fields(node, "a cluster", keys::CLUSTER) else {
            return cluster;
        };
        let text = |r: &mut Self, key| fields.get(key).and_then(|n| r.string(n, key));
        cluster.id = text(self, "id");
        cluster.subscription = text(self, "subscription");
        cluster.resource_group = text(self, "resourceGroup");
        cluster.name = text(self, "name");
        cluster.location = text(self, "location");
        cluster.unmanaged_followers = fields
            .get("unmanagedFollowers")
            .and_then(|n| self.enum_value(n, "unmanagedFollowers"));
        cluster.unmanaged_attachments = fields
            .get("unmanagedAttachments")
            .and_then(|n| self.enum_value(n, "unmanagedAttachments"));
        cluster
    }

    fn attachment(&mut self, node: &Node) -> Option<AttachmentSpec> {
        let fields = self.fields(node, "an attachment", keys::ATTACHMENT)?;
        let required = |r: &mut Self, key: &str| match fields.get(key) {
            Some(value) => r.string(value, key),
            None => {
                r.sink
                    .error(
                        "kfollow::missing-key",
                        anchor(node),
                        format!("this attachment has no `{key}`"),
                        format!("`{key}` missing"),
                    )
                    .help(format!(
                        "every attachment needs `{}`",
                        ["name", "follower", "leader", "databaseName"].join("`, `")
                    ));
                None
            }
        };
        let name = required(self, "name");
        let follower = required(self, "follower");
        let leader = required(self, "leader");
        let database_name = required(self, "databaseName");
        let text = |r: &mut Self, key| fields.get(key).and_then(|n| r.string(n, key));
        let database_name_override = text(self, "databaseNameOverride");
        let database_name_prefix = text(self, "databaseNamePrefix");
        let default_principals_modification_kind = fields
            .get("defaultPrincipalsModificationKind")
            .and_then(|n| self.enum_value(n, "defaultPrincipalsModificationKind"));
        let table_level_sharing = fields.get("tableLevelSharing").and_then(|n| {
            let mut sharing = self.sharing(n)?;
            sharing.pos = fields.key_pos("tableLevelSharing").unwrap_or(sharing.pos);
            Some(sharing)
        });
        let follower_database = fields.get("followerDatabase").and_then(|n| {
            let mut settings = self.follower_database(n, "`followerDatabase`")?;
            settings.pos = fields.key_pos("followerDatabase").unwrap_or(settings.pos);
            Some(settings)
        });
        let follower_databases = fields.get("followerDatabases").map(|n| {
            let named = self.named(n, "followerDatabases", "leader database");
            named
                .into_iter()
                .filter_map(|(database, value)| {
                    let what = format!("`followerDatabases.{}`", database.value);
                    let mut settings = self.follower_database(value, &what)?;
                    settings.pos = database.pos;
                    Some((database, settings))
                })
                .collect::<Named<_>>()
        });
        let protect = fields.get("protect").and_then(|n| self.bool(n, "protect"));
        let freshness = fields
            .get("freshness")
            .and_then(|n| self.timespan(n, "freshness"));
        Some(AttachmentSpec {
            name: name?,
            follower: follower?,
            leader: leader?,
            database_name: database_name?,
            database_name_override,
            database_name_prefix,
            default_principals_modification_kind,
            table_level_sharing,
            follower_database,
            follower_databases,
            protect,
            freshness,
            pos: anchor(node),
        })
    }

    fn sharing(&mut self, node: &Node) -> Option<SharingSpec> {
        let fields = self.fields(node, "`tableLevelSharing`", keys::SHARING)?;
        let list = |r: &mut Self, key| {
            let node = fields.get(key)?;
            r.list_of(node, key, "a list of strings", Self::string)
        };
        Some(SharingSpec {
            tables_to_include: list(self, "tablesToInclude"),
            tables_to_exclude: list(self, "tablesToExclude"),
            external_tables_to_include: list(self, "externalTablesToInclude"),
            external_tables_to_exclude: list(self, "externalTablesToExclude"),
            materialized_views_to_include: list(self, "materializedViewsToInclude"),
            materialized_views_to_exclude: list(self, "materializedViewsToExclude"),
            functions_to_include: list(self, "functionsToInclude"),
            functions_to_exclude: list(self, "functionsToExclude"),
            pos: node.pos,
        })
    }

    fn follower_database(&mut self, node: &Node, what: &str) -> Option<FollowerDatabaseSpec> {
        let fields = self.fields(node, what, keys::FOLLOWER_DATABASE)?;
        let caching = |r: &mut Self, key: &str, kind: &str| {
            fields.get(key).map(|n| {
                r.named(n, key, kind)
                    .into_iter()
                    .filter_map(|(name, value)| r.caching(value).map(|c| (name, c)))
                    .collect::<Named<_>>()
            })
        };
        let tables = caching(self, "tables", "table");
        let materialized_views = caching(self, "materializedViews", "materialized view");
        Some(FollowerDatabaseSpec {
            hot_cache_period: fields
                .get("hotCachePeriod")
                .and_then(|n| self.nullable_timespan(n, "hotCachePeriod")),
            tables,
            materialized_views,
            principals: fields.get("principals").and_then(|n| self.principals(n)),
            principals_modification_kind: fields
                .get("principalsModificationKind")
                .and_then(|n| self.enum_value(n, "principalsModificationKind")),
            caching_policies_modification_kind: fields
                .get("cachingPoliciesModificationKind")
                .and_then(|n| self.enum_value(n, "cachingPoliciesModificationKind")),
            prefetch_extents: fields
                .get("prefetchExtents")
                .and_then(|n| self.bool(n, "prefetchExtents")),
            pos: node.pos,
        })
    }

    fn caching(&mut self, node: &Node) -> Option<CachingSpec> {
        let fields = self.fields(node, "a caching override", keys::CACHING)?;
        match fields.get("hotCachePeriod") {
            Some(value) => Some(CachingSpec {
                hot_cache_period: self.timespan(value, "hotCachePeriod")?,
            }),
            None => {
                self.sink.error(
                    "kfollow::missing-key",
                    anchor(node),
                    "this caching override has no `hotCachePeriod`",
                    "`hotCachePeriod` missing",
                );
                None
            }
        }
    }

    fn principals(&mut self, node: &Node) -> Option<PrincipalsSpec> {
        let fields = self.fields(node, "`principals`", keys::PRINCIPALS)?;
        let role = |r: &mut Self, key: &str| {
            let node = fields.get(key)?;
            r.list_of(node, key, "a list of principals", Self::principal)
        };
        Some(PrincipalsSpec {
            admins: role(self, "admins"),
            users: role(self, "users"),
            viewers: role(self, "viewers"),
            unrestricted_viewers: role(self, "unrestrictedViewers"),
            monitors: role(self, "monitors"),
        })
    }
}
