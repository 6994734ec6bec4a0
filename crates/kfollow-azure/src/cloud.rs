//! The Azure clouds kfollow knows by name, and the addresses and token scopes of each.

use std::fmt;

/// An Azure cloud: where ARM is, which scope its tokens need, where Entra ID signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// The public cloud (`management.azure.com`).
    #[default]
    Public,
    /// Azure operated by 21Vianet (`management.chinacloudapi.cn`).
    China,
    /// Azure Government (`management.usgovcloudapi.net`).
    UsGovernment,
}

impl Cloud {
    /// Every cloud, public first.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// Reads a cloud name as users and the Azure CLI write it (`public`, `AzureCloud`,
    /// `china`, `AzureChinaCloud`, `usgovernment`, `AzureUSGovernment`), ignoring case.
    pub fn from_name(name: &str) -> Option<Cloud> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "public" | "azurecloud" | "azurepubliccloud" | "azurepublic" => Some(Cloud::Public),
            "china" | "azurechinacloud" | "azurechina" => Some(Cloud::China),
            "usgovernment"
            | "usgov"
            | "azureusgovernment"
            | "azureusgovernmentcloud"
            | "azuregovernment" => Some(Cloud::UsGovernment),
            _ => None,
        }
    }

    /// The short name `from_name` reads back.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::China => "china",
            Cloud::UsGovernment => "usgovernment",
        }
    }

    /// The ARM endpoint, without a trailing slash.
    pub fn arm_endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::China => "https://management.chinacloudapi.cn",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net",
        }
    }

    /// The scope of ARM tokens (`{endpoint}/.default`).
    pub fn arm_scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/.default",
            Cloud::China => "https://management.chinacloudapi.cn/.default",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/.default",
        }
    }

    /// Where Entra ID signs in.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
        }
    }

    /// The scope of data-plane tokens for a cluster; the same in every cloud
    /// (see [`crate::kusto_scope`]).
    pub fn kusto_scope(self, cluster_uri: &str) -> Result<String, crate::EndpointError> {
        crate::kusto_scope(cluster_uri)
    }

    /// The matching `azure_core` cloud, for `azure_identity`'s credentials.
    pub(crate) fn to_azure_core(self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration;
        match self {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::China => CloudConfiguration::AzureChina,
            Cloud::UsGovernment => CloudConfiguration::AzureGovernment,
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_cli_names_are_read() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_name(cloud.name()), Some(cloud));
            assert_eq!(
                format!("{}/.default", cloud.arm_endpoint()),
                cloud.arm_scope()
            );
        }
        assert_eq!(Cloud::from_name("AzureCloud"), Some(Cloud::Public));
        assert_eq!(Cloud::from_name("AzureChinaCloud"), Some(Cloud::China));
        assert_eq!(
            Cloud::from_name("AzureUSGovernment"),
            Some(Cloud::UsGovernment)
        );
        assert_eq!(Cloud::from_name("mars"), None);
        assert_eq!(Cloud::default(), Cloud::Public);
    }
}
