//! The catalog against the reference (every row and FQDN present in `list -o json` for the right
//! platform and cloud), and one invalid fixture per validation rule with its exact location.

mod common;

use common::support;

use serde::Deserialize;
use serde_json::Value;
use support::bin;
use test_case::test_case;

const SETS: &[&str] = &[
    "--set",
    "sql_server=sql1",
    "--set",
    "storage_account=st1",
    "--set",
    "key_vault=kv1",
    "--set",
    "event_hub_namespace=eh1",
    "--region",
    "westeurope",
    "--dns-server",
    "127.0.0.1",
];

fn plan(extra: &[&str]) -> Vec<Value> {
    let out = bin()
        .args(["list", "-o", "json"])
        .args(SETS)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["probes"].as_array().unwrap().clone()
}

#[derive(Deserialize)]
struct Reference {
    row: Vec<Row>,
    fqdn: Vec<Fqdn>,
}

#[derive(Deserialize)]
struct Row {
    platforms: Vec<String>,
    direction: String,
    ports: Vec<u16>,
    transport: String,
    tag: String,
    required: bool,
    #[serde(default)]
    external_only: bool,
}

#[derive(Deserialize)]
struct Fqdn {
    section: String,
    clouds: Vec<String>,
    hosts: Vec<String>,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    transports: Vec<String>,
    #[serde(default)]
    tag: Option<String>,
}

fn reference() -> Reference {
    toml::from_str(&std::fs::read_to_string("tests/fixtures/reference.toml").unwrap()).unwrap()
}

#[test]
fn every_table_row_is_in_the_plan_of_its_platform() {
    for r in reference().row {
        for platform in &r.platforms {
            for vnet in ["external", "internal"] {
                let probes = plan(&["--platform", platform, "--vnet", vnet]);
                let ports: Vec<Option<u16>> = if r.ports.is_empty() {
                    vec![None]
                } else {
                    r.ports.iter().copied().map(Some).collect()
                };
                for port in ports {
                    let found = probes.iter().any(|p| {
                        p["direction"] == r.direction.as_str()
                            && p["transport"] == r.transport.as_str()
                            && p["service_tag"] == r.tag.as_str()
                            && p["required"] == r.required
                            && p["port"].as_u64() == port.map(u64::from)
                    });
                    let expected = !(r.external_only && vnet == "internal");
                    assert_eq!(
                        found, expected,
                        "{platform}/{vnet}: {} {:?}/{} to {} (required {})",
                        r.direction, port, r.transport, r.tag, r.required
                    );
                }
            }
        }
    }
}

#[test]
fn every_fqdn_is_in_the_plan_of_its_cloud() {
    for f in reference().fqdn {
        for cloud in &f.clouds {
            for platform in ["stv2", "stv1"] {
                let probes = plan(&["--cloud", cloud, "--platform", platform]);
                let transports = if f.transports.is_empty() {
                    vec!["tcp".to_owned()]
                } else {
                    f.transports.clone()
                };
                let matches = |p: &Value, host: Option<&str>, port: Option<u16>, t: &str| {
                    host.is_none_or(|h| p["host"] == h || p["stands_for"] == h)
                        && port.is_none_or(|x| p["port"].as_u64() == Some(u64::from(x)))
                        && p["transport"] == t
                        && f.tag
                            .as_ref()
                            .is_none_or(|tag| p["service_tag"] == tag.as_str())
                };
                let hosts: Vec<Option<&str>> = if f.hosts.is_empty() {
                    vec![None]
                } else {
                    f.hosts.iter().map(|h| Some(h.as_str())).collect()
                };
                let ports: Vec<Option<u16>> = if f.ports.is_empty() {
                    vec![None]
                } else {
                    f.ports.iter().copied().map(Some).collect()
                };
                for host in &hosts {
                    for port in &ports {
                        for t in &transports {
                            assert!(
                                probes.iter().any(|p| matches(p, *host, *port, t)),
                                "{} ({cloud}, {platform}): {host:?} port {port:?}/{t} missing",
                                f.section
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_plan_has_the_expected_size_per_platform_and_cloud() {
    // Guards against rows silently vanishing; update the numbers when the catalog grows.
    for (platform, cloud) in [
        ("stv2", "public"),
        ("stv1", "public"),
        ("stv2", "usgov"),
        ("stv2", "china"),
    ] {
        let probes = plan(&["--platform", platform, "--cloud", cloud]);
        let to_probe = probes.iter().filter(|p| p["skip"].is_null()).count();
        assert!(
            probes.len() >= 60 && to_probe >= 40,
            "{platform}/{cloud}: {} entries, {to_probe} probed",
            probes.len()
        );
    }
}

#[test_case("unknown-field.toml", 15, "colour", "unknown field `colour`")]
#[test_case(
    "duplicate-id.toml",
    17,
    "id",
    "duplicate id `a` for the same platform and port"
)]
#[test_case("bad-port.toml", 11, "ports", "port 70000 out of range")]
#[test_case("bad-range.toml", 11, "ports", "runs backwards")]
#[test_case("unknown-transport.toml", 10, "transport", "unknown variant `sctp`")]
#[test_case("unknown-check.toml", 12, "check", "unknown variant `ping`")]
#[test_case(
    "unknown-placeholder.toml",
    13,
    "hosts",
    "unknown placeholder `{sql_servr}`"
)]
#[test_case(
    "check-transport-mismatch.toml",
    2,
    "check",
    "cannot run over this transport"
)]
#[test_case("missing-hosts.toml", 2, "hosts", "needs `hosts`")]
#[test_case("bad-host.toml", 13, "hosts", "unexpected ` `")]
#[test_case("missing-field.toml", 1, "", "missing field `reference`")]
#[test_case("syntax.toml", 12, "", "expected `,`")]
#[test_case("bad-id.toml", 2, "id", "lowercase letters")]
#[test_case("reserved-id.toml", 2, "id", "the `apim-` prefix is kept")]
#[test_case("unknown-cloud.toml", 13, "hosts", "unknown variant `mars`")]
fn invalid_catalogs_exit_2_naming_file_line_and_field(
    file: &str,
    line: usize,
    field: &str,
    message: &str,
) {
    let path = format!("tests/fixtures/invalid/{file}");
    for command in ["list", "check"] {
        let out = bin()
            .args([command, "--catalog", &path, "--dns-server", "127.0.0.1:9"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("catalog {path}, line {line}, column")),
            "{file}: {err}"
        );
        if !field.is_empty() {
            assert!(err.contains(&format!("field `{field}`")), "{file}: {err}");
        }
        assert!(err.contains(message), "{file}: {err}");
    }
}

#[test]
fn a_catalog_folder_loads_every_file() {
    let out = bin()
        .args([
            "list",
            "-o",
            "json",
            "--catalog",
            "probes",
            "--dns-server",
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    let embedded = bin()
        .args(["list", "-o", "json", "--dns-server", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout, embedded.stdout,
        "probes/ on disk and the embedded catalog agree"
    );
}

/// `list --roots`: the embedded CA certificates, each with its SHA-256 and source, as JSON and
/// as a table — what `check` expects a TLS chain to lead to.
#[test]
fn list_roots_shows_every_embedded_ca_with_its_sha256_and_source() {
    let out = bin()
        .args(["list", "--roots", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "apim-probe/roots/v1");
    let certs = v["certificates"].as_array().unwrap();
    let anchors: Vec<&str> = certs
        .iter()
        .filter(|c| c["role"] == "anchor")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in [
        "DigiCert TLS RSA4096 Root G5",
        "DigiCert TLS ECC P384 Root G5",
        "Microsoft TLS RSA Root G2",
        "Microsoft TLS ECC Root G2",
    ] {
        assert!(anchors.contains(&name), "{anchors:?}");
    }
    assert!(certs.iter().all(|c| {
        c["sha256"].as_str().is_some_and(|s| s.len() == 64)
            && c["source"].as_str().is_some_and(|s| !s.is_empty())
    }));
    let out = bin().args(["list", "--roots"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Microsoft TLS ECC Root G2"), "{table}");
    assert!(table.contains("source: "), "{table}");
}
