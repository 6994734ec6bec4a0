//! The credential chain (docs/cli.md, "Where Azure is"), built from `azure_identity` 1.x
//! credentials (the crate has no `DefaultAzureCredential`):
//!
//! 1. a service principal with a client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//!    `AZURE_CLIENT_SECRET`),
//! 2. workload identity (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`),
//! 3. an Azure Pipelines service connection with workload identity federation
//!    (`AZURESUBSCRIPTION_TENANT_ID`, `AZURESUBSCRIPTION_CLIENT_ID`,
//!    `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`, which the `AzureCLI@2` and
//!    `AzurePowerShell@5` tasks set for such a connection; `SYSTEM_ACCESSTOKEN`, which the
//!    pipeline maps from `$(System.AccessToken)`; and `SYSTEM_OIDCREQUESTURI`, which Azure
//!    Pipelines sets in every job),
//! 4. managed identity (`AZURE_CLIENT_ID`, when set, selects a user-assigned identity),
//! 5. the Azure CLI, then the Azure Developer CLI. On GitHub Actions this is the route:
//!    `azure/login` signs the Azure CLI in with OIDC.
//!
//! A service principal, workload identity or service connection whose variables are all set
//! is the user's explicit choice: when it fails, the chain stops there rather than quietly
//! signing in as someone else.
//! Each credential gets a short time limit and `azure_identity`'s own retries are cut to one, so
//! that a machine without any credential gets one error listing what was tried within seconds
//! (the default client-secret credential retries for about 80 s offline). The first credential
//! that works is used from then on, and [`credential_chain`] caches its tokens per scope.
//!
//! Client certificates are not supported: `azure_identity` needs OpenSSL for them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_identity::{
    AzureCliCredential, AzureDeveloperCliCredential, AzurePipelinesCredential,
    AzurePipelinesCredentialOptions, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use crate::cloud::Cloud;
use crate::credential::{
    AccessToken, BoxFuture, CachedTokenSource, CredentialError, Secret, StaticToken, TokenSource,
};

/// The variables the chain reads.
pub const CHAIN_VARIABLES: [&str; 10] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURESUBSCRIPTION_TENANT_ID",
    "AZURESUBSCRIPTION_CLIENT_ID",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "SYSTEM_ACCESSTOKEN",
    "SYSTEM_OIDCREQUESTURI",
];

/// How the chain is built. [`ChainOptions::from_env`] reads the process environment; tests
/// give the variables explicitly.
#[derive(Clone)]
pub struct ChainOptions {
    /// The cloud to sign in to.
    pub cloud: Cloud,
    /// The variables of [`CHAIN_VARIABLES`]; empty values count as unset. The Azure Pipelines
    /// credential reads `SYSTEM_OIDCREQUESTURI` from the process itself: here it only says
    /// whether that credential is configured.
    pub vars: BTreeMap<String, String>,
    /// Whether to try managed identity.
    pub managed_identity: bool,
    /// Whether to try the Azure CLI and the Azure Developer CLI.
    pub developer_tools: bool,
    /// The time limit of one credential's first try (service principal, workload identity,
    /// CLIs).
    pub timeout: Duration,
    /// The time limit of managed identity's first try: the instance metadata service answers
    /// in milliseconds where it exists, and never where it does not.
    pub managed_identity_timeout: Duration,
    /// The time limit of a token request once a credential has worked.
    pub token_timeout: Duration,
}

impl std::fmt::Debug for ChainOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: a value may be a client secret.
        f.debug_struct("ChainOptions")
            .field("cloud", &self.cloud)
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("managed_identity", &self.managed_identity)
            .field("developer_tools", &self.developer_tools)
            .field("timeout", &self.timeout)
            .field("managed_identity_timeout", &self.managed_identity_timeout)
            .finish_non_exhaustive()
    }
}

impl ChainOptions {
    /// Every credential, nothing configured, the default time limits.
    pub fn new(cloud: Cloud) -> ChainOptions {
        ChainOptions {
            cloud,
            vars: BTreeMap::new(),
            managed_identity: true,
            developer_tools: true,
            timeout: Duration::from_secs(15),
            managed_identity_timeout: Duration::from_secs(2),
            token_timeout: Duration::from_secs(60),
        }
    }

    /// [`ChainOptions::new`] with the [`CHAIN_VARIABLES`] of the process.
    pub fn from_env(cloud: Cloud) -> ChainOptions {
        let mut options = ChainOptions::new(cloud);
        for name in CHAIN_VARIABLES {
            if let Ok(value) = std::env::var(name) {
                options.vars.insert(name.to_owned(), value);
            }
        }
        options
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// The token source kfollow uses: `KFOLLOW_ACCESS_TOKEN` when set, else [`credential_chain`].
pub fn default_token_source(cloud: Cloud) -> Arc<dyn TokenSource> {
    match StaticToken::from_env() {
        Some(token) => Arc::new(token),
        None => credential_chain(cloud),
    }
}

/// The chain for a cloud, from the process environment, with tokens cached per scope.
pub fn credential_chain(cloud: Cloud) -> Arc<dyn TokenSource> {
    credential_chain_with(ChainOptions::from_env(cloud))
}

/// The chain from explicit options, with tokens cached per scope.
pub fn credential_chain_with(options: ChainOptions) -> Arc<dyn TokenSource> {
    Arc::new(CachedTokenSource::new(Arc::new(Chain::new(&options))))
}

/// One link of the chain.
struct Link {
    name: &'static str,
    /// The credential, or why it is not configured.
    credential: Result<Arc<dyn TokenCredential>, String>,
    timeout: Duration,
    /// When this one fails, stop: the user asked for it explicitly.
    decisive: bool,
}

struct Chain {
    links: Vec<Link>,
    chosen: AtomicUsize,
    token_timeout: Duration,
    help: String,
}

const NONE_CHOSEN: usize = usize::MAX;

impl Chain {
    fn new(options: &ChainOptions) -> Chain {
        let client_options = client_options(options.cloud);
        let tenant = options.var("AZURE_TENANT_ID");
        let client = options.var("AZURE_CLIENT_ID");
        let mut links = Vec::new();

        let secret = options.var("AZURE_CLIENT_SECRET");
        let certificate = options.var("AZURE_CLIENT_CERTIFICATE_PATH");
        links.push(Link {
            name: "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
            credential: match (tenant, client, secret) {
                (Some(tenant), Some(client), Some(secret)) => ClientSecretCredential::new(
                    tenant,
                    client.to_owned(),
                    azure_core::credentials::Secret::new(secret.to_owned()),
                    Some(ClientSecretCredentialOptions {
                        client_options: client_options.clone(),
                    }),
                )
                .map(|c| c as Arc<dyn TokenCredential>)
                .map_err(|e| first_line(&e.to_string())),
                _ if certificate.is_some() => Err(
                    "AZURE_CLIENT_CERTIFICATE_PATH is set, but certificate credentials are not supported; use AZURE_CLIENT_SECRET or workload identity".to_owned(),
                ),
                _ => Err(missing(&[
                    ("AZURE_TENANT_ID", tenant),
                    ("AZURE_CLIENT_ID", client),
                    ("AZURE_CLIENT_SECRET", secret),
                ])),
            },
            timeout: options.timeout,
            decisive: true,
        });

        let token_file = options.var("AZURE_FEDERATED_TOKEN_FILE");
        links.push(Link {
            name: "workload identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE)",
            credential: match (tenant, client, token_file) {
                (Some(tenant), Some(client), Some(file)) => {
                    WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                        credential_options: ClientAssertionCredentialOptions {
                            client_options: client_options.clone(),
                        },
                        client_id: Some(client.to_owned()),
                        tenant_id: Some(tenant.to_owned()),
                        token_file_path: Some(PathBuf::from(file)),
                    }))
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| first_line(&e.to_string()))
                }
                _ => Err(missing(&[
                    ("AZURE_TENANT_ID", tenant),
                    ("AZURE_CLIENT_ID", client),
                    ("AZURE_FEDERATED_TOKEN_FILE", token_file),
                ])),
            },
            timeout: options.timeout,
            decisive: true,
        });

        let pipelines = [
            (
                "AZURESUBSCRIPTION_TENANT_ID",
                options.var("AZURESUBSCRIPTION_TENANT_ID"),
            ),
            (
                "AZURESUBSCRIPTION_CLIENT_ID",
                options.var("AZURESUBSCRIPTION_CLIENT_ID"),
            ),
            (
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                options.var("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"),
            ),
            ("SYSTEM_ACCESSTOKEN", options.var("SYSTEM_ACCESSTOKEN")),
            (
                "SYSTEM_OIDCREQUESTURI",
                options.var("SYSTEM_OIDCREQUESTURI"),
            ),
        ];
        links.push(Link {
            name: "Azure Pipelines service connection (AZURESUBSCRIPTION_TENANT_ID, AZURESUBSCRIPTION_CLIENT_ID, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, SYSTEM_ACCESSTOKEN, SYSTEM_OIDCREQUESTURI)",
            credential: match pipelines.map(|(_, value)| value) {
                [Some(tenant), Some(client), Some(connection), Some(token), Some(_)] => {
                    AzurePipelinesCredential::new(
                        tenant.to_owned(),
                        client.to_owned(),
                        connection,
                        azure_core::credentials::Secret::new(token.to_owned()),
                        Some(AzurePipelinesCredentialOptions {
                            credential_options: ClientAssertionCredentialOptions {
                                client_options: client_options.clone(),
                            },
                        }),
                    )
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| first_line(&e.to_string()))
                }
                _ => Err(missing(&pipelines)),
            },
            timeout: options.timeout,
            decisive: true,
        });

        if options.managed_identity {
            links.push(Link {
                name: "managed identity",
                credential: ManagedIdentityCredential::new(Some(
                    ManagedIdentityCredentialOptions {
                        user_assigned_id: client.map(|id| UserAssignedId::ClientId(id.to_owned())),
                        client_options: client_options.clone(),
                    },
                ))
                .map(|c| c as Arc<dyn TokenCredential>)
                .map_err(|e| first_line(&e.to_string())),
                timeout: options.managed_identity_timeout,
                decisive: false,
            });
        }

        if options.developer_tools {
            links.push(Link {
                name: "Azure CLI (`az login`)",
                credential: AzureCliCredential::new(None)
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| first_line(&e.to_string())),
                timeout: options.timeout,
                decisive: false,
            });
            links.push(Link {
                name: "Azure Developer CLI (`azd auth login`)",
                credential: AzureDeveloperCliCredential::new(None)
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| first_line(&e.to_string())),
                timeout: options.timeout,
                decisive: false,
            });
        }

        Chain {
            links,
            chosen: AtomicUsize::new(NONE_CHOSEN),
            token_timeout: options.token_timeout,
            help: help(options.cloud),
        }
    }

    async fn try_link(link: &Link, scope: &str, timeout: Duration) -> Result<AccessToken, String> {
        let credential = link
            .credential
            .as_ref()
            .map_err(|why| format!("not configured: {why}"))?;
        match tokio::time::timeout(timeout, credential.get_token(&[scope], None)).await {
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs_f32())),
            Ok(Err(error)) => Err(first_line(&error.to_string())),
            Ok(Ok(token)) => Ok(convert(&token)),
        }
    }
}

impl TokenSource for Chain {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken, CredentialError>> {
        Box::pin(async move {
            let chosen = self.chosen.load(Ordering::Relaxed);
            if let Some(link) = self.links.get(chosen) {
                return Chain::try_link(link, scope, self.token_timeout)
                    .await
                    .map_err(|message| CredentialError::Failed {
                        credential: link.name.to_owned(),
                        scope: scope.to_owned(),
                        message,
                    });
            }
            let mut attempts = String::new();
            for (index, link) in self.links.iter().enumerate() {
                match Chain::try_link(link, scope, link.timeout).await {
                    Ok(token) => {
                        tracing::debug!(credential = link.name, "credential chosen");
                        self.chosen.store(index, Ordering::Relaxed);
                        return Ok(token);
                    }
                    Err(message) => {
                        let _ = writeln!(attempts, "  - {}: {message}", link.name);
                        if link.decisive && link.credential.is_ok() {
                            let _ = writeln!(
                                attempts,
                                "  (stopped here: its variables are set, so kfollow does not fall back to another identity)"
                            );
                            break;
                        }
                    }
                }
            }
            Err(CredentialError::ChainFailed {
                scope: scope.to_owned(),
                attempts: attempts.trim_end().to_owned(),
                help: self.help.clone(),
            })
        })
    }

    fn describe(&self) -> String {
        match self.links.get(self.chosen.load(Ordering::Relaxed)) {
            Some(link) => link.name.to_owned(),
            None => "Azure credential chain".to_owned(),
        }
    }
}

/// `azure_identity`'s HTTP options: one quick retry instead of its default eight, and the
/// cloud's authority host.
fn client_options(cloud: Cloud) -> ClientOptions {
    use azure_core::time::Duration as CoreDuration;
    ClientOptions {
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: CoreDuration::milliseconds(200),
            max_retries: 1,
            max_total_elapsed: CoreDuration::seconds(5),
            max_delay: CoreDuration::seconds(1),
        }),
        // `None` keeps `AZURE_AUTHORITY_HOST` working in the public cloud.
        cloud: (cloud != Cloud::Public).then(|| Arc::new(cloud.to_azure_core())),
        ..ClientOptions::default()
    }
}

fn convert(token: &azure_core::credentials::AccessToken) -> AccessToken {
    let seconds = token.expires_on.unix_timestamp();
    let expires_at = u64::try_from(seconds)
        .ok()
        .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)));
    AccessToken {
        token: Secret::new(token.token.secret()),
        // A token without a usable expiry is treated as already stale, so it is not cached.
        expires_at: Some(expires_at.unwrap_or(SystemTime::UNIX_EPOCH)),
    }
}

fn missing(vars: &[(&str, Option<&str>)]) -> String {
    let unset: Vec<&str> = vars
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    format!("{} not set", unset.join(", "))
}

/// The first line of an `azure_identity` message (the rest is a troubleshooting link), at most
/// 300 characters. A refused Azure Pipelines OIDC request ends its line with the diagnostic
/// headers it got (`Headers { x-vss-e2eid: … }`); when there were none, only the bare word
/// `Headers` is left, which is dropped.
fn first_line(message: &str) -> String {
    let line = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    let line = line.trim();
    let line = line.strip_suffix(" Headers").unwrap_or(line);
    line.chars().take(300).collect()
}

fn help(cloud: Cloud) -> String {
    let mut help = String::from("to sign in, do one of:\n");
    if cloud != Cloud::Public {
        let name = match cloud {
            Cloud::China => "AzureChinaCloud",
            _ => "AzureUSGovernment",
        };
        let _ = writeln!(
            help,
            "  - run `az cloud set --name {name}`, then `az login`"
        );
    } else {
        help.push_str("  - run `az login` (Azure CLI) or `azd auth login` (Azure Developer CLI)\n");
    }
    help.push_str(
        "  - on GitHub Actions: sign the Azure CLI in with `azure/login` and OIDC (the job needs \
         `permissions: id-token: write`); kfollow then uses the Azure CLI\n\
         \x20 - in Azure Pipelines: run kfollow in an `AzureCLI@2` task whose service connection \
         uses workload identity federation, and map `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` \
         in the task's `env`\n\
         \x20 - set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal\n\
         \x20 - set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE for workload identity\n\
         \x20 - run where a managed identity is assigned (AZURE_CLIENT_ID picks a user-assigned one)\n\
         \x20 - set KFOLLOW_ACCESS_TOKEN to a bearer token",
    );
    help
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_only_unset_variables() {
        assert_eq!(
            missing(&[("A", Some("x")), ("B", None), ("C", None)]),
            "B, C not set"
        );
    }

    #[test]
    fn an_empty_header_list_is_dropped_from_a_message() {
        assert_eq!(
            first_line(
                "AzurePipelinesCredential authentication failed. 401 response. Headers\nhttps://aka.ms/x"
            ),
            "AzurePipelinesCredential authentication failed. 401 response."
        );
        assert_eq!(
            first_line("401 response. Headers { x-vss-e2eid: \"a\" }"),
            "401 response. Headers { x-vss-e2eid: \"a\" }"
        );
    }

    #[test]
    fn help_names_the_cloud() {
        assert!(help(Cloud::Public).contains("`az login`"));
        assert!(help(Cloud::China).contains("AzureChinaCloud"));
        assert!(help(Cloud::UsGovernment).contains("AzureUSGovernment"));
    }
}
