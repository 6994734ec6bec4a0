//! Which manifest principal a live one is, and what to add and drop for one role.
//!
//! The service stores a principal under the name it resolves it to: `aaduser=alice@contoso.com`
//! comes back as `aaduser=<object id>;<tenant id>`. What a read can go by, surest first:
//! kfollow's notes on the `.add`, when the service shows them; the stored name; the UPN the
//! directory shows (`Alice (upn: alice@contoso.com)`); the object or application id; a group's
//! or application's display name. The forms a manifest may use for each kind of principal are
//! those of <https://learn.microsoft.com/kusto/management/reference-security-principals>.
//!
//! A live principal and a manifest one are [`Relation::Same`] when any of these says so,
//! [`Relation::Apart`] when one says they cannot be (another kind, another tenant id, another
//! UPN or address, another object id), and [`Relation::Undecided`] otherwise. Dropping an
//! undecided principal could remove the very principal the manifest asks for (its `.add` does
//! nothing when it is already there), so undecided ones are neither dropped nor added: the
//! plan says so instead.

use kfollow_model::{ObservedPrincipal, Principal, PrincipalKind, Role, is_guid, kql};

/// What the live principal and the manifest principal are to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    /// One principal.
    Same,
    /// Two principals.
    Apart,
    /// Nothing read decides it.
    Undecided,
}

/// How a manifest principal names its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// An object id or an application id.
    Id,
    /// A UPN or an e-mail address.
    Address,
    /// A group's or an application's display name.
    Name,
}

fn form(identity: &str) -> Form {
    if is_guid(identity) {
        Form::Id
    } else if identity.contains('@') {
        Form::Address
    } else {
        Form::Name
    }
}

/// What the reads say of one live principal's identity, lower-cased.
#[derive(Debug, Default)]
struct Evidence {
    ids: Vec<String>,
    addresses: Vec<String>,
    names: Vec<String>,
    tenant_ids: Vec<String>,
}

impl Evidence {
    fn of(live: &ObservedPrincipal) -> Evidence {
        let mut evidence = Evidence::default();
        let stored = live.fqn.split_once('=').map(|(_, rest)| rest);
        let (identity, tenant) = match stored.map(|rest| rest.split_once(';')) {
            Some(Some((identity, tenant))) => (Some(identity), Some(tenant)),
            Some(None) => (stored, None),
            None => (None, None),
        };
        // kfollow's notes name what was sent; the service resolved that very string.
        let noted = live.noted().filter(|p| Some(p.kind()) == live.kind());
        let identities = identity
            .into_iter()
            .chain(noted.as_ref().map(Principal::identity))
            .chain(live.upn())
            .chain(live.details.as_ref().map(|d| d.object_id.as_str()));
        for text in identities {
            let text = text.trim().to_ascii_lowercase();
            match form(&text) {
                Form::Id => evidence.ids.push(text),
                Form::Address => evidence.addresses.push(text),
                Form::Name => {}
            }
        }
        if matches!(
            live.kind(),
            Some(PrincipalKind::AadGroup | PrincipalKind::AadApp)
        ) && let Some(name) = live.directory_name()
        {
            evidence.names.push(name.to_ascii_lowercase());
        }
        let tenants = tenant
            .into_iter()
            .chain(noted.as_ref().and_then(Principal::tenant));
        for tenant in tenants {
            let tenant = tenant.trim().to_ascii_lowercase();
            if is_guid(&tenant) {
                evidence.tenant_ids.push(tenant);
            }
        }
        evidence
    }
}

/// What `live` is to `wanted`.
pub(crate) fn relate(live: &ObservedPrincipal, wanted: &Principal) -> Relation {
    if live.noted().as_ref() == Some(wanted)
        || live.fqn.trim().parse::<Principal>().ok().as_ref() == Some(wanted)
    {
        return Relation::Same;
    }
    if live.kind().is_some_and(|kind| kind != wanted.kind()) {
        return Relation::Apart;
    }
    let evidence = Evidence::of(live);
    if let Some(tenant) = wanted.tenant().map(str::to_ascii_lowercase)
        && is_guid(&tenant)
        && !evidence.tenant_ids.is_empty()
        && !evidence.tenant_ids.contains(&tenant)
    {
        return Relation::Apart;
    }
    let identity = wanted.identity().to_ascii_lowercase();
    let (known, decides_apart) = match form(&identity) {
        // A managed identity may be given by its object id or its client id, and the service
        // stores one of them: another id does not prove another application.
        Form::Id => (&evidence.ids, wanted.kind() != PrincipalKind::AadApp),
        Form::Address => (&evidence.addresses, true),
        // Display names are shown in more than one way; they tie, never part.
        Form::Name => (&evidence.names, false),
    };
    if known.contains(&identity) {
        Relation::Same
    } else if decides_apart && !known.is_empty() {
        Relation::Apart
    } else {
        Relation::Undecided
    }
}

/// One role's live principals against the manifest's.
#[derive(Debug)]
pub(crate) struct Reconciled<'a> {
    /// Every live principal, with the first manifest principal it is, if any.
    pub live: Vec<(&'a ObservedPrincipal, Option<&'a Principal>)>,
    /// Manifest principals to `.add`: none live is them, or could be.
    pub add: Vec<&'a Principal>,
    /// Live principals to `.drop`: no manifest principal is them, or could be.
    pub drop: Vec<&'a ObservedPrincipal>,
    /// Live principals that may or may not be the manifest principals of `undecided_wanted`.
    pub undecided_live: Vec<&'a ObservedPrincipal>,
    /// Manifest principals no live one is, but some undecided live one could be.
    pub undecided_wanted: Vec<&'a Principal>,
}

/// Ties `live` to `wanted` (without repeats) and decides what to add and drop.
pub(crate) fn reconcile<'a>(
    live: &'a [ObservedPrincipal],
    wanted: &[&'a Principal],
) -> Reconciled<'a> {
    let relation = |l: &ObservedPrincipal, w: &Principal| relate(l, w);
    let tied: Vec<(&ObservedPrincipal, Option<&Principal>)> = live
        .iter()
        .map(|l| {
            let found = wanted
                .iter()
                .copied()
                .find(|w| relation(l, w) == Relation::Same);
            (l, found)
        })
        .collect();
    let unmatched: Vec<&Principal> = wanted
        .iter()
        .copied()
        .filter(|w| !live.iter().any(|l| relation(l, w) == Relation::Same))
        .collect();
    let untied: Vec<&ObservedPrincipal> = tied
        .iter()
        .filter(|(_, found)| found.is_none())
        .map(|(l, _)| *l)
        .collect();
    let undecided = |l: &ObservedPrincipal, w: &Principal| relation(l, w) == Relation::Undecided;
    let (undecided_live, drop) = untied
        .iter()
        .partition(|l| unmatched.iter().any(|w| undecided(l, w)));
    let (undecided_wanted, add) = unmatched
        .iter()
        .partition(|w| untied.iter().any(|l| undecided(l, w)));
    Reconciled {
        live: tied,
        add,
        drop,
        undecided_live,
        undecided_wanted,
    }
}

/// The principal string the service knows a live principal by, for `.drop`.
pub(crate) fn stored_name(principal: &ObservedPrincipal) -> &str {
    if principal.fqn.is_empty() {
        &principal.display_name
    } else {
        &principal.fqn
    }
}

/// How a live principal the manifest does not list shows in the plan: as kfollow added it,
/// else as the service stores it.
pub(crate) fn label(principal: &ObservedPrincipal) -> String {
    principal
        .noted()
        .map_or_else(|| stored_name(principal).to_owned(), |p| p.to_string())
}

/// The stored name and, when the directory gave one, the display name: `` `aadgroup=…;…`
/// (Analysts) ``.
fn described(principal: &ObservedPrincipal) -> String {
    let shown = principal
        .details
        .as_ref()
        .map(|d| d.display_name.trim())
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case(stored_name(principal)));
    match shown {
        Some(name) => format!("`{}` ({name})", stored_name(principal)),
        None => format!("`{}`", stored_name(principal)),
    }
}

/// The plan's warning for the undecided principals of one role of one follower database: it
/// names both sides and says how to decide.
pub(crate) fn undecided_warning(
    follower: &str,
    database: &str,
    role: Role,
    live: &[&ObservedPrincipal],
    wanted: &[&Principal],
) -> String {
    let list = |items: Vec<String>| items.join(", ");
    let live_list = list(live.iter().map(|l| described(l)).collect());
    let wanted_list = list(wanted.iter().map(|w| format!("`{w}`")).collect());
    let stored: Vec<&str> = live.iter().map(|l| stored_name(l)).collect();
    let stored_list = list(stored.iter().map(|s| format!("`{s}`")).collect());
    let drop = kql::drop_principals(database, role, &stored);
    let place = format!("follower database `{database}` on `{follower}`, `{role}`");
    if live.len() == 1 && wanted.len() == 1 {
        format!(
            "{place}: cannot tell whether the live principal {live_list} is {wanted_list} of the \
             manifest, as the service shows no notes, address or id that decides it; kfollow \
             neither adds nor drops them. If they are one principal, write it in the manifest \
             as the service stores it ({stored_list}); if not, remove the live one with \
             `{drop}`; then plan again"
        )
    } else {
        format!(
            "{place}: cannot tell which of the live principals {live_list} are the manifest's \
             {wanted_list}, as the service shows no notes, addresses or ids that decide it; \
             kfollow neither adds nor drops them. Write each live one that is a manifest \
             principal in the manifest as the service stores it ({stored_list}), and remove the \
             others with `{drop}` (naming only them); then plan again"
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use kfollow_model::PrincipalDetails;

    use super::*;

    const TENANT: &str = "55555555-4444-3333-2222-2d7cd011db47";
    const ALICE_ID: &str = "87654321-abcd-efef-1234-350bf486087b";

    fn p(text: &str) -> Principal {
        text.parse().unwrap()
    }

    /// A principal as the service stores it, with what `.show database … principals` says.
    fn live(fqn: &str, display_name: &str, object_id: &str) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: fqn.into(),
            display_name: String::new(),
            notes: String::new(),
            details: Some(PrincipalDetails {
                principal_type: String::new(),
                display_name: display_name.into(),
                object_id: object_id.into(),
            }),
        }
    }

    /// The group `Analysts` as the service stores it; `object_id` as the directory shows it.
    fn analysts(object_id: &str) -> ObservedPrincipal {
        live(
            &format!("aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b;{TENANT}"),
            "Analysts",
            object_id,
        )
    }

    fn alice() -> ObservedPrincipal {
        live(
            &format!("aaduser={ALICE_ID};{TENANT}"),
            "Alice Kusto (upn: alice@contoso.com)",
            ALICE_ID,
        )
    }

    #[test]
    fn notes_tie_when_the_service_shows_them() {
        let mut noted = alice();
        noted.details = None;
        noted.notes = "kfollow: aaduser=alice@contoso.com".into();
        assert_eq!(
            relate(&noted, &p("aaduser=Alice@Contoso.com")),
            Relation::Same
        );
        assert_eq!(
            relate(&noted, &p("aaduser=bob@contoso.com")),
            Relation::Apart
        );
    }

    #[test]
    fn a_user_ties_by_stored_name_upn_or_object_id() {
        let alice = alice();
        for same in [
            format!("aaduser={ALICE_ID};{TENANT}"),
            "aaduser=alice@contoso.com".to_owned(),
            "aaduser=ALICE@contoso.com;contoso.com".to_owned(),
            format!("aaduser=alice@contoso.com;{TENANT}"),
            format!("aaduser={ALICE_ID}"),
            format!("aaduser={};fabrikam.com", ALICE_ID.to_uppercase()),
        ] {
            assert_eq!(relate(&alice, &p(&same)), Relation::Same, "{same}");
        }
        for apart in [
            "aaduser=bob@contoso.com".to_owned(),
            "aaduser=11111111-abcd-efef-1234-350bf486087b".to_owned(),
            "aadgroup=alice@contoso.com".to_owned(),
            "msauser=alice@contoso.com".to_owned(),
            "aaduser=alice@contoso.com;11111111-2222-3333-4444-555555555555".to_owned(),
        ] {
            assert_eq!(relate(&alice, &p(&apart)), Relation::Apart, "{apart}");
        }
        // A stored name in the UPN form (as Microsoft's doc shows for `Samples`) ties too.
        let by_upn = live("aaduser=abbiatkins@fabrikam.com", "Abbi Atkins", "");
        assert_eq!(
            relate(&by_upn, &p("aaduser=AbbiAtkins@fabrikam.com")),
            Relation::Same
        );
    }

    #[test]
    fn a_group_by_address_is_undecided_without_notes() {
        let group = analysts("0a1b2c3d-abcd-efef-1234-350bf486087b");
        assert_eq!(
            relate(&group, &p("aadgroup=analysts@contoso.com")),
            Relation::Undecided
        );
        assert_eq!(
            relate(&group, &p("aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b")),
            Relation::Same
        );
        assert_eq!(
            relate(
                &group,
                &p(&format!(
                    "aadgroup=99999999-abcd-efef-1234-350bf486087b;{TENANT}"
                ))
            ),
            Relation::Apart
        );
        // By display name and tenant, as the reference allows for groups.
        assert_eq!(
            relate(&group, &p("aadgroup=analysts;contoso.com")),
            Relation::Same
        );
        assert_eq!(
            relate(&group, &p("aadgroup=Readers;contoso.com")),
            Relation::Undecided
        );
        // With kfollow's notes, the address decides.
        let mut noted = group.clone();
        noted.notes = "kfollow: aadgroup=analysts@contoso.com".into();
        assert_eq!(
            relate(&noted, &p("aadgroup=analysts@contoso.com")),
            Relation::Same
        );
        assert_eq!(
            relate(&noted, &p("aadgroup=ops@contoso.com")),
            Relation::Apart
        );
    }

    #[test]
    fn an_application_ties_by_its_id_and_another_id_leaves_it_undecided() {
        let app = live(
            &format!("aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;{TENANT}"),
            "Report generator",
            "",
        );
        assert_eq!(
            relate(
                &app,
                &p("aadapp=4C7E82BD-6ADB-46C3-B413-FDD44834C69B;fabrikam.com")
            ),
            Relation::Same
        );
        // A managed identity's object id names the same application as its client id.
        assert_eq!(
            relate(
                &app,
                &p("aadapp=5b1c2f0e-8d7a-4c3b-9e21-7f3a6b9d0c44;fabrikam.com")
            ),
            Relation::Undecided
        );
        assert_eq!(
            relate(&app, &p("aadapp=report generator;fabrikam.com")),
            Relation::Same
        );
        assert_eq!(
            relate(
                &live("msauser=bob@live.com", "", ""),
                &p("msauser=Bob@Live.com")
            ),
            Relation::Same
        );
    }

    #[test]
    fn undecided_principals_are_neither_added_nor_dropped() {
        let group = analysts("");
        let mallory = live(
            &format!("aaduser=99999999-abcd-efef-1234-350bf486087b;{TENANT}"),
            "Mallory (upn: mallory@contoso.com)",
            "",
        );
        let live_role = [alice(), group, mallory];
        let analysts = p("aadgroup=analysts@contoso.com");
        let bob = p("aaduser=bob@contoso.com");
        let alice_upn = p("aaduser=alice@contoso.com");
        let wanted = [&alice_upn, &analysts, &bob];
        let r = reconcile(&live_role, &wanted);
        assert_eq!(r.live[0].1, Some(&alice_upn));
        // Bob cannot be Mallory (another UPN) nor the group (another kind): added; Mallory
        // cannot be any manifest principal left: dropped.
        assert_eq!(r.add, [&bob]);
        assert_eq!(r.drop.len(), 1);
        assert_eq!(r.drop[0].fqn, live_role[2].fqn);
        assert_eq!(r.undecided_live.len(), 1);
        assert_eq!(r.undecided_live[0].fqn, live_role[1].fqn);
        assert_eq!(r.undecided_wanted, [&analysts]);
        // Without a manifest group to be, the group is dropped.
        let r = reconcile(&live_role, &[&alice_upn]);
        assert_eq!(r.drop.len(), 2);
        assert!(r.undecided_live.is_empty() && r.add.is_empty());
    }

    #[test]
    fn a_principal_outside_the_manifest_shows_as_kfollow_added_it_else_as_stored() {
        let mut group = analysts("");
        assert_eq!(label(&group), group.fqn);
        group.notes = "kfollow: aadgroup=analysts@contoso.com".into();
        assert_eq!(label(&group), "aadgroup=analysts@contoso.com");
        group.notes = "added by hand".into();
        assert_eq!(label(&group), group.fqn);
    }

    #[test]
    fn the_warning_names_both_sides_and_the_way_out() {
        let group = analysts("");
        let analysts = p("aadgroup=analysts@contoso.com");
        let warning = undecided_warning("f1", "Sales", Role::Viewers, &[&group], &[&analysts]);
        assert_eq!(
            warning,
            format!(
                "follower database `Sales` on `f1`, `viewers`: cannot tell whether the live \
                 principal `aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b;{TENANT}` (Analysts) is \
                 `aadgroup=analysts@contoso.com` of the manifest, as the service shows no notes, \
                 address or id that decides it; kfollow neither adds nor drops them. If they are \
                 one principal, write it in the manifest as the service stores it \
                 (`aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b;{TENANT}`); if not, remove the \
                 live one with `.drop follower database Sales viewers \
                 ('aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b;{TENANT}')`; then plan again"
            )
        );
    }
}
