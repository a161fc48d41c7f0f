//! What the responder never serves, and the limits that protect it: traversal and
//! malformed paths sent raw over TCP to a running `serve` (clients would normalize them)
//! and through the pure handler, and slow, idle and surplus connections.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use acme_preflight::responder::{self, Config, Fallback, Limits, Source};
use common::*;

/// Content of a file next to the challenge folder, which must never be served.
const OUTSIDE_MARKER: &str = "OUTSIDE-THE-FOLDER-7f3a9c";
const THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/// Request targets that try to leave the challenge folder or are malformed, as raw bytes.
/// None of them may return the outside file, and with a folder as the only source none
/// may get a 200.
const HOSTILE_TARGETS: &[&[u8]] = &[
    b"/.well-known/acme-challenge/../secret",
    b"/.well-known/acme-challenge/../../secret",
    b"/.well-known/acme-challenge/../../../../../../etc/passwd",
    b"/.well-known/acme-challenge/..%2fsecret",
    b"/.well-known/acme-challenge/..%2Fsecret",
    b"/.well-known/acme-challenge/%2e%2e/secret",
    b"/.well-known/acme-challenge/%2e%2e%2fsecret",
    b"/.well-known/acme-challenge/%2E%2E%2Fsecret",
    b"/.well-known/acme-challenge/.%2e/secret",
    b"/.well-known/acme-challenge/%2e./secret",
    b"/.well-known/acme-challenge/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/.well-known/acme-challenge/..%5csecret",
    b"/.well-known/acme-challenge/..%5Csecret",
    b"/.well-known/acme-challenge/%2e%2e%5c%2e%2e%5csecret",
    b"/.well-known/acme-challenge/..\\secret",
    b"/.well-known/acme-challenge/..\\..\\secret",
    b"/.well-known/acme-challenge/%252e%252e%252fsecret",
    b"/.well-known/acme-challenge/..%252fsecret",
    b"/.well-known/acme-challenge/%c0%ae%c0%ae/secret",
    b"/.well-known/acme-challenge/%c0%ae%c0%ae%c0%afsecret",
    b"/.well-known/acme-challenge/..%c0%afsecret",
    b"/.well-known/acme-challenge/%e0%80%ae%e0%80%ae/secret",
    b"/.well-known/acme-challenge/%c1%9csecret",
    b"/.well-known/acme-challenge/..%ef%bc%8fsecret",
    b"/.well-known/acme-challenge/%u002e%u002e/secret",
    b"/.well-known/acme-challenge/\xc0\xae\xc0\xae/secret",
    b"/.well-known/acme-challenge/secret%00",
    b"/.well-known/acme-challenge/good%00.txt",
    b"/.well-known/acme-challenge/..%00/secret",
    b"/.well-known/acme-challenge/%00",
    b"/.well-known/acme-challenge/good\x00",
    b"/.well-known/acme-challenge/good/../../secret",
    b"/.well-known/acme-challenge/good%2f..%2f..%2fsecret",
    b"/.well-known/acme-challenge/good/..",
    b"/.well-known/acme-challenge/./good/../../secret",
    b"/.well-known/acme-challenge/..",
    b"/.well-known/acme-challenge/.",
    b"/.well-known/acme-challenge/",
    b"/.well-known/acme-challenge//etc/passwd",
    b"/.well-known/acme-challenge/%2fetc%2fpasswd",
    b"/.well-known/acme-challenge/....//secret",
    b"/.well-known/acme-challenge/..;/secret",
    b"/.well-known/acme-challenge/~/secret",
    b"/.well-known/acme-challenge/%",
    b"/.well-known/acme-challenge/%2",
    b"/.well-known/acme-challenge/.. /secret",
    b"/.well-known/acme-challenge/\x7fsecret",
    b"/.well-known/acme-challenge/\tsecret",
    b"/.well-known/acme-challenge/secret",
    b"/.well-known/acme-challenge/linked",
    b"/.well-known/acme-challenge/innerdir",
    b"/.well-known/acme-challenge/%67ood",
    b"/.well-known/acme-challenge%2f..%2fsecret",
    b"/.well-known/./acme-challenge/../secret",
    b"//.well-known/acme-challenge/../secret",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/../../etc/passwd",
    b"http://example.test/.well-known/acme-challenge/../secret",
    b"http://example.test/.well-known/acme-challenge/%2e%2e%2fsecret",
];

/// Creates an outer folder with the marker file in it, and the challenge folder inside
/// with one good token, a symlink to the marker file and a folder named like a token.
fn layout() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = public_dir();
    fs::write(outer.path().join("secret"), OUTSIDE_MARKER).unwrap();
    let dir = outer.path().join("challenges");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("good"), "good.key").unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("linked")).unwrap();
    fs::create_dir(dir.join("innerdir")).unwrap();
    (outer, dir)
}

fn raw_get(addr: SocketAddr, target: &[u8]) -> Vec<u8> {
    let mut request = b"GET ".to_vec();
    request.extend_from_slice(target);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
    raw_exchange(addr, &request)
}

fn shown(target: &[u8]) -> String {
    String::from_utf8_lossy(&target.escape_ascii().collect::<Vec<u8>>()).into_owned()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn hostile_list_is_long_enough() {
    assert!(HOSTILE_TARGETS.len() >= 40, "{}", HOSTILE_TARGETS.len());
}

#[test]
fn hostile_paths_sent_raw_serve_nothing_outside() {
    let (_outer, dir) = layout();
    let upstream = echo::start();
    let dir_arg = dir.to_str().unwrap();
    let upstream_url = upstream.url();
    let setups: [(&str, Vec<&str>); 3] = [
        ("folder", vec!["--challenge-dir", dir_arg]),
        ("folder and thumbprint", vec!["--challenge-dir", dir_arg, "--thumbprint", THUMBPRINT]),
        ("folder and proxy", vec!["--challenge-dir", dir_arg, "--proxy", &upstream_url]),
    ];

    for (name, args) in setups {
        let server = serve(&args);
        let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();

        // The good token is served, so a refusal below is not a broken server.
        let good = raw_get(addr, b"/.well-known/acme-challenge/good");
        assert_eq!(raw_status(&good), Some(200), "{name}");
        assert!(contains(&good, "good.key"), "{name}");

        for target in HOSTILE_TARGETS {
            let response = raw_get(addr, target);
            let status = raw_status(&response);
            let what = format!("{name}: {}", shown(target));
            assert!(status.is_some(), "{what}: no HTTP response");
            assert!(!contains(&response, OUTSIDE_MARKER), "{what}: served the outside file");
            assert!(!contains(&response, "root:x:0:0"), "{what}: served /etc/passwd");
            if name == "folder" {
                assert_ne!(status, Some(200), "{what}");
            }
        }
    }
}

#[test]
fn hostile_paths_through_the_pure_handler() {
    let (_outer, dir) = layout();
    let configs = [
        Config {
            sources: vec![Source::Dir(dir.clone())],
            fallback: Fallback::NotFound,
        },
        Config {
            sources: vec![Source::Dir(dir.clone()), Source::Thumbprint(THUMBPRINT.to_string())],
            fallback: Fallback::RedirectHttps,
        },
    ];
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut parsed = 0;
    for (i, config) in configs.iter().enumerate() {
        for target in HOSTILE_TARGETS {
            // Targets that are not valid URIs never reach the handler, because hyper responds 400.
            let Ok(uri) = hyper::Uri::try_from(*target) else { continue };
            parsed += 1;
            let request = hyper::Request::get(uri).header("host", "example.test").body(()).unwrap();
            let response = responder::respond(config, &request);
            let status = response.status();
            let body = runtime.block_on(async {
                use http_body_util::BodyExt;
                response.into_body().collect().await.unwrap().to_bytes()
            });
            let what = format!("config {i}: {}", shown(target));
            assert!(!contains(&body, OUTSIDE_MARKER), "{what}");
            if i == 0 {
                assert_ne!(status, hyper::StatusCode::OK, "{what}");
            }
        }
    }
    assert!(parsed >= 80, "most targets should parse as URIs: {parsed}");
}

#[test]
fn many_headers_are_rejected() {
    let (_outer, dir) = layout();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let mut request = b"GET /.well-known/acme-challenge/good HTTP/1.1\r\nHost: example.test\r\n".to_vec();
    for i in 0..150 {
        request.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let response = raw_exchange(addr, &request);
    assert_eq!(raw_status(&response), Some(431));
}

/// A responder run in this process with `limits`, on 127.0.0.1; stopped when dropped.
struct InProcess {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

fn in_process(limits: Limits, dir: &std::path::Path) -> InProcess {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(async { responder::listen::bind("127.0.0.1:0".parse().unwrap()) })
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        sources: vec![Source::Dir(dir.to_path_buf())],
        fallback: Fallback::NotFound,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    runtime.spawn(responder::serve(config, limits, vec![listener], stopped));
    InProcess {
        addr,
        stop,
        runtime: Some(runtime),
    }
}

/// Reads until the peer closes the connection or `limit` passes; returns what was read
/// and whether the peer closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let deadline = Instant::now() + limit;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return (data, true),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return (data, true),
        }
    }
    (data, false)
}

#[test]
fn slow_request_head_is_cut_off() {
    let (_outer, dir) = layout();
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = in_process(limits, &dir);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(b"GET /.well-known/acme-challenge/good HTTP/1.1\r\nHost: exa").unwrap();
    let started = Instant::now();

    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(3));

    assert!(closed, "the connection stayed open");
    assert!(!contains(&response, "good.key"));
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn idle_keepalive_connection_is_closed() {
    let (_outer, dir) = layout();
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = in_process(limits, &dir);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /.well-known/acme-challenge/good HTTP/1.1\r\nHost: example.test\r\n\r\n")
        .unwrap();

    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(3));

    assert!(contains(&response, "good.key"), "{}", String::from_utf8_lossy(&response));
    assert!(closed, "the idle kept-alive connection stayed open");
}

#[test]
fn connections_past_the_cap_wait() {
    let (_outer, dir) = layout();
    let limits = Limits {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let server = in_process(limits, &dir);
    let first = TcpStream::connect(server.addr).unwrap();
    let _second = TcpStream::connect(server.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));

    let mut third = TcpStream::connect(server.addr).unwrap();
    third
        .write_all(b"GET /.well-known/acme-challenge/good HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (early, _) = read_until_closed(&mut third, Duration::from_millis(500));
    assert!(early.is_empty(), "served past the cap: {}", String::from_utf8_lossy(&early));

    drop(first);
    let (late, closed) = read_until_closed(&mut third, Duration::from_secs(3));
    assert!(contains(&late, "good.key"), "{}", String::from_utf8_lossy(&late));
    assert!(closed);
}
