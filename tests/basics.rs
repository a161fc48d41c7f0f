//! The binary end to end without a front server: the bundled responder, refused and
//! silent ports, signals, bad input, the JSON contract and the demo.

mod common;

use std::fs;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn bundled_responder_passes() {
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    let before = snapshot(w.path());
    let server = serve(&["--challenge-dir", challenge.to_str().unwrap()]);

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(run.result()["addresses"][0]["passed"], 3);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nothing_listening_is_connection_refused() {
    let w = public_dir();
    let before = snapshot(w.path());

    let run = check(w.path(), free_port(), &[]);

    assert_result(&run, "fail", Some("connection-refused"), Some("connection-refused"));
    assert!(run.result()["ca_message"].as_str().unwrap().contains("Connection refused"));
    let fix = primary_fix(&run);
    assert!(fix.contains("start the web server") && fix.contains("firewall"), "{fix}");
    assert_eq!(snapshot(w.path()), before);
}

/// A listener with a backlog of 0 that never accepts: the first connection fills the
/// queue, so every later SYN is dropped and connecting times out.
fn full_backlog_listener() -> (TcpListener, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: the descriptor belongs to `listener`, which outlives the call.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let filler = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, filler)
}

#[test]
fn dropped_syn_is_connect_timeout() {
    let w = public_dir();
    let before = snapshot(w.path());
    let (listener, _filler) = full_backlog_listener();
    let port = listener.local_addr().unwrap().port();

    let started = Instant::now();
    let run = check(w.path(), port, &["--timeout", "2", "--attempts", "1"]);

    assert_result(&run, "fail", Some("connect-timeout"), Some("connect-timeout"));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(snapshot(w.path()), before);
}

/// Accepts connections and never answers.
fn silent_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    (port, handle)
}

#[test]
fn silent_server_is_response_timeout() {
    let w = public_dir();
    let before = snapshot(w.path());
    let (port, _server) = silent_server();

    let run = check(w.path(), port, &["--timeout", "1.5"]);

    assert_result(&run, "fail", Some("response-timeout"), Some("response-timeout"));
    assert_eq!(snapshot(w.path()), before);
}

fn interrupt_during_fetch(signal: i32, expected: i32) {
    let w = public_dir();
    fs::write(w.path().join("index.html"), "keep").unwrap();
    let before = snapshot(w.path());
    let (port, _server) = silent_server();
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    let mut child = Command::new(binary())
        .args(["check", DOMAIN, "--webroot"])
        .arg(w.path())
        .args(["--resolve", &pin, "--http-port", &port.to_string(), "--timeout", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the token is in place, so the signal arrives mid-fetch.
    let token_dir = w.path().join(".well-known/acme-challenge");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && fs::read_dir(&token_dir).map(|d| d.count()).unwrap_or(0) == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();

    assert_eq!(status.code(), Some(expected));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn sigint_mid_fetch_cleans_up_and_exits_130() {
    interrupt_during_fetch(libc::SIGINT, 130);
}

#[test]
fn sigterm_mid_fetch_cleans_up_and_exits_143() {
    interrupt_during_fetch(libc::SIGTERM, 143);
}

#[test]
fn missing_webroot_is_exit_2_and_writes_nothing() {
    let parent = public_dir();
    let missing = parent.path().join("nope");
    let run = run(&["check", DOMAIN, "--webroot", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not exist") && run.stderr.contains("nope"), "{}", run.stderr);
    assert!(!missing.exists());
    assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
}

#[test]
fn bad_input_is_exit_2_and_names_the_value() {
    let w = public_dir();
    let root = w.path().to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["check", "*.example.test", "--webroot", root], "*.example.test"),
        (&["check", "bad name.test", "--webroot", root], "bad name.test"),
        (&["check", "a..b.test", "--webroot", root], "a..b.test"),
        (&["check", DOMAIN, "--webroot", root, "--resolve", "example.test:80:not-an-ip"], "not-an-ip"),
        (&["check", DOMAIN, "--webroot", root, "--dns-server", "dns.example"], "dns.example"),
        (&["check", DOMAIN, "--webroot", root, "--timeout", "0"], "--timeout"),
        (&["check", DOMAIN], "--webroot"),
    ];
    for (args, named) in cases {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(named), "{args:?} should name {named}: {}", run.stderr);
    }
    assert_eq!(fs::read_dir(w.path()).unwrap().count(), 0);
}

#[test]
fn unicode_name_is_checked_as_a_label() {
    let w = public_dir();
    let port = free_port();
    let pin = format!("xn--bcher-kva.example:{port}:127.0.0.1");
    let run = run(&[
        "check", "bücher.example", "--webroot", w.path().to_str().unwrap(), "--resolve", &pin, "--http-port",
        &port.to_string(), "--format", "json",
    ]);
    assert_eq!(run.result()["domain"], "xn--bcher-kva.example");
}

#[test]
fn json_report_keeps_its_contract() {
    let w = public_dir();
    let run = check(w.path(), free_port(), &[]);
    let json = run.json();
    assert_eq!(json["version"], 1);
    let result = &json["results"][0];
    assert_eq!(result["domain"], DOMAIN);
    assert_eq!(result["profile"], "letsencrypt");
    for finding in result["findings"].as_array().unwrap() {
        for key in ["code", "severity", "summary", "cause", "fix"] {
            assert!(finding[key].is_string(), "{key} in {finding}");
        }
    }
    assert!(json["notes"][0].as_str().unwrap().contains("3 of 4"));
}

#[test]
fn demo_prints_a_pass_and_a_fail_with_fix() {
    let run = run(&["demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("PASS site.example.test"), "{}", run.stdout);
    assert!(run.stdout.contains("FAIL dash.example.test"), "{}", run.stdout);
    assert!(run.stdout.contains("[catch-all]"), "{}", run.stdout);
    assert!(run.stdout.contains("fix:") && run.stdout.contains("cause:"), "{}", run.stdout);
}

#[test]
fn leftover_token_is_reported_not_removed() {
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    let old = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    fs::write(challenge.join(old), format!("{old}.acme-preflight-0123456789abcdefghijklmnopqr")).unwrap();
    let certbot = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    fs::write(challenge.join(certbot), format!("{certbot}.{}", "x".repeat(43))).unwrap();
    let before = snapshot(w.path());

    let run = check(w.path(), free_port(), &[]);

    let leftovers: Vec<String> = run.result()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "leftover-files")
        .map(|f| f["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(leftovers.len(), 1, "{}", run.stdout);
    assert!(leftovers[0].contains(old), "{}", leftovers[0]);
    assert!(!leftovers[0].contains(certbot), "a live certbot token is not ours: {}", leftovers[0]);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn unrouted_address_is_network_unreachable() {
    // 192.0.2.1 is a documentation address; only inside a private namespace is it certain
    // that no packet can leave, so elsewhere the test must not run.
    if !in_private_network_namespace() {
        assert!(!in_ci(), "CI runs the suite inside unshare -n");
        eprintln!("SKIPPED: not inside a private network namespace (scripts/test.sh provides one)");
        return;
    }
    let w = public_dir();
    let run = run(&[
        "check", DOMAIN, "--webroot", w.path().to_str().unwrap(), "--resolve", "example.test:80:192.0.2.1", "--format",
        "json", "--timeout", "3",
    ]);
    assert_result(&run, "fail", Some("network-unreachable"), Some("network-unreachable"));
}

#[test]
fn token_written_by_client_is_checked_not_touched() {
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    let token = "clientwrittentokenclientwrittentokenclient1";
    let ka = format!("{token}.thumbprint-of-the-client-account-key-xxxxx");
    fs::write(challenge.join(token), &ka).unwrap();
    let before = snapshot(w.path());
    let server = serve(&["--challenge-dir", challenge.to_str().unwrap()]);
    let port = server.port;
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    let port = port.to_string();
    let base = ["check", DOMAIN, "--resolve", &pin, "--http-port", &port, "--format", "json", "--token", token];

    let good = run(&[&base[..], &["--key-authorization", &ka]].concat());
    assert_result(&good, "pass", None, None);

    let other = format!("{token}.another-account");
    let bad = run(&[&base[..], &["--key-authorization", &other]].concat());
    assert_result(&bad, "fail", None, Some("content-mismatch"));
    assert_eq!(snapshot(w.path()), before, "a client's token is never written or removed");
}
