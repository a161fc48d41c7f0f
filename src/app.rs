//! Running a parsed command line: settings, signals, cleanup and the exit status.

use std::io::{IsTerminal, Write};
use std::time::Duration;


use crate::batch::{self, Job};
use crate::check::{AddressLimits, Checker, LeftoverScan, Settings};
use crate::cli::{CheckArgs, CheckOptions, Cli, ColorChoice, Command, ExplainArgs, Format, HookCommand, ServeArgs};
use crate::explain;
use crate::hook;
use crate::finding::Code;
use crate::exit::Exit;
use crate::log_buffer;
use crate::profile::{Ports, ProfileName};
use crate::report::{self, DomainReport, RunReport, Verdict};
use crate::resolve::{self, Pins, Resolver};
use crate::responder::{self, listen};
use crate::standalone;
use crate::token::{Challenge, is_valid_token, random_base64url};
use crate::webroot::{self, Layout};

/// Runs the command and returns its exit status. Every path out of here has already
/// removed what the run wrote.
pub fn run(cli: Cli) -> Exit {
    // A long-running server logs its starts, stops and requests by default.
    let is_server = matches!(cli.command, Command::Serve(_));
    init_logging(cli.verbose, is_server);
    init_color(cli.color);

    // A check is I/O-bound and spends its time in the kernel. One thread avoids cross-thread
    // wake-ups and leaves the other cores to the servers it talks to: bench/bulk.sh measured
    // about 40 % more names per second on 2 cores than with two workers. The responder serves
    // many clients and gets a thread per core, except with one CPU, where more threads only
    // add wake-ups (bench/serve-vs-nginx.sh, which pins the server to one CPU, showed a
    // lower p99 with one thread).
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut builder = match cli.command {
        Command::Serve(_) if !one_cpu => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
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
        Command::Hook(hook) => runtime.block_on(run_hook(hook)),
        Command::Explain(args) => run_explain(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "acme-preflight", &mut std::io::stdout());
            Exit::Pass
        }
        Command::Man => match render_man_page() {
            Ok(page) => {
                let _ = std::io::stdout().lock().write_all(&page);
                Exit::Pass
            }
            Err(e) => {
                eprintln!("acme-preflight: cannot render the man page: {e}");
                Exit::Error
            }
        },
        Command::Clean(args) => crate::clean::run(&args),
    };
    // Everything was cleaned up inside block_on. A task still inside a poll (a
    // connection to a hostile server) must not hold up the exit, which dropping the
    // runtime would do.
    runtime.shutdown_background();
    log_buffer::flush();
    exit
}

/// Renders the man page from the CLI definition.
pub fn render_man_page() -> std::io::Result<Vec<u8>> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    Ok(page)
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

    if !args.listen.is_empty() && !args.standalone {
        return usage_error("--listen sets where the --standalone responder listens; add --standalone or drop --listen");
    }

    // clap lets at most one of these through; without them, tokens go to files.
    let memory = if let (Some(token), Some(key_authorization)) = (&args.token, &args.key_authorization) {
        if !is_valid_token(token) {
            return usage_error(&format!("invalid --token {token:?}: a token is 1 to 255 characters of A-Z, a-z, 0-9, - and _"));
        }
        Some(Target::Written(Challenge::given(token, key_authorization)))
    } else if let Some(text) = &args.thumbprint {
        match responder::parse_thumbprint(text) {
            Ok(thumbprint) => Some(Target::Stateless(thumbprint)),
            Err(message) => return usage_error(&message),
        }
    } else if args.standalone {
        Some(Target::Standalone)
    } else {
        None
    };

    let jobs = match collect_jobs(&args, memory.is_none()) {
        Ok(jobs) => jobs,
        Err(message) => return usage_error(&message),
    };

    if args.concurrency == 0 || args.concurrency > 100_000 {
        return usage_error(&format!("invalid --concurrency {}: give a number from 1 to 100000", args.concurrency));
    }
    let (mut settings, resolver) = match check_setup(&args.options, None) {
        Ok(setup) => setup,
        Err(message) => return usage_error(&message),
    };

    // Every folder is checked before anything is written anywhere.
    let mut validated: Vec<&Layout> = Vec::new();
    for layout in jobs.iter().filter_map(|job| job.layout.as_ref()) {
        if validated.iter().any(|l| l.given() == layout.given()) {
            continue;
        }
        if let Err(message) = layout.validate() {
            return usage_error(&message);
        }
        validated.push(layout);
    }

    // Without files, the token lives in memory. The bundled responder keeps it
    // (standalone) or a stateless responder derives it from the thumbprint, and every name
    // shares it.
    let given = match &memory {
        None => None,
        Some(Target::Written(challenge)) => Some(challenge.clone()),
        Some(Target::Standalone) => match Challenge::random() {
            Ok(challenge) => Some(challenge),
            Err(e) => return usage_error(&format!("cannot get random bytes for the token: {e}")),
        },
        Some(Target::Stateless(thumbprint)) => match random_base64url(32) {
            Ok(token) => Some(Challenge::given(&token, &format!("{token}.{thumbprint}"))),
            Err(e) => return usage_error(&format!("cannot get random bytes for the token: {e}")),
        },
    };
    let responder = match (&memory, &given) {
        (Some(Target::Standalone), Some(challenge)) => match standalone::bind(&args.listen, args.options.http_port) {
            Ok(listeners) => Some(standalone::start(listeners, challenge)),
            Err(message) => return usage_error(&message),
        },
        _ => None,
    };
    let is_standalone = responder.is_some();

    raise_open_file_limit();

    settings.given = given;
    let ledger = webroot::new_ledger();
    // Cleans up when a panic unwinds through here; the normal paths clean up below.
    let _on_panic = CleanupOnDrop(&ledger);
    let limits = AddressLimits::new(AddressLimits::DEFAULT);
    let leftovers = LeftoverScan::default();
    let progress = progress_bar(jobs.len(), args.options.quiet);

    let outcome = {
        let checker = Checker {
            settings: &settings,
            resolver: &resolver,
            ledger: &ledger,
            limits: &limits,
            leftovers: &leftovers,
        };
        let streaming = args.options.format == Format::Ndjson;
        let work = batch::run_jobs(&checker, &jobs, args.concurrency, |index, report| {
            if streaming {
                batch::write_ndjson_line(index, report);
            }
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        });
        tokio::select! {
            reports = work => Ok(reports),
            signal = signal => Err(signal),
        }
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

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

    let mut notes = notes_for(args.options.profile);
    if is_standalone {
        notes.push(standalone::NOTE.to_string());
    }
    let run = RunReport {
        version: 1,
        notes,
        results: reports,
    };
    if args.options.format != Format::Ndjson {
        print_report(&run, args.options.format, args.options.quiet);
    }
    exit_for(&run.results)
}

/// Builds the list of names and their webroots from the command line and the domains
/// file, in input order.
fn collect_jobs(args: &CheckArgs, uses_files: bool) -> Result<Vec<Job>, String> {
    let default_layout = match (&args.webroot, &args.challenge_dir) {
        (Some(dir), None) => Some(Layout::Webroot(dir.clone())),
        (None, Some(dir)) => Some(Layout::ChallengeDir(dir.clone())),
        _ => None,
    };

    let mut entries: Vec<batch::Entry> = args
        .domains
        .iter()
        .map(|name| batch::Entry {
            name: name.clone(),
            webroot: None,
            line: 0,
        })
        .collect();
    if let Some(path) = &args.domains_file {
        entries.extend(batch::read_domains_file(path)?);
    }
    if entries.is_empty() {
        return Err("no names to check: give DOMAIN arguments or a --domains-file with names".to_string());
    }

    let mut jobs = Vec::with_capacity(entries.len());
    for entry in entries {
        let domain = normalize_domain(&entry.name).map_err(|message| match entry.line {
            0 => message,
            line => format!("--domains-file line {line}: {message}"),
        })?;
        let layout = match (&entry.webroot, &default_layout) {
            (Some(_), _) if !uses_files => {
                return Err(format!(
                    "--domains-file line {}: a webroot cannot be used with --standalone, --thumbprint or --token, which write no files",
                    entry.line
                ));
            }
            _ if !uses_files => None,
            (Some(dir), _) => Some(Layout::Webroot(dir.clone())),
            (None, Some(layout)) => Some(layout.clone()),
            (None, None) => {
                return Err(format!(
                    "no webroot for {domain}: give --webroot DIR, --challenge-dir DIR, --standalone or --thumbprint, or a webroot after the name in the domains file"
                ));
            }
        };
        jobs.push(Job { domain, layout });
    }
    Ok(jobs)
}

/// Creates a progress bar on stderr, for more than one name when stderr is a terminal.
fn progress_bar(total: usize, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || total < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} names checked, {elapsed}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Raises the soft limit on open files to the hard limit: a bulk run holds a socket per
/// fetch in flight plus DNS sockets, more than the common soft limit of 1024.
#[cfg(unix)]
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit() {}

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
        Format::Junit => report::junit::render(run),
        Format::Github => report::github::render(run),
        // Streamed line by line while the checks run.
        Format::Ndjson => String::new(),
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
/// default way. Nothing has been written by then, and a shell shows the same status.
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

/// The place `check` keeps the token when it writes no file, chosen on the command line.
enum Target {
    /// A file an ACME client already wrote; the check only reads it through the server.
    Written(Challenge),
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

/// Builds the settings and resolver of a check from its options.
fn check_setup(options: &CheckOptions, given: Option<Challenge>) -> Result<(Settings, Resolver), String> {
    if !options.timeout.is_finite() || options.timeout <= 0.0 || options.timeout > 3600.0 {
        return Err(format!("invalid --timeout {}: give seconds greater than 0, at most 3600", options.timeout));
    }
    if options.attempts == 0 || options.attempts > 100 {
        return Err(format!("invalid --attempts {}: give a number from 1 to 100", options.attempts));
    }
    let pins = Pins::parse(&options.resolve)?;
    let dns_server = options.dns_server.as_deref().map(resolve::parse_dns_server).transpose()?;
    let settings = Settings {
        profile: options.profile.profile(),
        ports: Ports {
            http: options.http_port,
            https: options.https_port,
        },
        timeout: Duration::from_secs_f64(options.timeout),
        attempts: options.attempts,
        layout: None,
        given,
    };
    Ok((settings, Resolver::new(pins, dns_server, options.allow_private)))
}

/// Checks one name against a token an ACME client wrote, and returns the exit status and
/// the rendered report.
async fn check_written_token(options: &CheckOptions, domain: &str, challenge: Challenge) -> Result<(Exit, String), String> {
    let domain = normalize_domain(domain)?;
    let (settings, resolver) = check_setup(options, Some(challenge))?;
    let ledger = webroot::new_ledger();
    let limits = AddressLimits::new(AddressLimits::DEFAULT);
    let leftovers = LeftoverScan::default();
    let checker = Checker {
        settings: &settings,
        resolver: &resolver,
        ledger: &ledger,
        limits: &limits,
        leftovers: &leftovers,
    };
    let report = checker.check_with(&domain, None).await;
    let run = RunReport {
        version: 1,
        notes: notes_for(options.profile),
        results: vec![report],
    };
    let text = match options.format {
        Format::Json => report::json::render(&run),
        _ => report::text::render(&run, false),
    };
    Ok((exit_for(&run.results), text))
}

fn hook_layout(webroot: Option<std::path::PathBuf>, challenge_dir: Option<std::path::PathBuf>) -> Result<Layout, String> {
    match (webroot, challenge_dir) {
        (Some(dir), _) => Ok(Layout::Webroot(dir)),
        (None, Some(dir)) => Ok(Layout::ChallengeDir(dir)),
        (None, None) => Err("give --webroot DIR or --challenge-dir DIR".to_string()),
    }
}

async fn run_hook(hook: HookCommand) -> Exit {
    let result = match hook {
        HookCommand::CertbotAuth {
            webroot,
            challenge_dir,
            no_stop,
            options,
        } => certbot_auth(hook_layout(webroot, challenge_dir), no_stop, &options).await,
        HookCommand::CertbotCleanup { webroot, challenge_dir } => certbot_cleanup(hook_layout(webroot, challenge_dir)),
        HookCommand::Dehydrated {
            challenge_dir,
            remove_on_fail,
            options,
            event,
        } => {
            let remove_from = challenge_dir.filter(|_| remove_on_fail).map(Layout::ChallengeDir);
            dehydrated(&options, &event, remove_from.as_ref()).await
        }
    };
    match result {
        Ok(exit) => exit,
        Err(message) => usage_error(&message),
    }
}

async fn certbot_auth(layout: Result<Layout, String>, no_stop: bool, options: &CheckOptions) -> Result<Exit, String> {
    let layout = layout?;
    let (domain, token, validation) = hook::certbot_environment()?;
    layout.validate()?;
    hook::write_challenge(&layout, &token, &validation)?;

    let (exit, report) = check_written_token(options, &domain, Challenge::given(&token, &validation)).await?;
    // certbot keeps a hook's stdout for the cleanup hook and shows its stderr.
    eprint!("{report}");
    if exit == Exit::Pass {
        return Ok(exit);
    }

    if no_stop {
        eprintln!("acme-preflight: the CA would fail this challenge; certbot will respond to it anyway (--no-stop)");
        return Ok(exit);
    }
    let Some(pid) = hook::find_certbot() else {
        eprintln!(
            "acme-preflight: the CA would fail this challenge, but no certbot process was found among this hook's parents; certbot ignores the hook's exit status and will answer it"
        );
        return Ok(exit);
    };

    // certbot 2.x, stopped while its auth hook runs, does not run the cleanup hook for that
    // challenge (its recovery fails on the half-recorded challenge), so the token goes now.
    for problem in hook::remove_challenge(&layout, &token, &validation) {
        eprintln!("acme-preflight: warning: {problem}");
    }
    // The hook's own output dies with certbot, which captures it; certbot's stderr is where
    // the user reads certbot's messages.
    let message = format!(
        "{report}acme-preflight: the CA would fail this challenge, so certbot (PID {pid}) was stopped before it answered it\n"
    );
    hook::write_to_stderr_of(pid, &message);
    if let Err(e) = hook::terminate(pid) {
        eprintln!("acme-preflight: stopping certbot (PID {pid}) failed: {e}");
    }
    Ok(exit)
}

fn certbot_cleanup(layout: Result<Layout, String>) -> Result<Exit, String> {
    let layout = layout?;
    let (_, token, validation) = hook::certbot_environment()?;
    for problem in hook::remove_challenge(&layout, &token, &validation) {
        eprintln!("acme-preflight: warning: {problem}");
    }
    Ok(Exit::Pass)
}

/// dehydrated calls its hook with an event name and arguments; `deploy_challenge` gets
/// (domain, token file name, key authorization) triples, several with HOOK_CHAIN=yes.
/// dehydrated has already written the file to WELLKNOWN, so the hook only checks it.
async fn dehydrated(options: &CheckOptions, event: &[String], remove_from: Option<&Layout>) -> Result<Exit, String> {
    let Some((name, arguments)) = event.split_first() else {
        return Err("dehydrated passes an event name; none was given".to_string());
    };
    if name != "deploy_challenge" {
        return Ok(Exit::Pass);
    }
    if arguments.is_empty() || arguments.len() % 3 != 0 {
        return Err(format!(
            "deploy_challenge takes DOMAIN TOKEN_FILENAME TOKEN_VALUE triples; got {} arguments",
            arguments.len()
        ));
    }

    let mut worst = Exit::Pass;
    for triple in arguments.chunks(3) {
        let (domain, token, value) = (&triple[0], &triple[1], &triple[2]);
        if !is_valid_token(token) {
            return Err(format!("invalid token file name {token:?} from dehydrated"));
        }
        let (exit, report) = check_written_token(options, domain, Challenge::given(token, value)).await?;
        eprint!("{report}");
        if exit != Exit::Pass {
            worst = exit;
        }
    }
    if worst != Exit::Pass
        && let Some(layout) = remove_from
    {
        for triple in arguments.chunks(3) {
            // Only a file that still contains dehydrated's key authorization is removed.
            for problem in hook::remove_challenge(layout, &triple[1], &triple[2]) {
                eprintln!("acme-preflight: warning: {problem}");
            }
        }
    }
    if worst != Exit::Pass {
        eprintln!("acme-preflight: the CA would fail this challenge; exiting non-zero so that dehydrated stops before it responds to the challenge");
    }
    Ok(worst)
}
