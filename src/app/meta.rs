//! `apim-probe completions` and `apim-probe man`: generated from the clap definition, so they
//! never drift from the real options. Packaging installs them.

use std::io::{self, Write};

use clap::CommandFactory;

use super::{UsageError, ignore_broken_pipe};
use crate::cli::{Cli, CompletionsArgs};
use crate::exit;

/// `apim-probe completions SHELL`: the completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<u8, UsageError> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "apim-probe", &mut buf);
    write_out(&buf);
    Ok(exit::OK)
}

/// `apim-probe man`: the manual page (roff) on stdout.
pub fn man() -> Result<u8, UsageError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(UsageError::Runtime)?;
    write_out(&buf);
    Ok(exit::OK)
}

/// Generated into memory first: the generators panic on a write error, and a reader that went
/// away (`| head`) is not an error.
fn write_out(buf: &[u8]) {
    let mut out = io::stdout().lock();
    ignore_broken_pipe(out.write_all(buf).and_then(|()| out.flush()));
}
