//! What the exported files say, as typed data: security rules, NSGs, routes, the subnet and
//! the service tags. No evaluation here (that is `crate::evaluate`).

use ipnet::IpNet;
use serde::Serialize;

use super::prefix::RangeSet;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Access {
    /// The rule lets the traffic through.
    Allow,
    /// The rule drops it.
    Deny,
}

/// Which way a rule applies, seen from the NIC or subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RuleDirection {
    /// Traffic arriving.
    Inbound,
    /// Traffic leaving.
    Outbound,
}

/// The protocol a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Protocol {
    /// `*` or `All`: every protocol.
    Any,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// IPsec ESP.
    Esp,
    /// IPsec AH.
    Ah,
}

/// An inclusive range of ports (`*` is 0-65535).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
}

impl PortRange {
    /// Every port.
    pub const ANY: PortRange = PortRange { from: 0, to: 65535 };

    /// Whether the range holds every port of `[from, to]`.
    pub fn covers(&self, from: u16, to: u16) -> bool {
        self.from <= from && self.to >= to
    }

    /// Whether the range holds any port of `[from, to]`.
    pub fn overlaps(&self, from: u16, to: u16) -> bool {
        self.from <= to && self.to >= from
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.from, self.to) {
            (0, 65535) => f.write_str("*"),
            (a, b) if a == b => write!(f, "{a}"),
            (a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// One side (source or destination) of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressSpec {
    /// `*`: any address.
    Any,
    /// A service tag (`Storage`, `Storage.WestEurope`, `VirtualNetwork`, `Internet` …), as written.
    Tag(String),
    /// Addresses and prefixes.
    Prefixes(Vec<IpNet>),
    /// Application security groups (their ids): which addresses they hold is not in any export.
    Asg(Vec<String>),
    /// Not known before deployment (a template or plan value apim-probe cannot evaluate): what
    /// it is, naming the expression or variable.
    Unknown(String),
}

impl std::fmt::Display for AddressSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressSpec::Any => f.write_str("*"),
            AddressSpec::Tag(t) => f.write_str(t),
            AddressSpec::Prefixes(p) => {
                let list: Vec<String> = p.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(","))
            }
            AddressSpec::Asg(ids) => {
                let names: Vec<&str> = ids.iter().map(|i| super::json::id_name(i)).collect();
                write!(f, "ASG {}", names.join(","))
            }
            AddressSpec::Unknown(what) => write!(f, "unknown ({what})"),
        }
    }
}

/// One security rule, user or default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRule {
    /// Its name, without the `securityRules/` prefix of effective exports.
    pub name: String,
    /// Lower wins.
    pub priority: u32,
    /// Inbound or outbound.
    pub direction: RuleDirection,
    /// Allow or deny.
    pub access: Access,
    /// The protocol it matches.
    pub protocol: Protocol,
    /// Where the traffic comes from.
    pub source: AddressSpec,
    /// Where it goes.
    pub destination: AddressSpec,
    /// Source ports.
    pub source_ports: Vec<PortRange>,
    /// Destination ports.
    pub destination_ports: Vec<PortRange>,
    /// One of the rules every NSG has (priority 65000 and up).
    pub default: bool,
    /// Added by this tool because the export lacked it.
    pub modelled: bool,
    /// What Azure expanded the source to (effective exports only).
    pub expanded_source: Option<Vec<IpNet>>,
    /// What Azure expanded the destination to (effective exports only).
    pub expanded_destination: Option<Vec<IpNet>>,
    /// Where the rule is written, when it comes from a template, a plan or Terraform code.
    pub origin: Option<Origin>,
}

impl Origin {
    /// Where a code reader (`azure::iac`) says this resource or rule is declared
    /// (`x-apim-probe-origin`: `file`, `address`, `line`), when it says.
    pub fn of(node: &super::json::Node) -> Result<Option<Origin>, crate::azure::InputError> {
        let Some(o) = node.get(super::json::ORIGIN_KEY) else {
            return Ok(None);
        };
        let line = match o.get("line") {
            Some(l) => Some(usize::try_from(l.u32()?).unwrap_or(usize::MAX)),
            None => None,
        };
        Ok(Some(Origin {
            file: o.field("file")?.str()?.to_owned(),
            address: o.field("address")?.str()?.to_owned(),
            line,
        }))
    }
}

/// Where a resource or rule is declared in code (a Terraform plan or `.tf` file, an ARM
/// template): the file, its address or name there, and the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The file, as given.
    pub file: String,
    /// The Terraform address (`module.network.azurerm_network_security_rule.apim_mgmt`) or the
    /// template's resource name (`Microsoft.Network/networkSecurityGroups/apim-nsg`).
    pub address: String,
    /// The 1-based line where it starts, when known.
    pub line: Option<usize>,
}

/// Where an NSG is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NsgLevel {
    /// On the subnet.
    Subnet,
    /// On the NIC of the VM (or the instance).
    Nic,
}

/// A network security group with its rules (user and default), in no particular order.
#[derive(Debug, Clone)]
pub struct Nsg {
    /// Its name.
    pub name: String,
    /// Its resource id, when the export has it.
    pub id: Option<String>,
    /// Where it is attached, when the export says so.
    pub level: Option<NsgLevel>,
    /// Every rule.
    pub rules: Vec<SecurityRule>,
    /// The file it came from.
    pub file: String,
    /// From an effective export (`list-effective-nsg`, the Network Watcher view).
    pub effective: bool,
    /// Subnet ids it is attached to, when the export lists them.
    pub subnets: Vec<String>,
    /// NIC ids it is attached to, when the export lists them.
    pub nics: Vec<String>,
    /// Where it is declared in code.
    pub origin: Option<Origin>,
}

/// Where a route sends traffic (serialised as Azure's spelling, `as_str`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextHopType {
    /// Within the VNet.
    VnetLocal,
    /// Out to the internet (Azure's edge).
    Internet,
    /// To a firewall or NVA at `next_hop_ip`.
    VirtualAppliance,
    /// To the VPN or ExpressRoute gateway.
    VirtualNetworkGateway,
    /// To a peered VNet.
    VNetPeering,
    /// Over a service endpoint.
    VirtualNetworkServiceEndpoint,
    /// Dropped.
    None,
    /// Anything else Azure may add, as written.
    Other(String),
}

impl NextHopType {
    /// Azure's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            NextHopType::VnetLocal => "VnetLocal",
            NextHopType::Internet => "Internet",
            NextHopType::VirtualAppliance => "VirtualAppliance",
            NextHopType::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHopType::VNetPeering => "VNetPeering",
            NextHopType::VirtualNetworkServiceEndpoint => "VirtualNetworkServiceEndpoint",
            NextHopType::None => "None",
            NextHopType::Other(s) => s,
        }
    }
}

impl Serialize for NextHopType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Who made a route; on equal prefixes User beats BGP beats Default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RouteSource {
    /// Azure's system routes.
    Default,
    /// Learnt over BGP from a gateway.
    Bgp,
    /// A user-defined route (route table).
    User,
}

/// What a route's address prefix is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteDestination {
    /// A CIDR.
    Prefix(IpNet),
    /// A service tag (UDRs may name one).
    Tag(String),
}

impl std::fmt::Display for RouteDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteDestination::Prefix(p) => write!(f, "{p}"),
            RouteDestination::Tag(t) => f.write_str(t),
        }
    }
}

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Its name (effective routes of the system have none).
    pub name: String,
    /// Its prefix or tag.
    pub destination: RouteDestination,
    /// Where it sends traffic.
    pub next_hop: NextHopType,
    /// The appliance's or gateway's address, when there is one.
    pub next_hop_ip: Option<String>,
    /// Who made it.
    pub source: RouteSource,
}

/// The routes of a route table or of an effective route export.
#[derive(Debug, Clone)]
pub struct RouteSet {
    /// The route table's name (or the NIC's, for effective routes).
    pub name: String,
    /// Its id, when the export has it.
    pub id: Option<String>,
    /// Every active route.
    pub routes: Vec<Route>,
    /// From `show-effective-route-table` (system routes included).
    pub effective: bool,
    /// The file it came from.
    pub file: String,
    /// Where it is declared in code.
    pub origin: Option<Origin>,
}

/// The subnet.
#[derive(Debug, Clone, Default)]
pub struct Subnet {
    /// Its name.
    pub name: String,
    /// Its id, when the export has it.
    pub id: Option<String>,
    /// Its address prefixes.
    pub prefixes: Vec<IpNet>,
    /// The id of its NSG, `None` when it has none.
    pub nsg_id: Option<String>,
    /// The id of its route table, `None` when it has none.
    pub route_table_id: Option<String>,
    /// Its service endpoints (`Microsoft.Storage` …).
    pub service_endpoints: Vec<String>,
    /// Services it is delegated to.
    pub delegations: Vec<String>,
    /// Its NAT gateway id.
    pub nat_gateway_id: Option<String>,
    /// The ids of the IP configurations in it (network interfaces, load balancers …).
    pub ip_configurations: Vec<String>,
    /// The ids of the private endpoints in it.
    pub private_endpoints: Vec<String>,
    /// Its service association links: the resource type each links (`Microsoft.Web/serverFarms`).
    pub service_links: Vec<String>,
    /// The file it came from.
    pub file: String,
    /// Where it is declared in code.
    pub origin: Option<Origin>,
}

/// One service tag of the service-tag file.
#[derive(Debug, Clone)]
pub struct ServiceTag {
    /// Its name (`Storage.WestEurope`).
    pub name: String,
    /// Its region (`westeurope`), empty for global tags.
    pub region: String,
    /// Its prefixes as listed.
    pub prefixes: Vec<IpNet>,
    /// The same as a set, for lookups.
    pub set: RangeSet,
}

/// The service-tag file.
#[derive(Debug, Clone, Default)]
pub struct ServiceTags {
    /// Its cloud (`Public`, `AzureGovernment` …).
    pub cloud: String,
    /// Its change number.
    pub change_number: u32,
    /// Every tag, in file order.
    pub tags: Vec<ServiceTag>,
    /// Lowercase name → index in `tags`.
    pub index: std::collections::HashMap<String, usize>,
    /// The file it came from.
    pub file: String,
}

impl ServiceTags {
    /// The tag of this name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&ServiceTag> {
        self.index
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.tags[i])
    }

    /// How many prefixes the file holds in all.
    pub fn prefix_count(&self) -> usize {
        self.tags.iter().map(|t| t.prefixes.len()).sum()
    }
}
