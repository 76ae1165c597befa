//! Hints in the network lab, on mixed causes at once — a silent drop, an ICMP reject from a
//! device, a firewall that accepts TCP and then says nothing, Azure Firewall's 470 deny page, a
//! re-signed certificate, a name that does not exist: each row gets the hint its evidence
//! supports. The Markdown "Fix it" section has one command per distinct rule, and every `az`
//! command printed is accepted by the real Azure CLI (the `azure-cli` package from PyPI, in the
//! virtualenv `scripts/test.sh` makes under `target/`), run offline: it exits 1 asking for `az
//! login` when every argument is valid, 2 on an unknown or missing one.
//!
//! Needs root and the lab's packages, and that virtualenv; without them it prints `… SKIPPED`
//! and passes, except under `CI=true`, where it fails.

mod common;

use common::lab;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use lab::{Ca, Family, Lab, Proto, Service, Verdict, Web, Zone, result, row, store};

/// The Azure CLI of `scripts/test.sh`'s virtualenv.
fn az() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/azure-cli-venv/bin/az");
    if p.is_file() {
        return Some(p);
    }
    common::prereq::missing(
        "AZ",
        "no target/azure-cli-venv (scripts/test.sh makes it: python3 -m venv, pip install azure-cli)",
    );
    None
}

/// Runs one printed command through bash with the Azure CLI first on PATH, the variables it
/// needs set, and no account: (exit code, stderr).
fn run_az(az: &Path, command: &str) -> (i32, String) {
    let config = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        az.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-c", command])
        .env("PATH", path)
        .env("AZURE_CONFIG_DIR", config.path())
        .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
        .env("AZURE_CORE_NO_COLOR", "true")
        .env("RG", "rg-apim")
        .env("NSG", "apim-nsg")
        .env("PRIORITY", "300")
        .env("ROUTE_TABLE", "apim-rt")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command of the Markdown's "Fix it" section (the `sh` blocks).
fn commands(markdown: &str) -> Vec<String> {
    let fix = &markdown[markdown.find("## Fix it").expect("a Fix it section")..];
    let mut out = Vec::new();
    let mut lines = fix.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "```sh" {
            out.push(lines.next().unwrap().trim().to_owned());
        }
    }
    out
}

/// The lab: one service per case, dnsmasq for them, nginx with the lab CA (and an interceptor's
/// certificate for one address), a 470 deny page for one name.
fn mixed() -> Option<(Lab, SocketAddr, Vec<Service>, PathBuf, PathBuf)> {
    let names = [
        "drop.lab.test",
        "icmp.lab.test",
        "silent.lab.test",
        "deny.lab.test",
        "inspected.lab.test",
    ];
    let mut lab = Lab::start()?;
    let svcs = lab.services(names.len(), Family::V4);
    let mut zone = Zone::new();
    for (n, s) in names.iter().zip(&svcs) {
        zone.host(n, s);
    }
    zone.nxdomain("missing.lab.test");
    let dns_svc = lab.service(Family::V4);
    let dns = lab.start_dns(&dns_svc, &zone);
    let (ca, fw) = (Ca::new("Lab Root CA"), Ca::new("Lab Interceptor CA"));
    let trusted = store(lab.dir(), "trusted.pem", &[&ca, &fw]);
    let expected = ca.write(lab.dir(), "expected.pem");
    let inspected = fw.leaf(lab.dir(), "inspected", &names);
    lab.start_nginx(&Web {
        tls_ports: vec![443],
        http_ports: vec![80],
        leaf: Some(ca.leaf(lab.dir(), "good", &names)),
        overrides: svcs[4]
            .addrs()
            .into_iter()
            .map(|ip| (ip, inspected.clone()))
            .collect(),
        deny: vec![names[3].to_owned()],
        ..Web::default()
    });
    lab.block_service(Verdict::Drop, &svcs[0], Proto::Tcp, Some(443));
    lab.block_service(
        Verdict::IcmpxAdminProhibited,
        &svcs[1],
        Proto::Tcp,
        Some(443),
    );
    lab.start_sink(&svcs[2], &[443]);
    Some((lab, dns, svcs, trusted, expected))
}

#[test]
fn each_row_gets_the_hint_its_evidence_supports_and_every_az_command_is_valid() {
    let Some(az) = az() else {
        return;
    };
    let Some((lab, dns, _svcs, trusted, expected)) = mixed() else {
        return;
    };
    let tag = |r: String, t: &str| r.replace("LabTag", t);
    let cat = lab.catalog(&[
        tag(row("drop", "tls", true, "drop.lab.test", 443), "Storage"),
        tag(row("icmp", "tls", true, "icmp.lab.test", 443), "Storage"),
        tag(
            row("silent", "tls", true, "silent.lab.test", 443),
            "AzureMonitor",
        ),
        tag(row("deny", "http", true, "deny.lab.test", 80), "Internet"),
        tag(
            row("inspected", "tls", true, "inspected.lab.test", 443),
            "AzureKeyVault",
        ),
        tag(row("missing", "tls", true, "missing.lab.test", 443), "Sql"),
    ]);
    let args = [
        "--catalog",
        cat.to_str().unwrap(),
        "--timeout",
        "2s",
        "--region",
        "westeurope",
        "--expect-ca",
        expected.to_str().unwrap(),
    ];
    let env = [("SSL_CERT_FILE", trusted.to_str().unwrap())];
    let run = lab.check_json_env(dns, &args, &env);
    let hint = |id: &str| {
        result(&run.report, id)["hint"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // The category each row's evidence supports.
    let drop = hint("drop");
    assert!(
        drop.contains("silently dropped")
            && drop.contains("Storage.WestEurope")
            && drop.contains("az network nsg rule create"),
        "{drop}"
    );
    let icmp = hint("icmp");
    assert!(
        icmp.contains("rejected by") && icmp.contains("not an NSG"),
        "{icmp}"
    );
    let silent = hint("silent");
    assert!(
        silent.contains("NSG let it through") && !silent.contains("in the subnet's NSG"),
        "{silent}"
    );
    let deny = hint("deny");
    assert!(
        deny.contains("application rule") && !deny.contains("in the subnet's NSG"),
        "{deny}"
    );
    let inspected = hint("inspected");
    assert!(
        inspected.contains("TLS inspection") && inspected.contains("CN=Lab Interceptor CA"),
        "{inspected}"
    );
    let missing = hint("missing");
    assert!(
        missing.contains("does not exist") && missing.contains("168.63.129.16"),
        "{missing}"
    );

    // Markdown: one command per distinct rule (drop and icmp need the same one), all valid.
    let md = lab.apim_probe_env(
        dns,
        &[&["check", "-o", "markdown"][..], &args].concat(),
        &env,
    );
    let cmds = commands(&md.stdout);
    assert_eq!(cmds.len(), 1, "drop and icmp need one rule: {cmds:#?}");
    assert!(
        cmds[0].contains(
            "--destination-address-prefixes Storage.WestEurope --destination-port-ranges 443"
        ),
        "{}",
        cmds[0]
    );
    let fix = &md.stdout[md.stdout.find("## Fix it").unwrap()..];
    assert!(fix.contains("`deny.lab.test` (Http:80)"), "{fix}");
    assert!(
        fix.contains("TLS inspection: exempt") && fix.contains("`inspected.lab.test`"),
        "{fix}"
    );
    for c in &cmds {
        let (code, err) = run_az(&az, c);
        assert_eq!(code, 1, "az refused {c}:\n{err}");
        assert!(err.contains("az login"), "{err}");
    }
    // The harness can tell: a wrong argument is refused with 2.
    let (code, _) = run_az(&az, &format!("{} --no-such-option x", cmds[0]));
    assert_eq!(code, 2);
}
