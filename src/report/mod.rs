//! From outcomes to what people read: the report model, hints, and one file per format.

pub mod apim;
pub mod causes;
pub mod compact;
pub mod compare;
pub mod diff;
pub mod diff_editions;
pub mod evaluated;
pub mod evaluation;
pub mod fix;
pub mod fixes;
pub mod hints;
pub mod json;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod metrics;
pub mod model;
pub mod redact;
pub mod reference;
pub mod roots;
pub mod rows;
#[cfg(test)]
pub(crate) mod sample;
pub mod table;
pub mod transitions;

/// How a terminal format may dress its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (only on a terminal, never with `NO_COLOR`).
    pub colour: bool,
}

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a new temporary file beside it, then a rename over it.
///
/// The temporary file is created with `create_new` (O_EXCL), which never follows a symlink, and
/// the rename replaces a symlink planted at `path` instead of writing through it.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (tmp, mut file) = temp_beside(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Checks, before any probing, that a report could be written at `path`, without touching it.
pub fn check_writable(path: &Path) -> io::Result<()> {
    let (tmp, _) = temp_beside(path)?;
    std::fs::remove_file(tmp)
}

/// A new file with a unique name in `path`'s folder, created with O_EXCL.
fn temp_beside(path: &Path) -> io::Result<(PathBuf, File)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path names no file"))?;
    let mut last_err = None;
    for attempt in 0..16u32 {
        let tmp = dir.join(format!(
            ".{}.{}-{attempt}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match private(OpenOptions::new().write(true).create_new(true)).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no temporary name available")))
}

/// Reports name this machine's addresses and what failed: on Unix only the owner may read them
/// (mode 0600, whatever the umask; the rename keeps it).
#[cfg(unix)]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600)
}

#[cfg(not(unix))]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn replaces_a_planted_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let report = dir.path().join("report.json");
        std::os::unix::fs::symlink(&victim, &report).unwrap();
        write_file_atomically(&report, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");
        assert!(
            !std::fs::symlink_metadata(&report)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    #[cfg(unix)]
    fn reports_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        write_file_atomically(&report, b"{}").unwrap();
        let mode = std::fs::metadata(&report).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // Replacing a report that others could read makes it private too.
        std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file_atomically(&report, b"{}").unwrap();
        let mode = std::fs::metadata(&report).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}
