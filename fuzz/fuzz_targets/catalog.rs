//! A catalog (TOML text) must load or be refused with an error that can be shown; never panic.
//! A NUL byte splits the input into several files, so checks across files (duplicate ids,
//! placeholders defined elsewhere) are reached too. A catalog that loads is read as each of its
//! editions for each platform, and its oldest and newest editions compared.
#![no_main]

use apim_probe::catalog::load::from_sources;
use apim_probe::catalog::model::Platform;
use apim_probe::catalog::profile::Profile;
use apim_probe::catalog::{compare, edition_view};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let sources: Vec<(String, String)> = text
        .split('\0')
        .take(4)
        .enumerate()
        .map(|(i, t)| (format!("fuzz-{i}.toml"), t.to_owned()))
        .collect();
    match from_sources(&sources) {
        // The message names a line and column: computing them must not panic either.
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(c) => {
            for e in &c.editions {
                for p in Platform::ALL {
                    for profile in Profile::ALL {
                        let _ = edition_view::select(&c, &e.id, *p, *profile)
                            .map_err(|e| e.to_string());
                    }
                }
            }
            if let [a, .., b] = c.editions.as_slice() {
                let _ = compare::compare(&c, a, b);
            }
        }
    }
});
