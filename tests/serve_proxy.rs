//! `serve --proxy`: requests that are not challenges reach the one upstream with method,
//! path, query, headers and bodies intact, and the real Dash app passes `check` behind the
//! responder, in front of it or beside it behind nginx.

mod common;

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use common::echo::{self, fnv1a};
use common::*;
use serde_json::Value;

fn described(response: &Http) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("not the echo's JSON ({e}): {}", response.text()))
}

fn challenge_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let w = public_dir();
    let dir = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&dir).unwrap();
    (w, dir)
}

#[test]
fn proxy_keeps_method_target_and_headers() {
    let upstream = echo::start();
    let (_w, dir) = challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &upstream.url()]);

    let response = curl(&[
        "-X",
        "PATCH",
        "-H",
        "Host: dash.example.test",
        "-H",
        "X-Custom: kept",
        "-H",
        "Cookie: session=abc",
        "-H",
        "X-Forwarded-For: 198.51.100.1",
        &server.url("/a/b%20c?x=1&y=%2F"),
    ]);

    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-upstream"), Some("echo"));
    assert_eq!(response.header("x-hop"), None, "a header the upstream named in Connection was passed on");
    let seen = described(&response);
    assert_eq!(seen["method"], "PATCH");
    assert_eq!(seen["target"], "/a/b%20c?x=1&y=%2F");
    let headers = &seen["headers"];
    assert_eq!(headers["host"][0], "dash.example.test");
    assert_eq!(headers["x-custom"][0], "kept");
    assert_eq!(headers["cookie"][0], "session=abc");
    assert_eq!(headers["x-forwarded-for"][0], "198.51.100.1, 127.0.0.1");
    assert_eq!(headers["x-forwarded-proto"][0], "http");
    assert_eq!(headers["x-forwarded-host"][0], "dash.example.test");
    assert_eq!(headers["forwarded"][0], "for=127.0.0.1;proto=http;host=\"dash.example.test\"");
    assert_eq!(seen["peer"], "127.0.0.1");
}

#[test]
fn proxy_streams_large_bodies_both_ways() {
    let upstream = echo::start();
    let (_w, dir) = challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &upstream.url()]);
    let upload = tempfile::NamedTempFile::new().unwrap();
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(upload.path(), &content).unwrap();
    let data = format!("@{}", upload.path().display());

    // With a length, and chunked without one.
    for extra in [&[][..], &["-H", "Transfer-Encoding: chunked"][..]] {
        let mut args = vec!["-X", "POST", "--data-binary", &data];
        args.extend_from_slice(extra);
        let url = server.url("/upload");
        args.push(&url);
        let seen = described(&curl(&args));
        assert_eq!(seen["body_len"], content.len(), "{extra:?}");
        assert_eq!(seen["body_fnv"], fnv1a(&content), "{extra:?}");
    }

    let download = curl(&[&server.url("/stream?n=5000000")]);
    assert_eq!(download.status, 200);
    assert_eq!(download.body.len(), 5_000_000);
    assert!(download.body.iter().all(|b| *b == b'x'));
}

#[test]
fn proxy_reuses_connection_for_keepalive_requests() {
    let upstream = echo::start();
    let (_w, dir) = challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &upstream.url()]);
    // One curl, three requests over one kept-alive connection.
    let (a, b, c) = (server.url("/one"), server.url("/two"), server.url("/three"));
    let output = std::process::Command::new("curl")
        .args(["-s", "--max-time", "10", "--noproxy", "*", &a, &b, &c])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for target in ["/one", "/two", "/three"] {
        assert!(text.contains(&format!("\"target\":\"{target}\"")), "{text}");
    }
    assert_eq!(upstream.hits(), 3);
    assert_eq!(upstream.connections(), 1, "the upstream connection was not reused");
}

#[test]
fn challenges_are_never_forwarded() {
    let upstream = echo::start();
    let (_w, dir) = challenge_dir();
    fs::write(dir.join("present"), "present.key").unwrap();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &upstream.url()]);

    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/present")]).text(), "present.key");
    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/absent")]).status, 404);
    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/..%2f..%2fsecret")]).status, 404);
    assert_eq!(curl(&["-X", "POST", &server.url("/.well-known/acme-challenge/present")]).status, 405);
    assert_eq!(upstream.hits(), 0);

    assert_eq!(curl(&[&server.url("/.well-known/security.txt")]).status, 200);
    assert_eq!(upstream.hits(), 1);
}

#[test]
fn only_the_configured_upstream_is_contacted() {
    let upstream = echo::start();
    let (_w, dir) = challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &upstream.url()]);
    // A second local listener that a request names as its target; nothing may reach it.
    let decoy = TcpListener::bind("127.0.0.1:0").unwrap();
    decoy.set_nonblocking(true).unwrap();
    let decoy_addr = decoy.local_addr().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();

    let absolute = format!("GET http://{decoy_addr}/via-absolute-form HTTP/1.1\r\nHost: {decoy_addr}\r\nConnection: close\r\n\r\n");
    let response = parse_response(&raw_exchange(addr, absolute.as_bytes())).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(described(&response)["target"], "/via-absolute-form");

    let connect = format!("CONNECT {decoy_addr} HTTP/1.1\r\nHost: {decoy_addr}\r\n\r\n");
    let response = raw_exchange(addr, connect.as_bytes());
    assert_eq!(raw_status(&response), Some(405));

    std::thread::sleep(Duration::from_millis(100));
    assert!(decoy.accept().is_err(), "a connection reached the decoy");
    assert_eq!(upstream.hits(), 1);
}

#[test]
fn unreachable_upstream_is_502() {
    let (_w, dir) = challenge_dir();
    fs::write(dir.join("stillserved"), "stillserved.key").unwrap();
    let closed = free_port();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &format!("http://127.0.0.1:{closed}")]);
    assert_eq!(curl(&[&server.url("/")]).status, 502);
    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/stillserved")]).text(), "stillserved.key");
    assert!(server.log().contains("cannot connect to the upstream"), "{}", server.log());
}

/// The request Dash's page router makes for `/`: it renders the page into `_pages_content`.
const DASH_PAGE_CALLBACK: &str = r#"{"output":".._pages_content.children..._pages_store.data..","outputs":[{"id":"_pages_content","property":"children"},{"id":"_pages_store","property":"data"}],"inputs":[{"id":"_pages_location","property":"pathname","value":"/"},{"id":"_pages_location","property":"search","value":""}],"changedPropIds":["_pages_location.pathname"],"state":[]}"#;

/// Asserts that the Dash app's pages work through `base`: the page shell, the layout, and
/// the page callback that renders the home page.
fn assert_dash_pages_work(base: &str) {
    let shell = curl(&["-H", "Host: example.test", &format!("{base}/")]);
    assert_eq!(shell.status, 200);
    assert!(shell.text().contains("_dash-config"), "{}", shell.text());

    let layout = curl(&["-H", "Host: example.test", &format!("{base}/_dash-layout")]);
    assert_eq!(layout.status, 200);
    assert!(layout.text().contains("_pages_content"), "{}", layout.text());

    let page = curl(&[
        "-H",
        "Host: example.test",
        "-H",
        "Content-Type: application/json",
        "--data",
        DASH_PAGE_CALLBACK,
        &format!("{base}/_dash-update-component"),
    ]);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("Dashboard"), "{}", page.text());
}

#[test]
fn dash_behind_serve_proxy_passes_check() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = gunicorn("dash_pages", "app:server", &[]) else { return };
    let dir = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&dir).unwrap();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &format!("http://127.0.0.1:{}", app.port)]);

    let run = check(w.path(), server.port, &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(run.result()["addresses"][0]["passed"], 3);
    assert_dash_pages_work(&server.url(""));
    fs::remove_dir_all(w.path().join(".well-known")).unwrap();
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn dash_beside_serve_behind_nginx_location_passes_check() {
    let w = public_dir();
    let Some(app) = gunicorn("dash_pages", "app:server", &[]) else { return };
    let dir = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&dir).unwrap();
    let responder = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    let body = format!(
        "location ^~ /.well-known/acme-challenge/ {{ proxy_pass http://127.0.0.1:{}; proxy_set_header Host $host; }}
        location / {{ proxy_pass http://127.0.0.1:{}; proxy_set_header Host $host; }}",
        responder.port, app.port
    );
    let Some(front) = nginx(&body, "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "pass", None, None);
    assert_dash_pages_work(&format!("http://127.0.0.1:{}", front.port));
    // Each log line is written once its response is sent, so give the last one a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while responder.log().matches(": request ").count() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = responder.log();
    assert_eq!(log.matches(": request ").count(), 3, "only the three token fetches reach the responder:\n{log}");
}
