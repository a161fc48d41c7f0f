//! `acme-preflight clean` after a check that was killed with SIGKILL, which no cleanup can
//! catch: the files and folders it left are removed, and nothing else.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::raw::{RawServer, response, send};
use common::*;

/// Answers the token with 404, so that the check goes on to write probe files, and never
/// answers the probes, so that the check stays busy with its files in place.
fn stalling_probe_server() -> RawServer {
    RawServer::start("127.0.0.1", |request, stream, stop| {
        if request.is_challenge() && request.token().len() == 43 {
            send(stream, &response("404 Not Found", &[], b"no"));
        } else {
            stop.hold();
        }
    })
}

/// Paths in `dir` (one level) whose content is the tool's.
fn own_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_file() && fs::read(e.path()).is_ok_and(|c| is_own_content(&c)))
                .count()
        })
        .unwrap_or(0)
}

fn clean(option: &str, dir: &Path, extra: &[&str]) -> Run {
    let dir = dir.display().to_string();
    let mut args = vec!["clean", option, dir.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

/// A webroot with a page, and optionally a live certbot token in an existing challenge
/// folder.
fn webroot(with_certbot: bool) -> tempfile::TempDir {
    let w = public_dir();
    fs::write(w.path().join("index.html"), "<h1>site</h1>").unwrap();
    if with_certbot {
        let challenge = w.path().join(".well-known/acme-challenge");
        fs::create_dir_all(&challenge).unwrap();
        let token = "C".repeat(43);
        fs::write(challenge.join(&token), format!("{token}.{}", "t".repeat(43))).unwrap();
    }
    w
}

fn kill_after_probes_then_clean(with_certbot: bool) {
    let w = webroot(with_certbot);
    let before = snapshot(w.path());
    let server = stalling_probe_server();
    let mut child = spawn_check("--webroot", w.path(), server.port(), &["--timeout", "20", "--attempts", "1"]);

    // The token, one probe beside it and one at the top of the webroot.
    let challenge = w.path().join(".well-known/acme-challenge");
    let written = wait_until(Duration::from_secs(15), || own_files(&challenge) >= 2 && own_files(w.path()) >= 1);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(written, "the check did not write its token and probes in time");
    assert_ne!(snapshot(w.path()), before, "the kill left files behind, as it must for this test");

    let cleaned = clean("--webroot", w.path(), &[]);

    assert_eq!(cleaned.code, 0, "{}{}", cleaned.stdout, cleaned.stderr);
    assert!(cleaned.stdout.contains("removed"), "{}", cleaned.stdout);
    assert_eq!(snapshot(w.path()), before, "clean output:\n{}", cleaned.stdout);
}

#[test]
fn clean_after_sigkill_restores_fresh_webroot() {
    kill_after_probes_then_clean(false);
}

#[test]
fn clean_after_sigkill_keeps_certbot_token() {
    kill_after_probes_then_clean(true);
}

#[test]
fn clean_after_sigkill_at_random_moments() {
    let mut rng = Rng::from_env("clean_after_sigkill_at_random_moments");
    let server = stalling_probe_server();
    for trial in 0..12 {
        let w = webroot(rng.below(2) == 0);
        let before = snapshot(w.path());
        let mut child = spawn_check("--webroot", w.path(), server.port(), &["--timeout", "20", "--attempts", "1"]);
        let delay = Duration::from_micros(rng.below(60_000));
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();

        let cleaned = clean("--webroot", w.path(), &[]);

        assert_eq!(cleaned.code, 0, "trial {trial} after {delay:?}: {}{}", cleaned.stdout, cleaned.stderr);
        assert_eq!(snapshot(w.path()), before, "trial {trial} after {delay:?}; clean output:\n{}", cleaned.stdout);
    }
}

#[test]
fn clean_with_challenge_dir_removes_only_files() {
    let w = webroot(true);
    let challenge = w.path().join(".well-known/acme-challenge");
    let before = snapshot(w.path());
    let server = stalling_probe_server();
    let mut child = spawn_check("--challenge-dir", &challenge, server.port(), &["--timeout", "20", "--attempts", "1"]);
    let written = wait_until(Duration::from_secs(15), || own_files(&challenge) >= 2);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(written, "the check did not write its token and probe in time");

    let cleaned = clean("--challenge-dir", &challenge, &[]);

    assert_eq!(cleaned.code, 0, "{}{}", cleaned.stdout, cleaned.stderr);
    assert_eq!(snapshot(w.path()), before, "clean output:\n{}", cleaned.stdout);
}

#[test]
fn clean_dry_run_removes_nothing() {
    let w = webroot(false);
    let server = stalling_probe_server();
    let mut child = spawn_check("--webroot", w.path(), server.port(), &["--timeout", "20", "--attempts", "1"]);
    let challenge = w.path().join(".well-known/acme-challenge");
    assert!(wait_until(Duration::from_secs(15), || own_files(&challenge) >= 1));
    child.kill().unwrap();
    child.wait().unwrap();
    let left = snapshot(w.path());

    let listed = clean("--webroot", w.path(), &["--dry-run"]);

    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("would remove"), "{}", listed.stdout);
    assert!(listed.stdout.contains("folder created by acme-preflight"), "{}", listed.stdout);
    assert_eq!(snapshot(w.path()), left);
}

#[test]
fn clean_leaves_folders_it_did_not_create() {
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    // Named like the tool's temporary folder, but holding a file of someone else's.
    let lookalike = w.path().join(".acme-preflight-dir-lookalike");
    fs::create_dir(&lookalike).unwrap();
    fs::write(lookalike.join("notes"), "keep").unwrap();
    let before = snapshot(w.path());

    let cleaned = clean("--webroot", w.path(), &[]);

    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    assert!(cleaned.stdout.contains("nothing to clean"), "{}", cleaned.stdout);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn clean_removes_states_of_an_interrupted_folder_creation() {
    // What a SIGKILL can leave while a folder is being made: an empty temporary folder,
    // a temporary folder with its marker, and the folder in place with its marker.
    let w = public_dir();
    let before = snapshot(w.path());
    fs::create_dir(w.path().join(".acme-preflight-dir-AAAAAAAAAAAAAAAA")).unwrap();
    let marked = w.path().join(".acme-preflight-dir-BBBBBBBBBBBBBBBB");
    fs::create_dir(&marked).unwrap();
    let marker_content = "acme-preflight created this folder. `acme-preflight clean` removes it, with this file, once nothing else is in it.\n";
    fs::write(marked.join(".acme-preflight-created"), marker_content).unwrap();
    let well_known = w.path().join(".well-known");
    fs::create_dir(&well_known).unwrap();
    fs::write(well_known.join(".acme-preflight-created"), marker_content).unwrap();
    fs::write(well_known.join(".acme-preflight-tmp-XXXXXX"), "").unwrap();

    let cleaned = clean("--webroot", w.path(), &[]);

    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    assert_eq!(snapshot(w.path()), before, "clean output:\n{}", cleaned.stdout);
}

#[test]
fn clean_of_missing_folder_is_exit_2() {
    let parent = public_dir();
    let missing = parent.path().join("nope");
    let cleaned = clean("--webroot", &missing, &[]);
    assert_eq!(cleaned.code, 2);
    assert!(cleaned.stderr.contains("nope"), "{}", cleaned.stderr);
    assert!(!missing.exists());
}

#[test]
fn leftover_finding_points_at_clean() {
    let w = webroot(false);
    let server = stalling_probe_server();
    let mut child = spawn_check("--webroot", w.path(), server.port(), &["--timeout", "20", "--attempts", "1"]);
    let challenge = w.path().join(".well-known/acme-challenge");
    assert!(wait_until(Duration::from_secs(15), || own_files(&challenge) >= 1));
    child.kill().unwrap();
    child.wait().unwrap();

    let run = check(w.path(), free_port(), &[]);

    let result = run.result();
    let finding = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "leftover-files")
        .unwrap_or_else(|| panic!("no leftover-files finding: {}", run.stdout))
        .clone();
    let fix = finding["fix"].as_str().unwrap();
    assert!(fix.contains("acme-preflight clean --webroot"), "{fix}");
    assert!(fix.contains(&w.path().display().to_string()), "{fix}");
    let summary = finding["summary"].as_str().unwrap();
    assert!(summary.contains(".well-known"), "the created folders are listed too: {summary}");
}
