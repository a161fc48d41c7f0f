//! The command line, defined in one place with clap's derive API.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum, ValueHint};

use crate::profile::ProfileName;

const AFTER_HELP: &str = "\
Exit status:
  0    every name passes
  1    at least one name would fail validation
  2    the check could not be made (invalid arguments, webroot missing or not writable);
       nothing was written
  130  interrupted by Ctrl-C (SIGINT), after cleanup
  143  stopped by SIGTERM, after cleanup

Environment:
  NO_COLOR          when set and not empty, --color auto prints no color
  RUST_LOG          log filter for -v output, for example acme_preflight=debug
  ACME_PREFLIGHT_*  defaults for options, named beside each option above";

const SERVE_AFTER_HELP: &str = "\
Exit status:
  2    invalid arguments, or a --listen address could not be bound
  130  stopped by Ctrl-C (SIGINT), once in-flight requests finished (at most 5 s)
  143  stopped by SIGTERM, once in-flight requests finished (at most 5 s)

Requests under /.well-known/acme-challenge/ are always answered here and never
forwarded: a token that no source knows gets 404. Without --listen, the sockets
come from systemd socket activation (LISTEN_FDS). Starts, stops and one line per
request are logged to stderr; RUST_LOG=warn keeps only warnings and errors.";

/// Check that an ACME HTTP-01 challenge will pass, before the CA is asked.
#[derive(Debug, Parser)]
#[command(name = "acme-preflight", version, after_help = AFTER_HELP)]
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
    /// Place a random token (in the webroot, or in memory with --standalone), fetch it as the
    /// CA would, report, clean up.
    Check(CheckArgs),
    /// Respond to HTTP-01 challenges from a folder or a thumbprint, in front of or beside an app.
    Serve(ServeArgs),
    /// Run two checks on loopback against built-in servers: one passes, one fails.
    Demo,
    /// Print what a finding code means, how it is detected, and fixes per stack.
    Explain(ExplainArgs),
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
    /// Run as a hook of an ACME client, checking the real token before the CA is asked.
    #[command(subcommand)]
    Hook(HookCommand),
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
#[command(after_help = AFTER_HELP)]
#[command(group(ArgGroup::new("target").multiple(false).args(["webroot", "challenge_dir", "standalone", "thumbprint"])))]
pub struct CheckArgs {
    /// Names to check, as they appear in the certificate request.
    #[arg(value_name = "DOMAIN", required_unless_present = "domains_file")]
    pub domains: Vec<String>,

    /// Read names from FILE (- for stdin): one `NAME [WEBROOT]` per line, # starts a comment.
    /// A webroot on a line overrides --webroot for that name.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub domains_file: Option<PathBuf>,

    /// Document root the web server serves for the names; the token goes to
    /// DIR/.well-known/acme-challenge/.
    #[arg(
        long,
        value_name = "DIR",
        value_hint = ValueHint::DirPath,
        env = "ACME_PREFLIGHT_WEBROOT"
    )]
    pub webroot: Option<PathBuf>,

    /// Folder the web server maps to /.well-known/acme-challenge/ itself (an alias); the
    /// token is written straight into it.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub challenge_dir: Option<PathBuf>,

    /// Serve the token from the bundled responder on this machine, before any web server
    /// runs on the HTTP port. Nothing is written to disk. A pass shows that DNS, firewalls,
    /// NAT and port forwarding bring the CA's request to this machine.
    #[arg(long)]
    pub standalone: bool,

    /// With --standalone: address for the responder to listen on; repeat for several
    /// (default 0.0.0.0 and [::] on the --http-port).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<String>,

    /// Check a responder in stateless mode (`serve --thumbprint`, acme.sh's stateless
    /// mode): expect TOKEN.THUMBPRINT for a random token; nothing is written.
    #[arg(long, value_name = "THUMBPRINT")]
    pub thumbprint: Option<String>,

    /// Check a token that an ACME client already wrote, instead of writing a random one:
    /// nothing is written or removed. Needs --key-authorization.
    #[arg(long, value_name = "TOKEN", requires = "key_authorization", conflicts_with_all = ["standalone", "thumbprint"])]
    pub token: Option<String>,

    /// The key authorization that the file for --token holds.
    #[arg(long, value_name = "KEY_AUTHORIZATION", requires = "token")]
    pub key_authorization: Option<String>,

    #[command(flatten)]
    pub options: CheckOptions,

    /// Names checked at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub concurrency: usize,
}

/// How names are fetched and reported, shared by `check` and the hooks.
#[derive(Debug, Args)]
pub struct CheckOptions {
    /// Pin HOST to addresses, in curl's form; the pin applies to every port, and repeating
    /// it adds addresses.
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR...]")]
    pub resolve: Vec<String>,

    /// Ask this DNS server instead of the system's resolver configuration.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub dns_server: Option<String>,

    /// Port of the first request, and of http:// redirects without a port.
    #[arg(long, value_name = "PORT", default_value_t = 80, value_parser = clap::value_parser!(u16).range(1..))]
    pub http_port: u16,

    /// Port of https:// redirects without a port.
    #[arg(long, value_name = "PORT", default_value_t = 443, value_parser = clap::value_parser!(u16).range(1..))]
    pub https_port: u16,

    /// Bound on one fetch chain in seconds (DNS, every hop and the body); each connect is
    /// capped at 10 s and one name at three times this.
    #[arg(long, value_name = "SECS", default_value_t = 20.0, env = "ACME_PREFLIGHT_TIMEOUT")]
    pub timeout: f64,

    /// Fetches of the token from every address, each on a fresh connection.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub attempts: usize,

    /// CA whose rules to apply.
    #[arg(long, value_enum, default_value_t = ProfileName::Letsencrypt, env = "ACME_PREFLIGHT_PROFILE")]
    pub profile: ProfileName,

    /// Keep private and loopback addresses from DNS, as a private CA would.
    #[arg(long)]
    pub allow_private: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, env = "ACME_PREFLIGHT_FORMAT")]
    pub format: Format,

    /// Print only failing names in text output.
    #[arg(short, long)]
    pub quiet: bool,
}

/// ACME clients that acme-preflight plugs into.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// certbot's --manual-auth-hook: write the token as the webroot plugin would, check it,
    /// and stop certbot before it answers the challenge when the CA would fail.
    CertbotAuth {
        /// Document root the web server serves for the name.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, required_unless_present = "challenge_dir")]
        webroot: Option<PathBuf>,

        /// Folder the web server maps to /.well-known/acme-challenge/ itself.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, conflicts_with = "webroot")]
        challenge_dir: Option<PathBuf>,

        /// Only report and exit non-zero; leave certbot running (it then answers the
        /// challenge anyway, because it ignores an auth hook's exit status).
        #[arg(long)]
        no_stop: bool,

        #[command(flatten)]
        options: CheckOptions,
    },
    /// certbot's --manual-cleanup-hook: remove the token and the folders the auth hook
    /// created.
    CertbotCleanup {
        /// Document root given to the auth hook.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, required_unless_present = "challenge_dir")]
        webroot: Option<PathBuf>,

        /// Challenge folder given to the auth hook.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, conflicts_with = "webroot")]
        challenge_dir: Option<PathBuf>,
    },
    /// dehydrated's HOOK script: check the token at deploy_challenge and exit non-zero to
    /// stop dehydrated when the CA would fail; other events do nothing.
    Dehydrated {
        /// dehydrated's WELLKNOWN folder, where it writes the challenge files; needed by
        /// --remove-on-fail.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        challenge_dir: Option<PathBuf>,

        /// When the CA would fail, also remove the challenge file dehydrated wrote, as its
        /// clean_challenge step would have; dehydrated stops before that step.
        #[arg(long, requires = "challenge_dir")]
        remove_on_fail: bool,

        #[command(flatten)]
        options: CheckOptions,

        /// The event and its arguments, as dehydrated passes them.
        #[arg(value_name = "EVENT_AND_ARGS", trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        event: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(after_help = SERVE_AFTER_HELP)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["challenge_dir", "thumbprint"])))]
pub struct ServeArgs {
    /// Folder whose files are served at /.well-known/acme-challenge/ (the folder an ACME
    /// client writes to in webroot mode). Symlinks and files over 4 KiB are not served.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub challenge_dir: Option<PathBuf>,

    /// Stateless mode: respond to every well-formed token with TOKEN.THUMBPRINT, where
    /// THUMBPRINT is the ACME account key's SHA-256 thumbprint (43 base64url characters).
    /// With --challenge-dir too, a file for the token wins.
    #[arg(long, value_name = "THUMBPRINT")]
    pub thumbprint: Option<String>,

    /// Address to listen on; repeat for several (IPv4 and IPv6). IPv6 sockets are
    /// IPv6-only, so 0.0.0.0:80 and [::]:80 can be given together.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<String>,

    /// Forward every request that is not a challenge to this upstream, for example the app
    /// at http://127.0.0.1:8050. Only this address is ever contacted.
    #[arg(long, value_name = "http://HOST:PORT", conflicts_with = "redirect_https")]
    pub proxy: Option<String>,

    /// Respond to every request that is not a challenge with a 308 redirect to the same host,
    /// path and query over https.
    #[arg(long)]
    pub redirect_https: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A summary, then details for failures.
    Text,
    /// One JSON object for the whole run.
    Json,
    /// One JSON object per name, written as each finishes.
    Ndjson,
    /// JUnit XML, one test case per name.
    Junit,
    /// GitHub Actions workflow commands, one ::error line per failing name.
    Github,
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
