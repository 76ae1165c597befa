//! `apim-probe script`: a standalone shell script, generated from the same catalog and plan as
//! `check`, for VMs where no binary may be copied. It checks **TCP only** (a handshake, nothing
//! spoken over it) and says so at its top and in its output.
//!
//! The generators are pure functions from a [`Plan`] and [`ScriptSettings`] to a `String`; every
//! catalog-derived string goes through a quoting function of its shell (strict even though hosts
//! are validated DNS names), and comments are reduced to printable ASCII so that nothing can end
//! a comment early.

mod bash;
mod parts;
mod powershell;

use crate::catalog::plan::Plan;
pub use parts::{ScriptSettings, Target, Targets, Unchecked, ps_quote, sh_quote, targets};

/// The shells a script can be generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// bash 4+ with coreutils' `timeout` (Linux VMs): checks run in parallel.
    Bash,
    /// Windows PowerShell 5.1 or PowerShell 7 (Windows VMs): checks run in parallel in a runspace pool.
    Powershell,
}

/// Generates the script for `shell`.
pub fn generate(shell: Shell, plan: &Plan, s: &ScriptSettings) -> String {
    let t = targets(plan);
    match shell {
        Shell::Bash => bash::render(&t, s),
        Shell::Powershell => powershell::render(&t, s),
    }
}
