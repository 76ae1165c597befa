//! What to change, as data: an NSG rule, a route, a firewall application rule, a TLS-inspection or
//! proxy bypass, the DNS, the clock. Each knows its paste-ready form — the `az` command (and the
//! PowerShell equivalent) where Azure has one — and a key, so that a report lists one fix per
//! distinct change, however many rows need it.
//!
//! Values the run cannot know (the NSG's resource group and name, a free priority) are shell
//! variables — `"$RG"`, `"$NSG"`, `"$PRIORITY"` — set once before pasting; they are concrete when
//! `--nsg` exports told them.

use serde::{Deserialize, Serialize};

/// One change that fixes one or more rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// An NSG rule to add.
    NsgRule {
        /// The rule's name (`AllowStorage443Out`).
        name: String,
        /// `Outbound` or `Inbound`.
        direction: String,
        /// `Tcp`, `Udp` or `*`.
        protocol: String,
        /// Source prefix or service tag.
        source: String,
        /// Destination prefix or service tag (regional when the region is known).
        destination: String,
        /// Destination ports (`443`, `6381-6383`), space-separated when several.
        ports: String,
        /// The NSG, when an export named it.
        nsg: Option<String>,
        /// Its resource group, when an export named it.
        resource_group: Option<String>,
        /// A free priority below the blocking rule, when an export told it.
        priority: Option<u32>,
    },
    /// A route to add to the subnet's route table.
    Route {
        /// The route's name.
        name: String,
        /// The address prefix (a service tag, e.g. `ApiManagement`).
        prefix: String,
        /// The next hop type (`Internet`).
        next_hop: String,
    },
    /// An application rule on the firewall that denies (or holds) HTTP(S) to a host.
    FirewallAppRule {
        /// The FQDN.
        fqdn: String,
        /// `Https:443`, `Http:80`.
        protocol: String,
    },
    /// A host to exempt from TLS inspection.
    TlsBypass {
        /// The FQDN.
        fqdn: String,
    },
    /// A host to let through without the proxy.
    ProxyBypass {
        /// The FQDN.
        fqdn: String,
    },
    /// The DNS must resolve Azure's names (forwarding to 168.63.129.16, private zones).
    Dns {
        /// The servers asked.
        servers: Vec<String>,
    },
    /// This machine's clock.
    Clock,
}

/// A shell word: as is when it is plain, else single-quoted.
fn word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@,".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A known value as a shell word, or the variable that stands for it.
fn or_var(value: Option<&str>, var: &str) -> String {
    value.map_or_else(|| format!("\"${var}\""), word)
}

impl Fix {
    /// The outbound rule that allows `protocol` (`Tcp`/`Udp`) `port` to service tag `tag` (its
    /// regional form when the reference allows one and the region is known), named
    /// `Allow<Tag><port>Out`. `None` for `port`: any port.
    pub fn allow_out(
        tag: &str,
        port: Option<u16>,
        protocol: &str,
        cloud: crate::catalog::model::Cloud,
        region: Option<&str>,
    ) -> Fix {
        use crate::catalog::regions;
        let destination = region
            .filter(|_| regions::REGIONAL_TAGS.contains(&tag))
            .and_then(|r| regions::regional_tag(cloud, tag, r))
            .unwrap_or_else(|| tag.to_owned());
        let ports = port.map_or("*".to_owned(), |p| p.to_string());
        let named: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
        Fix::NsgRule {
            name: format!("Allow{named}{}Out", ports.replace('*', "Any")),
            direction: "Outbound".into(),
            protocol: protocol.into(),
            source: "VirtualNetwork".into(),
            destination,
            ports,
            nsg: None,
            resource_group: None,
            priority: None,
        }
    }

    /// What makes two rows need the same change.
    pub fn key(&self) -> String {
        match self {
            Fix::NsgRule {
                direction,
                protocol,
                source,
                destination,
                ports,
                ..
            } => format!("nsg {direction} {protocol} {source} {destination} {ports}"),
            Fix::Route { prefix, .. } => format!("route {prefix}"),
            Fix::FirewallAppRule { fqdn, protocol } => format!("app {protocol} {fqdn}"),
            Fix::TlsBypass { fqdn } => format!("tls {fqdn}"),
            Fix::ProxyBypass { fqdn } => format!("proxy {fqdn}"),
            Fix::Dns { servers } => format!("dns {}", servers.join(",")),
            Fix::Clock => "clock".to_owned(),
        }
    }

    /// The shell variables the command needs set first (those no export told).
    pub fn variables(&self) -> Vec<&'static str> {
        match self {
            Fix::NsgRule {
                nsg,
                resource_group,
                priority,
                ..
            } => {
                let mut v = Vec::new();
                if resource_group.is_none() {
                    v.push("RG");
                }
                if nsg.is_none() {
                    v.push("NSG");
                }
                if priority.is_none() {
                    v.push("PRIORITY");
                }
                v
            }
            Fix::Route { .. } => vec!["RG", "ROUTE_TABLE"],
            _ => Vec::new(),
        }
    }

    /// The Azure CLI command that makes the change, where there is one.
    pub fn az(&self) -> Option<String> {
        match self {
            Fix::NsgRule {
                name,
                direction,
                protocol,
                source,
                destination,
                ports,
                nsg,
                resource_group,
                priority,
            } => Some(format!(
                "az network nsg rule create --resource-group {} --nsg-name {} --name {} --priority {} --direction {direction} --access Allow --protocol {} --source-address-prefixes {} --source-port-ranges '*' --destination-address-prefixes {} --destination-port-ranges {}",
                or_var(resource_group.as_deref(), "RG"),
                or_var(nsg.as_deref(), "NSG"),
                word(name),
                priority.map_or_else(|| "\"$PRIORITY\"".to_owned(), |p| p.to_string()),
                word(protocol),
                word(source),
                word(destination),
                ports.split(' ').map(word).collect::<Vec<_>>().join(" ")
            )),
            Fix::Route {
                name,
                prefix,
                next_hop,
            } => Some(format!(
                "az network route-table route create --resource-group \"$RG\" --route-table-name \"$ROUTE_TABLE\" --name {} --address-prefix {} --next-hop-type {}",
                word(name),
                word(prefix),
                word(next_hop)
            )),
            _ => None,
        }
    }

    /// The Azure PowerShell equivalent, where there is one.
    pub fn powershell(&self) -> Option<String> {
        match self {
            Fix::NsgRule {
                name,
                direction,
                protocol,
                source,
                destination,
                ports,
                nsg,
                resource_group,
                priority,
            } => Some(format!(
                "Get-AzNetworkSecurityGroup -ResourceGroupName {} -Name {} | Add-AzNetworkSecurityRuleConfig -Name {name} -Priority {} -Direction {direction} -Access Allow -Protocol {protocol} -SourceAddressPrefix {source} -SourcePortRange '*' -DestinationAddressPrefix {destination} -DestinationPortRange {} | Set-AzNetworkSecurityGroup",
                resource_group
                    .as_deref()
                    .map_or("$RG".to_owned(), |g| format!("'{g}'")),
                nsg.as_deref()
                    .map_or("$NSG".to_owned(), |n| format!("'{n}'")),
                priority.map_or_else(|| "$PRIORITY".to_owned(), |p| p.to_string()),
                ports.replace(' ', ",")
            )),
            Fix::Route {
                name,
                prefix,
                next_hop,
            } => Some(format!(
                "Get-AzRouteTable -ResourceGroupName $RG -Name $ROUTE_TABLE | Add-AzRouteConfig -Name {name} -AddressPrefix {prefix} -NextHopType {next_hop} | Set-AzRouteTable"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(nsg: Option<&str>) -> Fix {
        Fix::NsgRule {
            name: "AllowStorage443Out".into(),
            direction: "Outbound".into(),
            protocol: "Tcp".into(),
            source: "VirtualNetwork".into(),
            destination: "Storage.WestEurope".into(),
            ports: "443".into(),
            nsg: nsg.map(str::to_owned),
            resource_group: nsg.map(|_| "rg-apim".to_owned()),
            priority: nsg.map(|_| 190),
        }
    }

    #[test]
    fn an_nsg_rule_is_an_az_command_with_variables_for_what_is_unknown() {
        let az = rule(None).az().unwrap();
        assert!(az.starts_with("az network nsg rule create --resource-group \"$RG\" --nsg-name \"$NSG\" --name AllowStorage443Out --priority \"$PRIORITY\""), "{az}");
        assert!(
            az.ends_with(
                "--destination-address-prefixes Storage.WestEurope --destination-port-ranges 443"
            ),
            "{az}"
        );
        assert_eq!(rule(None).variables(), ["RG", "NSG", "PRIORITY"]);
        let known = rule(Some("apim-nsg")).az().unwrap();
        assert!(
            known.contains("--resource-group rg-apim --nsg-name apim-nsg"),
            "{known}"
        );
        assert!(known.contains("--priority 190"), "{known}");
        assert!(rule(Some("apim-nsg")).variables().is_empty());
        let ps = rule(None).powershell().unwrap();
        assert!(
            ps.contains("-DestinationAddressPrefix Storage.WestEurope -DestinationPortRange 443"),
            "{ps}"
        );
    }

    #[test]
    fn odd_values_are_quoted_for_the_shell() {
        assert_eq!(word("a b"), "'a b'");
        assert_eq!(word("it's"), "'it'\\''s'");
        assert_eq!(word("10.0.0.0/24"), "10.0.0.0/24");
    }

    #[test]
    fn one_key_per_distinct_change() {
        let mut a = rule(None);
        assert_eq!(
            a.key(),
            rule(Some("x")).key(),
            "the NSG's name is not the change"
        );
        if let Fix::NsgRule { ports, .. } = &mut a {
            *ports = "1886".into();
        }
        assert_ne!(a.key(), rule(None).key());
    }
}
