//! The command line, defined in one place with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

use crate::profile::ProfileName;

const EXIT_CODES: &str = "\
Exit status:
  0    every name passes
  1    at least one name would fail validation
  2    the check could not be made (invalid arguments, webroot missing or not writable);
       nothing was written
  130  interrupted by Ctrl-C (SIGINT), after cleanup
  143  stopped by SIGTERM, after cleanup";

/// Check that an ACME HTTP-01 challenge will pass, before the CA is asked.
#[derive(Debug, Parser)]
#[command(name = "acme-preflight", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to color the output: auto colors a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Log what the tool does to stderr (RUST_LOG sets finer filters).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Place a random token in the webroot, fetch it as the CA would, report, clean up.
    Check(CheckArgs),
    /// Answer HTTP-01 challenges from a folder.
    Serve(ServeArgs),
    /// Run two checks on loopback against built-in servers: one passes, one fails.
    Demo,
    /// Print what a finding code means, how it is detected, and fixes per stack.
    Explain(ExplainArgs),
    /// Remove the token and probe files, and the folders, that a killed check left behind.
    Clean(CleanArgs),
}

const CLEAN_EXIT_CODES: &str = "\
Only files and folders that carry acme-preflight's marks are removed; a folder stays while
it holds anything else. Run it when no check is running on the same folder.

Exit status:
  0    everything found was removed, or nothing was found
  1    something could not be removed
  2    invalid arguments, or the folder does not exist";

#[derive(Debug, Args)]
#[command(after_help = CLEAN_EXIT_CODES)]
pub struct CleanArgs {
    /// Document root given to the check; DIR, DIR/.well-known and
    /// DIR/.well-known/acme-challenge are cleaned.
    #[arg(
        long,
        value_name = "DIR",
        value_hint = ValueHint::DirPath,
        conflicts_with = "challenge_dir",
        required_unless_present = "challenge_dir"
    )]
    pub webroot: Option<PathBuf>,

    /// Challenge folder given to the check; only files in DIR are removed, never DIR.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub challenge_dir: Option<PathBuf>,

    /// List what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The finding code, for example catch-all; without one, list every code.
    #[arg(value_name = "CODE", conflicts_with = "all")]
    pub code: Option<String>,

    /// Print every code in full, as docs/findings.md.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CheckArgs {
    /// Names to check, as they appear in the certificate request.
    #[arg(value_name = "DOMAIN", required = true)]
    pub domains: Vec<String>,

    /// Document root the web server serves for the names; the token goes to
    /// DIR/.well-known/acme-challenge/.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, conflicts_with = "challenge_dir")]
    pub webroot: Option<PathBuf>,

    /// Folder the web server maps to /.well-known/acme-challenge/ itself (an alias); the
    /// token is written straight into it.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub challenge_dir: Option<PathBuf>,

    /// Pin HOST to addresses on every port, in curl's form; repeat to add addresses.
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR...]")]
    pub resolve: Vec<String>,

    /// Ask this DNS server instead of the system's resolver configuration.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub dns_server: Option<String>,

    /// Port of the first request, and of http:// redirects without a port.
    #[arg(long, value_name = "PORT", default_value_t = 80)]
    pub http_port: u16,

    /// Port of https:// redirects without a port.
    #[arg(long, value_name = "PORT", default_value_t = 443)]
    pub https_port: u16,

    /// Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is
    /// capped at 10 s and one name at three times this.
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    pub timeout: f64,

    /// Fetches of the token from every address, each on a fresh connection.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub attempts: usize,

    /// Which CA's rules to apply.
    #[arg(long, value_enum, default_value_t = ProfileName::Letsencrypt)]
    pub profile: ProfileName,

    /// Keep private and loopback addresses from DNS, as a private CA would.
    #[arg(long)]
    pub allow_private: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only failing names in text output.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Folder whose files are served at /.well-known/acme-challenge/.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, required = true)]
    pub challenge_dir: PathBuf,

    /// Address to listen on; repeat for several (IPv4 and IPv6).
    #[arg(long, value_name = "ADDR:PORT", required = true)]
    pub listen: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
