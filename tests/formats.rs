//! The output formats on one fixed, realistic report (tests/fixtures/report-sample.json): insta
//! snapshots of each, and the properties each format promises (compact's byte budget, JUnit's
//! counts and escaping, Markdown's order, the table's colour switch). Then the binary end to end
//! against a closed port on 127.0.0.1.

mod common;

use common::support;

use apim_probe::diagnose;
use apim_probe::report::model::{Report, ResultEntry, Summary};
use apim_probe::report::{Style, compact, hints, json, junit, markdown, table};
use test_case::test_case;

use support::{bin, catalog, closed_port, row};

/// The sample report, with hints and counts recomputed by the code under test.
fn sample() -> Report {
    let text = std::fs::read_to_string("tests/fixtures/report-sample.json").unwrap();
    let mut r: Report = serde_json::from_str(&text).unwrap();
    refresh(&mut r);
    r
}

fn refresh(r: &mut Report) {
    let region = r.settings.region.clone();
    let hints_ctx = hints::HintContext {
        cloud: r.settings.cloud,
        region: region.clone(),
        ..hints::HintContext::default()
    };
    hints::apply(r, &hints_ctx);
    r.summary = Summary::of(&r.results);
    let ctx = diagnose::Context {
        region,
        dns_servers: r.dns.servers.clone(),
        ..diagnose::Context::default()
    };
    r.diagnosis = diagnose::diagnose(&r.results, &ctx);
}

fn render(f: fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>, r: &Report) -> String {
    let mut out = Vec::new();
    f(r, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn result(r: &Report, id: &str) -> ResultEntry {
    r.results.iter().find(|e| e.spec.id == id).unwrap().clone()
}

#[test_case("table", table::write)]
#[test_case("markdown", markdown::write)]
#[test_case("compact", compact::write)]
#[test_case("junit", junit::write)]
#[test_case("json", json::write)]
fn snapshot(name: &str, f: fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>) {
    let text = render(f, &sample());
    insta::assert_snapshot!(name, text);
}

#[test]
fn snapshot_table_in_colour() {
    let mut out = Vec::new();
    table::write_styled(&sample(), &mut out, Style { colour: true }).unwrap();
    let text = String::from_utf8(out).unwrap().replace('\x1b', "<ESC>");
    insta::assert_snapshot!("table-colour", text);
}

#[test]
fn table_without_colour_has_no_escapes_and_ends_with_the_verdict() {
    let plain = render(table::write, &sample());
    assert!(!plain.contains('\x1b'));
    let mut styled = Vec::new();
    table::write_styled(&sample(), &mut styled, Style::default()).unwrap();
    assert_eq!(plain.as_bytes(), styled);
    assert!(plain.lines().last().unwrap().starts_with("VERDICT: FAIL"));
}

#[test]
fn coloured_table_paints_status_words_and_the_verdict() {
    let mut out = Vec::new();
    table::write_styled(&sample(), &mut out, Style { colour: true }).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\x1b[32mok "), "green ok");
    assert!(text.contains("\x1b[31mtimeout"), "red failure");
    assert!(text.contains("\x1b[33mskipped"), "yellow skipped");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("\x1b[31mVERDICT: FAIL")
    );
}

/// A report of `n` required failures with long, hostile details.
fn many_failures(n: usize) -> Report {
    let mut r = sample();
    let template = result(&r, "sql");
    r.results = (0..n)
        .map(|i| {
            let mut e = template.clone();
            e.spec.id = format!("dependency-number-{i}");
            e.spec.required = i % 3 != 0;
            e.detail = format!("{} — é\n\x1b[2J{}", "x".repeat(300), i);
            e
        })
        .collect();
    refresh(&mut r);
    r
}

#[test]
fn compact_stays_within_run_command_output_with_500_failures() {
    let text = render(compact::write, &many_failures(500));
    assert!(text.len() <= 4096, "{} bytes", text.len());
    assert!(text.len() <= compact::BUDGET);
    assert!(text.is_ascii());
    assert!(!text.contains('\x1b'));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.last().unwrap().starts_with("VERDICT: FAIL"), "{text}");
    assert!(lines.iter().all(|l| l.len() <= 400), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('+') && l.contains("more")),
        "{text}"
    );
    // Required failures come first: 334 of them fill the budget, so no optional one is shown.
    assert!(lines.iter().any(|l| l.starts_with("FAIL req")), "{text}");
    assert!(!lines.iter().any(|l| l.starts_with("FAIL opt")), "{text}");
}

#[test]
fn compact_lists_required_failures_before_optional_ones() {
    // Nine failures, every third optional, in catalog order: all fit, required first.
    let text = render(compact::write, &many_failures(9));
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .map(|l| &l[..3])
        .collect();
    assert_eq!(
        kinds,
        [
            "req", "req", "req", "req", "req", "req", "opt", "opt", "opt"
        ],
        "{text}"
    );
}

#[test]
fn compact_orders_required_then_by_severity_and_ends_with_the_verdict() {
    let text = render(compact::write, &sample());
    let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(fails.len(), sample().summary.failed, "{text}");
    assert!(
        fails[0].starts_with("FAIL req dns_failed key-vault"),
        "{text}"
    );
    assert!(fails[4].starts_with("FAIL opt "), "{text}");
    assert!(text.contains("WARN ntp"), "{text}");
    assert!(text.lines().last().unwrap().starts_with("VERDICT: FAIL"));
    assert!(
        !text.lines().any(|l| l.starts_with('+')),
        "nothing cut: {text}"
    );
}

#[test]
fn junit_parses_and_its_counts_match_the_summary() {
    let r = sample();
    let xml = render(junit::write, &r);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc.root_element();
    assert_eq!(suite.tag_name().name(), "testsuite");
    let attr = |n: &str| suite.attribute(n).unwrap().parse::<usize>().unwrap();
    assert_eq!(attr("tests"), r.summary.total);
    assert_eq!(attr("failures"), r.summary.failed);
    assert_eq!(attr("skipped"), r.summary.skipped);
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    assert_eq!(count("testcase"), r.summary.total);
    assert_eq!(count("failure"), r.summary.failed);
    assert_eq!(count("skipped"), r.summary.skipped);
    let redis = doc
        .descendants()
        .find(|n| n.attribute("classname") == Some("redis"))
        .unwrap();
    assert_eq!(redis.attribute("name"), Some("10.0.1.5:6380/tcp tcp"));
    let failure = redis.first_element_child().unwrap();
    assert_eq!(failure.attribute("type"), Some("protocol_error"));
    let body = failure.text().unwrap();
    assert!(body.contains(r#"<EOF> & "nothing" said 'here'"#), "{body}");
    assert!(body.contains("\nhint: "), "{body}");
}

#[test]
fn junit_survives_every_control_character_and_markup() {
    let mut r = sample();
    let hostile: String = (0u8..0x20).map(char::from).collect::<String>() + "]]></x>&\"'\u{ffff}";
    for e in &mut r.results {
        e.detail.clone_from(&hostile);
        e.spec.id.clone_from(&hostile);
    }
    r.host.hostname.clone_from(&hostile);
    let xml = render(junit::write, &r);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let skipped = doc
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    let message = skipped.attribute("message").unwrap();
    assert!(message.starts_with("\u{fffd}"), "{message:?}");
    assert!(message.contains("\t\n\u{fffd}\u{fffd}\r"), "{message:?}");
    assert!(message.ends_with("]]></x>&\"'\u{fffd}"), "{message:?}");
}

#[test]
fn markdown_puts_failures_first_then_the_full_table_then_the_command() {
    let text = render(markdown::write, &sample());
    assert!(text.starts_with("# apim-probe check: FAIL\n"), "{text}");
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{text}"))
    };
    assert!(at("## Environment") < at("## Diagnosis: 1 cause(s), 0 of 10 failure(s) explained"));
    assert!(at("## Diagnosis") < at("## Failures no cause explains (10)"));
    assert!(
        at("### 1. This machine's clock is 7.3s behind time.windows.com (`clock_skew`)")
            < at("## Failures no cause explains")
    );
    assert!(at("### 1. `key-vault` (required): dns_failed") < at("### 5. `smb-files` (optional)"));
    assert!(at("## Failures") < at("## All results"));
    assert!(at("## All results") < at("| Status | Req |"));
    assert!(at("| Status | Req |") < at("## Command"));
    assert!(text.contains("- Evidence: NTP offset +7312.4 ms"), "{text}");
    assert!(
        text.contains("- Azure: VM apim-probe-vm1 in westeurope, cloud AzurePublicCloud"),
        "{text}"
    );
    assert!(
        text.contains("issued by CN=Contoso Egress Inspection CA"),
        "{text}"
    );
    assert!(text.contains(
        "apim-probe check --platform stv2 --vnet external --cloud public --region westeurope"
    ));
}

#[test]
fn markdown_table_cells_escape_pipes_and_newlines() {
    let mut r = sample();
    r.results.truncate(1);
    r.results[0].detail = "a | b\nc\r\nd".into();
    refresh(&mut r);
    let text = render(markdown::write, &r);
    let row = text.lines().find(|l| l.starts_with("| ok |")).unwrap();
    assert!(row.ends_with("| a \\| b<br>c<br>d |"), "{row}");
    let unescaped = row.replace("\\|", "").matches('|').count();
    assert_eq!(unescaped, 7, "six cells: {row}");
}

#[test_case("sql", &["allow outbound TCP 1433", "Sql.WestEurope", "firewall/NVA", "route table", "az network nsg rule create"] ; "timeout names the regional tag and the route")]
#[test_case("key-vault", &["168.63.129.16", "does not exist"] ; "dns failure names Azure DNS")]
#[test_case("azure-monitor", &["exempt", "TLS inspection"] ; "interception")]
#[test_case("entra-id", &["application rule", "login.microsoftonline.com", "not the problem"] ; "firewall deny")]
#[test_case("smb-files", &["rejected by 10.0.2.4", "not an NSG", "route table", "Storage.WestEurope"] ; "icmp sender named")]
#[test_case("app-insights", &["no usable route", "its own firewall"] ; "local route")]
#[test_case("ntp", &["clock", "NTP", "UDP 123"] ; "clock skew on an ok result")]
#[test_case("redis", &["NSG let it through", "TCP 6380"] ; "peer")]
#[test_case("event-hub", &["reset", "EventHub.WestEurope"] ; "refused")]
fn hints_say_what_to_change(id: &str, words: &[&str]) {
    let r = sample();
    let hint = result(&r, id).hint.unwrap_or_default();
    for w in words {
        assert!(hint.contains(w), "{id}: {w:?} not in {hint:?}");
    }
}

#[test]
fn no_icmp_sender_wording_for_a_local_route_and_no_hint_when_nothing_to_change() {
    let r = sample();
    let blackhole = result(&r, "app-insights").hint.unwrap();
    assert!(!blackhole.contains("ICMP"), "{blackhole}");
    assert!(!blackhole.contains("sent"), "{blackhole}");
    assert_eq!(result(&r, "dns").hint, None);
    assert_eq!(result(&r, "sql-server").hint, None);
    assert!(
        r.results
            .iter()
            .filter(|e| e.status.is_failure())
            .all(|e| e.hint.is_some())
    );
}

fn run_format(format: &str) -> (i32, String) {
    let (_dir, cat) = catalog(&[row("closed", true, "127.0.0.1", closed_port())]);
    let out = bin()
        .args(["check", "-o", format, "--catalog", cat.to_str().unwrap()])
        .args(["--dns-server", "127.0.0.1:9", "--region", "westeurope"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn binary_writes_compact() {
    let (code, text) = run_format("compact");
    assert_eq!(code, 1, "{text}");
    assert!(text.starts_with("apim-probe "), "{text}");
    assert!(
        text.contains("FAIL req refused closed 127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with("VERDICT: FAIL"),
        "{text}"
    );
    assert!(text.is_ascii());
}

#[test]
fn binary_writes_junit() {
    let (code, xml) = run_format("junit");
    assert_eq!(code, 1, "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("message"), Some("refused"));
    assert_eq!(doc.root_element().attribute("tests"), Some("1"));
}

#[test]
fn binary_writes_markdown() {
    let (code, text) = run_format("markdown");
    assert_eq!(code, 1, "{text}");
    assert!(text.starts_with("# apim-probe check: FAIL"), "{text}");
    assert!(
        text.contains("### 1. `closed` (required): refused"),
        "{text}"
    );
    assert!(text.contains("- Hint: "), "{text}");
    assert!(text.contains("--region westeurope"), "{text}");
}

#[test]
fn compact_puts_the_causes_before_the_failures_they_leave_and_stays_within_budget() {
    let mut r = many_failures(60);
    // Twenty long causes, each explaining two failures: more than the budget holds.
    r.diagnosis = (0..20)
        .map(|i| apim_probe::report::model::Cause {
            cause: "tag_blocked".into(),
            summary: format!("cause number {i}: {}", "y".repeat(300)),
            explains: vec![2 * i, 2 * i + 1],
            evidence: "e".into(),
            fix: "f".into(),
            fixes: Vec::new(),
        })
        .collect();
    let text = render(compact::write, &r);
    assert!(text.len() <= compact::BUDGET, "{} bytes", text.len());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.last().unwrap().starts_with("VERDICT: FAIL"), "{text}");
    let first_cause = lines.iter().position(|l| l.starts_with("CAUSE ")).unwrap();
    assert!(
        lines.iter().all(|l| !l.starts_with("FAIL ")) || {
            let first_fail = lines.iter().position(|l| l.starts_with("FAIL ")).unwrap();
            first_cause < first_fail
        },
        "{text}"
    );
    // The failures a shown cause explains are not listed again.
    assert!(
        !text.contains("FAIL req timeout dependency-number-1 "),
        "{text}"
    );
}

#[test]
fn table_lists_only_the_failures_no_cause_explains() {
    let mut r = many_failures(4);
    r.diagnosis = vec![apim_probe::report::model::Cause {
        cause: "tag_blocked".into(),
        summary: "Every Sql endpoint on TCP 1433 fails to connect".into(),
        explains: vec![0, 1, 2],
        evidence: "e".into(),
        fix: "allow it".into(),
        fixes: Vec::new(),
    }];
    let text = render(table::write, &r);
    assert!(
        text.contains("Diagnosis: 1 cause(s), 3 of 4 failure(s) explained"),
        "{text}"
    );
    assert!(text.contains("Failures no cause explains (1)"), "{text}");
    assert!(text.contains("dependency-number-3"), "{text}");
    let failures = &text[text.find("Failures no cause explains").unwrap()..];
    assert!(!failures.contains("dependency-number-0 "), "{text}");
}
