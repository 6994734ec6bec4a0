//! Who a bearer token says its holder is, for the record of an apply: the `oid`, `upn`,
//! `appid` and `tid` claims of a JSON Web Token.
//!
//! The claims are **decoded, never verified**: kfollow checks no signature, issuer or expiry
//! (Azure does, on every request). What the record says is what the token claims; whoever
//! holds a token that Azure accepted is the caller Azure acted for. The token itself never
//! leaves this module: only the four claims do.

use serde::Serialize;
use serde_json::Value;

use crate::credential::Secret;

/// The caller a token names, or why it names none. See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// Always `false`: the claims were decoded, not verified.
    pub verified: bool,
    /// `oid`: the object id of the user or service principal in Microsoft Entra ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// `upn` (or `preferred_username`): the user's sign-in name; users only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// `appid` (or `azp` in v2 tokens): the application the token was issued to; for a
    /// service principal or managed identity, the caller itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `tid`: the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// Why the caller is unknown (`the access token is not a JWT`); `None` when the claims
    /// name one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_caller: Option<String>,
}

impl Caller {
    /// A caller nobody could name, and why.
    pub fn unknown(reason: impl Into<String>) -> Caller {
        Caller {
            unknown_caller: Some(reason.into()),
            ..Caller::default()
        }
    }

    /// True when the claims name a caller.
    pub fn is_known(&self) -> bool {
        self.unknown_caller.is_none()
    }
}

/// The caller `token` names, decoded from its payload without any check of its signature.
/// A token that is not a JWT (three base64url segments, the second a JSON object) gives an
/// unknown caller.
pub fn caller_of(token: &Secret) -> Caller {
    let Some(claims) = payload(token.expose()) else {
        return Caller::unknown("the access token is not a JWT");
    };
    let claim = |names: &[&str]| {
        names.iter().find_map(|name| {
            claims
                .get(*name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        })
    };
    let caller = Caller {
        verified: false,
        oid: claim(&["oid"]),
        upn: claim(&["upn", "preferred_username"]),
        appid: claim(&["appid", "azp"]),
        tid: claim(&["tid"]),
        unknown_caller: None,
    };
    if caller.oid.is_none() && caller.upn.is_none() && caller.appid.is_none() {
        return Caller::unknown("the access token names no `oid`, `upn` or `appid`");
    }
    caller
}

/// The claims of a JWS compact token (`header.payload.signature`), when it is one.
fn payload(token: &str) -> Option<serde_json::Map<String, Value>> {
    let mut segments = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return None;
    };
    let bytes = azure_core::base64::decode_url_safe(payload).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value, signature: &str) -> Secret {
        let part = |value: &Value| azure_core::base64::encode_url_safe(value.to_string());
        Secret::new(format!(
            "{}.{}.{signature}",
            part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
            part(claims)
        ))
    }

    #[test]
    fn a_user_token_names_the_user() {
        let token = jwt(
            &serde_json::json!({
                "oid": "11111111-2222-3333-4444-555555555555",
                "upn": "ada@contoso.com",
                "tid": "66666666-7777-8888-9999-000000000000",
                "nonce": "canary-claim",
            }),
            "canary-signature",
        );
        let caller = caller_of(&token);
        assert_eq!(
            caller,
            Caller {
                verified: false,
                oid: Some("11111111-2222-3333-4444-555555555555".into()),
                upn: Some("ada@contoso.com".into()),
                appid: None,
                tid: Some("66666666-7777-8888-9999-000000000000".into()),
                unknown_caller: None,
            }
        );
        let json = serde_json::to_string(&caller).unwrap();
        assert!(!json.contains("canary"), "{json}");
    }

    #[test]
    fn an_application_token_names_the_application() {
        let v1 = jwt(
            &serde_json::json!({"oid": "o", "appid": "a", "tid": "t"}),
            "s",
        );
        assert_eq!(caller_of(&v1).appid.as_deref(), Some("a"));
        let v2 = jwt(
            &serde_json::json!({"azp": "b", "preferred_username": "bob@x"}),
            "s",
        );
        let caller = caller_of(&v2);
        assert_eq!(caller.appid.as_deref(), Some("b"));
        assert_eq!(caller.upn.as_deref(), Some("bob@x"));
        assert!(caller.is_known());
    }

    #[test]
    fn anything_else_is_an_unknown_caller() {
        for token in [
            "kfollow-emulator",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            // base64url of `[1]`: JSON, but no object of claims.
            "a.WzFd.c",
        ] {
            let caller = caller_of(&Secret::new(token));
            assert_eq!(
                caller.unknown_caller.as_deref(),
                Some("the access token is not a JWT"),
                "{token}"
            );
            assert!(!caller.is_known());
        }
        let nameless = jwt(&serde_json::json!({"tid": "t"}), "s");
        assert_eq!(
            caller_of(&nameless).unknown_caller.as_deref(),
            Some("the access token names no `oid`, `upn` or `appid`")
        );
    }
}
