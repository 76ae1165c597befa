//! An HTTP reply, whatever its bytes: the status line is parsed, the read-loop's "enough?" test
//! and the firewall deny reason are computed; never a panic.
#![no_main]

use apim_probe::probe::http::{self, StatusLine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let StatusLine::Complete { code, .. } = http::parse_status_line(data) {
        assert!((100..=999).contains(&code), "status code {code}");
    }
    let _ = http::enough(data);
    if let Some(reason) = http::deny_reason(data) {
        assert!(reason.chars().count() <= 200, "deny reason is capped");
    }
});
