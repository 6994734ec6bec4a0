//! The clients for one endpoint: ARM at its base URL and the clusters' management endpoints,
//! both with one credential, telling one observer when Azure asks them to wait.

use std::sync::Arc;

use kfollow_azure::{
    ArmClient, ArmConfig, ArmError, Cloud, KustoClient, KustoError, Observer, RetryPolicy,
    TokenSource,
};

use crate::Clients;

/// Why the clients could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The ARM endpoint cannot be used (plain `http://` to a host other than loopback, or not
    /// a URL).
    #[error("cannot use the ARM endpoint `{endpoint}`")]
    Arm {
        /// The endpoint as given.
        endpoint: String,
        /// Why (boxed: an ARM error is large).
        #[source]
        source: Box<ArmError>,
    },
    /// The HTTP client of the management endpoints cannot be built.
    #[error("cannot build the Kusto management client")]
    Kusto(#[source] Box<KustoError>),
}

impl Clients {
    /// Clients for `endpoint` (Azure's ARM endpoint of `cloud`, another one, or an
    /// emulator's base URL: the same code either way), calling with `credential`, with the
    /// retry and polling policies of `cloud`. `observer` hears every wait (throttling, a busy
    /// cluster, a long-running operation).
    ///
    /// # Errors
    ///
    /// [`ConnectError`] naming the endpoint or the client that cannot be built.
    pub fn connect(
        endpoint: &str,
        cloud: Cloud,
        credential: Arc<dyn TokenSource>,
        observer: Observer,
    ) -> Result<Clients, ConnectError> {
        let mut config = ArmConfig::for_cloud(cloud, credential.clone());
        config.endpoint = endpoint.to_owned();
        config.observer = Some(observer.clone());
        let arm = ArmClient::new(config).map_err(|source| ConnectError::Arm {
            endpoint: endpoint.to_owned(),
            source: Box::new(source),
        })?;
        let kusto = KustoClient::new(credential, RetryPolicy::default())
            .map_err(|error| ConnectError::Kusto(Box::new(error)))?
            .with_observer(observer);
        Ok(Clients { arm, kusto })
    }
}
