//! Azure's instance metadata service (IMDS): where this VM is (cloud, region) and what it is.
//!
//! One `GET /metadata/instance?api-version=2021-02-01` with `Metadata: true` to
//! 169.254.169.254:80, never through a proxy, retried once when IMDS is busy or silent (see
//! `fetch.rs`); this file reads the instance document.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::catalog::model::Cloud;

mod fetch;

pub use fetch::{ImdsError, fetch, fetch_from};

/// Where IMDS answers, on every Azure VM.
pub const IMDS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), 80);

/// What IMDS says of this VM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AzureContext {
    /// The VM's name (`compute.name`).
    pub name: String,
    /// Its region as IMDS spells it (`compute.location`, e.g. `westeurope`).
    pub location: String,
    /// Its cloud (`compute.azEnvironment`, e.g. `AzurePublicCloud`).
    pub az_environment: String,
    /// The VM's id (`compute.vmId`).
    pub vm_id: String,
    /// Its ARM resource id.
    pub resource_id: String,
    /// Its subscription.
    pub subscription_id: String,
    /// Its resource group.
    pub resource_group_name: String,
    /// Private IPv4 addresses of its interfaces.
    pub private_ips: Vec<String>,
    /// The subnets of its interfaces, as `address/prefix`.
    pub subnets: Vec<String>,
}

impl AzureContext {
    /// The cloud, from `azEnvironment`.
    pub fn cloud(&self) -> Option<Cloud> {
        match self.az_environment.to_ascii_lowercase().as_str() {
            "azurepubliccloud" => Some(Cloud::Public),
            "azureusgovernmentcloud" => Some(Cloud::Usgov),
            "azurechinacloud" => Some(Cloud::China),
            _ => None,
        }
    }

    /// The region, from `location`, lowercased.
    pub fn region(&self) -> Option<String> {
        let region = self.location.trim().to_ascii_lowercase();
        (!region.is_empty()).then_some(region)
    }

    /// Reads IMDS's instance document.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let doc: Instance = serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))?;
        let c = doc.compute;
        let mut ctx = AzureContext {
            name: c.name,
            location: c.location,
            az_environment: c.az_environment,
            vm_id: c.vm_id,
            resource_id: c.resource_id,
            subscription_id: c.subscription_id,
            resource_group_name: c.resource_group_name,
            ..AzureContext::default()
        };
        for nic in doc.network.interface {
            ctx.private_ips.extend(
                nic.ipv4
                    .ip_address
                    .into_iter()
                    .map(|a| a.private_ip_address)
                    .filter(|a| !a.is_empty()),
            );
            ctx.subnets.extend(
                nic.ipv4
                    .subnet
                    .into_iter()
                    .filter(|s| !s.address.is_empty())
                    .map(|s| format!("{}/{}", s.address, s.prefix)),
            );
        }
        Ok(ctx)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Instance {
    compute: Compute,
    network: Network,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Compute {
    name: String,
    location: String,
    az_environment: String,
    vm_id: String,
    resource_id: String,
    subscription_id: String,
    resource_group_name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Network {
    interface: Vec<Interface>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Interface {
    ipv4: Ipv4,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Ipv4 {
    ip_address: Vec<IpAddress>,
    subnet: Vec<Subnet>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct IpAddress {
    private_ip_address: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Subnet {
    address: String,
    prefix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"compute":{"name":"vm1","location":"WestEurope","azEnvironment":"AzurePublicCloud",
        "vmId":"abc","resourceId":"/subscriptions/s/resourceGroups/rg/providers/x/vm1",
        "subscriptionId":"s","resourceGroupName":"rg"},
        "network":{"interface":[{"ipv4":{"ipAddress":[{"privateIpAddress":"10.0.1.4","publicIpAddress":""}],
        "subnet":[{"address":"10.0.1.0","prefix":"24"}]}}]}}"#;

    #[test]
    fn reads_the_instance_document() {
        let ctx = AzureContext::from_json(DOC.as_bytes()).unwrap();
        assert_eq!(ctx.name, "vm1");
        assert_eq!(ctx.region().as_deref(), Some("westeurope"));
        assert_eq!(ctx.cloud(), Some(Cloud::Public));
        assert_eq!(ctx.private_ips, ["10.0.1.4"]);
        assert_eq!(ctx.subnets, ["10.0.1.0/24"]);
        assert_eq!(ctx.resource_group_name, "rg");
        let json = serde_json::to_string(&ctx).unwrap();
        assert_eq!(serde_json::from_str::<AzureContext>(&json).unwrap(), ctx);
    }

    #[test]
    fn a_page_that_is_not_json_is_said_so() {
        assert!(
            AzureContext::from_json(b"<html>")
                .unwrap_err()
                .starts_with("bad JSON")
        );
    }

    #[test]
    fn clouds() {
        let ctx = |e: &str| AzureContext {
            az_environment: e.into(),
            ..AzureContext::default()
        };
        assert_eq!(ctx("AzureUSGovernmentCloud").cloud(), Some(Cloud::Usgov));
        assert_eq!(ctx("AzureChinaCloud").cloud(), Some(Cloud::China));
        assert_eq!(ctx("AzureStackCloud").cloud(), None);
        assert_eq!(AzureContext::default().region(), None);
    }
}
