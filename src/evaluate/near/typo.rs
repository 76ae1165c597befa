//! How far one written value is from the one meant: keystrokes on ports, edits on tag names.

/// Whether `written` is one keystroke from `meant`: one digit changed, added, dropped or two
/// neighbours swapped — or the same digits in another order (3344 for 3443).
pub fn keystroke(written: u16, meant: u16) -> bool {
    if written == meant {
        return false;
    }
    let (a, b) = (written.to_string(), meant.to_string());
    if edits(&a, &b) == 1 {
        return true;
    }
    let sorted = |s: &str| {
        let mut c: Vec<char> = s.chars().collect();
        c.sort_unstable();
        c
    };
    a.len() == b.len() && sorted(&a) == sorted(&b)
}

/// Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps.
pub fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keystroke_away() {
        for (w, m) in [
            (3433, 3443),
            (3344, 3443),
            (4443, 3443),
            (433, 443),
            (4443, 443),
            (6930, 6390),
            (1443, 1433),
        ] {
            assert!(keystroke(w, m), "{w} for {m}");
        }
        for (w, m) in [(3443, 3443), (80, 443), (1433, 3443), (22, 3443)] {
            assert!(!keystroke(w, m), "{w} for {m}");
        }
    }

    #[test]
    fn edits_count_swaps_once() {
        assert_eq!(edits("Storage", "Stroage"), 1);
        assert_eq!(edits("Sql", "Sq"), 1);
        assert_eq!(edits("AzureMonitor", "AzureMonitor"), 0);
        assert_eq!(edits("EventHub", "EventHubs"), 1);
    }
}
