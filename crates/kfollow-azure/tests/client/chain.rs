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

/// Where each name appears in `text`, panicking with the text when one is missing.
fn positions(text: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|name| {
            text.find(name)
                .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
        })
        .collect()
}

#[tokio::test]
async fn the_chain_goes_in_order_and_its_failure_names_both_ci_routes() {
    // Nothing configured and nothing that needs the network: every link says why at once.
    let mut options = ChainOptions::new(Cloud::Public);
    options.managed_identity = false;
    options.developer_tools = false;
    let error = credential_chain_with(options)
        .token("https://management.azure.com/.default")
        .await
        .unwrap_err();
    let CredentialError::ChainFailed { attempts, help, .. } = &error else {
        panic!("{error:?}");
    };
    let order = positions(
        attempts,
        &[
            "- service principal",
            "- workload identity",
            "- Azure Pipelines service connection",
        ],
    );
    assert!(order.is_sorted(), "{attempts}");
    assert_eq!(attempts.lines().count(), 3, "{attempts}");
    assert!(
        attempts.contains(
            "not configured: AZURESUBSCRIPTION_TENANT_ID, AZURESUBSCRIPTION_CLIENT_ID, \
             AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, SYSTEM_ACCESSTOKEN, SYSTEM_OIDCREQUESTURI \
             not set"
        ),
        "{attempts}"
    );
    for route in [
        "on GitHub Actions: sign the Azure CLI in with `azure/login` and OIDC",
        "`permissions: id-token: write`",
        "in Azure Pipelines: run kfollow in an `AzureCLI@2` task",
        "`SYSTEM_ACCESSTOKEN: $(System.AccessToken)`",
    ] {
        assert!(help.contains(route), "{route} missing from:\n{help}");
    }
}

#[tokio::test]
async fn a_service_connection_missing_a_variable_is_skipped_and_its_token_never_shown() {
    let mut options = ChainOptions::new(Cloud::Public);
    options.managed_identity = false;
    options.developer_tools = false;
    for (name, value) in [
        (
            "AZURESUBSCRIPTION_TENANT_ID",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
        ),
        (
            "AZURESUBSCRIPTION_CLIENT_ID",
            "00000000-0000-0000-0000-000000000001",
        ),
        (
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            "00000000-0000-0000-0000-000000000002",
        ),
        ("SYSTEM_ACCESSTOKEN", "canary-system-token-7c3e"),
    ] {
        options.vars.insert(name.into(), value.into());
    }
    let debug = format!("{options:?}");
    assert!(!debug.contains("canary-system-token"), "{debug}");
    let error = credential_chain_with(options)
        .token("https://management.azure.com/.default")
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("Azure Pipelines service connection (AZURESUBSCRIPTION_TENANT_ID, AZURESUBSCRIPTION_CLIENT_ID, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, SYSTEM_ACCESSTOKEN, SYSTEM_OIDCREQUESTURI): not configured: SYSTEM_OIDCREQUESTURI not set"),
        "{text}"
    );
    assert!(!text.contains("stopped here"), "{text}");
    assert!(!text.contains("canary-system-token"), "{text}");
}
