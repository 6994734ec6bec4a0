//! How the emulated service stores a principal: as its fully qualified name (FQN).
//!
//! The real service resolves `aaduser=jack@contoso.com` against Microsoft Entra ID and stores
//! `aaduser=<object id>;<tenant id>`
//! (<https://learn.microsoft.com/kusto/management/cluster-follower>, "Override authorized
//! principals": the `.show database … principals` table and the `AuthorizedPrincipalsOverride`
//! FQNs). With no directory to ask, the emulator derives the ids deterministically, so a world
//! saved and loaded again, or two runs of a test, agree:
//!
//! - a GUID identity or tenant is kept as it is (lower-cased): an FQN normalises to itself, so
//!   `.drop` takes either the form that was added or the stored FQN;
//! - a tenant name (`fabrikam.com`), or for an implicit tenant the domain of the UPN or group
//!   e-mail (<https://learn.microsoft.com/kusto/management/reference-security-principals>:
//!   "an attempt will be made to infer the tenant from the domain name"), becomes a GUID
//!   derived from that name;
//! - with neither, the tenant is [`DEFAULT_TENANT_ID`], the emulated cluster's own tenant;
//! - a UPN, e-mail, group or application display name becomes a GUID derived from the kind and
//!   the name (and the tenant, for names that are not e-mail addresses, as two tenants may
//!   each have a group called `Readers`);
//! - `aadapp` keeps the application id in the FQN, `msauser` keeps the e-mail address.

pub(crate) use kfollow_model::is_guid;
use kfollow_model::{Principal, PrincipalKind, Role};

/// The tenant the emulator assumes when a principal names none and has no domain to infer it
/// from (a bare object id, a group display name, an application id).
pub const DEFAULT_TENANT_ID: &str = "3f2a8d5e-6b1c-4e07-9d4a-c0ffee000001";

/// The fully qualified name the service stores for `principal`.
pub fn fully_qualified_name(principal: &Principal) -> String {
    let kind = principal.kind();
    if kind == PrincipalKind::MsaUser {
        return format!("msauser={}", principal.identity());
    }
    let identity = principal.identity();
    let tenant = match principal.tenant() {
        Some(tenant) if is_guid(tenant) => tenant.to_ascii_lowercase(),
        Some(name) => tenant_id_for_name(name),
        None => match identity.rsplit_once('@') {
            Some((_, domain)) if !domain.is_empty() => tenant_id_for_name(domain),
            _ => DEFAULT_TENANT_ID.to_owned(),
        },
    };
    let object_id = if is_guid(identity) {
        identity.to_ascii_lowercase()
    } else if identity.contains('@') {
        stable_guid(&format!(
            "{}:{}",
            kind.prefix(),
            identity.to_ascii_lowercase()
        ))
    } else {
        stable_guid(&format!(
            "{}:{};{tenant}",
            kind.prefix(),
            identity.to_ascii_lowercase()
        ))
    };
    format!("{}={object_id};{tenant}", kind.prefix())
}

/// The object id (or application id, or e-mail for `msauser`) inside a stored FQN.
pub fn object_id(fqn: &str) -> &str {
    let identity = fqn.split_once('=').map_or(fqn, |(_, rest)| rest);
    identity.split_once(';').map_or(identity, |(id, _)| id)
}

/// The `PrincipalType` the service reports for a stored FQN (`AadUser`, `AadGroup`,
/// `AadApplication`, `MsaUser`).
pub fn principal_type(fqn: &str) -> &'static str {
    let prefix = fqn.split_once('=').map_or("", |(p, _)| p);
    match prefix.to_ascii_lowercase().as_str() {
        "aadgroup" => "AadGroup",
        "aadapp" => "AadApplication",
        "msauser" => "MsaUser",
        _ => "AadUser",
    }
}

/// The `PrincipalType` column of `.show database … principals`. The docs' examples print
/// `Microsoft Entra user`; the words for the other kinds follow it.
pub fn principal_type_name(fqn: &str) -> &'static str {
    match principal_type(fqn) {
        "AadGroup" => "Microsoft Entra group",
        "AadApplication" => "Microsoft Entra application",
        "MsaUser" => "Microsoft Account",
        _ => "Microsoft Entra user",
    }
}

/// The `PrincipalDisplayName` the service would look up in the directory; the emulator has
/// none and derives one from the principal: a user given by UPN shows `jack (upn:
/// jack@contoso.com)` (the docs print `Jack Kusto (upn: jack@contoso.com)`), a group or an
/// application given by e-mail address its local part, anything else its identity.
pub fn display_name(principal: &Principal) -> String {
    let identity = principal.identity();
    let local = identity.split_once('@').map(|(local, _)| local);
    match (principal.kind(), local) {
        (PrincipalKind::AadUser, Some(local)) => format!("{local} (upn: {identity})"),
        (PrincipalKind::AadGroup | PrincipalKind::AadApp, Some(local)) => local.to_owned(),
        _ => identity.to_owned(),
    }
}

/// The number the service writes for a role in `AuthorizedPrincipalsOverride`.
///
/// Public clients that read that column (e.g. KustoSchemaTools' `FollowerLoader`) treat
/// `0` as Admin and `2` as Viewer; `1` for User follows from that order. The numbers of
/// unrestricted viewers and monitors are not published: the emulator uses `4` and `5`,
/// leaving `3` for Ingestor, which a follower database cannot grant.
pub fn role_number(role: Role) -> u8 {
    match role {
        Role::Admins => 0,
        Role::Users => 1,
        Role::Viewers => 2,
        Role::UnrestrictedViewers => 4,
        Role::Monitors => 5,
    }
}

/// The role for a number written by [`role_number`].
pub fn role_from_number(number: u64) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|role| u64::from(role_number(*role)) == number)
}

fn tenant_id_for_name(name: &str) -> String {
    stable_guid(&format!("tenant:{}", name.to_ascii_lowercase()))
}

/// A GUID derived from `seed` (two FNV-1a 64-bit hashes), shaped as a name-based UUID
/// (version 5, RFC 4122 variant) so that it reads like the ids Entra ID hands out.
pub(crate) fn stable_guid(seed: &str) -> String {
    let hash = |offset: u64| {
        seed.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let high = hash(0xcbf2_9ce4_8422_2325);
    let low = hash(0x6c62_272e_07bb_0142);
    let high = (high & !0xf000_u64) | 0x5000;
    let low = (low & !(0xc000_u64 << 48)) | (0x8000_u64 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn fqn(text: &str) -> String {
        fully_qualified_name(&text.parse().unwrap())
    }

    #[test]
    fn a_upn_becomes_object_id_and_tenant_id() {
        let stored = fqn("aaduser=jack@contoso.com");
        let (prefix, rest) = stored.split_once('=').unwrap();
        let (object, tenant) = rest.split_once(';').unwrap();
        assert_eq!(prefix, "aaduser");
        assert!(is_guid(object) && is_guid(tenant), "{stored}");
        assert_eq!(object_id(&stored), object);
        assert_eq!(principal_type(&stored), "AadUser");
    }

    #[test]
    fn every_spelling_of_one_principal_has_one_fqn() {
        let stored = fqn("aaduser=jack@contoso.com");
        assert_eq!(fqn("AADUser=Jack@Contoso.com"), stored);
        assert_eq!(fqn("aaduser=jack@contoso.com;contoso.com"), stored);
        // An FQN normalises to itself, so `.drop` takes the stored form too.
        assert_eq!(fqn(&stored), stored);
        assert_ne!(fqn("aaduser=jill@contoso.com"), stored);
    }

    #[test]
    fn groups_apps_and_msa_users() {
        let group = fqn("aadgroup=Readers;fabrikam.com");
        assert_ne!(group, fqn("aadgroup=Readers;contoso.com"));
        assert_eq!(principal_type(&group), "AadGroup");
        let app = fqn("aadapp=4C7E82BD-6ADB-46C3-B413-FDD44834C69B;fabrikam.com");
        assert!(app.starts_with("aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;"));
        assert_eq!(principal_type(&app), "AadApplication");
        assert_eq!(
            fqn("aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b"),
            format!("aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;{DEFAULT_TENANT_ID}")
        );
        assert_eq!(fqn("msauser=bob@live.com"), "msauser=bob@live.com");
    }

    #[test]
    fn stable_guids_look_like_uuids() {
        let id = stable_guid("x");
        assert!(is_guid(&id));
        assert_eq!(&id[14..15], "5");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(id, stable_guid("x"));
        assert_ne!(id, stable_guid("y"));
    }

    #[test]
    fn role_numbers_round_trip() {
        for role in Role::ALL {
            assert_eq!(role_from_number(u64::from(role_number(role))), Some(role));
        }
        assert_eq!(role_from_number(3), None);
    }
}
