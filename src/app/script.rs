//! `apim-probe script`: settings → catalog → plan → a standalone TCP-only script on stdout.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{UsageError, ignore_broken_pipe, load_catalog};
use crate::catalog::plan;
use crate::cli::ScriptArgs;
use crate::exit;
use crate::script::{self, ScriptSettings};
use crate::settings::{ScopeSettings, validate_timeout};

/// Checks in flight at once in the generated script: enough for the embedded catalog's ~70 TCP
/// entries to finish within two timeouts, few enough for a small VM and its conntrack table.
const PARALLEL: usize = 32;

/// What the plan says when no DNS server fills `{dns_server}`: the machine generating the script
/// is not the VM, so its resolver configuration is no guide.
const NO_DNS_SERVER: &str = "no DNS server is configured";

/// `apim-probe script`.
pub fn script(args: &ScriptArgs) -> Result<u8, UsageError> {
    let s = ScopeSettings::try_from(&args.scope)?;
    let timeout = validate_timeout(&args.timeout)?;
    let catalog = load_catalog(&s)?;
    let scope = s.plan_scope(s.dns_servers.clone().unwrap_or_default());
    let mut plan = plan::build(&catalog, &scope)?;
    for p in &mut plan.probes {
        if p.skip.as_deref() == Some(NO_DNS_SERVER) {
            p.skip = Some(
                "give `script --dns-server IP` (the VM's DNS servers) to check them over TCP 53"
                    .into(),
            );
        }
    }
    let settings = ScriptSettings {
        version: env!("CARGO_PKG_VERSION").into(),
        scope: describe(&s, plan.edition.as_ref()),
        timeout,
        parallel: PARALLEL,
    };
    let text = script::generate(args.shell, &plan, &settings);
    let mut out = io::stdout().lock();
    ignore_broken_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()));
    Ok(exit::OK)
}

/// The scope in one line, for the script's header.
fn describe(s: &ScopeSettings, edition: Option<&crate::catalog::Edition>) -> String {
    let mut line = format!(
        "VNet reference {}, platform {}, vnet {}, cloud {}, region {}, catalog {}",
        edition.map_or("-".to_owned(), |e| format!("{} (page of {})", e.id, e.date)),
        s.platform,
        s.vnet,
        s.cloud,
        s.region.as_deref().unwrap_or("-"),
        s.catalog
            .as_ref()
            .map_or("embedded".into(), |p| p.display().to_string())
    );
    for (option, ids) in [("only", &s.only), ("skip", &s.skip)] {
        if !ids.is_empty() {
            let _ = write!(line, ", {option} {}", ids.join(","));
        }
    }
    line
}
