//! `GET {cluster uri}/v1/rest/auth/metadata`: where clients learn how to authenticate to the
//! cluster (<https://learn.microsoft.com/kusto/api/rest/authenticate-with-msal> reads
//! `AzureAD.KustoServiceResourceId` from it).

use serde_json::{Value, json};

/// The body of `GET /v1/rest/auth/metadata` as the public cloud answers it: the `AzureAD`
/// object the Kusto SDKs read (they parse `LoginMfaRequired` as a JSON boolean) and the `dSTS`
/// object beside it.
pub fn auth_metadata() -> Value {
    json!({
        "AzureAD": {
            "LoginEndpoint": "https://login.microsoftonline.com",
            "LoginMfaRequired": false,
            "KustoClientAppId": "db662dc1-0cfe-4e1c-a843-19a68e65be58",
            "KustoClientRedirectUri": "https://microsoft/kustoclient",
            "KustoServiceResourceId": "https://kusto.kusto.windows.net",
            "FirstPartyAuthorityUrl":
                "https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        },
        "dSTS": {
            "CloudEndpointSuffix": "windows.net",
            "DstsRealm": "realm://dsts.core.windows.net",
            "DstsInstance": "prod-dsts.dsts.core.windows.net",
            "KustoDnsHostName": "kusto.windows.net",
            "ServiceName": "kusto",
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn has_every_field_the_sdks_read() {
        let body = auth_metadata();
        for field in [
            "LoginEndpoint",
            "KustoClientAppId",
            "KustoClientRedirectUri",
            "KustoServiceResourceId",
            "FirstPartyAuthorityUrl",
        ] {
            assert!(body["AzureAD"][field].is_string(), "{field}");
        }
        assert_eq!(body["AzureAD"]["LoginMfaRequired"], false);
    }
}
