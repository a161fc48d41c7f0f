//! Names as the CA takes them: IP address identifiers end to end, Unicode names as
//! A-labels, and bad input rejected with exit status 2 before anything is written.

mod common;

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::raw::{RawServer, response, send};
use common::*;

/// Serves the key authorization from the webroot's challenge folder on `ip`, and records
/// the Host header of every request.
fn serving_server(ip: &str, webroot: PathBuf, hosts: Arc<Mutex<Vec<String>>>) -> RawServer {
    RawServer::start(ip, move |request, stream, _| {
        hosts.lock().unwrap().push(request.host.clone());
        let file = webroot.join(".well-known/acme-challenge").join(request.token());
        match fs::read(&file) {
            Ok(content) if request.is_challenge() => send(stream, &response("200 OK", &[], &content)),
            _ => send(stream, &response("404 Not Found", &[], b"no")),
        }
    })
}

fn check_ip_identifier(listen: &str, identifier: &str, shown: &str) {
    let w = public_dir();
    let before = snapshot(w.path());
    let hosts = Arc::new(Mutex::new(Vec::new()));
    let server = serving_server(listen, w.path().to_path_buf(), hosts.clone());
    let port = server.port().to_string();

    // Loopback is reserved, so a public CA refuses it as an identifier; --allow-private
    // checks it as a private CA would.
    let rejected = run(&["check", identifier, "--webroot", w.path().to_str().unwrap(), "--http-port", &port, "--format", "json"]);
    assert_result(&rejected, "fail", Some("identifier-rejected"), None);

    let run = run(&[
        "check", identifier, "--webroot", w.path().to_str().unwrap(), "--http-port", &port, "--format", "json",
        "--allow-private",
    ]);

    assert_result(&run, "pass", None, None);
    assert_eq!(run.result()["domain"], shown);
    assert_eq!(run.result()["addresses"][0]["address"], listen);
    let hosts = hosts.lock().unwrap();
    assert!(!hosts.is_empty(), "the server got no request");
    assert!(hosts.iter().all(|h| h == shown), "Host headers: {hosts:?}");
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn ipv6_identifier_end_to_end() {
    // The CA puts the address in brackets in the URL and so in the Host header.
    check_ip_identifier("::1", "::1", "[::1]");
}

#[test]
fn bracketed_ipv6_identifier_end_to_end() {
    check_ip_identifier("::1", "[::1]", "[::1]");
}

#[test]
fn ipv4_identifier_end_to_end() {
    check_ip_identifier("127.0.0.1", "127.0.0.1", "127.0.0.1");
}

#[test]
fn unicode_name_becomes_a_label() {
    let w = public_dir();
    let port = free_port().to_string();
    let pin = format!("xn--bcher-kva.example:{port}:127.0.0.1");
    for name in ["bücher.example", "BÜCHER.example", "bücher.example."] {
        let run = run(&[
            "check", name, "--webroot", w.path().to_str().unwrap(), "--resolve", &pin, "--http-port", &port, "--format",
            "json", "--timeout", "2",
        ]);
        assert_eq!(run.result()["domain"], "xn--bcher-kva.example", "{name}: {}", run.stderr);
    }
}

/// Runs `check` with `args` after the command and asserts exit 2, an error that names
/// `named`, and an empty webroot.
fn assert_rejected(args: &[&str], named: &str) {
    let w = public_dir();
    let root = w.path().display().to_string();
    let mut full = vec!["check"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--webroot", &root, "--timeout", "1"]);

    let run = run(&full);

    assert_eq!(run.code, 2, "{args:?}: exit status; stderr: {}", run.stderr);
    assert!(run.stderr.contains(named), "{args:?}: the error should name {named}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}: no report for bad input: {}", run.stdout);
    assert_eq!(fs::read_dir(w.path()).unwrap().count(), 0, "{args:?}: something was written");
}

#[test]
fn bad_names_are_rejected() {
    let long_label = format!("{}.test", "a".repeat(64));
    let long_name = format!("{}.test", ["abcdefghij"; 25].join("."));
    let cases: Vec<(&str, &str)> = vec![
        ("*.example.test", "wildcard"),
        ("*", "wildcard"),
        ("a.*.example.test", "a.*.example.test"),
        ("bad name.test", "bad name.test"),
        ("tab\tname.test", "tab\\tname.test"),
        ("a..b.test", "a..b.test"),
        ("a-.test", "a-.test"),
        ("exa_mple.test", "exa_mple.test"),
        (&long_label, &long_label),
        (&long_name, "not a valid domain name"),
        ("xn--zz.test", "xn--zz.test"),
        ("example.test:80", "example.test:80"),
        ("http://example.test", "http://example.test"),
        ("", "not a valid domain name"),
        (".", "not a valid domain name"),
        ("esc\u{1b}[2J.test", "esc\\u{1b}[2J.test"),
        ("bidi\u{202e}.test", "bidi\\u{202e}.test"),
        ("1.2.3", "1.2.3"),
        ("256.1.1.1", "256.1.1.1"),
        ("127.1", "127.1"),
        ("[::1", "[::1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("0.0.0.0", "0.0.0.0"),
        ("::", "\"::\""),
        ("224.0.0.1", "224.0.0.1"),
        ("255.255.255.255", "255.255.255.255"),
    ];
    for (name, named) in cases {
        assert_rejected(&[name], named);
    }
}

#[test]
fn bad_name_among_good_writes_nothing() {
    assert_rejected(&["example.test", "*.example.test"], "*.example.test");
}

#[test]
fn malformed_resolve_is_rejected() {
    for value in [
        "example.test",
        "example.test:80",
        ":80:127.0.0.1",
        "example.test:99999:127.0.0.1",
        "example.test:http:127.0.0.1",
        "example.test:80:",
        "example.test:80:1.2.3.4.5",
        "example.test:80:127.0.0.1,,::1",
    ] {
        assert_rejected(&["example.test", "--resolve", value], value);
    }
}

#[test]
fn missing_challenge_dir_is_rejected() {
    let parent = public_dir();
    let missing = parent.path().join("nope");
    let run = run(&["check", DOMAIN, "--challenge-dir", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(!missing.exists());
    assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
}
