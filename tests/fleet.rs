//! Many names at once: the domains file, every output format, environment variables,
//! completions and the man page.

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// Two names served by nginx on 127.0.0.1 from `w`, and `bad.test` pinned to 127.0.0.2,
/// where nothing listens.
struct Fleet {
    w: tempfile::TempDir,
    server: Server,
}

fn fleet() -> Option<Fleet> {
    let w = public_dir();
    let server = nginx(&format!("root {}; server_name good1.test good2.test;", w.path().display()), "")?;
    Some(Fleet { w, server })
}

impl Fleet {
    fn run(&self, extra: &[&str], stdin: Option<&str>) -> Run {
        let port = self.server.port.to_string();
        let pins = [
            format!("good1.test:*:127.0.0.1"),
            format!("good2.test:*:127.0.0.1"),
            format!("bad.test:*:127.0.0.2"),
        ];
        let mut args: Vec<String> = vec!["check".into(), "--http-port".into(), port, "--timeout".into(), "5".into()];
        for pin in &pins {
            args.push("--resolve".into());
            args.push(pin.clone());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(binary())
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

#[test]
fn domains_file_with_webroots_keeps_input_order() {
    let Some(f) = fleet() else { return };
    let before = snapshot(f.w.path());
    let other = public_dir();
    let list = format!(
        "# sites\ngood1.test {}\n\nbad.test {}   # nothing listens for this one\ngood2.test\n",
        f.w.path().display(),
        other.path().display()
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), &list).unwrap();
    let root = f.w.path().display().to_string();

    let run = f.run(&["--domains-file", file.path().to_str().unwrap(), "--webroot", &root, "--format", "json"], None);

    assert_eq!(run.code, 1, "{}", run.stderr);
    let results = run.json()["results"].as_array().unwrap().clone();
    let names: Vec<&str> = results.iter().map(|r| r["domain"].as_str().unwrap()).collect();
    assert_eq!(names, ["good1.test", "bad.test", "good2.test"]);
    let verdicts: Vec<&str> = results.iter().map(|r| r["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["pass", "fail", "pass"]);
    assert_eq!(snapshot(f.w.path()), before);
    assert_eq!(fs::read_dir(other.path()).unwrap().count(), 0);
}

#[test]
fn domains_from_stdin_and_missing_webroot() {
    let Some(f) = fleet() else { return };
    let run = f.run(&["--domains-file", "-", "--format", "json"], Some("good1.test\n"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no webroot for good1.test"), "{}", run.stderr);

    let root = f.w.path().display().to_string();
    let run = f.run(&["--domains-file", "-", "--format", "json"], Some(&format!("good1.test {root}\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn unreadable_domains_file_is_exit_2() {
    let Some(f) = fleet() else { return };
    let root = f.w.path().display().to_string();
    let run = f.run(&["--domains-file", "/nonexistent/names.txt", "--webroot", &root], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/nonexistent/names.txt"), "{}", run.stderr);
    assert_eq!(fs::read_dir(f.w.path()).unwrap().count(), 0);
}

#[test]
fn ndjson_streams_one_object_per_line() {
    let Some(f) = fleet() else { return };
    let root = f.w.path().display().to_string();
    let run = f.run(&["good1.test", "bad.test", "good2.test", "--webroot", &root, "--format", "ndjson"], None);
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3);
    let mut indexes: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    indexes.sort();
    assert_eq!(indexes, [0, 1, 2]);
    let bad = lines.iter().find(|l| l["domain"] == "bad.test").unwrap();
    assert_eq!(bad["index"], 1);
    assert_eq!(bad["primary"], "connection-refused");
}

#[test]
fn junit_parses_as_xml() {
    let Some(f) = fleet() else { return };
    let root = f.w.path().display().to_string();
    let run = f.run(&["good1.test", "bad.test", "--webroot", &root, "--format", "junit"], None);
    assert_eq!(run.code, 1);
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), &run.stdout).unwrap();
    let script = "import sys, xml.etree.ElementTree as ET\n\
        root = ET.parse(sys.argv[1]).getroot()\n\
        cases = root.findall('./testsuite/testcase')\n\
        print(root.get('tests'), root.get('failures'), len(cases), cases[1].get('name'), cases[1].find('failure').get('type'))\n";
    let output = Command::new("python3").args(["-c", script]).arg(file.path()).output().unwrap();
    assert!(output.status.success(), "{}\n{}", String::from_utf8_lossy(&output.stderr), run.stdout);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "2 1 2 bad.test connection-refused");
}

#[test]
fn github_format_has_one_error_per_failing_name() {
    let Some(f) = fleet() else { return };
    let root = f.w.path().display().to_string();
    let run = f.run(&["good1.test", "bad.test", "--webroot", &root, "--format", "github"], None);
    assert_eq!(run.code, 1);
    let errors: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(errors[0].starts_with("::error title=acme-preflight bad.test::connection-refused: "), "{}", errors[0]);
    assert!(!errors[0].contains('\n'));
    assert!(run.stdout.lines().any(|l| l == "::notice title=acme-preflight::1 of 2 names pass"), "{}", run.stdout);
}

#[test]
fn text_format_summarizes_then_details_failures() {
    let Some(f) = fleet() else { return };
    let root = f.w.path().display().to_string();
    let run = f.run(&["good1.test", "bad.test", "--webroot", &root], None);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("PASS") && lines[0].contains("good1.test"), "{}", run.stdout);
    assert!(lines[1].starts_with("FAIL") && lines[1].contains("connection-refused"), "{}", run.stdout);
    assert_eq!(lines[2], "1 of 2 names pass");
    assert!(run.stdout.contains("FAIL bad.test  [connection-refused]"), "{}", run.stdout);
    assert!(!run.stdout.contains("PASS good1.test\n"), "no details for passing names: {}", run.stdout);
}

#[test]
fn environment_variables_set_defaults() {
    let Some(f) = fleet() else { return };
    let port = f.server.port.to_string();
    let output = Command::new(binary())
        .args(["check", "good1.test", "--resolve", "good1.test:*:127.0.0.1", "--http-port", &port])
        .env("ACME_PREFLIGHT_WEBROOT", f.w.path())
        .env("ACME_PREFLIGHT_FORMAT", "json")
        .env("ACME_PREFLIGHT_TIMEOUT", "5")
        .env("ACME_PREFLIGHT_PROFILE", "pebble")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["results"][0]["profile"], "pebble");

    let help = run(&["check", "--help"]).stdout;
    for name in ["ACME_PREFLIGHT_WEBROOT", "ACME_PREFLIGHT_TIMEOUT", "ACME_PREFLIGHT_FORMAT", "ACME_PREFLIGHT_PROFILE", "NO_COLOR"] {
        assert!(help.contains(name), "--help lacks {name}");
    }
}

#[test]
fn committed_completions_match_the_binary() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let generated = run(&["completions", shell]).stdout;
        let committed = fs::read_to_string(repo().join(format!("completions/acme-preflight.{shell}"))).unwrap();
        assert!(
            generated == committed,
            "completions/acme-preflight.{shell} is stale; regenerate with `acme-preflight completions {shell}`"
        );
    }
}

#[test]
fn man_page_renders_without_warnings() {
    if !have("groff") {
        return;
    }
    let page = Command::new(binary()).arg("man").output().unwrap();
    assert!(page.status.success());
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    groff.stdin.take().unwrap().write_all(&page.stdout).unwrap();
    let output = groff.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "groff warnings");
    let text = String::from_utf8_lossy(&page.stdout);
    assert!(text.contains("acme\\-preflight") || text.contains("acme-preflight"));
}
