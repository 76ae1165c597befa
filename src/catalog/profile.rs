//! Which kind of APIM network the subnet is for: the tier (`--tier`) and how it joins the VNet
//! (`--mode`) make a [`Profile`], and each profile has its own requirements page: the classic
//! tiers' VNet reference, the v2 tiers' integration and injection pages, the workspace gateways'
//! page. Editions of those pages say which profiles they describe (`catalog::editions`).

use serde::{Deserialize, Serialize};

/// The APIM tier, as far as networking tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Developer and Premium (classic tiers): VNet injection, external or internal.
    Classic,
    /// Standard v2: outbound VNet integration only.
    Standardv2,
    /// Premium v2: VNet integration or VNet injection.
    Premiumv2,
    /// A workspace gateway: VNet integration or VNet injection.
    Workspace,
}

/// How the instance (or gateway) joins the virtual network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Outbound only: the gateway reaches into the VNet, its endpoint stays public.
    Integration,
    /// Deployed into the subnet: inbound and outbound through it.
    Injection,
}

/// One set of requirements: a tier family and a mode.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Classic tiers injected in a VNet (the VNet configuration reference).
    #[default]
    Classic,
    /// Standard v2 or Premium v2 with VNet integration.
    V2Integration,
    /// Premium v2 injected in a VNet.
    V2Injection,
    /// A workspace gateway with VNet integration.
    WorkspaceIntegration,
    /// A workspace gateway injected in a VNet.
    WorkspaceInjection,
}

names!(Tier {
    Classic => "classic",
    Standardv2 => "standardv2",
    Premiumv2 => "premiumv2",
    Workspace => "workspace",
});
names!(Mode {
    Integration => "integration",
    Injection => "injection",
});
names!(Profile {
    Classic => "classic",
    V2Integration => "v2-integration",
    V2Injection => "v2-injection",
    WorkspaceIntegration => "workspace-integration",
    WorkspaceInjection => "workspace-injection",
});

impl Profile {
    /// The profile of a tier and mode; the error says which modes the tier has.
    pub fn of(tier: Tier, mode: Option<Mode>) -> Result<Profile, String> {
        use Mode::{Injection, Integration};
        match (tier, mode) {
            (Tier::Classic, None | Some(Injection)) => Ok(Profile::Classic),
            (Tier::Classic, Some(Integration)) => Err(
                "--tier classic --mode integration: the classic tiers (Developer, Premium) are injected in a VNet; VNet integration is a v2 feature (--tier standardv2 or premiumv2)".into(),
            ),
            (Tier::Standardv2, None | Some(Integration)) | (Tier::Premiumv2, Some(Integration)) => {
                Ok(Profile::V2Integration)
            }
            (Tier::Standardv2, Some(Injection)) => Err(
                "--tier standardv2 --mode injection: Standard v2 supports VNet integration only; VNet injection is Premium v2's (--tier premiumv2)".into(),
            ),
            (Tier::Premiumv2, Some(Injection)) => Ok(Profile::V2Injection),
            (Tier::Workspace, Some(Integration)) => Ok(Profile::WorkspaceIntegration),
            (Tier::Workspace, Some(Injection)) => Ok(Profile::WorkspaceInjection),
            (Tier::Premiumv2 | Tier::Workspace, None) => Err(format!(
                "--tier {tier}: give --mode integration (outbound only, a subnet delegated to Microsoft.Web/serverFarms) or --mode injection (a subnet delegated to Microsoft.Web/hostingEnvironments)"
            )),
        }
    }

    /// Whether the gateway lives in the subnet (injection): inbound rules and the gateway's own
    /// hostname apply; with integration only outbound traffic passes the subnet.
    pub fn injected(self) -> bool {
        !matches!(self, Profile::V2Integration | Profile::WorkspaceIntegration)
    }

    /// In words: `the classic tiers' VNet injection`, `Premium v2 VNet injection` ….
    pub fn words(self) -> &'static str {
        match self {
            Profile::Classic => "the classic tiers' VNet injection",
            Profile::V2Integration => "Standard v2 / Premium v2 VNet integration",
            Profile::V2Injection => "Premium v2 VNet injection",
            Profile::WorkspaceIntegration => "a workspace gateway's VNet integration",
            Profile::WorkspaceInjection => "a workspace gateway's VNet injection",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(Tier::ALL, |v| v.as_str());
        assert_serde_agrees(Mode::ALL, |v| v.as_str());
        assert_serde_agrees(Profile::ALL, |v| v.as_str());
    }

    #[test]
    fn tiers_and_modes() {
        assert_eq!(Profile::of(Tier::Classic, None), Ok(Profile::Classic));
        assert_eq!(
            Profile::of(Tier::Standardv2, None),
            Ok(Profile::V2Integration)
        );
        assert_eq!(
            Profile::of(Tier::Premiumv2, Some(Mode::Injection)),
            Ok(Profile::V2Injection)
        );
        assert!(
            Profile::of(Tier::Standardv2, Some(Mode::Injection))
                .unwrap_err()
                .contains("Premium v2")
        );
        assert!(
            Profile::of(Tier::Workspace, None)
                .unwrap_err()
                .contains("--mode")
        );
        assert!(!Profile::V2Integration.injected());
        assert!(Profile::WorkspaceInjection.injected());
    }
}
