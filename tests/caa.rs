//! CAA after a passing fetch, with records served by pebble-challtestsrv through
//! `--dns-server`.

mod common;

use std::fs;
use std::process::{Command, Stdio};

use common::pebble::Pebble;
use common::*;

fn add_caa(pebble: &Pebble, host: &str, tag: &str, value: &str) {
    let body = format!(r#"{{"host": "{host}.", "policies": [{{"tag": "{tag}", "value": "{value}"}}]}}"#);
    pebble.manage("/add-caa", &body);
}

#[test]
fn caa_and_reserved_addresses_with_real_dns() {
    let http_port = free_port();
    let Some(pebble) = Pebble::start(http_port) else { return };
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    let mut child = Command::new(binary())
        .args(["serve", "--challenge-dir"])
        .arg(&challenge)
        .args(["--listen", &format!("127.0.0.1:{http_port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(format!("127.0.0.1:{http_port}").parse().unwrap(), &mut child, "serve");
    let _server = Server { child, port: http_port, dir: None };

    add_caa(&pebble, "allowed.example.test", "issue", "letsencrypt.org");
    add_caa(&pebble, "parent3.test", "issue", "pki.goog");
    add_caa(&pebble, "methods.example.test", "issue", "letsencrypt.org; validationmethods=dns-01");
    pebble.manage("/set-servfail", r#"{"host": "parent5.test."}"#);
    pebble.manage("/set-servfail", r#"{"host": "broken.example.test."}"#);

    let dns = pebble.dns_server();
    let port = http_port.to_string();
    let root = w.path().display().to_string();
    let check = |name: &str| {
        run(&[
            "check", name, "--webroot", &root, "--http-port", &port, "--dns-server", &dns, "--allow-private", "--format",
            "json", "--timeout", "5",
        ])
    };

    let none = check("plain.example.test");
    assert_result(&none, "pass", None, None);
    assert_eq!(none.result()["caa"]["status"], "allowed");

    let allowed = check("allowed.example.test");
    assert_result(&allowed, "pass", None, None);
    assert_eq!(allowed.result()["caa"]["set_at"], "allowed.example.test");

    let parent = check("www.parent3.test");
    assert_result(&parent, "fail", Some("caa-forbids"), None);
    assert_eq!(parent.result()["caa"]["set_at"], "parent3.test");

    let methods = check("methods.example.test");
    assert_result(&methods, "fail", Some("caa-forbids"), None);

    let servfail = check("www.parent5.test");
    assert_result(&servfail, "fail", Some("caa-lookup-failed"), None);

    let private = run(&["check", "plain.example.com", "--webroot", &root, "--http-port", &port, "--dns-server", &dns, "--format", "json"]);
    assert_result(&private, "fail", Some("dns-no-address"), Some("dns-reserved-address"));

    let severities: Vec<String> = none.result()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "dns-reserved-address")
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(severities, ["info"], "--allow-private keeps the address and says a public CA would drop it");

    let broken = check("broken.example.test");
    assert_result(&broken, "fail", Some("dns-lookup-failed"), None);

    let pin = "pinned.example.test:*:127.0.0.1".to_string();
    let pinned = run(&["check", "pinned.example.test", "--webroot", &root, "--http-port", &port, "--resolve", &pin, "--format", "json"]);
    assert_result(&pinned, "pass", None, None);
    assert_eq!(pinned.result()["caa"]["status"], "not-checked");
}
