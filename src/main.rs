//! The `acme-preflight` binary: parse, run, return the exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = acme_preflight::cli::Cli::parse();
    acme_preflight::app::run(cli).into()
}
