//! The arguments of pair mode: the shared token, and `listen`.

use std::path::PathBuf;

use clap::Args;

use super::formats::ListFormat;
use crate::catalog::model::{Platform, VnetMode};

pub const LISTEN_AFTER_HELP: &str = "\
Examples (the same token file on both machines):
  head -c 32 /dev/urandom | base64 > pair.token
  apim-probe listen --token-file pair.token -o json | tee listen.jsonl      # on vm2
  apim-probe check --peer 10.0.1.5 --token-file pair.token                  # on vm1

It stops by itself after --for (default 15m), or on Ctrl-C, with a summary of what it saw.";

/// The pair's shared token (`listen`, `check --peer`): the same on both machines.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A file holding the pair's token (at least 16 bytes; surrounding whitespace is ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// The pair's token itself; other users of this machine can see it in the process list,
    /// prefer --token-file.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// Options of `listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The pair's token (required).
    #[command(flatten)]
    pub token: TokenArgs,
    /// The address to listen on (`::` for IPv6 too).
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    pub bind: String,
    /// Stop by itself after this long, e.g. `15m`, `1h` (at most 24h).
    #[arg(long = "for", default_value = "15m", value_name = "DURATION")]
    pub duration: String,
    /// Ports to open, e.g. `6380,6381-6383/tcp,4290/udp` (a port without /tcp or /udp is both)
    /// [default: the ports of the catalog's `peer` rows].
    #[arg(long, value_name = "LIST")]
    pub ports: Option<String>,
    /// Which edition of the reference (its `peer` rows give the default ports).
    #[command(flatten)]
    pub reference: super::reference::ReferenceArg,
    /// APIM compute platform (which `peer` rows give the default ports).
    #[arg(long, value_enum, default_value = "stv2", env = "APIM_PROBE_PLATFORM")]
    pub platform: Platform,
    /// VNet mode (which `peer` rows give the default ports).
    #[arg(long, value_enum, default_value = "external", env = "APIM_PROBE_VNET")]
    pub vnet: VnetMode,
    /// A catalog file or folder of `*.toml` files to use instead of the embedded one.
    #[arg(long, value_name = "PATH", env = "APIM_PROBE_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Output: `table`, one line per event for people, or `json`, one JSON object per line
    /// (what `check --peer-log` reads).
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
}
