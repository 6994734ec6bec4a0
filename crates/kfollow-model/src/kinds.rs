//! The small enums of the domain. ARM compares enum values case-insensitively, so each one
//! reads any casing and writes the casing of the REST spec.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! spec_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the REST spec spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads a value, ignoring case.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text.trim()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(&text).ok_or_else(|| {
                    let expected: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format!(
                        "unknown value `{text}`, expected one of {}",
                        expected.join(", ")
                    ))
                })
            }
        }
    };
}

spec_enum! {
    /// How the leader's principals combine with the follower's
    /// (`defaultPrincipalsModificationKind`, and `principals-modification-kind` on the data plane).
    #[derive(Default)]
    PrincipalsModificationKind {
        /// The follower database has the leader's principals and its own.
        #[default]
        Union = "Union",
        /// The follower database has only its own principals.
        Replace = "Replace",
        /// The follower database has only the leader's principals.
        None = "None",
    }
}

spec_enum! {
    /// How the leader's caching policies combine with the follower's overrides
    /// (`caching-policies-modification-kind`).
    #[derive(Default)]
    CachingPoliciesModificationKind {
        /// Leader policies, overridden where the follower sets one.
        #[default]
        Union = "Union",
        /// Only the follower's policies.
        Replace = "Replace",
        /// Only the leader's policies.
        None = "None",
    }
}

spec_enum! {
    /// What kfollow does with live resources the manifest does not declare.
    #[derive(Default)]
    UnmanagedPolicy {
        /// Show them in the plan, leave them alone.
        #[default]
        Report = "report",
        /// Detach them (a destructive action, shown in the plan).
        Detach = "detach",
    }
}

spec_enum! {
    /// The kind of a database on a cluster (ARM `kind`).
    DatabaseKind {
        /// A database the cluster owns.
        ReadWrite = "ReadWrite",
        /// A follower database: a read-only attachment of a leader's database.
        ReadOnlyFollowing = "ReadOnlyFollowing",
    }
}

spec_enum! {
    /// How a follower database came to be (`databaseShareOrigin`).
    DatabaseShareOrigin {
        /// An attachedDatabaseConfiguration made directly.
        Direct = "Direct",
        /// Azure Data Share.
        DataShare = "DataShare",
        /// Anything else.
        Other = "Other",
    }
}
