//! Reading exported Azure network JSON: every input form is recognised and read into the same
//! rules, routes and subnet; every validation rule has a fixture whose error names the file,
//! the JSON path and what is wrong; the real US Government service-tag file parses.

use std::path::{Path, PathBuf};

use apim_probe::azure::network::model::{
    Access, AddressSpec, NextHopType, NsgLevel, PortRange, RouteDestination, RouteSource,
};
use apim_probe::azure::network::{InputKind, NetworkInputs};
use apim_probe::catalog::{model::Cloud, regions};
use test_case::test_case;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/azure-network")
        .join(name)
}

fn read(name: &str) -> NetworkInputs {
    let mut inputs = NetworkInputs::default();
    inputs
        .add_path(&fixture(name), None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    inputs
}

#[test_case("subnet.json", InputKind::Subnet; "subnet cli")]
#[test_case("subnet-ps.json", InputKind::Subnet; "subnet powershell")]
#[test_case("nsg-cli.json", InputKind::Nsg; "nsg cli flat")]
#[test_case("nsg-arm.json", InputKind::Nsg; "nsg arm nested")]
#[test_case("nsg-template.json", InputKind::ArmTemplate; "nsg in an arm template")]
#[test_case("effective-nsg.json", InputKind::EffectiveNsg; "effective nsg cli")]
#[test_case("effective-nsg-ps.json", InputKind::EffectiveNsg; "effective nsg powershell")]
#[test_case("security-group-view.json", InputKind::SecurityGroupView; "network watcher view")]
#[test_case("routes-forced.json", InputKind::RouteTable; "route table cli")]
#[test_case("routes-arm.json", InputKind::RouteTable; "route table arm")]
#[test_case("effective-routes.json", InputKind::EffectiveRoutes; "effective routes cli")]
#[test_case("effective-routes-ps.json", InputKind::EffectiveRoutes; "effective routes powershell")]
#[test_case("ServiceTags_AzureGovernment.json", InputKind::ServiceTags; "service tags")]
fn each_form_is_recognised(name: &str, kind: InputKind) {
    let inputs = read(name);
    assert_eq!(inputs.inputs.len(), 1);
    assert_eq!(inputs.inputs[0].kind, kind);
}

/// The NSG's rules as (direction, priority, name, access, destination, ports), sorted.
fn rules(inputs: &NetworkInputs, nsg: usize) -> Vec<String> {
    let mut v: Vec<String> = inputs.nsgs[nsg]
        .rules
        .iter()
        .map(|r| {
            let ports: Vec<String> = r
                .destination_ports
                .iter()
                .map(ToString::to_string)
                .collect();
            format!(
                "{:?} {} {} {:?} {:?} {}->{} {}",
                r.direction,
                r.priority,
                r.name,
                r.access,
                r.protocol,
                r.source,
                r.destination,
                ports.join(",")
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn flat_nested_template_and_effective_forms_give_the_same_rules() {
    let cli = rules(&read("nsg-cli.json"), 0);
    assert_eq!(cli.len(), 16, "10 user rules and 6 default rules: {cli:#?}");
    assert_eq!(
        rules(&read("nsg-arm.json"), 0),
        cli,
        "ARM form, defaults modelled"
    );
    assert_eq!(rules(&read("nsg-template.json"), 0), cli, "ARM template");
    assert_eq!(
        rules(&read("effective-nsg.json"), 0),
        cli,
        "effective (0-65535, All, x-x)"
    );
    let ps = read("effective-nsg-ps.json");
    assert_eq!(rules(&ps, 0), cli, "PowerShell PascalCase");
    assert_eq!(ps.nsgs[0].level, Some(NsgLevel::Subnet));
    assert_eq!(ps.nsgs[1].level, Some(NsgLevel::Nic));
    assert_eq!(ps.nsgs[1].name, "apim-vm-nic-nsg");
    // Old default names (`DefaultOutboundDenyAll`) are recognised by priority: none added twice.
    assert_eq!(ps.nsgs[1].rules.len(), 7);
}

#[test]
fn modelled_defaults_are_marked() {
    let arm = read("nsg-arm.json");
    let modelled: Vec<&str> = arm.nsgs[0]
        .rules
        .iter()
        .filter(|r| r.modelled)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(modelled.len(), 6);
    assert!(
        read("nsg-cli.json").nsgs[0]
            .rules
            .iter()
            .all(|r| !r.modelled)
    );
}

#[test]
fn rule_fields_are_read_by_meaning() {
    let inputs = read("nsg-broken.json");
    let rule = |name: &str| {
        inputs.nsgs[0]
            .rules
            .iter()
            .find(|r| r.name == name)
            .unwrap()
    };
    let asg = rule("AllowKeyVaultAsg");
    assert!(matches!(&asg.source, AddressSpec::Asg(ids) if ids[0].ends_with("/apim-asg")));
    let client = rule("AllowClientHttp");
    assert_eq!(
        client.destination_ports,
        vec![
            PortRange { from: 80, to: 80 },
            PortRange { from: 443, to: 443 }
        ]
    );
    assert_eq!(rule("DenyAllInboundCustom").access, Access::Deny);
    assert_eq!(
        rule("DenyAllInboundCustom").destination_ports,
        vec![PortRange::ANY]
    );
    assert_eq!(
        rule("AllowSqlNorthEurope").destination,
        AddressSpec::Tag("Sql.NorthEurope".into())
    );
}

#[test]
fn the_security_group_view_gives_the_subnet_nsg_only() {
    let inputs = read("security-group-view.json");
    assert_eq!(
        inputs.nsgs.len(),
        1,
        "no NIC NSG: its securityRules are null"
    );
    assert_eq!(inputs.nsgs[0].name, "apim-nsg");
    assert_eq!(inputs.nsgs[0].level, Some(NsgLevel::Subnet));
    assert_eq!(inputs.nsgs[0].rules.len(), 9 + 6);
}

#[test]
fn routes_in_every_form() {
    let table = read("routes-arm.json");
    let routes = &table.routes[0].routes;
    assert_eq!(routes.len(), 3);
    assert_eq!(
        routes[1].destination,
        RouteDestination::Tag("ApiManagement".into())
    );
    assert_eq!(routes[2].next_hop, NextHopType::None);
    assert!(routes.iter().all(|r| r.source == RouteSource::User));
    let cli = read("effective-routes.json");
    let ps = read("effective-routes-ps.json");
    assert_eq!(cli.routes[0].routes, ps.routes[0].routes);
    // The invalid (overridden) system default route is left out.
    assert_eq!(cli.routes[0].routes.len(), 4);
    let fw = cli.routes[0]
        .routes
        .iter()
        .find(|r| r.name == "default-to-fw")
        .unwrap();
    assert_eq!(fw.next_hop_ip.as_deref(), Some("10.0.0.4"));
}

#[test]
fn subnets_in_cli_and_powershell_form() {
    let cli = read("subnet.json").subnet.unwrap();
    let ps = read("subnet-ps.json").subnet.unwrap();
    for s in [&cli, &ps] {
        assert_eq!(s.name, "apim");
        assert_eq!(s.prefixes[0].to_string(), "10.1.0.0/24");
        assert!(s.nsg_id.as_deref().unwrap().ends_with("/apim-nsg"));
        assert_eq!(s.service_endpoints, vec!["Microsoft.Storage".to_owned()]);
    }
    assert!(read("subnet-no-nsg.json").subnet.unwrap().nsg_id.is_none());
}

#[test]
fn the_real_us_government_service_tag_file_parses() {
    let inputs = read("ServiceTags_AzureGovernment.json");
    let tags = inputs.service_tags.unwrap();
    assert_eq!(tags.cloud, "AzureGovernment");
    assert_eq!(tags.change_number, 398);
    assert_eq!(tags.tags.len(), 299);
    assert_eq!(tags.prefix_count(), 6529);
    let storage = tags.get("storage.usgovvirginia").unwrap();
    assert_eq!(storage.region, "usgovvirginia");
    assert!(!storage.prefixes.is_empty());
    // Every regional tag's region is one of the cloud's regions as the region table spells them.
    for t in tags.tags.iter().filter(|t| !t.region.is_empty()) {
        assert!(
            regions::tag_region(Cloud::Usgov, &t.region).is_some(),
            "{} is in region {}",
            t.name,
            t.region
        );
    }
    assert_eq!(
        regions::tag_region(Cloud::Usgov, "usgovvirginia"),
        Some("USGovVirginia")
    );
    assert!(tags.get("Storage.USGovVirginia").is_some());
}

#[test]
fn a_folder_reads_every_json_file_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["subnet.json", "nsg-cli.json", "routes-forced.json"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not read").unwrap();
    let mut inputs = NetworkInputs::default();
    inputs.add_path(dir.path(), None).unwrap();
    let kinds: Vec<InputKind> = inputs.inputs.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        vec![InputKind::Nsg, InputKind::RouteTable, InputKind::Subnet]
    );
}

#[test_case("not-json.json", "$", "not JSON"; "syntax")]
#[test_case("empty.json", "$", "the file is empty"; "empty")]
#[test_case("unknown-shape.json", "$", "cannot tell what this file is"; "shape")]
#[test_case("priority-not-a-number.json", "securityRules[3].priority", "expected a number, found \"high\""; "priority type")]
#[test_case("priority-out-of-range.json", "securityRules[0].priority", "priority 5000 is outside 100-4096"; "priority range")]
#[test_case("priority-twice.json", "securityRules[1].priority", "a second Inbound rule with priority 100"; "priority twice")]
#[test_case("access.json", "securityRules[2].access", "expected Allow or Deny, found \"Permit\""; "access")]
#[test_case("direction.json", "securityRules[2].direction", "expected Inbound or Outbound, found \"Both\""; "direction")]
#[test_case("protocol.json", "securityRules[2].protocol", "found \"Sctp\""; "protocol")]
#[test_case("port.json", "securityRules[1].destinationPortRange", "\"70000\" is not a port"; "port")]
#[test_case("port-range-backwards.json", "securityRules[1].destinationPortRange", "runs backwards"; "port range")]
#[test_case("effective-port.json", "value[0].effectiveSecurityRules[1].destinationPortRange", "\"3443-\" is not a port"; "effective port")]
#[test_case("address-prefix.json", "securityRules[6].destinationAddressPrefix", "\"20.60.0.300/24\" is not an IP address or CIDR prefix"; "prefix")]
#[test_case("tags-in-a-list.json", "securityRules[6].destinationAddressPrefixes[0]", "service tag \"Storage\" in a list"; "tags in a list")]
#[test_case("missing-access.json", "securityRules[4]", "missing field `access`"; "missing access")]
#[test_case("missing-source.json", "securityRules[4]", "missing field `sourceAddressPrefix`"; "missing source")]
#[test_case("route-next-hop.json", "routes[0].nextHopType", "found \"Virtual Appliance\""; "next hop")]
#[test_case("route-appliance-without-address.json", "routes[0]", "needs `nextHopIpAddress`"; "appliance address")]
#[test_case("route-prefix.json", "routes[0].addressPrefix", "\"0.0.0.0/33\" is not a CIDR prefix"; "route prefix")]
#[test_case("effective-route-source.json", "value[4].source", "found \"Magic\""; "route source")]
#[test_case("subnet-prefix.json", "addressPrefix", "\"10.1.0/24\" is not a CIDR prefix"; "subnet prefix")]
#[test_case("subnet-without-prefix.json", "$", "missing field `addressPrefix`"; "subnet without prefix")]
#[test_case("service-tag-prefix.json", "values[0].properties.addressPrefixes[1]", "expected a CIDR prefix, found \"20.61.0.0/40\""; "tag prefix")]
#[test_case("service-tag-without-properties.json", "values[0]", "missing field `properties`"; "tag properties")]
#[test_case("template-without-network.json", "$", "hold no NSG, route table or subnet"; "template")]
fn each_validation_rule_names_file_path_and_problem(name: &str, path: &str, message: &str) {
    let file = fixture(&format!("invalid/{name}"));
    let mut inputs = NetworkInputs::default();
    let err = inputs.add_path(&file, None).expect_err(name);
    assert_eq!(err.file, file.display().to_string());
    assert_eq!(err.path, path, "{err}");
    assert!(err.message.contains(message), "{err}");
}

#[test]
fn every_invalid_fixture_is_in_the_table() {
    let listed = include_str!("evaluate_inputs.rs");
    for entry in std::fs::read_dir(fixture("invalid")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            listed.contains(&format!("\"{name}\"")),
            "{name} has no row in the table"
        );
    }
}

#[test]
fn an_option_accepts_only_its_kind() {
    let mut inputs = NetworkInputs::default();
    let err = inputs
        .add_path(
            &fixture("routes-forced.json"),
            Some(("--nsg", &[InputKind::Nsg])),
        )
        .unwrap_err();
    assert_eq!(
        err.message,
        "--nsg expects an NSG, but this is a route table"
    );
}

#[test]
fn a_second_subnet_is_refused() {
    let mut inputs = NetworkInputs::default();
    inputs.add_path(&fixture("subnet.json"), None).unwrap();
    let err = inputs
        .add_path(&fixture("subnet-ps.json"), None)
        .unwrap_err();
    assert!(err.message.contains("a second subnet"), "{err}");
}
