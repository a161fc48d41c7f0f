//! Running a parsed command line: settings, signals, cleanup and the exit status.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;


use crate::batch::{self, Job};
use crate::check::{AddressLimits, Checker, LeftoverScan, Settings};
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

    // A check is I/O-bound and spends its time in the kernel; one thread avoids cross-thread
    // wake-ups and leaves the other cores to the servers it talks to (measured in
    // bench/bulk.sh: about 40 % more names per second on 2 cores than two workers). The
    // responder serves many clients and gets a thread per core.
    let mut builder = match cli.command {
        Command::Serve(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("acme-preflight: cannot start the async runtime: {e}");
            return Exit::Error;
        }
    };

    match cli.command {
        Command::Check(args) => runtime.block_on(run_check(args)),
        Command::Serve(args) => runtime.block_on(run_serve(args)),
        Command::Demo => runtime.block_on(crate::demo::run()),
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
    }
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
    let jobs = match collect_jobs(&args) {
        Ok(jobs) => jobs,
        Err(message) => return usage_error(&message),
    };

    if !args.timeout.is_finite() || args.timeout <= 0.0 || args.timeout > 3600.0 {
        return usage_error(&format!("invalid --timeout {}: give seconds greater than 0, at most 3600", args.timeout));
    }
    if args.attempts == 0 || args.attempts > 100 {
        return usage_error(&format!("invalid --attempts {}: give a number from 1 to 100", args.attempts));
    }
    if args.concurrency == 0 || args.concurrency > 100_000 {
        return usage_error(&format!("invalid --concurrency {}: give a number from 1 to 100000", args.concurrency));
    }
    let pins = match Pins::parse(&args.resolve) {
        Ok(pins) => pins,
        Err(message) => return usage_error(&message),
    };
    let dns_server = match args.dns_server.as_deref().map(resolve::parse_dns_server).transpose() {
        Ok(server) => server,
        Err(message) => return usage_error(&message),
    };

    // Every folder is checked before anything is written anywhere.
    let mut validated: Vec<&Layout> = Vec::new();
    for job in &jobs {
        if validated.iter().any(|l| l.given() == job.layout.given()) {
            continue;
        }
        if let Err(message) = job.layout.validate() {
            return usage_error(&message);
        }
        validated.push(&job.layout);
    }

    raise_open_file_limit();

    let settings = Settings {
        profile: args.profile.profile(),
        ports: Ports {
            http: args.http_port,
            https: args.https_port,
        },
        timeout: Duration::from_secs_f64(args.timeout),
        attempts: args.attempts,
        layout: None,
        given: None,
    };
    let resolver = Resolver::new(pins, dns_server, args.allow_private);
    let ledger = webroot::new_ledger();
    let limits = AddressLimits::new(AddressLimits::DEFAULT);
    let leftovers = LeftoverScan::default();
    let progress = progress_bar(jobs.len(), args.quiet);

    let outcome = {
        let checker = Checker {
            settings: &settings,
            resolver: &resolver,
            ledger: &ledger,
            limits: &limits,
        leftovers: &leftovers,
        };
        let streaming = args.format == Format::Ndjson;
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
            signal = wait_for_signal() => Err(signal),
        }
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
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

    let run = RunReport {
        version: 1,
        notes: notes_for(args.profile),
        results: reports,
    };
    if args.format != Format::Ndjson {
        print_report(&run, args.format, args.quiet);
    }
    exit_for(&run.results)
}

/// Builds the list of names and their webroots from the command line and the domains
/// file, in input order.
fn collect_jobs(args: &CheckArgs) -> Result<Vec<Job>, String> {
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
            (Some(dir), _) => Layout::Webroot(dir.clone()),
            (None, Some(layout)) => layout.clone(),
            (None, None) => {
                return Err(format!(
                    "no webroot for {domain}: give --webroot DIR or --challenge-dir DIR, or a webroot after the name in the domains file"
                ));
            }
        };
        jobs.push(Job { domain, layout });
    }
    Ok(jobs)
}

/// A progress bar on stderr, for more than one name when stderr is a terminal.
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
