//! The v2 tiers in the network lab: `check --tier premiumv2 --mode injection` against real
//! servers. The lab's DNS (dnsmasq, playing the VNet's private DNS zone) maps the gateway's
//! hostname to a lab address where nginx answers TLS for that name; Key Vault and Storage answer
//! too. The VNet's range is given with `--vnet-range` (the lab lives in 198.18.0.0/15, not in
//! RFC 1918): the gateway resolves inside it and every row passes. Without it, the same answer
//! is "outside the VNet": the gateway row fails as a DNS problem naming the address and the
//! private DNS zone to add, never an NSG. And no classic row (3443, 6390, SQL) is probed.
//!
//! Needs root and the lab's packages; without them it prints `LAB SKIPPED: …` and passes, except
//! under `CI=true`, where it fails.

mod common;

use common::lab;

use lab::{CatalogLab, Proto, Verdict, failed, result};

const V2_INJECTION: &[&str] = &["--tier", "premiumv2", "--mode", "injection"];

/// The lab's service ranges, playing the VNet's address space (dual stack).
const VNET: [&str; 4] = [
    "--vnet-range",
    "198.19.0.0/16",
    "--vnet-range",
    "2001:2::/48",
];

#[test]
fn premium_v2_injection_against_a_private_gateway_hostname() {
    let Some(c) = CatalogLab::start_profile(V2_INJECTION) else {
        return;
    };
    let ids: Vec<&str> = c.probed.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for classic in [
        "management-endpoint",
        "load-balancer",
        "sql",
        "azure-monitor",
        "ntp",
    ] {
        assert!(!ids.contains(&classic), "{classic} in a v2 plan: {ids:?}");
    }
    let gw = c.host_of("gateway-private");
    assert_eq!(gw, "labgw.azure-api.net");

    // The VNet is the lab's service ranges: the gateway resolves inside, answers for its name.
    let mut args = V2_INJECTION.to_vec();
    args.extend(VNET);
    let run = c.check(&args);
    assert_eq!(run.code, 0, "{:#?}", failed(&run.report));
    let r = &run.report;
    assert_eq!(r["settings"]["profile"], "v2-injection");
    assert_eq!(r["reference"]["edition"], "v2-injection-2025-10");
    let row = result(r, "gateway-private");
    assert_eq!(row["status"], "ok", "{row:#}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .starts_with("labgw.azure-api.net resolves to 198.19."),
        "{row:#}"
    );
    for id in ["key-vault", "storage"] {
        assert_eq!(result(r, id)["status"], "ok", "{id}");
    }

    // Without the VNet's range the same answer is a public address: a DNS problem, not an NSG.
    let run = c.check(V2_INJECTION);
    assert_eq!(run.code, 1);
    let bad = failed(&run.report);
    assert_eq!(bad.len(), 1, "{bad:#?}");
    let row = bad[0];
    assert_eq!(row["id"], "gateway-private");
    assert_eq!(row["status"], "dns_failed");
    assert_eq!(row["facts"]["dns"]["failure"], "public_answer");
    let hint = row["hint"].as_str().unwrap();
    assert!(
        hint.contains("private DNS zone") && !hint.contains("NSG rule"),
        "{hint}"
    );
    let detail = row["detail"].as_str().unwrap();
    assert!(
        detail.contains("outside the VNet's address ranges"),
        "{detail}"
    );

    // Key Vault dropped by the NSG: its row fails, required, and names the tag.
    c.lab.block_service(
        Verdict::Drop,
        &c.by_host[&c.host_of("key-vault")],
        Proto::Tcp,
        Some(443),
    );
    let mut args = V2_INJECTION.to_vec();
    args.extend(VNET);
    let run = c.check(&args);
    assert_eq!(run.code, 1);
    let kv = result(&run.report, "key-vault");
    assert_eq!(kv["status"], "timeout", "{kv:#}");
    assert_eq!(kv["required"], true);
    assert!(
        kv["hint"].as_str().unwrap().contains("AzureKeyVault"),
        "{kv:#}"
    );
}
