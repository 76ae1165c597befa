//! Azure network configuration exported as JSON (`az`, PowerShell, REST, the portal's JSON
//! view, ARM templates), read into typed rules, routes, the subnet and service-tag prefix sets.
//! Each file's kind is recognised from its shape; field names are matched case-insensitively.
//! Nothing is evaluated here: that is `crate::evaluate`.
//!
//! Shapes: <https://learn.microsoft.com/rest/api/virtualnetwork/network-security-groups/get>,
//! <https://learn.microsoft.com/cli/azure/network/nic#az-network-nic-list-effective-nsg>,
//! <https://learn.microsoft.com/azure/virtual-network/service-tags-overview>.

pub mod apim;
pub mod json;
pub mod model;
pub mod nsg;
pub mod prefix;
pub mod routes;
pub mod rule;
pub mod subnet;
pub mod tags;

use std::path::{Path, PathBuf};

use serde::Serialize;

use self::json::Node;
pub use self::model::{Nsg, RouteSet, ServiceTags, Subnet};
use super::{InputError, read_value};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// `az network vnet subnet show`.
    Subnet,
    /// `az network nsg show` (or REST, ARM, the portal).
    Nsg,
    /// `az network nic list-effective-nsg` / `Get-AzEffectiveNetworkSecurityGroup`.
    EffectiveNsg,
    /// `az network watcher show-security-group-view`.
    SecurityGroupView,
    /// `az network route-table show`.
    RouteTable,
    /// `az network nic show-effective-route-table` / `Get-AzEffectiveRouteTable`.
    EffectiveRoutes,
    /// The service-tag download or `az network list-service-tags`.
    ServiceTags,
    /// An ARM template whose `resources` hold NSGs, route tables or subnets.
    ArmTemplate,
    /// An ARM template's parameters file.
    ArmParameters,
    /// A Terraform plan (`terraform show -json PLANFILE`).
    TerraformPlan,
    /// Terraform sources (`.tf`).
    TerraformCode,
}

impl InputKind {
    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::Subnet => "a subnet",
            InputKind::Nsg => "an NSG",
            InputKind::EffectiveNsg => "effective NSG rules",
            InputKind::SecurityGroupView => "a Network Watcher security group view",
            InputKind::RouteTable => "a route table",
            InputKind::EffectiveRoutes => "effective routes",
            InputKind::ServiceTags => "a service-tag file",
            InputKind::ArmTemplate => "an ARM template",
            InputKind::ArmParameters => "an ARM parameters file",
            InputKind::TerraformPlan => "a Terraform plan",
            InputKind::TerraformCode => "Terraform code",
        }
    }
}

names!(InputKind {
    Subnet => "subnet",
    Nsg => "nsg",
    EffectiveNsg => "effective-nsg",
    SecurityGroupView => "security-group-view",
    RouteTable => "route-table",
    EffectiveRoutes => "effective-routes",
    ServiceTags => "service-tags",
    ArmTemplate => "arm-template",
    ArmParameters => "arm-parameters",
    TerraformPlan => "terraform-plan",
    TerraformCode => "terraform-code",
});

/// One file read, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputInfo {
    /// The path as given.
    pub path: String,
    /// What it holds.
    pub kind: InputKind,
    /// The name of what it holds (NSG, route table, subnet, cloud of the tags).
    pub name: String,
}

/// Everything read from the files given.
#[derive(Debug, Clone, Default)]
pub struct NetworkInputs {
    /// The files, in the order read.
    pub inputs: Vec<InputInfo>,
    /// The APIM subnet.
    pub subnet: Option<Subnet>,
    /// NSGs (plain and effective).
    pub nsgs: Vec<Nsg>,
    /// Route tables and effective routes.
    pub routes: Vec<RouteSet>,
    /// The service tags.
    pub service_tags: Option<ServiceTags>,
    /// Things to know about the inputs that are not errors.
    pub warnings: Vec<String>,
    /// The API Management instances the code given declares (`azure::iac`).
    pub apims: Vec<apim::ApimResource>,
}

/// The kinds an option accepts: `--nsg`, `--effective-nsg` …; `None` for a bare path.
pub type Expect = Option<(&'static str, &'static [InputKind])>;

impl NetworkInputs {
    /// Reads a file, or every `*.json` file of a folder (in name order).
    pub fn add_path(&mut self, path: &Path, expect: Expect) -> Result<(), InputError> {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| InputError::new(path, "$", format!("cannot read the folder: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|x| x.eq_ignore_ascii_case("json"))
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(InputError::new(path, "$", "no .json files in this folder"));
            }
            for f in &files {
                self.add_file(f, expect)?;
            }
            return Ok(());
        }
        self.add_file(path, expect)
    }

    /// Reads one file; its kind is recognised from its shape and must fit `expect`.
    pub fn add_file(&mut self, path: &Path, expect: Expect) -> Result<(), InputError> {
        let value = read_value(path)?;
        let root = Node::root(path, &value);
        let kind = detect(&root).ok_or_else(|| {
            root.error(
                "cannot tell what this file is: expected a subnet, an NSG, effective NSG rules, a \
                 security group view, a route table, effective routes or a service-tag file (as \
                 `az … -o json` prints them)",
            )
        })?;
        if let Some((option, kinds)) = expect
            && !kinds.contains(&kind)
        {
            let wanted: Vec<&str> = kinds.iter().map(|k| k.describe()).collect();
            return Err(root.error(format!(
                "{option} expects {}, but this is {}",
                wanted.join(" or "),
                kind.describe()
            )));
        }
        self.read_kind(&root, kind)
    }

    fn read_kind(&mut self, root: &Node, kind: InputKind) -> Result<(), InputError> {
        let file = root.file().display().to_string();
        let name = match kind {
            InputKind::Subnet => self.set_subnet(root, subnet::read_subnet(root)?)?,
            InputKind::Nsg => {
                let n = nsg::read_nsg(root)?;
                let name = n.name.clone();
                self.nsgs.push(n);
                name
            }
            InputKind::EffectiveNsg => self.push_nsgs(nsg::read_effective(root)?),
            InputKind::SecurityGroupView => {
                let (nsgs, warning) = nsg::read_group_view(root)?;
                self.warnings.extend(warning);
                self.push_nsgs(nsgs)
            }
            InputKind::RouteTable => self.push_routes(routes::read_route_table(root)?),
            InputKind::EffectiveRoutes => self.push_routes(routes::read_effective_routes(root)?),
            InputKind::ServiceTags => {
                if let Some(first) = &self.service_tags {
                    return Err(root.error(format!(
                        "a second service-tag file (the first: {}): give one",
                        first.file
                    )));
                }
                let t = tags::read_service_tags(root)?;
                let name = if t.cloud.is_empty() {
                    "service tags".into()
                } else {
                    t.cloud.clone()
                };
                self.service_tags = Some(t);
                name
            }
            InputKind::ArmTemplate => self.read_template(root)?,
            // `detect` never says these: code is read by `azure::iac`.
            InputKind::ArmParameters | InputKind::TerraformPlan | InputKind::TerraformCode => {
                return Err(root.error(format!("{} is read as code", kind.describe())));
            }
        };
        self.inputs.push(InputInfo {
            path: file,
            kind,
            name,
        });
        Ok(())
    }

    fn set_subnet(&mut self, root: &Node, s: Subnet) -> Result<String, InputError> {
        if let Some(first) = &self.subnet {
            return Err(root.error(format!(
                "a second subnet (the first: {} in {}): give the APIM subnet only",
                first.name, first.file
            )));
        }
        let name = s.name.clone();
        self.subnet = Some(s);
        Ok(name)
    }

    fn push_nsgs(&mut self, nsgs: Vec<Nsg>) -> String {
        let names: Vec<String> = nsgs.iter().map(|n| n.name.clone()).collect();
        self.nsgs.extend(nsgs);
        names.join(", ")
    }

    fn push_routes(&mut self, r: RouteSet) -> String {
        let name = r.name.clone();
        self.routes.push(r);
        name
    }

    /// The NSGs, route tables and subnets among an ARM template's `resources`.
    fn read_template(&mut self, root: &Node) -> Result<String, InputError> {
        let mut names = Vec::new();
        for res in root.field("resources")?.items()? {
            let Some(t) = res.get("type") else { continue };
            let t = t.str()?.to_ascii_lowercase();
            match t.as_str() {
                "microsoft.network/networksecuritygroups" => {
                    let n = nsg::read_nsg(&res)?;
                    names.push(n.name.clone());
                    self.nsgs.push(n);
                }
                "microsoft.network/routetables" => {
                    names.push(self.push_routes(routes::read_route_table(&res)?));
                }
                "microsoft.network/virtualnetworks/subnets" => {
                    names.push(self.set_subnet(&res, subnet::read_subnet(&res)?)?);
                }
                _ => {}
            }
        }
        if names.is_empty() {
            return Err(root.error("the template's resources hold no NSG, route table or subnet"));
        }
        Ok(names.join(", "))
    }
}

/// Recognises a document's kind from its shape.
pub fn detect(root: &Node) -> Option<InputKind> {
    if root.value().is_array() {
        return detect_list(root);
    }
    if root.get("values").is_some_and(|v| v.value().is_array()) {
        return Some(InputKind::ServiceTags);
    }
    if let Some(list) = root.get("value") {
        return detect_list(&list);
    }
    if root.get("networkInterfaces").is_some_and(|n| {
        n.value()
            .as_array()
            .and_then(|l| l.first())
            .is_some_and(|nic| {
                Node::root(root.file(), nic)
                    .props()
                    .has("securityRuleAssociations")
            })
    }) {
        return Some(InputKind::SecurityGroupView);
    }
    if root.get("resources").is_some_and(|r| r.value().is_array()) {
        return Some(InputKind::ArmTemplate);
    }
    let p = root.props();
    if p.has("securityRules")
        || p.has("defaultSecurityRules")
        || type_is(root, "networksecuritygroups")
    {
        return Some(InputKind::Nsg);
    }
    if p.has("routes") || p.has("disableBgpRoutePropagation") || type_is(root, "routetables") {
        return Some(InputKind::RouteTable);
    }
    if p.has("addressPrefix") || p.has("addressPrefixes") || type_is(root, "subnets") {
        return Some(InputKind::Subnet);
    }
    None
}

fn type_is(root: &Node, suffix: &str) -> bool {
    root.get("type")
        .and_then(|t| t.str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().ends_with(suffix))
}

/// A list of effective NSG entries or of effective routes.
fn detect_list(list: &Node) -> Option<InputKind> {
    let first = list.value().as_array()?.first()?;
    let item = Node::root(list.file(), first);
    if item.has("effectiveSecurityRules") || item.has("networkSecurityGroup") {
        Some(InputKind::EffectiveNsg)
    } else if item.has("nextHopType") {
        Some(InputKind::EffectiveRoutes)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_agree_with_serde() {
        crate::names::assert_serde_agrees(InputKind::ALL, |k| k.as_str());
    }
}
