//! `check` against real nginx configurations: the common ways a front server serves, blocks
//! or reroutes the challenge path. Each test asserts the verdict, the primary code, the
//! symptom code, and that the webroot is exactly as before.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::*;

#[test]
fn nginx_serving_webroot_passes_with_only_token_requests() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = nginx(&format!("root {};", w.path().display()), "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(w.path()), before);
    let log = server.access_log();
    let requests: Vec<&str> = log.lines().collect();
    assert_eq!(requests.len(), 3, "only the three token fetches; log:\n{log}");
    assert!(requests.iter().all(|l| l.contains("GET /.well-known/acme-challenge/")), "{log}");
    assert!(requests.iter().all(|l| l.contains("Let's Encrypt validation server")), "{log}");
}

#[test]
fn nginx_dot_deny_rule_is_dotfiles_blocked() {
    let w = site_dir();
    let before = snapshot(w.path());
    let body = format!("root {}; location ~ /\\. {{ deny all; }}", w.path().display());
    let Some(server) = nginx(&body, "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("dotfiles-blocked"), Some("forbidden"));
    assert!(primary_fix(&run).contains("location ^~ /.well-known/acme-challenge/"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_root_elsewhere_is_webroot_not_served() {
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let Some(server) = nginx(&format!("root {};", other.path().display()), "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("webroot-not-served"), Some("not-found"));
    assert!(primary_fix(&run).contains("nginx `root`"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_index_fallback_is_catch_all() {
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let body = format!("root {}; location / {{ try_files $uri /index.html; }}", other.path().display());
    let Some(server) = nginx(&body, "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("catch-all"), Some("content-mismatch"));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_redirect_to_other_port_is_rejected() {
    let w = site_dir();
    let before = snapshot(w.path());
    let body = "location /.well-known/ { return 301 http://example.test:8443$request_uri; }";
    let Some(server) = nginx(body, "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("redirect-bad-port"), Some("redirect-bad-port"));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_redirect_to_itself_is_a_loop() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = nginx("return 301 http://$host$request_uri;", "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("redirect-loop"), Some("redirect-loop"));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_extensionless_rule_is_extensionless_blocked() {
    let w = site_dir();
    let before = snapshot(w.path());
    let body = format!(
        "root {}; location ~ ^/\\.well-known/acme-challenge/[^.]+$ {{ return 404; }}",
        w.path().display()
    );
    let Some(server) = nginx(&body, "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("extensionless-blocked"), Some("not-found"));
    assert!(primary_fix(&run).contains("default_type text/plain"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_closed_challenge_folder_is_token_unreadable() {
    let w = site_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    fs::set_permissions(w.path().join(".well-known"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&challenge, fs::Permissions::from_mode(0o700)).unwrap();
    let before = snapshot(w.path());
    let Some(server) = nginx(&format!("root {};", w.path().display()), "") else { return };

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "fail", Some("token-unreadable"), Some("forbidden"));
    let fix = primary_fix(&run);
    assert!(fix.contains("chmod o+x") && fix.contains("acme-challenge"), "{fix}");
    let closed: Vec<String> = run.result()["local_path"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["others_can_access"] == false)
        .map(|step| step["mode"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(closed, ["0700"]);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_https_redirect_to_other_folder_is_not_served() {
    if !have("openssl") {
        return;
    }
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let certs = tempfile::tempdir().unwrap();
    let (key, cert) = (certs.path().join("key.pem"), certs.path().join("cert.pem"));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=example.test", "-addext", "subjectAltName=DNS:example.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    fs::set_permissions(certs.path(), fs::Permissions::from_mode(0o755)).unwrap();

    let https_port = free_port();
    let https_server = format!(
        "server {{ listen 127.0.0.1:{https_port} ssl; server_name example.test; ssl_certificate {}; ssl_certificate_key {}; root {}; }}",
        cert.display(),
        key.display(),
        other.path().display()
    );
    let body = format!(
        "return 301 https://$host$request_uri; location ^~ /.well-known/acme-challenge/ {{ root {}; }}",
        w.path().display()
    );
    let Some(server) = nginx(&body, &https_server) else { return };
    let https = https_port.to_string();

    let run = check(w.path(), server.port, &["--https-port", &https]);

    assert_result(&run, "fail", Some("https-redirect-not-served"), Some("not-found"));
    assert!(primary_fix(&run).contains("location /"), "{}", primary_fix(&run));
    let hops = run.result()["hops"].as_array().unwrap().len();
    assert_eq!(hops, 2);
    let tls = &run.result()["hops"][1]["tls"];
    assert_eq!(tls["self_signed"], true, "{tls}");
    assert_eq!(tls["names"][0], "example.test", "{tls}");
    let notes = run.result()["findings"][0]["evidence"]["notes"].to_string();
    assert!(notes.contains("self-signed"), "{notes}");
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn ipv6_listener_with_other_site_is_address_mismatch() {
    let w = site_dir();
    let empty = site_dir();
    let before = snapshot(w.path());
    let port = free_port();
    let Some(_v4) = nginx_on(&["127.0.0.1:{PORT}".into()], &format!("root {};", w.path().display()), "", port) else {
        return;
    };
    let Some(_v6) = nginx_on(&["[::1]:{PORT}".into()], &format!("root {};", empty.path().display()), "", port) else {
        return;
    };

    let pin = format!("{DOMAIN}:{port}:127.0.0.1,::1");
    let run = check(w.path(), port, &["--resolve", &pin]);

    assert_result(&run, "fail", Some("address-mismatch"), Some("not-found"));
    assert!(primary_fix(&run).contains("AAAA"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_balancer_with_one_bare_backend_is_inconsistent() {
    let w = site_dir();
    let empty = site_dir();
    let before = snapshot(w.path());
    let (good, bare) = (free_port(), free_port());
    let backends = format!(
        "upstream backends {{ server 127.0.0.1:{good}; server 127.0.0.1:{bare}; }}
    server {{ listen 127.0.0.1:{good}; root {}; }}
    server {{ listen 127.0.0.1:{bare}; root {}; }}",
        w.path().display(),
        empty.path().display()
    );
    let Some(server) = nginx("location / { proxy_pass http://backends; }", &backends) else { return };

    let run = check(w.path(), server.port, &["--attempts", "4"]);

    assert_result(&run, "fail", Some("inconsistent-backends"), None);
    let summary = run.result()["findings"][0]["summary"].as_str().unwrap().to_string();
    assert!(summary.contains("2 of 4"), "{summary}");
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn ipv4_failing_behind_working_ipv6_is_a_warning() {
    let w = site_dir();
    let empty = site_dir();
    let before = snapshot(w.path());
    let port = free_port();
    let Some(_v6) = nginx_on(&["[::1]:{PORT}".into()], &format!("root {};", w.path().display()), "", port) else {
        return;
    };
    let Some(_v4) = nginx_on(&["127.0.0.1:{PORT}".into()], &format!("root {};", empty.path().display()), "", port) else {
        return;
    };

    let pin = format!("{DOMAIN}:{port}:::1,127.0.0.1");
    let run = check(w.path(), port, &["--resolve", &pin]);

    // The CA uses the AAAA address and falls back to IPv4 only when IPv6 does not connect.
    assert_result(&run, "pass", None, Some("address-mismatch"));
    let warning = run.result()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "address-mismatch")
        .cloned()
        .unwrap();
    assert_eq!(warning["severity"], "warning");
    assert!(warning["summary"].as_str().unwrap().contains("127.0.0.1"), "{warning}");
    assert_eq!(snapshot(w.path()), before);
}
