//! How reports name the edition of Microsoft's VNet reference they were checked against.

use serde::Serialize;

use super::rows::md_inline;
use crate::catalog::Edition;

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

    /// `VNet reference edition 2025-06 (page of 2025-06-17, <URL>)` for Markdown: the edition
    /// and date escaped, the URL an autolink.
    pub fn markdown(&self) -> String {
        format!(
            "VNet reference edition {} (page of {}, <{}>)",
            md_inline(&self.edition),
            md_inline(&self.date),
            self.url.replace(['<', '>', ' '], "")
        )
    }
}
