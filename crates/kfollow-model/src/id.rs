//! Microsoft.Kusto cluster resource ids.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The ARM resource id of a Kusto cluster:
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{name}`.
///
/// ARM treats every segment case-insensitively, so equality, ordering and hashing ignore
/// case; [`fmt::Display`] writes the canonical casing of the fixed segments and the names as
/// they were given.
#[derive(Debug, Clone)]
pub struct ClusterId {
    subscription: String,
    resource_group: String,
    name: String,
}

/// Why a string is not a cluster resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterIdError {
    /// The id does not have the eight segments of a cluster id.
    Shape(String),
    /// A name segment is empty or holds a character an ARM path cannot carry.
    BadName {
        segment: &'static str,
        value: String,
    },
}

impl std::error::Error for ClusterIdError {}

impl fmt::Display for ClusterIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterIdError::Shape(id) => write!(
                f,
                "`{id}` is not a Microsoft.Kusto cluster resource id \
                 (expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Kusto/clusters/<name>)"
            ),
            ClusterIdError::BadName { segment, value } => {
                write!(f, "`{value}` is not a valid {segment}")
            }
        }
    }
}

impl ClusterId {
    /// Builds an id from its three names, checking each one.
    pub fn new(
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<ClusterId, ClusterIdError> {
        for (segment, value) in [
            ("subscription", subscription),
            ("resource group", resource_group),
            ("cluster name", name),
        ] {
            if !is_arm_name(value) {
                return Err(ClusterIdError::BadName {
                    segment,
                    value: value.to_owned(),
                });
            }
        }
        Ok(ClusterId {
            subscription: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The subscription id.
    pub fn subscription(&self) -> &str {
        &self.subscription
    }

    /// The resource group name.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }

    /// The cluster name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lower-cased id, the key under which ARM considers two ids the same.
    pub fn key(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

/// True when `value` can be one segment of an ARM path.
pub fn is_arm_name(value: &str) -> bool {
    !value.is_empty()
        && !value
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '%' | '\\') || c.is_control())
}

/// ASCII case-insensitive equality, the comparison ARM uses for names, ids and enum values.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl ClusterId {
    /// A cluster as a person types it: a resource id, or the short form
    /// `subscription/resourceGroup/name` (`kfollow export --cluster`). Spaces around it are
    /// left out.
    ///
    /// # Errors
    ///
    /// As [`ClusterId::new`] for the short form, as [`FromStr`] for anything else.
    pub fn parse_short(text: &str) -> Result<ClusterId, ClusterIdError> {
        let text = text.trim();
        match text.split('/').collect::<Vec<&str>>().as_slice() {
            [subscription, group, name] => ClusterId::new(subscription, group, name),
            _ => text.parse(),
        }
    }
}

impl FromStr for ClusterId {
    type Err = ClusterIdError;

    fn from_str(id: &str) -> Result<ClusterId, ClusterIdError> {
        let shape = || ClusterIdError::Shape(id.to_owned());
        let rest = id.strip_prefix('/').ok_or_else(shape)?;
        let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            [subs, sub, rgs, rg, providers, namespace, clusters, name]
                if subs.eq_ignore_ascii_case("subscriptions")
                    && rgs.eq_ignore_ascii_case("resourceGroups")
                    && providers.eq_ignore_ascii_case("providers")
                    && namespace.eq_ignore_ascii_case("Microsoft.Kusto")
                    && clusters.eq_ignore_ascii_case("clusters") =>
            {
                ClusterId::new(sub, rg, name)
            }
            _ => Err(shape()),
        }
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}",
            self.subscription, self.resource_group, self.name
        )
    }
}

impl PartialEq for ClusterId {
    fn eq(&self, other: &ClusterId) -> bool {
        self.subscription.eq_ignore_ascii_case(&other.subscription)
            && self
                .resource_group
                .eq_ignore_ascii_case(&other.resource_group)
            && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl Eq for ClusterId {}

impl Hash for ClusterId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for ClusterId {
    fn partial_cmp(&self, other: &ClusterId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClusterId {
    fn cmp(&self, other: &ClusterId) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Serialize for ClusterId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClusterId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ClusterId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares_case_insensitively() {
        let a: ClusterId =
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod"
                .parse()
                .unwrap();
        let b: ClusterId =
            "/SUBSCRIPTIONS/1/resourcegroups/RG/providers/microsoft.kusto/Clusters/FCPROD/"
                .parse()
                .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name(), "fcprod");
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn rejects_other_resources() {
        for bad in [
            "",
            "fcprod",
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Sql/servers/x",
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/a/databases/b",
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/",
        ] {
            assert!(bad.parse::<ClusterId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_short_form_names_the_same_cluster_as_the_id() {
        let id = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod";
        let short = ClusterId::parse_short(" 1/rg/fcprod ").unwrap();
        assert_eq!(short, ClusterId::parse_short(id).unwrap());
        assert_eq!(short.to_string(), id);
        assert_eq!(
            ClusterId::parse_short("1//fcprod").unwrap_err(),
            ClusterIdError::BadName {
                segment: "resource group",
                value: String::new()
            }
        );
        assert!(matches!(
            ClusterId::parse_short("1/rg"),
            Err(ClusterIdError::Shape(text)) if text == "1/rg"
        ));
    }
}
