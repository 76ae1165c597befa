//! What `check` and the diagnosis will call: flows from a plan, one evaluation, then per probed
//! row the verdict and the one-line explanation, the blocking rule per service tag, and the
//! default route's next hop.

mod evaluate_support;

use std::path::{Path, PathBuf};

use apim_probe::azure::network::model::NextHopType;
use apim_probe::catalog::model::Transport;
use apim_probe::evaluate::{Evaluation, Verdict};
use evaluate_support::evaluation_of;

fn evaluation(files: &[&str]) -> Evaluation {
    let dir = Path::new(evaluate_support::DIR);
    let paths: Vec<_> = files.iter().map(|f| dir.join(f)).collect();
    evaluation_of(&paths.iter().map(PathBuf::as_path).collect::<Vec<_>>())
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
