//! How reports name the edition of Microsoft's VNet reference they were checked against.

use serde::Serialize;

use crate::catalog::Edition;
use crate::catalog::model::{Cloud, Platform, VnetMode};
use crate::catalog::profile::{Profile, Tier};

/// The edition of Microsoft's VNet reference a run was checked against, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reference {
    /// The edition's id, e.g. `2025-06`.
    pub edition: String,
    /// The page's date, e.g. `2025-06-17`.
    pub date: String,
    /// The public page.
    pub url: String,
}

impl From<&Edition> for Reference {
    fn from(e: &Edition) -> Self {
        Self {
            edition: e.id.clone(),
            date: e.date.clone(),
            url: e.url.clone(),
        }
    }
}

impl Reference {
    /// `2025-06 (page of 2025-06-17, URL)`: how human formats name it.
    pub fn line(&self) -> String {
        format!("{} (page of {}, {})", self.edition, self.date, self.url)
    }
}

/// The scope in a header: `stv2/external/public` for the classic tiers (platform, VNet mode,
/// cloud), `premiumv2/v2-injection/public` for the others (tier, profile, cloud).
pub fn scope(
    platform: Platform,
    vnet: VnetMode,
    cloud: Cloud,
    tier: Tier,
    profile: Profile,
) -> String {
    if profile == Profile::Classic {
        format!("{platform}/{vnet}/{cloud}")
    } else {
        format!("{tier}/{profile}/{cloud}")
    }
}
