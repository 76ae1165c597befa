//! The catalog held to each edition of Microsoft's VNet reference: one fixture per edition in
//! `tests/fixtures/reference/` (written from the public page, independently of `probes/`) lists
//! every row of its port table and every FQDN section. For each edition, `list --reference E`
//! must have every row (for its platforms and VNet modes) and every host, no port-table row the
//! page does not list, none of the rows the page dropped, and name the edition as the catalog
//! declares it. Every edition the catalog declares has a fixture, and the reverse.

mod common;

use std::path::Path;

use common::support::{SCOPE_SETS as SETS, bin};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Fixture {
    edition: String,
    date: String,
    url: String,
    platforms: Vec<String>,
    profiles: Vec<String>,
    row: Vec<Row>,
    #[serde(default)]
    gone: Vec<Gone>,
    fqdn: Vec<Fqdn>,
    subnet: Vec<Subnet>,
}

/// What the page asks of the subnet itself, for one profile.
#[derive(Deserialize)]
struct Subnet {
    profile: String,
    delegation: String,
    #[serde(default)]
    smallest: Option<u8>,
    #[serde(default)]
    largest: Option<u8>,
    #[serde(default)]
    recommended: Option<u8>,
    dedicated: bool,
    nsg: bool,
}

#[derive(Deserialize)]
struct Row {
    /// The profiles (tabs of the page) the row is on; every profile of the fixture when absent.
    #[serde(default)]
    profiles: Option<Vec<String>>,
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
struct Gone {
    direction: String,
    ports: Vec<u16>,
    transport: String,
    tag: String,
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

fn fixtures() -> Vec<Fixture> {
    let mut files: Vec<_> = std::fs::read_dir("tests/fixtures/reference")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let f: Fixture = toml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            assert_eq!(
                Path::new(p).file_stem().unwrap().to_str(),
                Some(f.edition.as_str()),
                "a fixture is named after its edition"
            );
            f
        })
        .collect()
}

/// The options that choose a profile.
fn tier_args(profile: &str) -> &'static [&'static str] {
    match profile {
        "classic" => &[],
        "v2-integration" => &["--tier", "standardv2"],
        "v2-injection" => &["--tier", "premiumv2", "--mode", "injection"],
        "workspace-integration" => &["--tier", "workspace", "--mode", "integration"],
        "workspace-injection" => &["--tier", "workspace", "--mode", "injection"],
        other => panic!("a fixture names an unknown profile {other}"),
    }
}

impl Row {
    fn on(&self, profile: &str) -> bool {
        self.profiles
            .as_ref()
            .is_none_or(|p| p.iter().any(|x| x == profile))
    }
}

/// `list -o json` for an edition: the whole document.
fn list(edition: &str, extra: &[&str]) -> Value {
    let out = bin()
        .args(["list", "-o", "json", "--reference", edition])
        .args(SETS)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{edition}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn probes(edition: &str, extra: &[&str]) -> Vec<Value> {
    list(edition, extra)["probes"].as_array().unwrap().clone()
}

fn ports_of(ports: &[u16]) -> Vec<Option<u16>> {
    if ports.is_empty() {
        vec![None]
    } else {
        ports.iter().copied().map(Some).collect()
    }
}

#[test]
fn every_edition_of_the_catalog_has_a_fixture_and_names_itself() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 2, "2023-11 and 2025-06 at least");
    for f in &fixtures {
        let doc = list(&f.edition, tier_args(&f.profiles[0]));
        let r = &doc["reference"];
        assert_eq!(r["edition"], f.edition.as_str());
        assert_eq!(r["date"], f.date.as_str(), "{}", f.edition);
        assert_eq!(r["url"], f.url.as_str(), "{}", f.edition);
    }
    // `latest` is the newest fixture of each profile.
    for profile in [
        "classic",
        "v2-integration",
        "v2-injection",
        "workspace-integration",
        "workspace-injection",
    ] {
        let newest = fixtures
            .iter()
            .filter(|f| f.profiles.iter().any(|p| p == profile))
            .max_by(|a, b| a.date.cmp(&b.date))
            .unwrap_or_else(|| panic!("no fixture for {profile}"));
        assert_eq!(
            list("latest", tier_args(profile))["reference"]["edition"],
            newest.edition.as_str(),
            "{profile}"
        );
    }
    // An edition the catalog has but no fixture lists is refused by name below; one more
    // edition in the catalog would make `--reference` accept an id without a fixture here.
    let err = bin()
        .args(["list", "--reference", "1999-01"])
        .output()
        .unwrap();
    let known = String::from_utf8_lossy(&err.stderr);
    let ids: Vec<&str> = fixtures
        .iter()
        .filter(|f| f.profiles.iter().any(|p| p == "classic"))
        .map(|f| f.edition.as_str())
        .collect();
    assert!(
        known.contains(&format!("known: {}", ids.join(", "))),
        "{known}"
    );
}

#[test]
fn every_table_row_is_in_the_plan_of_its_edition() {
    for f in fixtures() {
        for (r, profile) in f
            .row
            .iter()
            .flat_map(|r| f.profiles.iter().filter(|p| r.on(p)).map(move |p| (r, p)))
        {
            for platform in &r.platforms {
                for vnet in ["external", "internal"] {
                    let mut args = vec!["--platform", platform, "--vnet", vnet];
                    args.extend(tier_args(profile));
                    let probes = probes(&f.edition, &args);
                    for port in ports_of(&r.ports) {
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
                            "{} {profile} {platform}/{vnet}: {} {:?}/{} to {} (required {})",
                            f.edition, r.direction, port, r.transport, r.tag, r.required
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_plan_has_no_table_row_the_edition_does_not_list() {
    for f in fixtures() {
        // The classic page's table rows say so in their reference; every row of the other pages
        // is theirs (the DNS rows are an FQDN section of every page).
        let classic = f.profiles == ["classic"];
        for profile in &f.profiles {
            for platform in &f.platforms {
                let mut args = vec!["--platform", platform.as_str()];
                args.extend(tier_args(profile));
                let plan = probes(&f.edition, &args);
                for p in &plan {
                    let from_table = p["check"] != "dns"
                        && (!classic
                            || p["reference"]
                                .as_str()
                                .is_some_and(|r| r.starts_with("Required ports")));
                    if !from_table {
                        continue;
                    }
                    let listed = f.row.iter().any(|r| {
                        r.on(profile)
                            && r.platforms.contains(platform)
                            && p["direction"] == r.direction.as_str()
                            && p["transport"] == r.transport.as_str()
                            && p["service_tag"] == r.tag.as_str()
                            && p["required"] == r.required
                            && ports_of(&r.ports)
                                .contains(&p["port"].as_u64().and_then(|x| u16::try_from(x).ok()))
                    });
                    assert!(
                        listed,
                        "{} {profile} {platform}: {p} is not in its table",
                        f.edition
                    );
                }
                for g in &f.gone {
                    let still = plan.iter().any(|p| {
                        p["direction"] == g.direction.as_str()
                            && p["transport"] == g.transport.as_str()
                            && p["service_tag"] == g.tag.as_str()
                            && g.ports.iter().any(|&x| p["port"] == x)
                    });
                    assert!(
                        !still,
                        "{}: {} {:?} to {} was dropped by this edition",
                        f.edition, g.direction, g.ports, g.tag
                    );
                }
            }
        }
    }
}

#[test]
fn the_subnet_requirements_are_the_pages() {
    for f in fixtures() {
        assert_eq!(
            f.subnet.len(),
            f.profiles.len(),
            "{}: one [[subnet]] per profile",
            f.edition
        );
        for want in &f.subnet {
            let doc = list(&f.edition, tier_args(&want.profile));
            let got = &doc["subnet"];
            let n = |v: Option<u8>| v.map_or(Value::Null, Value::from);
            assert_eq!(got["delegation"], want.delegation.as_str(), "{}", f.edition);
            assert_eq!(got["smallest"], n(want.smallest), "{}", f.edition);
            assert_eq!(got["largest"], n(want.largest), "{}", f.edition);
            assert_eq!(got["recommended"], n(want.recommended), "{}", f.edition);
            assert_eq!(got["dedicated"], want.dedicated, "{}", f.edition);
            assert_eq!(got["nsg"], want.nsg, "{}", f.edition);
        }
    }
}

#[test]
fn every_fqdn_is_in_the_plan_of_its_cloud() {
    for f in fixtures() {
        for section in &f.fqdn {
            for cloud in &section.clouds {
                for platform in &f.platforms {
                    for profile in &f.profiles {
                        let mut args = vec!["--cloud", cloud, "--platform", platform];
                        args.extend(tier_args(profile));
                        let probes = probes(&f.edition, &args);
                        check_section(&f.edition, section, cloud, platform, &probes);
                    }
                }
            }
        }
    }
}

fn check_section(edition: &str, f: &Fqdn, cloud: &str, platform: &str, probes: &[Value]) {
    let transports = if f.transports.is_empty() {
        vec!["tcp".to_owned()]
    } else {
        f.transports.clone()
    };
    let hosts: Vec<Option<&str>> = if f.hosts.is_empty() {
        vec![None]
    } else {
        f.hosts.iter().map(|h| Some(h.as_str())).collect()
    };
    for host in &hosts {
        for port in ports_of(&f.ports) {
            for t in &transports {
                let found = probes.iter().any(|p| {
                    host.is_none_or(|h| p["host"] == h || p["stands_for"] == h)
                        && port.is_none_or(|x| p["port"].as_u64() == Some(u64::from(x)))
                        && p["transport"] == t.as_str()
                        && f.tag
                            .as_ref()
                            .is_none_or(|tag| p["service_tag"] == tag.as_str())
                });
                assert!(
                    found,
                    "{edition} {} ({cloud}, {platform}): {host:?} port {port:?}/{t} missing",
                    f.section
                );
            }
        }
    }
}

#[test]
fn list_compare_prints_what_changed_in_every_format() {
    let out = bin()
        .args(["list", "--compare", "2023-11", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "apim-probe/reference-changes/v1");
    assert_eq!(v["from"]["id"], "2023-11");
    assert_eq!(v["to"]["id"], "2025-06");
    let row = |id: &str, change: &str| {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id && r["change"] == change)
            .cloned()
            .unwrap_or_else(|| panic!("{id} {change}: {v:#}"))
    };
    assert_eq!(row("cert-validation", "added")["required"], true);
    assert_eq!(row("file-share", "removed")["ports"], "445");
    assert_eq!(
        row("portal-publishing", "changed")["fields"][0]["to"],
        "Storage"
    );
    // The other way round: what 2023-11 has that 2025-06 does not, as added.
    let back = bin()
        .args(["list", "--reference", "2023-11", "--compare", "latest"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&back.stdout);
    assert!(text.contains("added   file-share"), "{text}");
    assert!(text.ends_with("7 added, 1 removed, 2 changed\n"), "{text}");
    // An unknown edition names the known ones, as --compare.
    let bad = bin()
        .args(["list", "--compare", "2024-01"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--compare 2024-01: no such edition"), "{err}");
}

#[test]
fn the_docs_table_is_what_list_compare_prints() {
    let out = bin()
        .args(["list", "--compare", "2023-11", "-o", "markdown"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let docs = std::fs::read_to_string("docs/reference-editions.md").unwrap();
    let start = "<!-- generated: apim-probe list --compare 2023-11 -o markdown -->\n";
    let inner = &docs
        [docs.find(start).unwrap() + start.len()..docs.find("<!-- end generated -->").unwrap()];
    assert_eq!(
        inner, table,
        "docs/reference-editions.md is stale: paste `apim-probe list --compare 2023-11 -o markdown`"
    );
    // Every line of the table cites the public page.
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Change"))
    {
        assert!(line.contains("](https://"), "{line}");
    }
}

#[test]
fn every_catalog_command_takes_reference_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "0123456789abcdef0123456789abcdef").unwrap();
    let token = token.to_str().unwrap();
    let commands: [&[&str]; 6] = [
        &["list"],
        &["check", "--no-imds", "--dns-server", "127.0.0.1:9"],
        &[
            "evaluate",
            "--service-tags",
            "tests/fixtures/azure-network/ServiceTags_AzureGovernment.json",
        ],
        &["script", "--shell", "bash"],
        &[
            "watch",
            "--no-imds",
            "--dns-server",
            "127.0.0.1:9",
            "--every",
            "1h",
        ],
        &["listen", "--token-file", token, "--for", "1s"],
    ];
    for args in commands {
        let out = bin()
            .args(args)
            .args(["--reference", "2024-01"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--reference 2024-01: no such edition of the reference (known: 2023-11, 2025-06, or latest)"),
            "{args:?}: {err}"
        );
    }
    // From the environment, too.
    let out = bin()
        .args(["list", "--platform", "stv1"])
        .env("APIM_PROBE_REFERENCE", "2023-11")
        .args(["-o", "json", "--dns-server", "127.0.0.1"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reference"]["edition"], "2023-11");
}

#[test]
fn stv1_under_2025_06_says_it_was_retired_and_which_edition_has_it() {
    let out = bin()
        .args([
            "check",
            "--platform",
            "stv1",
            "--no-imds",
            "--dns-server",
            "127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--platform stv1: the 2025-06 edition of the reference (2025-06-17) has no stv1 table (stv1 was retired on 31 August 2024")
            && err.contains("--reference 2023-11 still has its table"),
        "{err}"
    );
}
