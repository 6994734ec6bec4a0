//! Kusto security principals and database roles
//! (<https://learn.microsoft.com/kusto/management/reference-security-principals>).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of identity a principal string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    /// `aaduser=`: a Microsoft Entra user.
    AadUser,
    /// `aadgroup=`: a Microsoft Entra group.
    AadGroup,
    /// `aadapp=`: a Microsoft Entra application.
    AadApp,
    /// `msauser=`: a Microsoft account.
    MsaUser,
}

impl PrincipalKind {
    /// The prefix of the principal string, without `=`.
    pub fn prefix(self) -> &'static str {
        match self {
            PrincipalKind::AadUser => "aaduser",
            PrincipalKind::AadGroup => "aadgroup",
            PrincipalKind::AadApp => "aadapp",
            PrincipalKind::MsaUser => "msauser",
        }
    }

    /// The kind of a prefix (`aaduser`, `AADGroup`, …), ignoring case.
    pub fn from_prefix(prefix: &str) -> Option<PrincipalKind> {
        [
            PrincipalKind::AadUser,
            PrincipalKind::AadGroup,
            PrincipalKind::AadApp,
            PrincipalKind::MsaUser,
        ]
        .into_iter()
        .find(|kind| kind.prefix().eq_ignore_ascii_case(prefix.trim()))
    }
}

/// True for a GUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits (either case):
/// the form of object ids, application ids and tenant ids.
pub fn is_guid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A principal as the management commands take it: `aaduser=alice@contoso.com`,
/// `aadgroup=<object id>;<tenant>`, `aadapp=<app id>;<tenant>`, `msauser=bob@live.com`.
///
/// Comparison ignores case (names, UPNs, GUIDs and tenant names are case-insensitive), so
/// `AADUser=Alice@Contoso.com` and `aaduser=alice@contoso.com` are one principal.
#[derive(Debug, Clone)]
pub struct Principal {
    kind: PrincipalKind,
    identity: String,
    tenant: Option<String>,
}

/// Why a string is not a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for PrincipalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a principal: {} (write `aaduser=<upn or object id>[;tenant]`, \
             `aadgroup=…`, `aadapp=<app id>;<tenant>` or `msauser=<email>`)",
            self.text, self.reason
        )
    }
}

impl std::error::Error for PrincipalError {}

impl Principal {
    /// The kind of identity.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The user, group or application: a UPN, an e-mail address, a name or an object id.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The tenant id or name, when given.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The lower-cased principal string, the key under which two principals are the same.
    pub fn key(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

impl FromStr for Principal {
    type Err = PrincipalError;

    fn from_str(text: &str) -> Result<Principal, PrincipalError> {
        let err = |reason| PrincipalError {
            text: text.to_owned(),
            reason,
        };
        let (prefix, rest) = text
            .split_once('=')
            .ok_or_else(|| err("it has no `kind=` prefix"))?;
        let kind = PrincipalKind::from_prefix(prefix)
            .ok_or_else(|| err("the kind must be aaduser, aadgroup, aadapp or msauser"))?;
        let (identity, tenant) = match rest.split_once(';') {
            Some((identity, tenant)) => (identity.trim(), Some(tenant.trim())),
            None => (rest.trim(), None),
        };
        if identity.is_empty() {
            return Err(err("the identity is empty"));
        }
        if tenant == Some("") {
            return Err(err("the tenant after `;` is empty"));
        }
        let forbidden = |s: &str| {
            s.chars()
                .any(|c| c.is_control() || matches!(c, '\'' | '"' | ';' | '='))
        };
        if forbidden(identity) || tenant.is_some_and(forbidden) {
            return Err(err("it holds a quote, `;`, `=` or a control character"));
        }
        if kind == PrincipalKind::MsaUser && tenant.is_some() {
            return Err(err("an msauser takes no tenant"));
        }
        Ok(Principal {
            kind,
            identity: identity.to_owned(),
            tenant: tenant.map(str::to_owned),
        })
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.prefix(), self.identity)?;
        if let Some(tenant) = &self.tenant {
            write!(f, ";{tenant}")?;
        }
        Ok(())
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Principal) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Principal {}

impl std::hash::Hash for Principal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for Principal {
    fn partial_cmp(&self, other: &Principal) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Principal {
    fn cmp(&self, other: &Principal) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Principal, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A database role a follower database can grant
/// (<https://learn.microsoft.com/kusto/management/cluster-follower>, `.add follower database …
/// <role>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// `admins`
    Admins,
    /// `users`
    Users,
    /// `viewers`
    Viewers,
    /// `unrestrictedviewers` (manifest key `unrestrictedViewers`)
    UnrestrictedViewers,
    /// `monitors`
    Monitors,
}

impl Role {
    /// Every role, in the order the plan lists them.
    pub const ALL: [Role; 5] = [
        Role::Admins,
        Role::Users,
        Role::Viewers,
        Role::UnrestrictedViewers,
        Role::Monitors,
    ];

    /// The role as the management commands spell it (`unrestrictedviewers`).
    pub fn command_name(self) -> &'static str {
        match self {
            Role::Admins => "admins",
            Role::Users => "users",
            Role::Viewers => "viewers",
            Role::UnrestrictedViewers => "unrestrictedviewers",
            Role::Monitors => "monitors",
        }
    }

    /// The role as the manifest spells it (`unrestrictedViewers`).
    pub fn manifest_name(self) -> &'static str {
        match self {
            Role::UnrestrictedViewers => "unrestrictedViewers",
            other => other.command_name(),
        }
    }

    /// Reads a role in either spelling, ignoring case; also the singular the service prints
    /// in `.show` results (`Admin`, `Viewer`, …).
    pub fn parse(text: &str) -> Option<Role> {
        let lower = text.trim().to_ascii_lowercase().replace([' ', '_'], "");
        let lower = lower.trim_end_matches('s');
        Some(match lower {
            "admin" => Role::Admins,
            "user" => Role::Users,
            "viewer" => Role::Viewers,
            "unrestrictedviewer" => Role::UnrestrictedViewers,
            "monitor" => Role::Monitors,
            _ => return None,
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.manifest_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let p: Principal = "aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;fabrikam.com"
            .parse()
            .unwrap();
        assert_eq!(p.kind(), PrincipalKind::AadApp);
        assert_eq!(p.tenant(), Some("fabrikam.com"));
        assert_eq!(
            p.to_string(),
            "aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;fabrikam.com"
        );
        let u: Principal = "AADUser=Alice@Contoso.com".parse().unwrap();
        assert_eq!(u, "aaduser=alice@contoso.com".parse().unwrap());
        assert!("msauser=bob@live.com".parse::<Principal>().is_ok());
        assert!(
            "aadgroup=SGDisplayName;fabrikam.com"
                .parse::<Principal>()
                .is_ok()
        );
    }

    #[test]
    fn rejects_malformed_principals() {
        for bad in [
            "",
            "alice@contoso.com",
            "user=alice",
            "aaduser=",
            "aaduser=alice;",
            "msauser=bob@live.com;tenant",
            "aaduser=al'ice",
        ] {
            assert!(bad.parse::<Principal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_in_every_spelling() {
        assert_eq!(
            Role::parse("unrestrictedViewers"),
            Some(Role::UnrestrictedViewers)
        );
        assert_eq!(Role::parse("Admin"), Some(Role::Admins));
        assert_eq!(Role::parse("owners"), None);
        assert_eq!(
            Role::UnrestrictedViewers.command_name(),
            "unrestrictedviewers"
        );
    }
}
