//! What `check` and the diagnosis will call: flows from a plan, one evaluation, then per probed
//! row the verdict and the one-line explanation, the blocking rule per service tag, and the
//! default route's next hop.

use std::collections::BTreeMap;
use std::path::Path;

use apim_probe::azure::network::NetworkInputs;
use apim_probe::azure::network::model::NextHopType;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, Transport, VnetMode};
use apim_probe::catalog::plan::{self, Scope};
use apim_probe::evaluate::{EvalSettings, Evaluation, Verdict, evaluate, flows};

fn evaluation(files: &[&str]) -> Evaluation {
    let catalog = load::embedded().unwrap();
    let scope = Scope {
        platform: Platform::Stv2,
        vnet: VnetMode::External,
        cloud: Cloud::Public,
        values: BTreeMap::from([("region".to_owned(), "westeurope".to_owned())]),
        dns_servers: Vec::new(),
        only: Vec::new(),
        skip: Vec::new(),
        peers: Vec::new(),
    };
    let plan = plan::build(&catalog, &scope).unwrap();
    let mut inputs = NetworkInputs::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure-network");
    for f in files {
        inputs.add_path(&dir.join(f), None).unwrap();
    }
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::External,
        Cloud::Public,
        Some("westeurope".into()),
        Vec::new(),
    );
    evaluate(&flows::from_plan(&plan), &inputs, &settings)
}

#[test]
fn a_failed_probe_gets_the_rule_that_explains_it() {
    let e = evaluation(&["subnet.json", "nsg-broken.json", "routes-forced.json"]);
    assert_eq!(
        e.explain("storage", Some(443), Transport::Tcp).unwrap(),
        "dropped: NSG apim-nsg rule DenyStorageOut (200) denies TCP 443 to Storage"
    );
    // A skipped inbound row gets the evaluated verdict instead of only "not probed".
    let inbound = e
        .explain("management-endpoint", Some(3443), Transport::Tcp)
        .unwrap();
    assert_eq!(
        inbound,
        "dropped: NSG apim-nsg rule DenyAllInboundCustom (200) denies TCP 3443 from ApiManagement"
    );
    let optional = e.explain("key-vault", Some(443), Transport::Tcp).unwrap();
    assert!(
        optional.starts_with("evaluated unknown: NSG apim-nsg rule AllowKeyVaultAsg (220)"),
        "{optional}"
    );
    // A port inside a row's range finds the row's flow.
    let redis = e
        .flow("redis-internal", Some(6382), Transport::Tcp)
        .unwrap();
    assert_eq!(redis.verdict, Verdict::Denied);
    assert!(e.flow("storage", Some(443), Transport::Udp).is_none());
}

#[test]
fn blocking_rule_per_tag_and_the_default_route() {
    let e = evaluation(&["subnet.json", "nsg-broken.json", "routes-forced.json"]);
    assert_eq!(e.blocking_rule("Storage").unwrap().name, "DenyStorageOut");
    assert_eq!(
        e.blocking_rule("ApiManagement").unwrap().name,
        "DenyAllInboundCustom"
    );
    assert!(e.blocking_rule("AzureMonitor").is_none());
    let hop = e.default_route.as_ref().unwrap();
    assert_eq!(hop.kind, NextHopType::VirtualAppliance);
    assert_eq!(hop.address.as_deref(), Some("10.0.0.4"));
    assert!(!e.passes(false));
    let good = evaluation(&["subnet.json", "nsg-cli.json"]);
    assert!(good.passes(false) && good.passes(true));
    assert!(good.default_route.is_none(), "no routes given");
}
