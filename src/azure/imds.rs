//! Azure's instance metadata service (stub: being written).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::model::Cloud;

/// What IMDS says of this VM (stub).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AzureContext {}

impl AzureContext {
    /// The cloud, from `azEnvironment` (stub).
    pub fn cloud(&self) -> Option<Cloud> {
        None
    }

    /// The region, from `location` (stub).
    pub fn region(&self) -> Option<String> {
        None
    }
}

/// Asks IMDS (stub).
#[expect(clippy::unused_async, reason = "stub keeps the final signature")]
pub async fn fetch(_timeout: Duration) -> Result<AzureContext, String> {
    Err("IMDS support is not implemented yet".into())
}
