//! Running a parsed command line: settings, signals, cleanup and the exit status.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::join_all;

use crate::check::{Checker, Settings};
use crate::cli::{CheckArgs, Cli, ColorChoice, Command, ExplainArgs, Format, ServeArgs};
use crate::explain;
use crate::finding::Code;
use crate::exit::Exit;
use crate::profile::{Ports, ProfileName};
use crate::report::{self, DomainReport, RunReport, Verdict};
use crate::resolve::{self, Pins, Resolver};
use crate::responder;
use crate::webroot::{self, Layout};

/// Runs the command and returns its exit status. Every path out of here has already
/// removed what the run wrote.
pub fn run(cli: Cli) -> Exit {
    init_logging(cli.verbose);
    init_color(cli.color);

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("acme-preflight: cannot start the async runtime: {e}");
            return Exit::Error;
        }
    };

    let exit = match cli.command {
        Command::Check(args) => runtime.block_on(run_check(args)),
        Command::Serve(args) => runtime.block_on(run_serve(args)),
        Command::Demo => runtime.block_on(crate::demo::run()),
        Command::Explain(args) => run_explain(args),
        Command::Clean(args) => crate::clean::run(&args),
    };
    // Everything was cleaned up inside block_on. A task still inside a poll (a
    // connection to a hostile server) must not hold up the exit, which dropping the
    // runtime would do.
    runtime.shutdown_background();
    exit
}

fn run_explain(args: ExplainArgs) -> Exit {
    let text = if args.all {
        explain::findings_document()
    } else if let Some(code) = &args.code {
        match Code::parse(code) {
            Some(code) => explain::render(explain::explain(code)),
            None => {
                return usage_error(&format!(
                    "unknown finding code {code:?}; run `acme-preflight explain` to list them"
                ));
            }
        }
    } else {
        Code::ALL
            .iter()
            .map(|c| format!("{:<28} {}\n", c.as_str(), c.title()))
            .collect()
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    Exit::Pass
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "acme_preflight=info",
        _ => "acme_preflight=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Decides color once: `auto` colors only a terminal with NO_COLOR unset or empty and a
/// TERM other than `dumb`.
fn init_color(choice: ColorChoice) {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
            std::io::stdout().is_terminal() && !no_color && !dumb
        }
    };
    colored::control::set_override(enabled);
}

fn usage_error(message: &str) -> Exit {
    eprintln!("acme-preflight: error: {message}");
    Exit::Error
}

/// Validates and converts a name as the CA would: Unicode to A-labels (UTS 46),
/// lowercase. IP addresses are valid identifiers, except unspecified, multicast and
/// broadcast ones; wildcards cannot use HTTP-01.
pub fn normalize_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim_end_matches('.');
    if trimmed.starts_with("*.") || trimmed == "*" {
        return Err(format!("{input:?} is a wildcard name; HTTP-01 cannot validate wildcards, use DNS-01"));
    }

    // An IPv6 address may come with brackets, but only with both.
    let bare = match trimmed.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| format!("{input:?} is not a valid IP address: a bracket is not closed"))?,
        None => trimmed,
    };
    if let Ok(addr) = bare.parse::<std::net::IpAddr>() {
        // No server can listen on these, and the CA rejects them.
        if addr.is_unspecified() || addr.is_multicast() || addr == std::net::Ipv4Addr::BROADCAST {
            return Err(format!("{input:?} is an unspecified, multicast or broadcast address, which no server can answer from"));
        }
        return Ok(match addr {
            std::net::IpAddr::V4(a) => a.to_string(),
            std::net::IpAddr::V6(a) => format!("[{a}]"),
        });
    }

    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{input:?} is not a valid domain name"));
    }
    let ascii = idna::domain_to_ascii_strict(trimmed).map_err(|_| format!("{input:?} is not a valid domain name"))?;
    let labels_ok = ascii.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !labels_ok || ascii.len() > 253 {
        return Err(format!("{input:?} is not a valid domain name"));
    }

    // No top-level domain is all digits, and resolvers may read "127.1" as an address.
    if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!(
            "{input:?} is neither a valid IP address nor a domain name (its last label is all digits)"
        ));
    }
    Ok(ascii)
}

async fn run_check(args: CheckArgs) -> Exit {
    // Listen before anything is written: from here on SIGINT and SIGTERM are recorded
    // for the select below instead of ending the process.
    let signal = listen_for_signals();

    let mut domains = Vec::new();
    for input in &args.domains {
        match normalize_domain(input) {
            Ok(domain) => domains.push(domain),
            Err(message) => return usage_error(&message),
        }
    }

    let layout = match (&args.webroot, &args.challenge_dir) {
        (Some(dir), None) => Layout::Webroot(dir.clone()),
        (None, Some(dir)) => Layout::ChallengeDir(dir.clone()),
        _ => return usage_error("give the folder to write the token into: --webroot DIR or --challenge-dir DIR"),
    };

    if !args.timeout.is_finite() || args.timeout <= 0.0 || args.timeout > 3600.0 {
        return usage_error(&format!("invalid --timeout {}: give seconds greater than 0, at most 3600", args.timeout));
    }
    if args.attempts == 0 || args.attempts > 100 {
        return usage_error(&format!("invalid --attempts {}: give a number from 1 to 100", args.attempts));
    }
    let pins = match Pins::parse(&args.resolve) {
        Ok(pins) => pins,
        Err(message) => return usage_error(&message),
    };
    let dns_server = match args.dns_server.as_deref().map(resolve::parse_dns_server).transpose() {
        Ok(server) => server,
        Err(message) => return usage_error(&message),
    };
    if let Err(message) = layout.validate() {
        return usage_error(&message);
    }

    let settings = Settings {
        profile: args.profile.profile(),
        ports: Ports {
            http: args.http_port,
            https: args.https_port,
        },
        timeout: Duration::from_secs_f64(args.timeout),
        attempts: args.attempts,
        layout: Some(layout),
        given: None,
    };
    let resolver = Resolver::new(pins, dns_server, args.allow_private);
    let ledger = webroot::new_ledger();
    // Cleans up when a panic unwinds through here; the normal paths clean up below.
    let _on_panic = CleanupOnDrop(&ledger);

    let outcome = {
        let checker = Checker {
            settings: &settings,
            resolver: &resolver,
            ledger: &ledger,
        };
        // NOTE: names are checked concurrently without a bound; a bound per address
        // matters only for long lists.
        let work = join_all(domains.iter().map(|d| checker.check(d)));
        tokio::select! {
            reports = work => Ok(reports),
            signal = signal => Err(signal),
        }
    };

    let problems = webroot::cleanup(&ledger);
    for problem in &problems {
        eprintln!("acme-preflight: warning: {problem}");
    }

    let reports = match outcome {
        Ok(reports) => reports,
        Err(exit) => {
            eprintln!("acme-preflight: interrupted; removed the files this run wrote");
            return exit;
        }
    };

    let run = RunReport {
        version: 1,
        notes: notes_for(args.profile),
        results: reports,
    };
    print_report(&run, args.format, args.quiet);
    exit_for(&run.results)
}

pub fn notes_for(profile: ProfileName) -> Vec<String> {
    match profile {
        ProfileName::Letsencrypt => vec![
            "Let's Encrypt repeats the fetch from remote perspectives in other regions, and 3 of 4 must pass; \
             geo-blocking, regional firewalls, CDN or anycast differences and split DNS are not visible from this one place."
                .to_string(),
        ],
        ProfileName::Pebble => Vec::new(),
    }
}

pub fn print_report(run: &RunReport, format: Format, quiet: bool) {
    let text = match format {
        Format::Text => report::text::render(run, quiet),
        Format::Json => report::json::render(run),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub fn exit_for(results: &[DomainReport]) -> Exit {
    if results.iter().any(|r| r.verdict == Verdict::Error) {
        Exit::Error
    } else if results.iter().any(|r| r.verdict == Verdict::Fail) {
        Exit::Fail
    } else {
        Exit::Pass
    }
}

/// Waits for SIGINT or SIGTERM and returns the matching exit status.
pub async fn wait_for_signal() -> Exit {
    listen_for_signals().await
}

/// Installs the SIGINT and SIGTERM handlers now, and returns a future of the exit status
/// of the first signal. A signal that arrives before the future is polled is kept, and
/// the handlers stay installed for the life of the process, so a second Ctrl-C during
/// cleanup is recorded too instead of ending the process.
///
/// NOTE: a signal in the first milliseconds, before this runs, ends the process the
/// default way; nothing has been written by then, and a shell shows the same status.
#[cfg(unix)]
pub fn listen_for_signals() -> impl std::future::Future<Output = Exit> {
    use tokio::signal::unix::{SignalKind, signal};
    let listeners = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
    record_first_signal();
    async move {
        let (Ok(mut interrupt), Ok(mut terminate)) = listeners else {
            tracing::warn!("cannot install signal handlers; Ctrl-C will not clean up");
            return std::future::pending().await;
        };
        let fired = tokio::select! {
            _ = interrupt.recv() => Exit::Interrupted,
            _ = terminate.recv() => Exit::Terminated,
        };
        // Both streams may be ready by the time this task runs, and select! picks one at
        // random, so the order of arrival comes from the handler.
        match FIRST_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
            libc::SIGINT => Exit::Interrupted,
            libc::SIGTERM => Exit::Terminated,
            _ => fired,
        }
    }
}

/// The first of SIGINT and SIGTERM that the process received, or 0.
#[cfg(unix)]
static FIRST_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Adds a handler action, once per process, that stores the first signal in
/// [`FIRST_SIGNAL`]; tokio's own action for the same signals runs too.
#[cfg(unix)]
fn record_first_signal() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let record = move || {
                let _ = FIRST_SIGNAL.compare_exchange(
                    0,
                    signal,
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                );
            };
            // SAFETY: the action does one atomic compare-and-swap, which is
            // async-signal-safe, and it captures only a copied integer.
            if let Err(error) = unsafe { signal_hook_registry::register(signal, record) } {
                tracing::warn!(%error, signal, "cannot record the order of signals");
            }
        }
    });
}

#[cfg(not(unix))]
pub fn listen_for_signals() -> impl std::future::Future<Output = Exit> {
    async {
        let _ = tokio::signal::ctrl_c().await;
        Exit::Interrupted
    }
}

/// Runs the cleanup when dropped; cleanup is idempotent, so the normal path may run it
/// first.
struct CleanupOnDrop<'a>(&'a webroot::SharedLedger);

impl Drop for CleanupOnDrop<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for problem in webroot::cleanup(self.0) {
                eprintln!("acme-preflight: warning: {problem}");
            }
        }
    }
}

async fn run_serve(args: ServeArgs) -> Exit {
    let mut addrs = Vec::new();
    for text in &args.listen {
        match responder::parse_listen(text) {
            Ok(addr) => addrs.push(addr),
            Err(message) => return usage_error(&message),
        }
    }
    let dir: PathBuf = args.challenge_dir.clone();
    if !dir.is_dir() {
        return usage_error(&format!("--challenge-dir {} is not an existing directory", dir.display()));
    }

    let mut listeners = Vec::new();
    for addr in addrs {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => listeners.push(listener),
            Err(e) => return usage_error(&format!("cannot listen on {addr}: {e}")),
        }
    }
    for listener in &listeners {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, dir = %dir.display(), "serving challenges");
        }
    }

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(responder::serve(responder::Source { challenge_dir: dir }, listeners, stopped));
    let exit = wait_for_signal().await;
    let _ = stop.send(true);
    let _ = server.await;
    exit
}
