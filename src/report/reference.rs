//! How reports name the edition of Microsoft's VNet reference they were checked against.

use serde::Serialize;

use crate::catalog::Edition;
use crate::catalog::editions::CLASSIC_TITLE;
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
    /// The page's title, when it is not the classic tiers' VNet reference (the v2 tiers' and the
    /// workspace gateways' own pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl From<&Edition> for Reference {
    fn from(e: &Edition) -> Self {
        Self {
            edition: e.id.clone(),
            date: e.date.clone(),
            url: e.url.clone(),
            title: (e.title != CLASSIC_TITLE).then(|| e.title.clone()),
        }
    }
}

impl Reference {
    /// `the VNet reference 2025-06 (page of 2025-06-17, URL)`, or the page's own title with the
    /// edition: how human formats name it.
    pub fn line(&self) -> String {
        let what = match &self.title {
            None => "the VNet reference".to_owned(),
            Some(t) => format!("\"{t}\""),
        };
        format!(
            "{what} {} (page of {}, {})",
            self.edition, self.date, self.url
        )
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
