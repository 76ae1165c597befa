//! `evaluate` for the v2 tiers and workspace gateways: the subnet itself held to the page of the
//! profile (delegation, size, nothing else in it, an NSG), the profile's NSG rules, a delegated
//! subnet telling which profile it was prepared for, and the profile taken from the delegation
//! when `--tier` is not given. Fixtures: tests/fixtures/azure-network/profiles/ (one right
//! subnet per profile, one per way to get it wrong).

mod evaluate_support;

use evaluate_support::flow;
use serde_json::Value;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-network/profiles"
);

/// `evaluate -o json` in the profiles' folder: exit code and report.
fn json(args: &[&str]) -> (i32, Value) {
    let out = assert_cmd::Command::cargo_bin("apim-probe")
        .unwrap()
        .env("APIM_PROBE_NO_IMDS", "true")
        .current_dir(DIR)
        .args(["evaluate", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn finding<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}: {r:#}"))
}

const V2_INJECTION: &[&str] = &["--tier", "premiumv2", "--mode", "injection"];

#[test]
fn each_profile_done_right_passes() {
    for (args, subnet, nsg) in [
        (V2_INJECTION, "v2-injection.json", "nsg-v2-injection.json"),
        (
            &["--tier", "standardv2"][..],
            "v2-integration.json",
            "nsg-v2-injection.json",
        ),
        (
            &["--tier", "workspace", "--mode", "injection"][..],
            "workspace-injection.json",
            "nsg-workspace-injection.json",
        ),
    ] {
        let mut all = args.to_vec();
        all.extend([subnet, nsg]);
        let (code, r) = json(&all);
        assert_eq!(code, 0, "{subnet}: {r:#}");
        for f in r["findings"].as_array().unwrap() {
            assert_eq!(f["ok"], true, "{subnet}: {f:#}");
        }
        assert!(r["findings"].as_array().unwrap().len() >= 4, "{r:#}");
    }
}

#[test]
fn each_way_to_get_the_subnet_wrong_is_its_own_finding() {
    for (subnet, id, words) in [
        (
            "v2-injection-no-delegation.json",
            "subnet-delegation",
            "is not delegated: Premium v2 VNet injection needs it delegated to Microsoft.Web/hostingEnvironments",
        ),
        (
            "v2-injection-wrong-delegation.json",
            "subnet-delegation",
            "it is prepared for Standard v2 / Premium v2 VNet integration",
        ),
        (
            "v2-injection-28.json",
            "subnet-size",
            "a /28 is smaller than the /27 minimum",
        ),
        (
            "v2-injection-shared.json",
            "subnet-dedicated",
            "IP configuration of network interface jumpbox-nic",
        ),
        ("v2-injection-no-nsg.json", "subnet-nsg", "has no NSG"),
    ] {
        let mut all = V2_INJECTION.to_vec();
        all.extend([subnet, "nsg-v2-injection.json"]);
        let (code, r) = json(&all);
        assert_eq!(code, 1, "{subnet}: {r:#}");
        let f = finding(&r, id);
        assert_eq!(f["ok"], false, "{subnet}: {f:#}");
        let detail = f["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{subnet}: {detail}");
        // Only that finding fails.
        let failing: Vec<&Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ok"] == false)
            .collect();
        assert_eq!(failing.len(), 1, "{subnet}: {failing:#?}");
    }
}

#[test]
fn the_units_a_subnet_holds_follow_the_page() {
    // "/27: 32 addresses, 5 reserved, 2 for the instance, 1 internal load balancer": 13 units.
    let (_, r) = json(&[
        "--tier",
        "standardv2",
        "v2-integration.json",
        "nsg-v2-injection.json",
    ]);
    assert!(
        finding(&r, "subnet-size")["detail"]
            .as_str()
            .unwrap()
            .contains("is a /27 (/24 recommended"),
        "{r:#}"
    );
    let (_, r) = json(&[
        "--tier",
        "premiumv2",
        "--mode",
        "injection",
        "v2-injection.json",
    ]);
    assert!(
        finding(&r, "subnet-size")["detail"]
            .as_str()
            .unwrap()
            .contains("holds 30 units"),
        "{r:#}"
    );
}

#[test]
fn a_workspace_gateway_subnet_above_24_is_too_large() {
    let (code, r) = json(&[
        "--tier",
        "workspace",
        "--mode",
        "injection",
        "workspace-injection-23.json",
        "nsg-workspace-injection.json",
    ]);
    assert_eq!(code, 1);
    let f = finding(&r, "subnet-size");
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("a /23 is larger than the /24 maximum"),
        "{f:#}"
    );
}

#[test]
fn the_profiles_nsg_rules_are_evaluated() {
    let mut all = V2_INJECTION.to_vec();
    all.extend(["v2-injection.json", "nsg-v2-keyvault-blocked.json"]);
    let (code, r) = json(&all);
    assert_eq!(code, 1, "{r:#}");
    let kv = flow(&r, "key-vault", "443");
    assert_eq!(kv["verdict"], "denied");
    assert_eq!(kv["rule"]["name"], "DenyKeyVaultOut");
    assert_eq!(flow(&r, "storage", "443")["verdict"], "allowed");
    // No classic row in a v2 evaluation: no 3443, no 6390, no SQL.
    let ids: Vec<&str> = r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for classic in [
        "management-endpoint",
        "load-balancer",
        "sql",
        "azure-monitor",
    ] {
        assert!(!ids.contains(&classic), "{ids:?}");
    }
    // The workspace gateway's inbound health ping, denied by a catch-all.
    let (code, r) = json(&[
        "--tier",
        "workspace",
        "--mode",
        "injection",
        "workspace-injection.json",
        "nsg-workspace-no-health.json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(flow(&r, "gateway-health", "80")["verdict"], "denied");
}

#[test]
fn a_delegated_subnet_says_which_profile_it_was_prepared_for() {
    let (code, r) = json(&["--tier", "classic", "classic-delegated.json"]);
    assert_eq!(code, 1);
    let f = finding(&r, "subnet-delegation");
    let detail = f["detail"].as_str().unwrap();
    assert!(
        detail.contains("is delegated to Microsoft.Web/serverFarms: it is prepared for Standard v2 / Premium v2 VNet integration")
            && detail.contains("not the classic tiers' VNet injection, which needs no delegation"),
        "{detail}"
    );
    assert!(
        f["hint"]["command"]
            .as_str()
            .unwrap()
            .contains("--remove delegations")
    );
}

#[test]
fn without_tier_the_delegation_chooses_the_profile() {
    let (code, r) = json(&["v2-injection.json", "nsg-v2-injection.json"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["settings"]["profile"], "v2-injection");
    assert_eq!(r["settings"]["tier"], "premiumv2");
    assert_eq!(r["reference"]["edition"], "v2-injection-2025-10");
    let said = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("is delegated to Microsoft.Web/hostingEnvironments: checked against the requirements of Premium v2 VNet injection"));
    assert!(said, "{:#}", r["warnings"]);
    // An older edition of that page: no Storage rule yet.
    let (_, old) = json(&[
        "--reference",
        "v2-injection-2024-11",
        "v2-injection.json",
        "nsg-v2-injection.json",
    ]);
    assert!(
        old["flows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "storage"),
        "{old:#}"
    );
}
