//! APIM's `outboundNetworkDependenciesEndpoints` as input (`--dependencies FILE`): the
//! instance's real hosts, read into [`ApimEndpoint`]s. Mapping them onto the catalog's rows is
//! the plan's job (`catalog::apim`).

use std::path::Path;

use serde::Deserialize;

use super::{InputError, read_json};
pub use crate::catalog::apim::ApimEndpoint;

#[derive(Deserialize)]
struct Doc {
    value: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Category {
    category: String,
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint {
    domain_name: String,
    endpoint_details: Vec<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    port: u16,
    #[serde(default)]
    region: Option<String>,
}

/// Reads the JSON file; a malformed one names the file and the JSON path.
pub fn load(path: &Path) -> Result<Vec<ApimEndpoint>, InputError> {
    let doc: Doc = read_json(path)?;
    let mut out = Vec::new();
    for cat in doc.value {
        for ep in cat.endpoints {
            let host = ep
                .domain_name
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            for d in ep.endpoint_details {
                out.push(ApimEndpoint {
                    category: cat.category.clone(),
                    host: host.clone(),
                    port: d.port,
                    region: d.region,
                });
            }
        }
    }
    Ok(out)
}
