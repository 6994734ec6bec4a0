//! Principals on the data plane, over HTTP: `.show database … principals` with the leader's
//! roles from the world file, and `settings.echoPrincipalNotes` both ways.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Env, WORLD};

/// The common world, with roles on fcprod's Sales: an admin and a viewers group.
fn world(echo_notes: bool) -> String {
    let text = WORLD.replace(
        "        materializedViews: [DailySales]\n",
        "        materializedViews: [DailySales]\n        principals:\n          admins: ['aaduser=ada@contoso.com']\n          viewers: ['aadgroup=readers@contoso.com']\n",
    );
    format!("{text}  echoPrincipalNotes: {echo_notes}\n")
}

async fn mgmt(env: &Env, cluster: &str, csl: &str) -> Value {
    let answer = env
        .send(
            Method::POST,
            &format!("/kusto/{cluster}/v1/rest/mgmt"),
            Some(json!({"db": "Sales", "csl": csl})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{csl}: {}", answer.body);
    answer.body
}

/// The rows of a v1 frame as `column → value` maps.
fn rows(frame: &Value) -> Vec<serde_json::Map<String, Value>> {
    let table = &frame["Tables"][0];
    let columns: Vec<String> = table["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ColumnName"].as_str().unwrap().to_owned())
        .collect();
    table["Rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .cloned()
                .zip(row.as_array().unwrap().iter().cloned())
                .collect()
        })
        .collect()
}

/// `Role | PrincipalDisplayName | Notes` of each principal of Sales on `cluster`.
async fn principals(env: &Env, cluster: &str) -> Vec<String> {
    rows(&mgmt(env, cluster, ".show database Sales principals").await)
        .iter()
        .map(|row| {
            format!(
                "{} | {} | {}",
                row["Role"].as_str().unwrap(),
                row["PrincipalDisplayName"].as_str().unwrap(),
                row["Notes"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn a_follower_database_shows_its_leaders_roles_and_its_own() {
    let env = Env::new(&world(true));
    let leader = vec![
        "Database Sales Admin | ada (upn: ada@contoso.com) | ".to_owned(),
        "Database Sales Viewer | readers | ".to_owned(),
    ];
    assert_eq!(principals(&env, "fcprod").await, leader);
    // fcemea follows Sales with `Union`: the leader's roles.
    assert_eq!(principals(&env, "fcemea").await, leader);
    mgmt(
        &env,
        "fcemea",
        ".add follower database Sales admins ('aaduser=jack@contoso.com') 'kfollow'",
    )
    .await;
    assert_eq!(
        principals(&env, "fcemea").await,
        [
            "Database Sales Admin | ada (upn: ada@contoso.com) | ",
            "Database Sales Admin | jack (upn: jack@contoso.com) | kfollow",
            "Database Sales Viewer | readers | ",
        ]
    );
    mgmt(
        &env,
        "fcemea",
        ".alter follower database Sales principals-modification-kind = replace",
    )
    .await;
    assert_eq!(
        principals(&env, "fcemea").await,
        ["Database Sales Admin | jack (upn: jack@contoso.com) | kfollow"]
    );
    mgmt(
        &env,
        "fcemea",
        ".alter follower database Sales principals-modification-kind = none",
    )
    .await;
    assert_eq!(principals(&env, "fcemea").await, leader);
    // The leader's own database is unchanged by its follower.
    assert_eq!(principals(&env, "fcprod").await, leader);

    let frame = mgmt(&env, "fcemea", ".show database Sales principals").await;
    let row = &rows(&frame)[0];
    assert_eq!(row["PrincipalType"], "Microsoft Entra user");
    let fqn = row["PrincipalFQN"].as_str().unwrap();
    assert!(fqn.starts_with("aaduser="), "{fqn}");
    assert_eq!(
        fqn.trim_start_matches("aaduser=").split(';').next(),
        row["PrincipalObjectId"].as_str()
    );
}

#[tokio::test]
async fn follower_principal_notes_are_echoed_only_when_the_world_says_so() {
    for echo in [true, false] {
        let env = Env::new(&world(echo));
        mgmt(
            &env,
            "fcemea",
            ".add follower database Sales viewers ('aaduser=jill@contoso.com') 'kfollow: jill'",
        )
        .await;
        let frame = mgmt(&env, "fcemea", ".show follower databases").await;
        let overrides: Value = serde_json::from_str(
            rows(&frame)[0]["AuthorizedPrincipalsOverride"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let expected = if echo { "kfollow: jill" } else { "" };
        assert_eq!(overrides[0]["Notes"], expected, "echo {echo}");
        assert!(
            principals(&env, "fcemea").await.contains(&format!(
                "Database Sales Viewer | jill (upn: jill@contoso.com) | {expected}"
            )),
            "echo {echo}"
        );
    }
}
