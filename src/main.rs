//! The `apim-probe` binary: parse, run one command, exit with the contract's code.

use std::process::ExitCode;

use apim_probe::cli::{Cli, Command};
use apim_probe::{app, exit};
use clap::Parser;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; every real usage error exits 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let result = match &cli.command {
        Command::Check(args) => app::check(args),
        Command::List(args) => app::list(args),
        Command::Diff(args) => app::diff(args),
        Command::Watch(args) => app::watch(args),
        Command::Merge(args) => app::merge(args),
        Command::Script(args) => app::script(args),
        Command::Evaluate(args) => app::evaluate(args),
        Command::Listen(args) => app::listen(args),
        Command::Completions(args) => app::completions(args),
        Command::Man => app::man(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("apim-probe: error: {e}");
            ExitCode::from(exit::USAGE)
        }
    }
}
