//! A catalog (TOML text) must load or be refused with an error that can be shown; never panic.
//! A NUL byte splits the input into several files, so checks across files (duplicate ids,
//! placeholders defined elsewhere) are reached too.
#![no_main]

use apim_probe::catalog::load::from_sources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let sources: Vec<(String, String)> = text
        .split('\0')
        .take(4)
        .enumerate()
        .map(|(i, t)| (format!("fuzz-{i}.toml"), t.to_owned()))
        .collect();
    if let Err(e) = from_sources(&sources) {
        // The message names a line and column: computing them must not panic either.
        let _ = e.to_string();
    }
});
