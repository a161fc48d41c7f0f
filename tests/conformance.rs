//! The CA's HTTP-01 rules, case by case, against a test server that misbehaves on purpose.
//!
//! One raw HTTP server plays every case: the case number is the first label of the Host
//! header (`c7.example.test`), and the key authorization comes from the token file the
//! check wrote, so the server can return it exactly, decorated, or not at all. Each row
//! asserts the `letsencrypt` profile's verdict and a code among the findings.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::*;

/// What the server does for one request.
enum Action {
    Reply(Vec<u8>),
    Silent,
    /// Close with SO_LINGER 0, which sends a TCP reset.
    Reset,
}

fn reply(status: &str, headers: &[(&str, String)], body: &[u8]) -> Action {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Action::Reply(bytes)
}

fn redirect(status: &str, location: String) -> Action {
    reply(status, &[("Location", location)], b"")
}

/// Behaviour of each case. `path` is the request path, `ka` the key authorization of the
/// token named by its last segment, `port` the HTTP port, `ipv6` whether the request came
/// in over IPv6.
fn behave(case: u32, host: &str, path: &str, ka: &str, port: u16, ipv6: bool) -> Action {
    let token = path.rsplit('/').next().unwrap_or("");
    let ok = || reply("200 OK", &[], ka.as_bytes());
    // Chains: /r/N/TOKEN is the Nth redirect target.
    let step: Option<u32> = path.strip_prefix("/r/").and_then(|r| r.split('/').next()?.parse().ok());
    let chain = |total: u32, last_status: &str| match step {
        None => redirect(if total == 1 { last_status } else { "301 Moved Permanently" }, format!("/r/1/{token}")),
        Some(n) if n < total => {
            let status = if n + 1 == total { last_status } else { "301 Moved Permanently" };
            redirect(status, format!("/r/{}/{token}", n + 1))
        }
        Some(_) => ok(),
    };

    match case {
        1 => ok(),
        2 => reply("200 OK", &[], format!("{ka}\n\r \t").as_bytes()),
        3 => reply("200 OK", &[], format!("\n{ka}").as_bytes()),
        4 => reply("200 OK", &[], format!("x{}", ka.get(1..).unwrap_or("")).as_bytes()),
        5 => reply("404 Not Found", &[], b"not found"),
        6 => reply("410 Gone", &[], b"gone"),
        7 => reply("200 OK", &[], format!("{ka}{}", "x".repeat(138 - ka.len())).as_bytes()),
        8 => reply("200 OK", &[], format!("{ka}{}", " ".repeat(40)).as_bytes()),
        9 => match path.starts_with("/ok/") {
            true => ok(),
            false => redirect("301 Moved Permanently", format!("/ok/{token}")),
        },
        10 => match step {
            None => redirect("302 Found", format!("/r/1/{token}")),
            Some(1) => redirect("301 Moved Permanently", format!("/r/2/{token}")),
            Some(_) => ok(),
        },
        11 => match path.starts_with("/ok/") {
            true => ok(),
            false => redirect("303 See Other", format!("/ok/{token}")),
        },
        12 => redirect("301 Moved Permanently", format!("https://{host}:8443{path}")),
        13 => redirect("301 Moved Permanently", format!("gopher://{host}/")),
        14 => redirect("301 Moved Permanently", format!("http://{host}{path}")),
        15 => chain(12, "301 Moved Permanently"),
        16 => chain(11, "301 Moved Permanently"),
        17 => redirect("301 Moved Permanently", format!("http://{host}.well-known/acme-challenge/{token}")),
        18 => redirect("301 Moved Permanently", format!("http://10.10.10.10{path}")),
        19 => redirect("301 Moved Permanently", format!("http://other.invalid{path}")),
        20 => match path.starts_with("/ok/") {
            true => ok(),
            false => redirect("301 Moved Permanently", format!("http://{}:{port}/ok/{token}", host.to_uppercase())),
        },
        21 | 22 => match path.starts_with("/ok/") {
            true => ok(),
            false => redirect("301 Moved Permanently", format!("https://{host}/ok/{token}")),
        },
        23 => Action::Silent,
        25 => ok(),
        26 if ipv6 => reply("404 Not Found", &[], b"not here"),
        26 => ok(),
        27 => Action::Reply(vec![0, 0, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x64, 0, 4, 0, 0x10, 0, 0]),
        28 => reply("200 OK", &[], format!("\u{feff}{ka}").as_bytes()),
        29 => chain(11, "303 See Other"),
        30 => chain(12, "303 See Other"),
        31 => redirect("301 Moved Permanently", format!("/{}", "a".repeat(2100))),
        32 => redirect("301 Moved Permanently", format!("http://{host}:99999/x")),
        33 => Action::Reply(b"hello, this is not HTTP\n".to_vec()),
        34 => Action::Reset,
        35 => reply("401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"x\"".to_string())], b"no"),
        36 => reply("503 Service Unavailable", &[], b"busy"),
        37 => redirect("301 Moved Permanently", format!("https://{host}/ok/{token}")),
        _ => reply("500 Internal Server Error", &[], b"unknown case"),
    }
}

fn key_authorization(webroot: &Path, path: &str) -> String {
    let token = path.rsplit('/').next().unwrap_or("");
    let file = webroot.join(".well-known/acme-challenge").join(token);
    std::fs::read_to_string(file).unwrap_or_default()
}

/// Reads one request head and returns (host, path), or None for anything that is not HTTP.
async fn read_head(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        // A request line starts with a method in capitals; a TLS record does not.
        if !buf[0].is_ascii_uppercase() {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let host = lines
        .find_map(|l| l.strip_prefix("host: ").or_else(|| l.strip_prefix("Host: ")))?
        .to_string();
    Some((host, path))
}

/// Serves one request; returns true when the case asks for a reset instead of an answer.
async fn handle<S: AsyncReadExt + AsyncWriteExt + Unpin>(stream: &mut S, webroot: Arc<PathBuf>, port: u16, ipv6: bool) -> bool {
    let Some((host, path)) = read_head(stream).await else {
        // A TLS ClientHello or other garbage: answer as a plain HTTP server would.
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
        return false;
    };
    let name = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let case: u32 = name.strip_prefix('c').and_then(|r| r.split('.').next()?.parse().ok()).unwrap_or(0);
    let ka = key_authorization(&webroot, &path);
    match behave(case, &name, &path, &ka, port, ipv6) {
        Action::Reply(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Action::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
        Action::Reset => return true,
    }
    false
}

async fn serve_plain(listener: TcpListener, webroot: Arc<PathBuf>, port: u16) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let ipv6 = peer.is_ipv6();
        let webroot = webroot.clone();
        tokio::spawn(async move {
            let mut stream = stream;
            if handle(&mut stream, webroot, port, ipv6).await {
                // SO_LINGER 0 turns the close into a TCP reset.
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                drop(stream);
            }
        });
    }
}

/// Answers every TLS client with a handshake_failure alert.
async fn serve_alert(listener: TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            let mut hello = [0u8; 512];
            let _ = stream.read(&mut hello).await;
            let _ = stream.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]).await;
        });
    }
}

async fn serve_tls(listener: TcpListener, webroot: Arc<PathBuf>, port: u16) {
    let certified = rcgen::generate_simple_self_signed(vec!["example.test".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let acceptor = acceptor.clone();
        let webroot = webroot.clone();
        tokio::spawn(async move {
            if let Ok(mut tls) = acceptor.accept(stream).await {
                handle(&mut tls, webroot, port, false).await;
            }
        });
    }
}

/// Ports of the running test servers.
struct Servers {
    http: u16,
    /// The same behaviours on 127.0.0.1 only, for the case whose AAAA refuses.
    v4_only: u16,
    https: u16,
    /// A TLS port that answers every handshake with an alert.
    alert: u16,
    silent_runtime: tokio::runtime::Runtime,
}

fn start(webroot: PathBuf) -> Servers {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let webroot = Arc::new(webroot);
    let (http, v4_only, https, alert) = runtime.block_on(async {
        let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = v4.local_addr().unwrap().port();
        let v6 = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))).await.unwrap();
        let lone = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let lone_port = lone.local_addr().unwrap().port();
        let tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tls_port = tls.local_addr().unwrap().port();
        tokio::spawn(serve_plain(v4, webroot.clone(), port));
        tokio::spawn(serve_plain(v6, webroot.clone(), port));
        tokio::spawn(serve_plain(lone, webroot.clone(), lone_port));
        tokio::spawn(serve_tls(tls, webroot.clone(), tls_port));
        let alerting = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let alert_port = alerting.local_addr().unwrap().port();
        tokio::spawn(serve_alert(alerting));
        (port, lone_port, tls_port, alert_port)
    });
    Servers {
        http,
        v4_only,
        https,
        alert,
        silent_runtime: runtime,
    }
}

/// (case, verdict, code that must be among the findings)
const CASES: &[(u32, &str, Option<&str>)] = &[
    (1, "pass", None),
    (2, "pass", None),
    (3, "fail", Some("content-mismatch")),
    (4, "fail", Some("content-mismatch")),
    (5, "fail", Some("not-found")),
    (6, "fail", Some("unexpected-status")),
    (7, "fail", Some("body-too-large")),
    (8, "pass", None),
    (9, "pass", None),
    (10, "pass", None),
    (11, "fail", Some("redirect-disallowed-status")),
    (12, "fail", Some("redirect-bad-port")),
    (13, "fail", Some("redirect-bad-scheme")),
    (14, "fail", Some("redirect-loop")),
    (15, "fail", Some("redirect-too-many")),
    (16, "pass", None),
    (17, "fail", Some("redirect-missing-slash")),
    (18, "fail", Some("redirect-bad-host")),
    (19, "fail", Some("redirect-bad-host")),
    (20, "pass", None),
    (21, "pass", None),
    (22, "fail", Some("http-on-https-port")),
    (23, "fail", Some("response-timeout")),
    (24, "fail", Some("connection-refused")),
    (25, "pass", None),
    (26, "fail", Some("not-found")),
    (27, "fail", Some("http2-on-http-port")),
    (28, "fail", Some("content-mismatch")),
    (29, "fail", Some("redirect-disallowed-status")),
    (30, "fail", Some("redirect-too-many")),
];

/// Further failure kinds, each classified under its own code.
const MORE_CASES: &[(u32, &str, Option<&str>)] = &[
    (31, "fail", Some("redirect-too-long")),
    (32, "fail", Some("redirect-invalid")),
    (33, "fail", Some("malformed-response")),
    (34, "fail", Some("connection-reset")),
    (35, "fail", Some("auth-required")),
    (36, "fail", Some("server-error")),
    (37, "fail", Some("tls-failed")),
];

#[test]
fn letsencrypt_rules_case_by_case() {
    let webroot = public_dir();
    let before = snapshot(webroot.path());
    let servers = start(webroot.path().to_path_buf());
    let refused_port = free_port();
    let root = webroot.path().display().to_string();
    let mut disagreements = Vec::new();

    for (case, verdict, code) in CASES.iter().chain(MORE_CASES) {
        let name = format!("c{case}.example.test");
        let (port, addrs, https_port) = match case {
            22 => (servers.http, "127.0.0.1".to_string(), servers.http),
            24 => (refused_port, "127.0.0.1".to_string(), servers.https),
            25 => (servers.v4_only, "::1,127.0.0.1".to_string(), servers.https),
            26 => (servers.http, "::1,127.0.0.1".to_string(), servers.https),
            37 => (servers.http, "127.0.0.1".to_string(), servers.alert),
            _ => (servers.http, "127.0.0.1".to_string(), servers.https),
        };
        let pin = format!("{name}:*:{addrs}");
        let (port, https_port) = (port.to_string(), https_port.to_string());
        let timeout = if *case == 23 { "1.5" } else { "8" };
        let run = run(&[
            "check", &name, "--webroot", &root, "--resolve", &pin, "--http-port", &port, "--https-port", &https_port,
            "--timeout", timeout, "--format", "json",
        ]);
        let result = run.result();
        let codes = run.codes();
        let verdict_ok = result["verdict"] == *verdict;
        let code_ok = code.is_none_or(|c| codes.iter().any(|found| found == c));
        if !verdict_ok || !code_ok {
            disagreements.push(format!(
                "case {case}: expected {verdict} {code:?}, got {} {codes:?}: {}",
                result["verdict"], result["ca_message"]
            ));
        }
    }

    drop(servers.silent_runtime);
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    assert_eq!(snapshot(webroot.path()), before);
}
