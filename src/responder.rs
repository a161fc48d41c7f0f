//! The bundled HTTP-01 responder: a pure request handler and an accept loop.
//!
//! It answers `GET` and `HEAD` for `/.well-known/acme-challenge/TOKEN` with the bytes of
//! `DIR/TOKEN` as `text/plain`, and 404 for everything else. The path is matched on its raw
//! bytes and the token must be base64url, so no encoding (`%2e%2e`, `%2f`, a backslash)
//! can name a file outside DIR; symlinks and files over 4 KiB are not served.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HOST, SERVER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::token::is_valid_token;

/// The URL path prefix of HTTP-01 challenges.
pub const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";

/// Largest challenge file served. A key authorization is 87 bytes; anything this large is
/// not one, and the bound keeps a stray large file from being read into memory.
pub const MAX_FILE_BYTES: u64 = 4096;

/// Connections served at once; further connections wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;

/// Time allowed for a client to send its request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time in-flight requests get to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

const SERVER_NAME: &str = concat!("acme-preflight/", env!("CARGO_PKG_VERSION"));

/// Where the responder finds key authorizations.
#[derive(Clone, Debug)]
pub struct Source {
    pub challenge_dir: PathBuf,
}

/// Answers one request. Pure apart from reading one file, so tests need no socket.
pub fn respond(source: &Source, method: &Method, path: &str) -> Response<Full<Bytes>> {
    let Some(token) = path.strip_prefix(CHALLENGE_PREFIX) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    if !is_valid_token(token) {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response.headers_mut().insert(ALLOW, "GET, HEAD".parse().expect("static header"));
        return response;
    }

    match read_challenge(&source.challenge_dir, token) {
        Some(content) => {
            let length = content.len();
            let body = if method == Method::HEAD { Bytes::new() } else { content };
            let mut response = Response::new(Full::new(body));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, "text/plain".parse().expect("static header"));
            headers.insert(CONTENT_LENGTH, length.into());
            headers.insert(SERVER, SERVER_NAME.parse().expect("static header"));
            response
        }
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Reads `dir/token` if it is a regular file (not a symlink) of at most 4 KiB.
fn read_challenge(dir: &Path, token: &str) -> Option<Bytes> {
    // SECURITY: `token` is base64url only (checked by the caller), so it has no `/`, `\`,
    // `.` or NUL and the joined path stays a direct child of `dir`. symlink_metadata does
    // not follow a final symlink, so a link to a file outside `dir` is refused.
    let path = dir.join(token);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let content = std::fs::read(&path).ok()?;
    if content.len() as u64 > MAX_FILE_BYTES {
        return None;
    }
    Some(Bytes::from(content))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, "text/plain".parse().expect("static header"));
    headers.insert(SERVER, SERVER_NAME.parse().expect("static header"));
    response
}

/// Parses a `--listen` value: `ADDR:PORT`, with IPv6 in brackets.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>().map_err(|_| {
        format!("invalid --listen value {text:?}: expected ADDR:PORT, for example 127.0.0.1:80 or [::1]:80")
    })
}

/// Serves on every listener until `shutdown` changes, then lets in-flight requests finish
/// for at most [`SHUTDOWN_GRACE`].
pub async fn serve(source: Source, listeners: Vec<TcpListener>, mut shutdown: watch::Receiver<bool>) {
    let source = Arc::new(source);
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut tasks = JoinSet::new();

    for listener in listeners {
        let source = source.clone();
        let permits = permits.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(accept_loop(listener, source, permits, shutdown));
    }

    stopped(&mut shutdown).await;
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!("requests still running after {} s were cut off", SHUTDOWN_GRACE.as_secs());
    }
}

async fn accept_loop(
    listener: TcpListener,
    source: Arc<Source>,
    permits: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stopped(&mut shutdown) => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };

        let source = source.clone();
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let source = source.clone();
                async move { Ok::<_, Infallible>(handle(&source, remote, request)) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(16 * 1024);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// Waits until the shutdown flag is set (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

fn handle(source: &Source, remote: SocketAddr, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    let path = request.uri().path().to_string();
    let response = respond(source, request.method(), &path);

    // The key authorization is never logged; the path holds only the public token.
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("-");
    let bytes = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0");
    tracing::info!(
        remote = %remote,
        host = %crate::sanitize::escape(host),
        path = %crate::sanitize::escape(&path),
        status = response.status().as_u16(),
        bytes,
        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn source_with(token: &str, content: &[u8]) -> (tempfile::TempDir, Source) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(token), content).unwrap();
        let source = Source {
            challenge_dir: dir.path().to_path_buf(),
        };
        (dir, source)
    }

    async fn body(response: Response<Full<Bytes>>) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn serves_token_file() {
        let (_dir, source) = source_with("tok_en-1", b"tok_en-1.thumb");
        let response = respond(&source, &Method::GET, "/.well-known/acme-challenge/tok_en-1");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
        assert_eq!(body(response).await, "tok_en-1.thumb");
    }

    #[tokio::test]
    async fn head_has_no_body() {
        let (_dir, source) = source_with("tok", b"tok.thumb");
        let response = respond(&source, &Method::HEAD, "/.well-known/acme-challenge/tok");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_LENGTH], "9");
        assert!(body(response).await.is_empty());
    }

    #[test]
    fn other_paths_and_methods() {
        let (_dir, source) = source_with("tok", b"x");
        assert_eq!(respond(&source, &Method::GET, "/").status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&source, &Method::GET, "/.well-known/acme-challenge/missing").status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&source, &Method::POST, "/.well-known/acme-challenge/tok").status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn traversal_is_never_served() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join("secret"), "secret").unwrap();
        let inner = outer.path().join("challenges");
        std::fs::create_dir(&inner).unwrap();
        let source = Source { challenge_dir: inner };
        for path in [
            "/.well-known/acme-challenge/../secret",
            "/.well-known/acme-challenge/%2e%2e/secret",
            "/.well-known/acme-challenge/..%2fsecret",
            "/.well-known/acme-challenge/..%5csecret",
            "/.well-known/acme-challenge/..\\secret",
            "/.well-known/acme-challenge/",
            "/.well-known/acme-challenge/secret%00",
        ] {
            assert_eq!(respond(&source, &Method::GET, path).status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_large_files_refused() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join("secret"), "secret").unwrap();
        let dir = outer.path().join("c");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("link")).unwrap();
        std::fs::write(dir.join("big"), vec![b'a'; 5000]).unwrap();
        let source = Source { challenge_dir: dir };
        assert_eq!(respond(&source, &Method::GET, "/.well-known/acme-challenge/link").status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&source, &Method::GET, "/.well-known/acme-challenge/big").status(), StatusCode::NOT_FOUND);
    }
}
