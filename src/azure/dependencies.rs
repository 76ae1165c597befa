//! APIM's `outboundNetworkDependenciesEndpoints` as input (stub: being written).

use std::path::Path;

use super::InputError;
use crate::catalog::Catalog;
use crate::catalog::plan::Plan;
use crate::settings::ScopeSettings;

/// One endpoint APIM says it needs (stub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApimEndpoint {}

/// Reads the JSON file (stub).
pub fn load(_path: &Path) -> Result<Vec<ApimEndpoint>, InputError> {
    Ok(Vec::new())
}

/// Adds probes for the endpoints to the plan (stub).
pub fn extend_plan(
    _plan: &mut Plan,
    _catalog: &Catalog,
    _scope: &ScopeSettings,
    _endpoints: &[ApimEndpoint],
) {
}
