//! The benchmark of `apim-probe evaluate` on Public-cloud-sized inputs: a synthetic service-tag
//! file (~3,000 tags, ~90,000 prefixes, ~4 MB, public-looking random prefixes from a seeded
//! generator: data only, nothing is sent) and a 500-rule NSG. It prints a table: each step's
//! time (best and median of the runs), then the whole command run as a user would run it.
//!
//!   cargo run --release --example evaluate_bench [RUNS]        (default 5 runs)
//!   tests/bench/evaluate.sh                                    (the same, plus the release binary)
//!   BENCH_KEEP=1 …                                             (keep the generated files)
//!
//! The goal is ≤ 300 ms for the whole evaluation; it is read from this table, never asserted.

mod bench_kit;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use apim_probe::azure::network::NetworkInputs;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, VnetMode};
use apim_probe::evaluate::{EvalSettings, evaluate, flows};
use bench_kit::{Rng, clean, ms, process_row, runs, time};

/// A public-looking IPv4 prefix (never 10/8, 100.64/10, 127/8, 172.16/12, 192.168/16, 198.18/15
/// or multicast), /16 to /32; sometimes an IPv6 one, as the real file mixes them.
fn prefix(rng: &mut Rng) -> String {
    if rng.below(3) == 0 {
        return format!(
            "2603:{:x}:{:x}:{:x}::/{}",
            rng.below(0x1_0000),
            rng.below(0x1_0000),
            rng.below(0x1_0000),
            48 + rng.below(17)
        );
    }
    loop {
        let a = 1 + rng.below(222);
        let b = rng.below(256);
        let private = matches!(
            (a, b),
            (10 | 127, _) | (100, 64..=127) | (172, 16..=31) | (192, 168) | (198, 18 | 19)
        );
        if private {
            continue;
        }
        let len = 16 + rng.below(17);
        let addr = (a << 24) | (b << 16) | (rng.below(1 << 16));
        let addr = u32::try_from(addr).expect("below 2^32");
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let net = std::net::Ipv4Addr::from(addr & mask);
        return format!("{net}/{len}");
    }
}

/// The tags the catalog's flows name, with a westeurope variant each, plus filler services, so
/// that the file has `tags` tags and about `prefixes` prefixes.
fn service_tags(rng: &mut Rng, tags: usize, prefixes: usize) -> String {
    let known = [
        "Storage",
        "Sql",
        "AzureKeyVault",
        "AzureMonitor",
        "AzureActiveDirectory",
        "ApiManagement",
        "EventHub",
        "AzureConnectors",
        "AzureTrafficManager",
    ];
    let mut names: Vec<String> = Vec::new();
    for k in known {
        names.push(k.to_owned());
        names.push(format!("{k}.WestEurope"));
    }
    let mut i = 0;
    while names.len() < tags - 1 {
        names.push(format!("Service{i}"));
        names.push(format!("Service{i}.WestEurope"));
        i += 1;
    }
    names.truncate(tags - 1);
    let per = prefixes / tags;
    let mut out = String::from("{\"changeNumber\":1,\"cloud\":\"Public\",\"values\":[");
    // AzureCloud, the big one, as in the real file.
    let mut all: Vec<String> = (0..per * 60).map(|_| prefix(rng)).collect();
    write_tag(&mut out, "AzureCloud", &all);
    for name in &names {
        let n =
            1 + usize::try_from(rng.below(u64::try_from(per * 2).expect("small"))).expect("small");
        all = (0..n).map(|_| prefix(rng)).collect();
        out.push(',');
        write_tag(&mut out, name, &all);
    }
    out.push_str("]}");
    out
}

fn write_tag(out: &mut String, name: &str, prefixes: &[String]) {
    let region = if name.contains('.') { "westeurope" } else { "" };
    // Indented like Microsoft's download, one prefix a line.
    let list: Vec<String> = prefixes
        .iter()
        .map(|p| format!("          \"{p}\""))
        .collect();
    let _ = write!(
        out,
        "\n    {{\n      \"name\": \"{name}\",\n      \"id\": \"{name}\",\n      \"properties\": {{\n        \"changeNumber\": 1,\n        \"region\": \"{region}\",\n        \"regionId\": 0,\n        \"platform\": \"Azure\",\n        \"systemService\": \"{name}\",\n        \"addressPrefixes\": [\n{}\n        ],\n        \"networkFeatures\": [\"API\", \"NSG\", \"UDR\", \"FW\"]\n      }}\n    }}",
        list.join(",\n")
    );
}

/// An NSG of `n` user rules: service tags and CIDR lists, ports, both directions, allow and
/// deny, none of which happens to cover what APIM needs before rule 4000.
fn nsg(rng: &mut Rng, n: usize) -> String {
    let tags = [
        "Storage",
        "Sql",
        "AzureCloud",
        "Internet",
        "Service7",
        "Service12.WestEurope",
        "AzureMonitor",
    ];
    let mut rules = Vec::new();
    for i in 0..n {
        let inbound = i % 2 == 0;
        let priority = 100 + (i / 2) * 7;
        let far = if rng.below(2) == 0 {
            format!(
                "\"{}AddressPrefix\":\"{}\"",
                if inbound { "source" } else { "destination" },
                tags[usize::try_from(rng.below(7)).expect("small")]
            )
        } else {
            let list: Vec<String> = (0..=rng.below(4))
                .map(|_| format!("\"{}\"", prefix(rng)))
                .collect();
            format!(
                "\"{}AddressPrefixes\":[{}]",
                if inbound { "source" } else { "destination" },
                list.join(",")
            )
        };
        let near = format!(
            "\"{}AddressPrefix\":\"VirtualNetwork\"",
            if inbound { "destination" } else { "source" }
        );
        // A third of the rules are on ports APIM uses, so the evaluation compares their
        // prefixes with the tags' for real; the rest are on other ports.
        let port = if rng.below(3) == 0 {
            [443, 1433, 3443, 1886, 5671, 6390][usize::try_from(rng.below(6)).expect("small")]
        } else {
            20_000 + rng.below(30_000)
        };
        rules.push(format!(
            "{{\"name\":\"r{i}\",\"priority\":{priority},\"direction\":\"{}\",\"access\":\"{}\",\"protocol\":\"{}\",{far},{near},\"sourcePortRange\":\"*\",\"destinationPortRange\":\"{port}-{}\"}}",
            if inbound { "Inbound" } else { "Outbound" },
            if rng.below(2) == 0 { "Allow" } else { "Deny" },
            ["Tcp", "Udp", "*"][usize::try_from(rng.below(3)).expect("small")],
            port + rng.below(3)
        ));
    }
    format!(
        "{{\"name\":\"bench-nsg\",\"securityRules\":[{}]}}",
        rules.join(",")
    )
}

fn main() {
    let runs = runs();
    let dir =
        std::env::temp_dir().join(format!("apim-probe-evaluate-bench-{}", std::process::id()));
    let (tags_file, nsg_file, size) = write_inputs(&dir);

    let catalog = load::embedded().expect("the embedded catalog");
    let rows = catalog
        .dependencies
        .iter()
        .filter(|d| d.platforms.contains(&Platform::Stv2) && d.vnet.contains(&VnetMode::External));
    let flows = flows::from_rows(rows);
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::External,
        Cloud::Public,
        Some("westeurope".into()),
        Vec::new(),
    );
    let read = |p: &Path| {
        let mut i = NetworkInputs::default();
        i.add_path(p, None).expect("the synthetic file reads");
        i
    };
    let (tb, tm, tags) = time(runs, || read(&tags_file));
    let (nb, nm, nsg) = time(runs, || read(&nsg_file));
    let mut inputs = nsg.clone();
    inputs.service_tags.clone_from(&tags.service_tags);
    let (eb, em, eval) = time(runs, || evaluate(&flows, &inputs, &settings));
    let (ab, am, _) = time(runs, || {
        let mut all = read(&tags_file);
        all.add_path(&nsg_file, None).expect("reads");
        evaluate(&flows, &all, &settings)
    });
    let t = tags.service_tags.as_ref().expect("tags");
    println!("apim-probe evaluate benchmark ({runs} runs; best / median, ms)");
    println!("{:<46} {:>9} {:>9}  what", "step", "best", "median");
    println!(
        "{:<46} {:>9} {:>9}  {} tags, {} prefixes, {:.1} MB",
        "read the service-tag file",
        ms(tb),
        ms(tm),
        t.tags.len(),
        t.prefix_count(),
        f64::from(u32::try_from(size / 1000).unwrap_or(u32::MAX)) / 1000.0
    );
    println!(
        "{:<46} {:>9} {:>9}  {} rules with the defaults",
        "read the NSG",
        ms(nb),
        ms(nm),
        nsg.nsgs[0].rules.len()
    );
    println!(
        "{:<46} {:>9} {:>9}  {} flows (stv2, external)",
        "evaluate",
        ms(eb),
        ms(em),
        eval.flows.len()
    );
    println!(
        "{:<46} {:>9} {:>9}  read both, then evaluate",
        "all in the library",
        ms(ab),
        ms(am)
    );
    let mut args: Vec<std::ffi::OsString> = [
        "evaluate",
        "--region",
        "westeurope",
        "-o",
        "json",
        "--service-tags",
    ]
    .map(std::ffi::OsString::from)
    .to_vec();
    args.push(tags_file.clone().into_os_string());
    args.push(nsg_file.clone().into_os_string());
    process_row(runs, "evaluate", &args);
    clean(&dir);
}

/// Writes the synthetic inputs into `dir`: the service-tag file and the NSG, and the former's
/// size in bytes.
fn write_inputs(dir: &Path) -> (PathBuf, PathBuf, u64) {
    std::fs::create_dir_all(dir).expect("a scratch folder");
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let tags_file = dir.join("ServiceTags_Public_synthetic.json");
    let nsg_file = dir.join("nsg-500.json");
    std::fs::write(&tags_file, service_tags(&mut rng, 3_000, 90_000)).expect("write tags");
    std::fs::write(&nsg_file, nsg(&mut rng, 500)).expect("write nsg");
    let size = std::fs::metadata(&tags_file).map_or(0, |m| m.len());
    (tags_file, nsg_file, size)
}
