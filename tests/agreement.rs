//! Agreement with a real CA: for each scenario, `check --profile pebble` and a real certbot
//! issuance against Pebble must reach the same verdict.
//!
//! One Pebble serves the whole matrix, so every scenario's web server listens on Pebble's
//! HTTP port in turn. Names resolve through pebble-challtestsrv, which answers every A
//! query with 127.0.0.1, for Pebble and for the check alike. The table printed at the end
//! is the one in docs/accuracy.md.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::pebble::Pebble;
use common::*;

/// A plain server that returns the key authorization of the requested token with
/// `suffix` appended, read from the webroot's challenge folder.
struct Decorating {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Decorating {
    fn start(port: u16, webroot: &Path, suffix: &'static str) -> Decorating {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let folder: PathBuf = webroot.join(".well-known/acme-challenge");
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut head = [0u8; 4096];
                let n = stream.read(&mut head).unwrap_or(0);
                let text = String::from_utf8_lossy(&head[..n]);
                let path = text.split(' ').nth(1).unwrap_or("");
                let token = path.rsplit('/').next().unwrap_or("");
                let body = match std::fs::read_to_string(folder.join(token)) {
                    Ok(ka) => format!("{ka}{suffix}"),
                    Err(_) => String::new(),
                };
                let status = if body.is_empty() { "404 Not Found" } else { "200 OK" };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Decorating {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Decorating {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whatever a scenario started; dropping it stops the servers.
#[allow(dead_code)]
enum Guard {
    Server(Server),
    Decorating(Decorating),
}

struct Scenario {
    name: &'static str,
    setup: fn(&Pebble, &Path, &str) -> Vec<Guard>,
}

fn nginx_at(port: u16, body: &str, extra: &str) -> Guard {
    Guard::Server(nginx_on(&["127.0.0.1:{PORT}".into()], body, extra, port).expect("nginx starts"))
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "correct webroot",
            setup: |p, w, _| vec![nginx_at(p.http_port, &format!("root {};", w.display()), "")],
        },
        Scenario {
            name: "deny rule for dot-paths",
            setup: |p, w, _| vec![nginx_at(p.http_port, &format!("root {}; location ~ /\\. {{ deny all; }}", w.display()), "")],
        },
        Scenario {
            name: "wrong root",
            setup: |p, _, _| vec![nginx_at(p.http_port, "root /var/empty-acme-preflight-test;", "")],
        },
        Scenario {
            name: "catch-all fallback to index.html",
            setup: |p, _, _| {
                let other = public_dir();
                std::fs::write(other.path().join("index.html"), "<h1>app</h1>").unwrap();
                let body = format!("root {}; location / {{ try_files $uri /index.html; }}", other.path().display());
                let guard = nginx_at(p.http_port, &body, "");
                std::mem::forget(other);
                vec![guard]
            },
        },
        Scenario {
            name: "Dash app behind nginx",
            setup: |p, _, _| {
                let app = gunicorn("dash_pages", "app:server", &[]).expect("gunicorn starts");
                let body = format!("location / {{ proxy_pass http://127.0.0.1:{}; }}", app.port);
                vec![Guard::Server(app), nginx_at(p.http_port, &body, "")]
            },
        },
        Scenario {
            name: "redirect to another port that serves the file",
            setup: |p, w, _| {
                let other = free_port();
                let body = format!("location /.well-known/ {{ return 301 http://$host:{other}$request_uri; }}");
                let extra = format!("server {{ listen 127.0.0.1:{other}; root {}; }}", w.display());
                vec![nginx_at(p.http_port, &body, &extra)]
            },
        },
        Scenario {
            name: "redirect loop",
            setup: |p, _, _| vec![nginx_at(p.http_port, "return 301 http://$host:$server_port$request_uri;", "")],
        },
        Scenario {
            name: "303 to a path that serves the file",
            setup: |p, w, _| {
                let body = format!(
                    "location /.well-known/ {{ return 303 /ok$request_uri; }} location /ok/ {{ alias {}/; }}",
                    w.display()
                );
                vec![nginx_at(p.http_port, &body, "")]
            },
        },
        Scenario {
            name: "::1 serves other content than 127.0.0.1",
            setup: |p, w, name| {
                p.manage("/add-aaaa", &format!(r#"{{"host": "{name}.", "addresses": ["::1"]}}"#));
                let v4 = nginx_at(p.http_port, &format!("root {};", w.display()), "");
                let v6 = nginx_on(&["[::1]:{PORT}".into()], "root /var/empty-acme-preflight-test;", "", p.http_port)
                    .expect("nginx starts");
                vec![v4, Guard::Server(v6)]
            },
        },
        Scenario {
            name: "trailing spaces after the key authorization",
            setup: |p, w, _| vec![Guard::Decorating(Decorating::start(p.http_port, w, "  "))],
        },
        Scenario {
            name: "body over 128 bytes of trailing newlines",
            setup: |p, w, _| vec![Guard::Decorating(Decorating::start(p.http_port, w, NEWLINES))],
        },
        Scenario {
            name: "body over 128 bytes of text",
            setup: |p, w, _| vec![Guard::Decorating(Decorating::start(p.http_port, w, "-padding-padding-padding-padding-padding-padding"))],
        },
        Scenario {
            name: "nothing listening",
            setup: |_, _, _| Vec::new(),
        },
    ]
}

/// Sixty newlines: with an 87-byte key authorization, a body of 147 bytes.
const NEWLINES: &str = "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";

#[test]
fn pebble_and_check_agree() {
    let http_port = free_port();
    let Some(pebble) = Pebble::start(http_port) else { return };
    let dns = pebble.dns_server();
    let port = http_port.to_string();
    let mut table = vec!["| scenario | Pebble with certbot | acme-preflight --profile pebble |".to_string(), "| --- | --- | --- |".to_string()];
    let mut disagreements = Vec::new();

    for (i, scenario) in scenarios().iter().enumerate() {
        let name = format!("s{}.example.test", i + 1);
        let webroot = public_dir();
        let before = snapshot(webroot.path());
        let guards = (scenario.setup)(&pebble, webroot.path(), &name);

        let check = run(&[
            "check", &name, "--webroot", webroot.path().to_str().unwrap(), "--profile", "pebble", "--http-port", &port,
            "--dns-server", &dns, "--timeout", "10", "--format", "json",
        ]);
        let tool = check.result()["verdict"].as_str().unwrap_or("?").to_string();
        assert_eq!(snapshot(webroot.path()), before, "{}: webroot changed by the check", scenario.name);

        let certbot = pebble.certbot_webroot(&name, webroot.path());
        let ca = if certbot.issued { "pass" } else { "fail" };
        drop(guards);

        table.push(format!("| {} | {ca} | {tool} |", scenario.name));
        if ca != tool {
            disagreements.push(format!(
                "{}: Pebble {ca}, check {tool}\ncheck: {}\ncertbot: {}",
                scenario.name,
                check.result()["ca_message"],
                certbot.output.lines().filter(|l| l.contains("Detail") || l.contains("Type")).collect::<Vec<_>>().join(" ")
            ));
        }
    }

    println!("{}", table.join("\n"));
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n\n"));
}
