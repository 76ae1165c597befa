//! What the benchmarks share: a seeded generator (every run benchmarks the same data), the
//! timing of a step (best and median of N runs), and the binary to time end to end.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: seeded, so every run benchmarks the same data.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `from`.
    #[allow(dead_code, reason = "not every benchmark picks")]
    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.below(from.len() as u64)).expect("small")]
    }
}

/// The number of runs: the first argument, 5 when none.
pub fn runs() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1)
}

/// Runs `f` `runs` times: the best and median times, and the last value.
pub fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (
        times[0],
        times[times.len() / 2],
        last.expect("at least one run"),
    )
}

/// Milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The binary to time end to end: `APIM_PROBE_BIN`, or the release build when there is one.
pub fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("APIM_PROBE_BIN") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/apim-probe");
    p.exists().then_some(p)
}

/// Times the binary run as a user runs it (`args`), when there is one, and prints its row.
pub fn process_row<S: AsRef<OsStr>>(runs: usize, what: &str, args: &[S]) {
    let Some(bin) = binary() else { return };
    let (best, median, code) = time(runs, || {
        std::process::Command::new(&bin)
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.code())
    });
    println!(
        "{:<46} {:>9} {:>9}  exit {:?}",
        format!("{} {what} (process)", bin.display()),
        ms(best),
        ms(median),
        code.ok().flatten()
    );
}

/// Removes the scratch folder, unless `BENCH_KEEP` asks to keep it.
pub fn clean(dir: &Path) {
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!("bench: kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}
