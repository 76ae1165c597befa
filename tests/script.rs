//! `apim-probe script`, `completions` and `man`: generation only (nothing generated is run here;
//! `lab_script.rs` runs the bash script inside the lab). PowerShell is not installable on this
//! machine (`apt-cache policy powershell` finds nothing), so its script is checked by snapshot
//! and by the same size and quoting rules, not by running it.

use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use test_case::test_case;

/// A small catalog: a required and an optional TCP row, a UDP (NTP) row, an inbound row
/// (skipped), a row whose placeholder is not filled (skipped) and a TCP 53 row on
/// `{dns_server}`.
const CATALOG: &str = r#"
[[placeholder]]
name = "sql_server"
help = "the SQL server's name"

[[dependency]]
id = "storage"
purpose = "p"
direction = "outbound"
source = "VirtualNetwork"
destination = "Storage"
required = true
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "tcp"
ports = [443, 445]
check = "tls"
hosts = ["st.blob.example.net"]
reference = "test"

[[dependency]]
id = "monitor"
purpose = "p"
direction = "outbound"
source = "VirtualNetwork"
destination = "AzureMonitor"
required = false
platforms = ["stv2"]
vnet = ["external"]
transport = "tcp"
ports = [1886]
check = "tcp"
hosts = ["198.18.0.9", "2001:2::9"]
reference = "test"

[[dependency]]
id = "ntp"
purpose = "p"
direction = "outbound"
source = "VirtualNetwork"
destination = "Internet"
required = false
platforms = ["stv2"]
vnet = ["external"]
transport = "udp"
ports = [123]
check = "ntp"
hosts = ["time.example.net"]
reference = "test"

[[dependency]]
id = "dns"
purpose = "p"
direction = "outbound"
source = "VirtualNetwork"
destination = "VirtualNetwork"
required = true
platforms = ["stv2"]
vnet = ["external"]
transport = ["udp", "tcp"]
ports = [53]
check = "dns"
hosts = ["{dns_server}"]
reference = "test"

[[dependency]]
id = "sql"
purpose = "p"
direction = "outbound"
source = "VirtualNetwork"
destination = "Sql"
required = true
platforms = ["stv2"]
vnet = ["external"]
transport = "tcp"
ports = [1433]
check = "tds"
hosts = ["{sql_server}.database.example.net"]
reference = "test"

[[dependency]]
id = "client"
purpose = "p"
direction = "inbound"
source = "Internet"
destination = "VirtualNetwork"
required = true
platforms = ["stv2"]
vnet = ["external"]
transport = "tcp"
ports = [443]
check = "tcp"
reference = "test"
"#;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("apim-probe").expect("the binary");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("APIM_PROBE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("APIM_PROBE_NO_IMDS", "true").stdin(Stdio::null());
    cmd
}

/// Runs the binary; returns exit code, stdout, stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("run apim-probe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn script(shell: &str, catalog: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "script",
        "--shell",
        shell,
        "--catalog",
        catalog.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    out
}

fn small_catalog() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.toml");
    std::fs::write(&path, CATALOG).unwrap();
    (dir, path)
}

#[test_case("bash" ; "bash")]
#[test_case("powershell" ; "powershell")]
fn small_catalog_snapshot(shell: &str) {
    let (_dir, cat) = small_catalog();
    let text = script(
        shell,
        &cat,
        &["--timeout", "2500ms", "--dns-server", "198.18.0.53"],
    )
    .replace(cat.to_str().unwrap(), "[CATALOG]");
    insta::assert_snapshot!(format!("script-{shell}"), text);
}

#[test]
fn bash_script_is_valid_bash() {
    let (_dir, cat) = small_catalog();
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("small.sh", script("bash", &cat, &[])),
        ("embedded.sh", embedded("bash")),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        // `bash -n` parses without running anything.
        let out = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The embedded catalog with every placeholder filled.
fn embedded(shell: &str) -> String {
    let (code, out, err) = run(&[
        "script",
        "--shell",
        shell,
        "--region",
        "westeurope",
        "--dns-server",
        "168.63.129.16",
        "--set",
        "sql_server=apimsql123",
        "--set",
        "storage_account=apimst123",
        "--set",
        "key_vault=apimkv",
        "--set",
        "event_hub_namespace=apimeh",
        "--set",
        "sql_redirect_host=cr1.westeurope1-a.control.database.windows.net",
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test_case("bash", "\nadd 'storage' " ; "bash")]
#[test_case("powershell", "@{ Id = 'storage';" ; "powershell")]
fn embedded_catalog_fits_in_64_kib(shell: &str, probe: &str) {
    let text = embedded(shell);
    eprintln!("{shell}: {} bytes", text.len());
    assert!(text.len() <= 64 * 1024, "{shell}: {} bytes", text.len());
    assert!(text.contains(probe), "{shell}: no storage probe");
    assert!(text.contains("TCP ONLY"), "{shell}: does not say TCP only");
    // Every placeholder was filled: no template reached a probe line.
    let probes: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("add '") || l.starts_with("  @{ Id"))
        .collect();
    assert!(probes.len() > 40, "{shell}: {} probes", probes.len());
    assert!(
        probes
            .iter()
            .all(|l| !l.contains('{') || l.starts_with("  @{ Id = "))
    );
    assert!(!text.contains("placeholder not filled"), "{shell}");
    assert!(text.contains("not checked by this script (UDP"), "{shell}");
}

#[test]
fn script_needs_a_shell_and_a_valid_timeout() {
    let (code, _, err) = run(&["script"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--shell"), "{err}");
    let (code, _, err) = run(&["script", "--shell", "bash", "--timeout", "0s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--timeout"), "{err}");
}

#[test_case("bash")]
#[test_case("zsh")]
#[test_case("fish")]
#[test_case("powershell")]
#[test_case("elvish")]
fn completions_are_printed(shell: &str) {
    let (code, out, err) = run(&["completions", shell]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("apim-probe"), "{out}");
    assert!(out.contains("script"), "{shell}: no `script` subcommand");
}

#[test]
fn man_page_is_roff() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(".ie") || out.contains(".TH"), "{out}");
    assert!(out.contains("apim-probe"), "{out}");
}

/// PowerShell cannot run here, so one trap is checked by reading: its variable names ignore
/// case, and two spellings of one name (`$P`, `$p`) would be one variable.
#[test]
fn powershell_variables_do_not_differ_by_case_only() {
    let text = embedded("powershell");
    let mut seen: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (at, _) in text.match_indices('$') {
        let name: String = text[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || text[..at].ends_with('`') {
            continue;
        }
        let spelled = seen.entry(name.to_lowercase()).or_insert(name.clone());
        assert_eq!(*spelled, name, "two spellings of one PowerShell variable");
    }
    assert!(seen.contains_key("timeoutms"), "{seen:?}");
}
