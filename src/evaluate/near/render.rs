//! The corrected rule written the way the input writes rules: a Terraform block for a rule from
//! a plan or `.tf` file (standalone `azurerm_network_security_rule` or an inline
//! `security_rule {}` of the NSG), a `securityRules` element for an ARM template, and an
//! `az network nsg rule update` of the one field for an export of a deployed NSG.

use std::fmt::Write as _;

use super::model::{Field, FixedRule, Language, Suggestion};
use crate::azure::network::model::{Origin, RuleDirection};
use crate::evaluate::hint::resource_group;

/// The correction in the language of the rule's origin (no origin: the rule is deployed, and
/// `nsg_id` names its resource group).
pub fn render(fixed: &FixedRule, origin: Option<&Origin>, nsg_id: Option<&str>) -> Suggestion {
    let language = match origin {
        Some(o) if o.address.contains("azurerm_") => Language::Terraform,
        Some(_) => Language::Arm,
        None => Language::Az,
    };
    let text = match (language, origin) {
        (Language::Terraform, Some(o)) => terraform(fixed, o),
        (Language::Arm, Some(o)) => arm(fixed, o),
        _ => az(fixed, nsg_id),
    };
    Suggestion { language, text }
}

/// `"Inbound"`.
fn direction(d: RuleDirection) -> &'static str {
    match d {
        RuleDirection::Inbound => "Inbound",
        RuleDirection::Outbound => "Outbound",
    }
}

/// Where the rule is, as a comment's words: `module.net.azurerm_…mgmt (main.tf:42)`.
fn place(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{} ({}:{l})", o.address, o.file),
        None => format!("{} ({})", o.address, o.file),
    }
}

/// One string or a list, the way Terraform and ARM pair `x` with `xs`.
fn one_or_many(values: &[String], quote: impl Fn(&str) -> String) -> (bool, String) {
    match values {
        [one] => (false, quote(one)),
        many => {
            let items: Vec<String> = many.iter().map(|v| quote(v)).collect();
            (true, format!("[{}]", items.join(", ")))
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The address and port fields of a rule: (Terraform singular, plural, ARM singular, plural).
const LISTS: [(&str, &str, &str, &str); 4] = [
    (
        "source_port_range",
        "source_port_ranges",
        "sourcePortRange",
        "sourcePortRanges",
    ),
    (
        "destination_port_range",
        "destination_port_ranges",
        "destinationPortRange",
        "destinationPortRanges",
    ),
    (
        "source_address_prefix",
        "source_address_prefixes",
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
    ),
    (
        "destination_address_prefix",
        "destination_address_prefixes",
        "destinationAddressPrefix",
        "destinationAddressPrefixes",
    ),
];

/// The values of the `LISTS` fields, in that order.
fn lists(f: &FixedRule) -> [&[String]; 4] {
    [&f.source_ports, &f.ports, &f.source, &f.destination]
}

/// The rule as Terraform's azurerm provider writes it.
fn terraform(f: &FixedRule, o: &Origin) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("name", json_str(&f.name)),
        ("priority", f.priority.to_string()),
        ("direction", json_str(direction(f.direction))),
        ("access", json_str("Allow")),
        ("protocol", json_str(&f.protocol)),
    ];
    for ((one, many, _, _), values) in LISTS.iter().zip(lists(f)) {
        let (plural, v) = one_or_many(values, json_str);
        fields.push((if plural { many } else { one }, v));
    }
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let standalone = o.address.contains("azurerm_network_security_rule");
    let mut s = format!("# {}: {}\n", place(o), terraform_field(f.changed));
    if standalone {
        // The resource's own label, without a module path or a count/for_each index.
        let label = o.address.rsplit('.').next().unwrap_or("rule");
        let label = label.split('[').next().unwrap_or(label);
        let _ = writeln!(
            s,
            "resource \"azurerm_network_security_rule\" \"{label}\" {{"
        );
    } else {
        s.push_str("security_rule {\n");
    }
    for (k, v) in &fields {
        let _ = writeln!(s, "  {k:<width$} = {v}");
    }
    if standalone {
        s.push_str("  # resource_group_name and network_security_group_name as they are\n");
    }
    s.push('}');
    s
}

/// The attribute a Terraform author edits.
fn terraform_field(f: Field) -> &'static str {
    match f {
        Field::Priority => "priority",
        Field::Direction => "direction",
        Field::Protocol => "protocol",
        Field::Source => "source_address_prefix",
        Field::Destination => "destination_address_prefix",
        Field::Ports => "destination_port_range",
    }
}

/// The rule as an element of an ARM template's `securityRules`.
fn arm(f: &FixedRule, o: &Origin) -> String {
    let mut props = vec![
        format!("\"priority\": {}", f.priority),
        format!("\"direction\": {}", json_str(direction(f.direction))),
        "\"access\": \"Allow\"".to_owned(),
        format!("\"protocol\": {}", json_str(&f.protocol)),
    ];
    for ((_, _, one, many), values) in LISTS.iter().zip(lists(f)) {
        let (plural, v) = one_or_many(values, json_str);
        props.push(format!("\"{}\": {v}", if plural { many } else { one }));
    }
    format!(
        "// {}: {}\n{{\n  \"name\": {},\n  \"properties\": {{\n    {}\n  }}\n}}",
        place(o),
        arm_field(f.changed),
        json_str(&f.name),
        props.join(",\n    ")
    )
}

/// The property an ARM author edits.
fn arm_field(f: Field) -> &'static str {
    match f {
        Field::Priority => "priority",
        Field::Direction => "direction",
        Field::Protocol => "protocol",
        Field::Source => "sourceAddressPrefix",
        Field::Destination => "destinationAddressPrefix",
        Field::Ports => "destinationPortRange",
    }
}

/// The one `az` command that changes the field on the deployed rule.
fn az(f: &FixedRule, nsg_id: Option<&str>) -> String {
    let words = |v: &[String]| {
        v.iter()
            .map(|x| {
                if x == "*" {
                    "'*'".to_owned()
                } else {
                    x.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let change = match f.changed {
        Field::Priority => format!("--priority {}", f.priority),
        Field::Direction => format!("--direction {}", direction(f.direction)),
        Field::Protocol => format!("--protocol {}", words(std::slice::from_ref(&f.protocol))),
        Field::Source => format!("--source-address-prefixes {}", words(&f.source)),
        Field::Destination => format!("--destination-address-prefixes {}", words(&f.destination)),
        Field::Ports => format!("--destination-port-ranges {}", words(&f.ports)),
    };
    format!(
        "az network nsg rule update --resource-group {} --nsg-name {} --name {} {change}",
        resource_group(nsg_id),
        f.nsg,
        f.name
    )
}

/// A new rule (a fix hint's) written in the code that declares its NSG: in Terraform a
/// `security_rule` block when the NSG's rules are inline (azurerm does not let both kinds manage
/// one NSG), else a standalone `azurerm_network_security_rule`; in ARM an element of the NSG's
/// `securityRules`.
pub fn added(rule: &FixedRule, nsg: &Origin, inline: bool) -> Suggestion {
    if !nsg.address.contains("azurerm_") {
        let text = arm(rule, nsg);
        let text = text.replacen(
            &format!("// {}: {}", place(nsg), arm_field(rule.changed)),
            &format!("// add to the securityRules of {}", place(nsg)),
            1,
        );
        return Suggestion {
            language: Language::Arm,
            text,
        };
    }
    let text = terraform(rule, nsg);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if inline {
        lines[0] = format!("# add inside {}", place(nsg));
    } else {
        // The resource's label from the rule's name; the NSG by reference, where it is declared.
        let label = snake(&rule.name);
        let nsg_ref = nsg.address.split('[').next().unwrap_or(&nsg.address);
        lines[0] = format!("# add beside {}", place(nsg));
        lines.insert(
            1,
            format!("resource \"azurerm_network_security_rule\" \"{label}\" {{"),
        );
        lines.remove(2);
        let last = lines.len() - 1;
        lines.insert(
            last,
            format!("  network_security_group_name = {nsg_ref}.name\n  resource_group_name         = {nsg_ref}.resource_group_name"),
        );
    }
    Suggestion {
        language: Language::Terraform,
        text: lines.join("\n"),
    }
}

/// `AllowStorage443Outbound` → `allow_storage_443_outbound`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let starts_word = c.is_ascii_uppercase() || (c.is_ascii_digit() && prev_lower);
        if starts_word && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase();
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(changed: Field) -> FixedRule {
        FixedRule {
            nsg: "apim-nsg".into(),
            name: "AllowManagement".into(),
            priority: 110,
            direction: RuleDirection::Inbound,
            protocol: "Tcp".into(),
            source: vec!["ApiManagement".into()],
            destination: vec!["VirtualNetwork".into()],
            source_ports: vec!["*".into()],
            ports: vec!["3443".into()],
            changed,
        }
    }

    fn origin(address: &str) -> Origin {
        Origin {
            file: "plan.json".into(),
            address: address.into(),
            line: Some(120),
        }
    }

    #[test]
    fn a_standalone_terraform_rule() {
        let o = origin("module.net.azurerm_network_security_rule.mgmt[0]");
        let s = render(&fixed(Field::Ports), Some(&o), None);
        assert_eq!(s.language, Language::Terraform);
        assert_eq!(
            s.text,
            r#"# module.net.azurerm_network_security_rule.mgmt[0] (plan.json:120): destination_port_range
resource "azurerm_network_security_rule" "mgmt" {
  name                       = "AllowManagement"
  priority                   = 110
  direction                  = "Inbound"
  access                     = "Allow"
  protocol                   = "Tcp"
  source_port_range          = "*"
  destination_port_range     = "3443"
  source_address_prefix      = "ApiManagement"
  destination_address_prefix = "VirtualNetwork"
  # resource_group_name and network_security_group_name as they are
}"#
        );
    }

    #[test]
    fn an_inline_terraform_rule_with_lists() {
        let mut f = fixed(Field::Ports);
        f.ports = vec!["443".into(), "3443".into()];
        let o = origin("azurerm_network_security_group.apim");
        let s = render(&f, Some(&o), None);
        assert!(s.text.starts_with(
            "# azurerm_network_security_group.apim (plan.json:120): destination_port_range\nsecurity_rule {\n"
        ));
        assert!(
            s.text
                .contains("  destination_port_ranges    = [\"443\", \"3443\"]\n"),
            "{}",
            s.text
        );
    }

    #[test]
    fn an_arm_element() {
        let o = origin("Microsoft.Network/networkSecurityGroups/apim-nsg");
        let s = render(&fixed(Field::Source), Some(&o), None);
        assert_eq!(s.language, Language::Arm);
        let json: String = s.text.lines().skip(1).collect::<Vec<_>>().join("\n");
        let v: serde_json::Value = serde_json::from_str(&json).expect("the element is JSON");
        assert_eq!(v["properties"]["sourceAddressPrefix"], "ApiManagement");
        assert_eq!(v["properties"]["priority"], 110);
        assert!(s.text.starts_with("// Microsoft.Network/networkSecurityGroups/apim-nsg (plan.json:120): sourceAddressPrefix\n"));
    }

    #[test]
    fn a_deployed_rule_gets_one_az_update() {
        let s = render(&fixed(Field::Ports), None, None);
        assert_eq!(s.language, Language::Az);
        assert_eq!(
            s.text,
            "az network nsg rule update --resource-group \"$RG\" --nsg-name apim-nsg --name AllowManagement --destination-port-ranges 3443"
        );
    }

    #[test]
    fn a_new_rule_beside_an_nsg_without_inline_rules() {
        let mut f = fixed(Field::Ports);
        f.name = "AllowStorage443Outbound".into();
        let o = origin("module.net.azurerm_network_security_group.apim[0]");
        let s = added(&f, &o, false);
        assert_eq!(s.language, Language::Terraform);
        assert_eq!(
            s.text,
            r#"# add beside module.net.azurerm_network_security_group.apim[0] (plan.json:120)
resource "azurerm_network_security_rule" "allow_storage_443_outbound" {
  name                       = "AllowStorage443Outbound"
  priority                   = 110
  direction                  = "Inbound"
  access                     = "Allow"
  protocol                   = "Tcp"
  source_port_range          = "*"
  destination_port_range     = "3443"
  source_address_prefix      = "ApiManagement"
  destination_address_prefix = "VirtualNetwork"
  network_security_group_name = module.net.azurerm_network_security_group.apim.name
  resource_group_name         = module.net.azurerm_network_security_group.apim.resource_group_name
}"#
        );
    }

    #[test]
    fn a_new_rule_inside_an_nsg_with_inline_rules_and_in_arm() {
        let o = origin("azurerm_network_security_group.apim");
        let s = added(&fixed(Field::Ports), &o, true);
        assert!(s.text.starts_with(
            "# add inside azurerm_network_security_group.apim (plan.json:120)\nsecurity_rule {\n"
        ));
        let o = origin("Microsoft.Network/networkSecurityGroups/apim-nsg");
        let s = added(&fixed(Field::Ports), &o, false);
        assert_eq!(s.language, Language::Arm);
        assert!(s.text.starts_with("// add to the securityRules of Microsoft.Network/networkSecurityGroups/apim-nsg (plan.json:120)\n{"));
    }
}
