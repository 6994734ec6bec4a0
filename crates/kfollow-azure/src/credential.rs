//! Bearer tokens and where they come from: the [`TokenSource`] trait, a [`StaticToken`] for
//! `KFOLLOW_ACCESS_TOKEN`, and a per-scope cache.
//!
//! Token values live in [`Secret`], whose `Debug` and `Display` print `<redacted>`, so that no
//! error, log line or panic message can carry one.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

/// A boxed future, the return type of [`TokenSource::token`] (a trait object cannot have an
/// `async fn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A string that must never be printed: a bearer token or a client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that needs it (the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A bearer token and when it stops being valid.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token value.
    pub token: Secret,
    /// When the token expires; `None` when the source does not say (a static token).
    pub expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// True when the token is still valid `margin` from now.
    pub fn is_fresh(&self, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => SystemTime::now()
                .checked_add(margin)
                .is_some_and(|soon| soon < at),
        }
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// Every credential of the chain was tried and failed; the message lists each one.
    #[error("no Azure credential could get a token for `{scope}`:\n{attempts}\n{help}")]
    ChainFailed {
        /// The scope asked for.
        scope: String,
        /// One line per credential: what it is and why it failed.
        attempts: String,
        /// What the user can do.
        help: String,
    },
    /// One credential failed.
    #[error("{credential} could not get a token for `{scope}`: {message}")]
    Failed {
        /// Which credential (`Azure CLI`, `managed identity`, …).
        credential: String,
        /// The scope asked for.
        scope: String,
        /// Why, as the credential said it (never a secret).
        message: String,
    },
}

/// Something that hands out bearer tokens for a scope (`https://management.azure.com/.default`,
/// `https://mycluster.westeurope.kusto.windows.net/.default`).
pub trait TokenSource: Send + Sync {
    /// A token for `scope`, from a cache when one is still fresh.
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken, CredentialError>>;

    /// What this source is, for messages (`KFOLLOW_ACCESS_TOKEN`, `Azure CLI`, …).
    fn describe(&self) -> String;
}

/// The same token for every scope: `KFOLLOW_ACCESS_TOKEN`, a pre-fetched token, or the
/// emulator's.
#[derive(Clone)]
pub struct StaticToken {
    token: Secret,
    origin: String,
}

impl StaticToken {
    /// A static token; `origin` names where it came from (`KFOLLOW_ACCESS_TOKEN`).
    pub fn new(token: impl Into<String>, origin: impl Into<String>) -> StaticToken {
        StaticToken {
            token: Secret::new(token),
            origin: origin.into(),
        }
    }

    /// The token of `KFOLLOW_ACCESS_TOKEN`, when that variable is set and not empty.
    pub fn from_env() -> Option<StaticToken> {
        std::env::var("KFOLLOW_ACCESS_TOKEN")
            .ok()
            .filter(|value| !value.trim().is_empty())
            .map(|value| StaticToken::new(value.trim(), "KFOLLOW_ACCESS_TOKEN"))
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("token", &self.token)
            .field("origin", &self.origin)
            .finish()
    }
}

impl TokenSource for StaticToken {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<AccessToken, CredentialError>> {
        Box::pin(async move {
            Ok(AccessToken {
                token: self.token.clone(),
                expires_at: None,
            })
        })
    }

    fn describe(&self) -> String {
        format!("static token from `{}`", self.origin)
    }
}

/// How long before its expiry a cached token is replaced.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Caches the tokens of another source per scope until [`REFRESH_MARGIN`] before they expire.
/// Concurrent callers of one scope wait for one request rather than each asking; different
/// scopes (one per cluster for the data plane) are fetched concurrently.
pub struct CachedTokenSource {
    inner: Arc<dyn TokenSource>,
    slots: std::sync::Mutex<HashMap<String, Arc<Mutex<Option<AccessToken>>>>>,
}

impl CachedTokenSource {
    /// Wraps a source.
    pub fn new(inner: Arc<dyn TokenSource>) -> CachedTokenSource {
        CachedTokenSource {
            inner,
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl TokenSource for CachedTokenSource {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken, CredentialError>> {
        Box::pin(async move {
            let slot = {
                // A poisoned map only means another caller panicked; its content is intact.
                let mut slots = self
                    .slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                slots.entry(scope.to_owned()).or_default().clone()
            };
            // Held across the request on purpose: one token request per scope at a time.
            let mut cached = slot.lock().await;
            if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(REFRESH_MARGIN)) {
                return Ok(token.clone());
            }
            let token = self.inner.token(scope).await?;
            *cached = Some(token.clone());
            Ok(token)
        })
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    impl TokenSource for Counting {
        fn token<'a>(
            &'a self,
            scope: &'a str,
        ) -> BoxFuture<'a, Result<AccessToken, CredentialError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                Ok(AccessToken {
                    token: Secret::new(format!("{scope}#{n}")),
                    expires_at: Some(SystemTime::now() + self.lifetime),
                })
            })
        }
        fn describe(&self) -> String {
            "counting".into()
        }
    }

    #[test]
    fn secrets_never_print() {
        let token = StaticToken::new("canary-9f3b2c", "test");
        assert!(!format!("{token:?}").contains("canary"));
        let secret = Secret::new("canary-9f3b2c");
        assert!(!format!("{secret:?} {secret}").contains("canary"));
        let access = AccessToken {
            token: secret,
            expires_at: None,
        };
        assert!(!format!("{access:?}").contains("canary"));
    }

    #[tokio::test]
    async fn caches_per_scope_until_near_expiry() {
        let inner = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(3600),
        });
        let cached = CachedTokenSource::new(inner.clone());
        let a1 = cached.token("a").await.unwrap();
        let a2 = cached.token("a").await.unwrap();
        let b = cached.token("b").await.unwrap();
        assert_eq!(a1.token, a2.token);
        assert_ne!(a1.token, b.token);
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);

        // A token inside the refresh margin is replaced.
        let short = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(60),
        });
        let cached = CachedTokenSource::new(short.clone());
        cached.token("a").await.unwrap();
        cached.token("a").await.unwrap();
        assert_eq!(short.calls.load(Ordering::SeqCst), 2);
    }
}
