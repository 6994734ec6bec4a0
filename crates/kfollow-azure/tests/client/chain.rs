//! The credential chain with explicit options (never the process environment, which other
//! tests share).

use std::time::{Duration, Instant};

use kfollow_azure::{ChainOptions, Cloud, CredentialError, credential_chain_with};

#[tokio::test]
async fn when_every_credential_fails_one_error_lists_them_within_seconds() {
    let mut options = ChainOptions::new(Cloud::Public);
    options.managed_identity_timeout = Duration::from_secs(1);
    options.timeout = Duration::from_secs(5);
    let chain = credential_chain_with(options);
    let started = Instant::now();
    let error = chain
        .token("https://management.azure.com/.default")
        .await
        .unwrap_err();
    // The point is "seconds, not the minute and more of azure_identity's default retries";
    // the bound is loose because the machine is shared.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    eprintln!("{error}\n(after {:?})", started.elapsed());
    let CredentialError::ChainFailed { attempts, .. } = &error else {
        panic!("{error:?}");
    };
    for tried in [
        "service principal",
        "workload identity",
        "managed identity",
        "Azure CLI",
        "Azure Developer CLI",
    ] {
        assert!(
            attempts.contains(tried),
            "{tried} missing from:\n{attempts}"
        );
    }
    let text = error.to_string();
    assert!(text.contains("AZURE_CLIENT_SECRET not set"), "{text}");
    assert!(text.contains("`az login`"), "{text}");
    assert!(text.contains("AZURE_FEDERATED_TOKEN_FILE"), "{text}");
}

#[tokio::test]
async fn a_configured_service_principal_that_fails_stops_the_chain_and_hides_its_secret() {
    let mut options = ChainOptions::new(Cloud::Public);
    for (name, value) in [
        ("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
        ("AZURE_CLIENT_SECRET", "canary-secret-5a1f"),
    ] {
        options.vars.insert(name.into(), value.into());
    }
    options.timeout = Duration::from_secs(1);
    let debug = format!("{options:?}");
    assert!(!debug.contains("canary-secret"), "{debug}");
    let error = credential_chain_with(options)
        .token("https://management.azure.com/.default")
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("service principal"), "{text}");
    assert!(text.contains("stopped here"), "{text}");
    assert!(!text.contains("- managed identity"), "{text}");
    assert!(!text.contains("canary-secret"), "{text}");
}
