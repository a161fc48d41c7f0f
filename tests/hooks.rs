//! The hooks with real ACME clients against a real CA: certbot and dehydrated against
//! Pebble. A broken setup must stop the client before it answers the challenge, so Pebble
//! never tries to validate, and the webroot must be left as it was.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::pebble::{Pebble, run_certbot};
use common::*;

/// The auth and cleanup hook command lines for certbot, as the certbot guide gives them.
fn certbot_hooks(pebble: &Pebble, webroot: &Path) -> (String, String) {
    let auth = format!(
        "{} hook certbot-auth --webroot {} --profile pebble --http-port {} --dns-server {}",
        binary(),
        webroot.display(),
        pebble.http_port,
        pebble.dns_server()
    );
    let cleanup = format!("{} hook certbot-cleanup --webroot {}", binary(), webroot.display());
    (auth, cleanup)
}

fn certbot_manual(pebble: &Pebble, name: &str, webroot: &Path) -> common::pebble::Certbot {
    let (auth, cleanup) = certbot_hooks(pebble, webroot);
    let mut command = pebble.certbot_command();
    command
        .args(["certonly", "--manual", "--preferred-challenges", "http", "-d", name])
        .args(["--manual-auth-hook", &auth, "--manual-cleanup-hook", &cleanup]);
    run_certbot(command)
}

fn validation_attempts(pebble: &Pebble, name: &str) -> usize {
    pebble
        .log()
        .lines()
        .filter(|l| l.contains("Attempting to validate") && l.contains(&format!("//{name}:")))
        .count()
}

/// Starts the setup for one scenario on Pebble's HTTP port.
fn setup(kind: &str, pebble: &Pebble, webroot: &Path) -> Vec<Server> {
    let port = pebble.http_port;
    let at = |body: &str| nginx_on(&["127.0.0.1:{PORT}".into()], body, "", port).expect("nginx starts");
    match kind {
        "working" => vec![at(&format!("root {};", webroot.display()))],
        "dot-deny" => vec![at(&format!("root {}; location ~ /\\. {{ deny all; }}", webroot.display()))],
        "dash" => {
            let app = gunicorn("dash_pages", "app:server", &[]).expect("gunicorn starts");
            let front = at(&format!("location / {{ proxy_pass http://127.0.0.1:{}; }}", app.port));
            vec![app, front]
        }
        "redirect-port" => vec![at(&format!(
            "location /.well-known/ {{ return 301 http://$host:{}$request_uri; }}",
            free_port()
        ))],
        other => panic!("unknown scenario {other}"),
    }
}

#[test]
fn certbot_hooks_guard_issuance() {
    let Some(pebble) = Pebble::start(free_port()) else { return };
    if !have("/usr/bin/certbot") {
        return;
    }

    for (i, kind) in ["working", "dot-deny", "dash", "redirect-port"].iter().enumerate() {
        let name = format!("hook{i}.example.test");
        let w = public_dir();
        fs::write(w.path().join("index.html"), "site").unwrap();
        let before = snapshot(w.path());
        let servers = setup(kind, &pebble, w.path());

        let certbot = certbot_manual(&pebble, &name, w.path());
        drop(servers);

        if *kind == "working" {
            assert!(certbot.issued, "{kind}: certbot should issue:\n{}", certbot.output);
            assert!(validation_attempts(&pebble, &name) > 0);
        } else {
            assert!(!certbot.issued, "{kind}: certbot should have been stopped:\n{}", certbot.output);
            assert_eq!(validation_attempts(&pebble, &name), 0, "{kind}: Pebble was asked to validate");
            assert!(certbot.output.contains("FAIL"), "{kind}: the report reaches the user:\n{}", certbot.output);
        }
        assert_eq!(snapshot(w.path()), before, "{kind}: webroot changed");
    }
}

#[test]
fn dehydrated_hook_guards_issuance() {
    if !have("/usr/bin/dehydrated") {
        return;
    }
    let Some(pebble) = Pebble::start(free_port()) else { return };
    let base = tempfile::tempdir().unwrap();
    let hook = base.path().join("hook.sh");
    let script = format!(
        "#!/bin/sh\nexec {} hook dehydrated --challenge-dir \"$WELLKNOWN_DIR\" --remove-on-fail --profile pebble --http-port {} --dns-server {} \"$@\"\n",
        binary(),
        pebble.http_port,
        pebble.dns_server()
    );
    fs::write(&hook, script).unwrap();
    fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    for (i, kind) in ["working", "dot-deny"].iter().enumerate() {
        let name = format!("dehydrated{i}.example.test");
        let w = public_dir();
        let wellknown = w.path().join(".well-known/acme-challenge");
        fs::create_dir_all(&wellknown).unwrap();
        fs::set_permissions(w.path().join(".well-known"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        fs::set_permissions(&wellknown, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let before = snapshot(w.path());
        let servers = setup(kind, &pebble, w.path());

        let config = base.path().join(format!("config{i}"));
        fs::create_dir_all(base.path().join(format!("state{i}"))).unwrap();
        fs::write(
            &config,
            format!(
                "CA=\"{}\"\nBASEDIR=\"{}/state{i}\"\nWELLKNOWN=\"{}\"\nHOOK=\"{}\"\nCHALLENGETYPE=\"http-01\"\n",
                pebble.directory_url(),
                base.path().display(),
                wellknown.display(),
                hook.display()
            ),
        )
        .unwrap();
        let ca_bundle = pebble.dir.path().join("ca.pem");
        let dehydrated = |args: &[&str]| {
            Command::new("/usr/bin/dehydrated")
                .arg("--config")
                .arg(&config)
                .args(args)
                .env("CURL_CA_BUNDLE", &ca_bundle)
                .env("WELLKNOWN_DIR", &wellknown)
                .output()
                .unwrap()
        };
        let register = dehydrated(&["--register", "--accept-terms"]);
        assert!(register.status.success(), "{}", String::from_utf8_lossy(&register.stderr));
        let output = dehydrated(&["--cron", "--domain", &name]);
        drop(servers);
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));

        if *kind == "working" {
            assert!(output.status.success(), "{kind}: dehydrated should issue:\n{text}");
            assert!(validation_attempts(&pebble, &name) > 0);
        } else {
            assert!(!output.status.success(), "{kind}: dehydrated should stop:\n{text}");
            assert_eq!(validation_attempts(&pebble, &name), 0, "{kind}: Pebble was asked to validate:\n{text}");
        }
        // dehydrated writes and removes its own token file; the folders were there before.
        assert_eq!(snapshot(w.path()), before, "{kind}: webroot changed:\n{text}");
    }
}
