//! An API Management instance declared in code: its SKU (which tells the tier), how it joins the
//! VNet, and which subnet it uses — what chooses the APIM subnet, `--vnet` and the profile when
//! the user does not.

use serde::Serialize;

use super::model::Origin;
use crate::catalog::model::VnetMode;
use crate::catalog::profile::{Mode, Tier};

/// One `azurerm_api_management` or `Microsoft.ApiManagement/service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApimResource {
    /// Its name, when known.
    pub name: String,
    /// The SKU as written (`Developer_1`, `Premium`, `StandardV2_1`, `PremiumV2`), when known.
    pub sku: Option<String>,
    /// `None`, `External` or `Internal` as written, when known.
    pub vnet_type: Option<String>,
    /// The key of its subnet among the doc's subnets (the reader's link), or the subnet's name.
    pub subnet: Option<String>,
    /// Where it is declared.
    pub origin: Origin,
}

impl ApimResource {
    /// The tier its SKU names (`Developer`, `Basic`, `Standard`, `Premium`: classic).
    pub fn tier(&self) -> Option<Tier> {
        let sku = self.sku.as_deref()?.to_ascii_lowercase();
        let name = sku.split('_').next().unwrap_or_default();
        match name {
            "developer" | "basic" | "standard" | "premium" | "consumption" => Some(Tier::Classic),
            "basicv2" | "standardv2" => Some(Tier::Standardv2),
            "premiumv2" => Some(Tier::Premiumv2),
            _ => None,
        }
    }

    /// How it joins the VNet: `None` (not in one), or the mode and, for the classic tiers, the
    /// VNet mode. For the v2 tiers `External` is VNet integration and `Internal` injection.
    pub fn network(&self) -> Option<(Option<Mode>, Option<VnetMode>)> {
        let t = self.vnet_type.as_deref()?.to_ascii_lowercase();
        let classic = self.tier() == Some(Tier::Classic);
        match (t.as_str(), classic) {
            ("external", true) => Some((Some(Mode::Injection), Some(VnetMode::External))),
            ("internal", true) => Some((Some(Mode::Injection), Some(VnetMode::Internal))),
            ("external", false) => Some((Some(Mode::Integration), None)),
            ("internal", false) => Some((Some(Mode::Injection), None)),
            _ => Some((None, None)),
        }
    }

    /// Whether it is joined to a VNet at all (`None` or no type: not).
    pub fn in_vnet(&self) -> bool {
        matches!(self.network(), Some((Some(_), _)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apim(sku: &str, vnet: &str) -> ApimResource {
        ApimResource {
            name: "a".into(),
            sku: Some(sku.into()),
            vnet_type: Some(vnet.into()),
            subnet: None,
            origin: Origin {
                file: "f".into(),
                address: "a".into(),
                line: None,
            },
        }
    }

    #[test]
    fn sku_and_type_tell_tier_and_mode() {
        assert_eq!(apim("Developer_1", "Internal").tier(), Some(Tier::Classic));
        assert_eq!(
            apim("Premium_2", "External").network(),
            Some((Some(Mode::Injection), Some(VnetMode::External)))
        );
        assert_eq!(
            apim("StandardV2_1", "External").tier(),
            Some(Tier::Standardv2)
        );
        assert_eq!(
            apim("PremiumV2", "Internal").network(),
            Some((Some(Mode::Injection), None))
        );
        assert!(!apim("Premium_1", "None").in_vnet());
    }
}
