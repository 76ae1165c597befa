//! The catalog against the reference (every row and FQDN present in `list -o json` for the right
//! platform and cloud), and one invalid fixture per validation rule with its exact location.

mod common;

use common::support;

use serde_json::Value;
use support::{SCOPE_SETS as SETS, bin};
use test_case::test_case;

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

#[test]
fn the_plan_has_the_expected_size_per_platform_and_cloud() {
    // Guards against rows silently vanishing; update the numbers when the catalog grows.
    for (platform, cloud) in [
        ("stv2", "public"),
        ("stv1", "public"),
        ("stv2", "usgov"),
        ("stv2", "china"),
    ] {
        // stv1's table is only in the 2023-11 edition (stv1 was retired in August 2024).
        let edition = if platform == "stv1" {
            "2023-11"
        } else {
            "latest"
        };
        let probes = plan(&[
            "--platform",
            platform,
            "--cloud",
            cloud,
            "--reference",
            edition,
        ]);
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
#[test_case(
    "edition-unknown.toml",
    16,
    "editions",
    "unknown edition `2026-01` (known: 2025-06)"
)]
#[test_case("edition-without-date.toml", 9, "date", "has no `date`")]
#[test_case("edition-bad-date.toml", 3, "date", "must be the page's date")]
#[test_case(
    "edition-missing-on-row.toml",
    9,
    "editions",
    "must say which editions"
)]
#[test_case(
    "edition-change-outside.toml",
    31,
    "changed",
    "which the row is not part of"
)]
#[test_case("edition-platform.toml", 16, "editions", "has no such table")]
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
