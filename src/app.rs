//! Running a parsed command line: settings, signals, cleanup and the exit status.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use futures_util::future::join_all;

use crate::check::{Checker, Settings};
use crate::cli::{CheckArgs, Cli, ColorChoice, Command, Format, ServeArgs};
use crate::exit::Exit;
use crate::log_buffer;
use crate::profile::{Ports, ProfileName};
use crate::report::{self, DomainReport, RunReport, Verdict};
use crate::resolve::{self, Pins, Resolver};
use crate::responder::{self, listen};
use crate::standalone;
use crate::token::{Challenge, random_base64url};
use crate::webroot::{self, Layout};

/// Runs the command and returns its exit status. Every path out of here has already
/// removed what the run wrote.
pub fn run(cli: Cli) -> Exit {
    // A long-running server logs its starts, stops and requests by default.
    let is_server = matches!(cli.command, Command::Serve(_));
    init_logging(cli.verbose, is_server);
    init_color(cli.color);

    // With one CPU, a multi-threaded runtime only adds cross-thread wake-ups. A
    // single-threaded one gave `serve` lower p99 latency in bench/serve-vs-nginx.sh, which
    // pins the server to one CPU.
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut builder = if one_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
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
    };
    log_buffer::flush();
    exit
}

fn init_logging(verbose: u8, is_server: bool) {
    let default = match verbose {
        0 if is_server => "warn,acme_preflight=info",
        0 => "warn",
        1 => "acme_preflight=info",
        _ => "acme_preflight=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal());
    // A server logs a line per request, and batching them saves a write per request.
    let _ = if is_server {
        builder.with_writer(log_buffer::BatchedStderr::new()).try_init()
    } else {
        builder.with_writer(std::io::stderr).try_init()
    };
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
/// lowercase; IP addresses are valid identifiers; wildcards cannot use HTTP-01.
pub fn normalize_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim_end_matches('.');
    if trimmed.starts_with("*.") || trimmed == "*" {
        return Err(format!("{input:?} is a wildcard name; HTTP-01 cannot validate wildcards, use DNS-01"));
    }
    if let Ok(addr) = trimmed.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
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
    Ok(ascii)
}

async fn run_check(args: CheckArgs) -> Exit {
    let mut domains = Vec::new();
    for input in &args.domains {
        match normalize_domain(input) {
            Ok(domain) => domains.push(domain),
            Err(message) => return usage_error(&message),
        }
    }

    if !args.listen.is_empty() && !args.standalone {
        return usage_error("--listen sets where the --standalone responder listens; add --standalone or drop --listen");
    }
    // clap lets exactly one of these through.
    let target = if let Some(dir) = &args.webroot {
        Target::Files(Layout::Webroot(dir.clone()))
    } else if let Some(dir) = &args.challenge_dir {
        Target::Files(Layout::ChallengeDir(dir.clone()))
    } else if let Some(text) = &args.thumbprint {
        match responder::parse_thumbprint(text) {
            Ok(thumbprint) => Target::Stateless(thumbprint),
            Err(message) => return usage_error(&message),
        }
    } else if args.standalone {
        Target::Standalone
    } else {
        return usage_error("give where the token goes: --webroot DIR, --challenge-dir DIR, --standalone or --thumbprint THUMBPRINT");
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
    if let Target::Files(layout) = &target
        && let Err(message) = layout.validate()
    {
        return usage_error(&message);
    }

    // Without files, the token lives in memory. The bundled responder keeps it
    // (standalone) or a stateless responder derives it from the thumbprint, and every name
    // shares it.
    let given = match &target {
        Target::Files(_) => None,
        Target::Standalone => match Challenge::random() {
            Ok(challenge) => Some(challenge),
            Err(e) => return usage_error(&format!("cannot get random bytes for the token: {e}")),
        },
        Target::Stateless(thumbprint) => match random_base64url(32) {
            Ok(token) => Some(Challenge::given(&token, &format!("{token}.{thumbprint}"))),
            Err(e) => return usage_error(&format!("cannot get random bytes for the token: {e}")),
        },
    };
    let responder = match (&target, &given) {
        (Target::Standalone, Some(challenge)) => match standalone::bind(&args.listen, args.http_port) {
            Ok(listeners) => Some(standalone::start(listeners, challenge)),
            Err(message) => return usage_error(&message),
        },
        _ => None,
    };
    let is_standalone = responder.is_some();
    let layout = match target {
        Target::Files(layout) => Some(layout),
        Target::Standalone | Target::Stateless(_) => None,
    };

    let settings = Settings {
        profile: args.profile.profile(),
        ports: Ports {
            http: args.http_port,
            https: args.https_port,
        },
        timeout: Duration::from_secs_f64(args.timeout),
        attempts: args.attempts,
        layout,
        given,
    };
    let resolver = Resolver::new(pins, dns_server, args.allow_private);
    let ledger = webroot::new_ledger();

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
            signal = wait_for_signal() => Err(signal),
        }
    };

    if let Some(responder) = responder {
        responder.stop().await;
    }
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

    let mut notes = notes_for(args.profile);
    if is_standalone {
        notes.push(standalone::NOTE.to_string());
    }
    let run = RunReport {
        version: 1,
        notes,
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
#[cfg(unix)]
pub async fn wait_for_signal() -> Exit {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => Exit::Interrupted,
        _ = terminate.recv() => Exit::Terminated,
    }
}

#[cfg(not(unix))]
pub async fn wait_for_signal() -> Exit {
    let _ = tokio::signal::ctrl_c().await;
    Exit::Interrupted
}

/// The place `check` puts the token, chosen on the command line.
enum Target {
    /// A file in a folder the web server serves.
    Files(Layout),
    /// Memory, served by the bundled responder on this machine.
    Standalone,
    /// Nowhere, because a stateless responder computes the key authorization from the
    /// thumbprint.
    Stateless(String),
}

async fn run_serve(args: ServeArgs) -> Exit {
    let config = match serve_config(&args).await {
        Ok(config) => config,
        Err(message) => return usage_error(&message),
    };

    let mut addrs = Vec::new();
    for text in &args.listen {
        match listen::parse_listen(text) {
            Ok(addr) => addrs.push(addr),
            Err(message) => return usage_error(&message),
        }
    }
    let mut listeners = match listen::inherited() {
        Ok(listeners) => listeners,
        Err(message) => return usage_error(&message),
    };
    if listeners.is_empty() && addrs.is_empty() {
        return usage_error("give an address to listen on with --listen ADDR:PORT, or start serve through systemd socket activation");
    }
    match listen::bind_all(&addrs) {
        Ok(bound) => listeners.extend(bound),
        Err(message) => return usage_error(&message),
    }

    let limits = responder::Limits::default();
    // One descriptor per connection, a second for its upstream, and some to spare.
    listen::raise_open_file_limit(limits.max_connections as u64 * 2 + 64);
    for listener in &listeners {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "listening");
        }
    }
    log_config(&config);

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let grace = limits.shutdown_grace;
    let server = tokio::spawn(responder::serve(config, limits, listeners, stopped));
    let exit = wait_for_signal().await;
    tracing::info!(grace_s = grace.as_secs_f64(), "stopping: in-flight requests get the grace period to finish");
    let _ = stop.send(true);
    let _ = server.await;
    tracing::info!("stopped");
    exit
}

/// Builds the responder's configuration from `serve`'s arguments, checking each value.
async fn serve_config(args: &ServeArgs) -> Result<responder::Config, String> {
    let mut sources = Vec::new();
    if let Some(dir) = &args.challenge_dir {
        if !dir.is_dir() {
            return Err(format!("--challenge-dir {} is not an existing directory", dir.display()));
        }
        sources.push(responder::Source::Dir(dir.clone()));
    }
    // After the folder, so that a file for a token wins over the stateless response.
    if let Some(text) = &args.thumbprint {
        sources.push(responder::Source::Thumbprint(responder::parse_thumbprint(text)?));
    }
    if sources.is_empty() {
        return Err("give where answers come from: --challenge-dir DIR, --thumbprint THUMBPRINT, or both".to_string());
    }

    let fallback = match (&args.proxy, args.redirect_https) {
        (Some(url), _) => responder::Fallback::Proxy(responder::Upstream::resolve(url).await?),
        (None, true) => responder::Fallback::RedirectHttps,
        (None, false) => responder::Fallback::NotFound,
    };
    Ok(responder::Config { sources, fallback })
}

/// Logs what the responder answers from, without the thumbprint.
fn log_config(config: &responder::Config) {
    for source in &config.sources {
        match source {
            responder::Source::Dir(dir) => tracing::info!(dir = %dir.display(), "serving challenges from files"),
            responder::Source::Thumbprint(_) => tracing::info!("responding to every well-formed token statelessly"),
            responder::Source::Memory(_) => tracing::info!("serving one token kept in memory"),
        }
    }
    match &config.fallback {
        responder::Fallback::NotFound => tracing::info!("other requests get 404"),
        responder::Fallback::RedirectHttps => tracing::info!("other requests get a 308 redirect to https"),
        responder::Fallback::Proxy(upstream) => {
            tracing::info!(upstream = %upstream.authority, addrs = ?upstream.addrs, "other requests are forwarded")
        }
    }
}
