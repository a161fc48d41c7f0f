//! Cleanup under interruption: SIGINT and SIGTERM at random moments of a check.
//!
//! Each trial builds a webroot (fresh, with `.well-known` already there, with a live
//! certbot token, or with `.well-known` a symlink to a folder outside it), snapshots the
//! whole tree, starts a check against a loopback server, and signals it in one phase:
//!
//! - `at-start`: 0 to 5 ms after the process starts, possibly before its handlers exist;
//! - `before-write`: once the handlers are installed (SigCgt in /proc/PID/status), 0 to
//!   1.5 ms later, around the moment the token is written;
//! - `during-fetch`: while the server stalls on the token or on the probes;
//! - `during-cleanup`: the moment the token disappears, which happens during cleanup;
//! - `twice`: a second signal, SIGINT or SIGTERM, 0 to 3 ms after the first, while the
//!   first one's cleanup runs (two quick Ctrl-C presses). The first signal the process
//!   receives decides the status, but when SIGINT and SIGTERM are both pending before
//!   it runs, Linux delivers the lower number, SIGINT, first; so with two different
//!   signals either status passes.
//!
//! Every trial must end within 10 s of its signal with the tree byte-identical to the
//! snapshot. The exit status must be 130 for SIGINT and 143 for SIGTERM; two cases differ,
//! and the harness counts them apart: a check that had already finished exits 0 or 1, and
//! a signal before the handlers exist (`at-start` only) ends the process by that signal,
//! which a shell shows as the same 130 or 143 and which writes nothing.
//!
//! The suite runs 20 trials; `scripts/interrupt-harness.sh` runs 200. Set
//! `ACME_PREFLIGHT_TRIALS` for another count and `ACME_PREFLIGHT_SEED` to repeat a run.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::raw::{RawServer, response, send};
use common::*;

const DEFAULT_TRIALS: u64 = 20;

/// Time a check gets to exit after its last signal before the trial fails as a hang.
const EXIT_LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    AtStart,
    BeforeWrite,
    DuringFetch,
    DuringCleanup,
    Twice,
}

const PHASES: [Phase; 5] = [
    Phase::AtStart,
    Phase::BeforeWrite,
    Phase::DuringFetch,
    Phase::DuringCleanup,
    Phase::Twice,
];

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::AtStart => "at-start",
            Phase::BeforeWrite => "before-write",
            Phase::DuringFetch => "during-fetch",
            Phase::DuringCleanup => "during-cleanup",
            Phase::Twice => "twice",
        }
    }
}

/// What the loopback server does with the token request.
#[derive(Clone, Copy, Debug)]
enum Serving {
    /// Accepts and never answers.
    Stall,
    /// Answers the token with 404 so probes are written, then stalls on the probes.
    ProbesStall,
    /// Answers after a delay: with the key authorization (a pass) or 404 (a fail).
    Answer { delay_ms: u64, pass: bool },
}

/// How the webroot looks before the check.
#[derive(Clone, Copy, Debug)]
enum Site {
    Fresh,
    WellKnownExists,
    CertbotToken,
    SymlinkedWellKnown,
}

/// One trial's setup: `top` is snapshotted, `webroot` is given to the check.
struct Setup {
    top: tempfile::TempDir,
    webroot: PathBuf,
}

fn build_site(site: Site) -> Setup {
    let top = public_dir();
    let webroot = top.path().join("site");
    fs::create_dir(&webroot).unwrap();
    fs::write(webroot.join("index.html"), "<h1>site</h1>").unwrap();
    fs::write(top.path().join("outside.txt"), "not served").unwrap();
    match site {
        Site::Fresh => {}
        Site::WellKnownExists => {
            fs::create_dir(webroot.join(".well-known")).unwrap();
            fs::write(webroot.join(".well-known/security.txt"), "Contact: x").unwrap();
        }
        Site::CertbotToken => {
            let challenge = webroot.join(".well-known/acme-challenge");
            fs::create_dir_all(&challenge).unwrap();
            let token = "Q".repeat(43);
            fs::write(challenge.join(&token), format!("{token}.{}", "t".repeat(43))).unwrap();
        }
        Site::SymlinkedWellKnown => {
            let shared = top.path().join("shared-well-known");
            fs::create_dir(&shared).unwrap();
            std::os::unix::fs::symlink(&shared, webroot.join(".well-known")).unwrap();
        }
    }
    Setup { top, webroot }
}

/// Starts the server every trial uses; `current` names the challenge folder of the
/// running trial, so that a passing answer can return the token file's content.
fn start_server(serving: Arc<Mutex<Serving>>, current: Arc<Mutex<PathBuf>>) -> RawServer {
    RawServer::start("127.0.0.1", move |request, stream, stop| {
        let mode = *serving.lock().unwrap();
        let is_token = request.is_challenge() && request.token().len() == 43;
        match mode {
            Serving::Stall => stop.hold(),
            Serving::ProbesStall if is_token => send(stream, &response("404 Not Found", &[], b"no")),
            Serving::ProbesStall => stop.hold(),
            Serving::Answer { delay_ms, pass } => {
                if !stop.sleep(Duration::from_millis(delay_ms)) {
                    return;
                }
                let file = current.lock().unwrap().join(request.token());
                match (pass && is_token, fs::read(&file)) {
                    (true, Ok(content)) => send(stream, &response("200 OK", &[], &content)),
                    _ => send(stream, &response("404 Not Found", &[], b"no")),
                }
            }
        }
    })
}

fn token_present(challenge: &Path) -> bool {
    fs::read_dir(challenge).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().len() == 43 && fs::read(e.path()).is_ok_and(|c| is_own_content(&c)))
    })
}

/// Whether the process has handlers for SIGINT and SIGTERM (bits 1 and 14 of SigCgt).
fn handlers_installed(pid: u32) -> bool {
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let wanted = (1 << (libc::SIGINT - 1)) | (1 << (libc::SIGTERM - 1));
    mask & wanted == wanted
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: sends a signal to our own child, which has not been reaped yet.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// Waits for the child to exit, killing it after `limit`; returns the status and whether
/// it had to be killed.
fn wait_bounded(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, false);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    (child.wait().unwrap(), true)
}

/// How a trial ended, for the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ending {
    /// 130 or 143, matching the first signal.
    Status(i32),
    /// 0 or 1: the check had finished when the signal came.
    Finished(i32),
    /// Ended by the signal itself, before the handlers existed.
    KilledBySignal(i32),
}

struct Trial {
    phase: Phase,
    ending: Ending,
}

/// Runs one trial and returns how it ended, or why it failed.
fn run_trial(rng: &mut Rng, port: u16, serving: &Mutex<Serving>, current: &Mutex<PathBuf>) -> Result<Trial, String> {
    let phase = PHASES[rng.below(PHASES.len() as u64) as usize];
    let site = [Site::Fresh, Site::WellKnownExists, Site::CertbotToken, Site::SymlinkedWellKnown][rng.below(4) as usize];
    let mode = match phase {
        // At least 10 ms, so that the token stays long enough for the watcher, which
        // polls every 2 ms, to see it.
        Phase::DuringCleanup => Serving::Answer {
            delay_ms: 10 + rng.below(150),
            pass: rng.below(2) == 0,
        },
        Phase::DuringFetch | Phase::Twice if rng.below(2) == 0 => Serving::ProbesStall,
        _ => Serving::Stall,
    };
    let first = if rng.below(2) == 0 { libc::SIGINT } else { libc::SIGTERM };
    let second = if rng.below(2) == 0 { libc::SIGINT } else { libc::SIGTERM };
    let context = format!("{} {site:?} {mode:?} first signal {first}", phase.name());

    let setup = build_site(site);
    let challenge = setup.webroot.join(".well-known/acme-challenge");
    *serving.lock().unwrap() = mode;
    *current.lock().unwrap() = challenge.clone();
    let before = snapshot(setup.top.path());

    let mut child = spawn_check("--webroot", &setup.webroot, port, &["--timeout", "10", "--attempts", "1"]);
    let pid = child.id();
    let mut sent = false;

    match phase {
        Phase::AtStart => {
            std::thread::sleep(Duration::from_micros(rng.below(5_000)));
            signal(&child, first);
            sent = true;
        }
        Phase::BeforeWrite => {
            if wait_until(Duration::from_secs(5), || handlers_installed(pid)) {
                std::thread::sleep(Duration::from_micros(rng.below(1_500)));
                signal(&child, first);
                sent = true;
            }
        }
        Phase::DuringFetch | Phase::Twice => {
            if wait_until(Duration::from_secs(5), || token_present(&challenge)) {
                std::thread::sleep(Duration::from_micros(rng.below(200_000)));
                signal(&child, first);
                sent = true;
                if phase == Phase::Twice {
                    std::thread::sleep(Duration::from_micros(rng.below(3_000)));
                    signal(&child, second);
                }
            }
        }
        Phase::DuringCleanup => {
            if wait_until(Duration::from_secs(5), || token_present(&challenge)) {
                wait_until(Duration::from_secs(5), || !token_present(&challenge));
                signal(&child, first);
                sent = true;
            }
        }
    }

    let (status, killed) = wait_bounded(&mut child, EXIT_LIMIT);
    if !sent {
        return Err(format!("{context}: the trial never reached its moment (status {status:?})"));
    }
    if killed {
        return Err(format!("{context}: no exit within {EXIT_LIMIT:?} of the signal"));
    }

    let expected = if first == libc::SIGINT { 130 } else { 143 };
    let mixed = phase == Phase::Twice && first != second;
    let ending = match (status.code(), status.signal()) {
        (Some(code), _) if code == expected => Ending::Status(code),
        (Some(code @ (130 | 143)), _) if mixed => Ending::Status(code),
        (Some(code @ (0 | 1)), _) if phase == Phase::DuringCleanup => Ending::Finished(code),
        (None, Some(sig)) if phase == Phase::AtStart && sig == first => Ending::KilledBySignal(sig),
        _ => return Err(format!("{context}: unexpected exit {status:?}, expected {expected}")),
    };

    let after = snapshot(setup.top.path());
    if after != before {
        let changed: Vec<&String> = after
            .keys()
            .chain(before.keys())
            .filter(|k| after.get(*k) != before.get(*k))
            .collect();
        return Err(format!("{context}: the tree changed: {changed:?}"));
    }
    Ok(Trial { phase, ending })
}

#[test]
fn interrupt_cleans_up_at_random_moments() {
    let trials: u64 = std::env::var("ACME_PREFLIGHT_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(DEFAULT_TRIALS);
    let mut rng = Rng::from_env("interrupt_cleans_up_at_random_moments");
    let serving = Arc::new(Mutex::new(Serving::Stall));
    let current = Arc::new(Mutex::new(PathBuf::new()));
    let server = start_server(serving.clone(), current.clone());

    let mut failures = Vec::new();
    let mut endings: BTreeMap<(Phase, Ending), usize> = BTreeMap::new();
    for number in 0..trials {
        match run_trial(&mut rng, server.port(), &serving, &current) {
            Ok(trial) => *endings.entry((trial.phase, trial.ending)).or_default() += 1,
            Err(message) => failures.push(format!("trial {number}: {message}")),
        }
    }

    eprintln!("interruption harness: {} of {trials} trials passed", trials as usize - failures.len());
    for ((phase, ending), count) in &endings {
        eprintln!("  {:<15} {ending:?}: {count}", phase.name());
    }
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
}
