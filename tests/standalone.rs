//! `check --standalone`: the bundled responder keeps the token in memory on this machine's
//! HTTP port and the check fetches it through the name. The default listeners (every IPv4
//! and IPv6 address on port 80) are only opened inside a network namespace made here.

mod common;

use std::net::TcpStream;
use std::process::Command;

use common::*;

fn standalone(listen: &str, pinned: &str, port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let pin = format!("{DOMAIN}:{port}:{pinned}");
    let mut args = vec![
        "check", DOMAIN, "--standalone", "--listen", listen, "--resolve", &pin, "--http-port", &port, "--format",
        "json", "--timeout", "5",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn has_standalone_note(run: &Run) -> bool {
    run.json()["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().starts_with("--standalone:"))
}

#[test]
fn standalone_passes_on_loopback_and_writes_nothing() {
    let cwd = public_dir();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");

    let output = Command::new(binary())
        .args(["check", DOMAIN, "--standalone", "--listen", &listen, "--http-port", &port.to_string()])
        .args(["--resolve", &format!("{DOMAIN}:{port}:127.0.0.1"), "--format", "json", "--timeout", "5"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };

    assert_result(&run, "pass", None, None);
    assert_eq!(run.result()["addresses"][0]["passed"], 3);
    assert!(has_standalone_note(&run), "{}", run.stdout);
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0, "nothing is written");
    assert!(TcpStream::connect(&listen).is_err(), "the responder stopped with the check");
}

#[test]
fn standalone_text_report_says_what_a_pass_proves() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let run = run(&[
        "check", DOMAIN, "--standalone", "--listen", &listen, "--resolve", &format!("{DOMAIN}:{port}:127.0.0.1"),
        "--http-port", &port.to_string(), "--timeout", "5",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("PASS example.test"), "{}", run.stdout);
    assert!(run.stdout.contains("DNS, firewalls, NAT and port forwarding"), "{}", run.stdout);
    assert!(run.stdout.contains("web server routes the challenge path"), "{}", run.stdout);
}

#[test]
fn standalone_fails_when_the_name_leads_elsewhere() {
    // The responder listens on 127.0.0.1, but the name points at 127.0.0.2, where nothing
    // listens on that port: the network path is broken, not the web server.
    let port = free_port();
    let run = standalone(&format!("127.0.0.1:{port}"), "127.0.0.2", port, &["--attempts", "1"]);

    assert_result(&run, "fail", Some("connection-refused"), Some("connection-refused"));
    assert!(has_standalone_note(&run), "{}", run.stdout);
}

#[test]
fn standalone_port_in_use_names_the_process() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();

    let run = standalone(&format!("127.0.0.1:{port}"), "127.0.0.1", port, &[]);

    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("already in use"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("pid {}", std::process::id())), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn standalone_default_listens_on_both_families() {
    if !can_unshare() {
        return;
    }
    // A fresh network namespace with only loopback: port 80 is free there, and the
    // default listeners 0.0.0.0:80 and [::]:80 are reachable from nowhere else.
    let output = Command::new("unshare")
        .args(["-n", "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(binary())
        .args(["check", DOMAIN, "--standalone", "--resolve", &format!("{DOMAIN}:80:127.0.0.1,::1"), "--format", "json"])
        .args(["--timeout", "5"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };

    assert_result(&run, "pass", None, None);
    let addresses = run.result()["addresses"].as_array().unwrap().clone();
    let listed: Vec<&str> = addresses.iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert_eq!(listed, ["::1", "127.0.0.1"], "{}", run.stdout);
    for address in &addresses {
        assert_eq!(address["passed"], 3, "{address}");
    }
}
