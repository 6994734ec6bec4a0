//! Which base URLs kfollow accepts: `https://` anywhere, plain `http://` only on loopback
//! (the emulator), so that a token never crosses a network in clear text.

use std::net::IpAddr;

use reqwest::Url;

/// A base URL kfollow refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL.
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid {
        /// What was given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `http://` to a host that is not loopback.
    #[error(
        "`{url}` uses plain `http://` to a host that is not loopback; use `https://` (plain http is accepted only for 127.0.0.1, ::1 and localhost, where the emulator runs)"
    )]
    InsecureHttp {
        /// What was given.
        url: String,
    },
    /// Another scheme.
    #[error(
        "`{url}` has scheme `{scheme}`; only `https://` (and `http://` on loopback) are accepted"
    )]
    Scheme {
        /// What was given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
}

/// Parses a base URL and checks its scheme: `https`, or `http` to a loopback host.
pub fn check_endpoint(url: &str) -> Result<Url, EndpointError> {
    let parsed = Url::parse(url.trim()).map_err(|e| EndpointError::Invalid {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::Invalid {
            url: url.to_owned(),
            reason: "it has no host".to_owned(),
        });
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(EndpointError::InsecureHttp {
            url: url.to_owned(),
        }),
        other => Err(EndpointError::Scheme {
            url: url.to_owned(),
            scheme: other.to_owned(),
        }),
    }
}

/// True when the URL's host is `localhost` or a loopback address.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// True when both URLs share scheme, host and port: a poll or next-page URL must stay on the
/// endpoint the token was meant for. Two loopback hosts (`localhost`, `127.0.0.1`, `[::1]`)
/// count as the same host: they are the same machine.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    let same_host = a.host_str().map(str::to_ascii_lowercase)
        == b.host_str().map(str::to_ascii_lowercase)
        || (is_loopback(a) && is_loopback(b));
    a.scheme() == b.scheme() && same_host && a.port_or_known_default() == b.port_or_known_default()
}

/// The token scope of a cluster's data plane: its URI without port and path, then `/.default`
/// (<https://learn.microsoft.com/kusto/api/rest/authenticate-with-msal>: "The resource ID is the
/// cluster URI without port information and path").
pub fn kusto_scope(cluster_uri: &str) -> Result<String, EndpointError> {
    let url = check_endpoint(cluster_uri)?;
    let host = url.host_str().unwrap_or_default();
    Ok(format!("{}://{}/.default", url.scheme(), host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_on_loopback() {
        for ok in [
            "https://management.azure.com",
            "http://127.0.0.1:8080",
            "http://localhost:1/x",
            "http://[::1]:9/",
            "http://127.1.2.3",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://management.azure.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(check_endpoint(bad), Err(EndpointError::InsecureHttp { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            check_endpoint("ftp://x"),
            Err(EndpointError::Scheme { .. })
        ));
        assert!(matches!(
            check_endpoint("not a url"),
            Err(EndpointError::Invalid { .. })
        ));
    }

    #[test]
    fn origins() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &url("https://management.azure.com/a"),
            &url("https://MANAGEMENT.azure.com:443/b?x")
        ));
        assert!(same_origin(
            &url("http://localhost:80/a"),
            &url("http://127.0.0.1/b")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:1/a"),
            &url("http://127.0.0.1:2/a")
        ));
        assert!(!same_origin(
            &url("https://management.azure.com"),
            &url("https://evil.com")
        ));
        assert!(!same_origin(
            &url("https://127.0.0.1"),
            &url("http://127.0.0.1:443")
        ));
    }

    #[test]
    fn kusto_scope_drops_port_and_path() {
        assert_eq!(
            kusto_scope("https://fcemea.westeurope.kusto.windows.net").unwrap(),
            "https://fcemea.westeurope.kusto.windows.net/.default"
        );
        assert_eq!(
            kusto_scope("https://help.kusto.windows.net:443/x/").unwrap(),
            "https://help.kusto.windows.net/.default"
        );
        assert!(kusto_scope("http://help.kusto.windows.net").is_err());
    }
}
