//! An upstream for `serve --proxy` tests that reports what reached it, on 127.0.0.1.
//!
//! `GET /stream?n=BYTES` sends BYTES bytes in 64 KiB chunks without a length (chunked);
//! `/slow?ms=MS` responds after MS milliseconds; every other request gets a JSON description
//! of itself: method, target, headers, body length and an FNV-1a checksum of the body.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A running echo upstream, stopped when dropped.
pub struct Echo {
    pub port: u16,
    /// Requests that reached the upstream.
    pub hits: Arc<AtomicUsize>,
    /// Connections the upstream accepted.
    pub connections: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Echo {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the echo upstream on a free port of 127.0.0.1.
pub fn start() -> Echo {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let connections = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let counter = hits.clone();
    let accepted_count = connections.clone();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            tokio::pin!(stopped);
            loop {
                let (stream, remote) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(pair) => pair,
                        Err(_) => continue,
                    },
                    _ = &mut stopped => break,
                };
                accepted_count.fetch_add(1, Ordering::SeqCst);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        answer(request, remote)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Echo {
        port,
        hits,
        connections,
        stop: Some(stop),
        thread: Some(thread),
    }
}

type EchoBody = Either<Full<Bytes>, Chunks>;

async fn answer(request: Request<Incoming>, remote: SocketAddr) -> Result<Response<EchoBody>, Infallible> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let number = query.split('=').nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);

    if path == "/stream" {
        let mut response = Response::new(Either::Right(Chunks { left: number as usize }));
        response.headers_mut().insert("x-upstream", "echo".parse().unwrap());
        return Ok(response);
    }
    if path == "/slow" {
        tokio::time::sleep(Duration::from_millis(number)).await;
        return Ok(Response::new(Either::Left(Full::new(Bytes::from_static(b"slow done")))));
    }

    let method = request.method().to_string();
    let target = request.uri().to_string();
    let mut headers = serde_json::Map::new();
    for (name, value) in request.headers() {
        let entry = headers
            .entry(name.as_str().to_string())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        entry
            .as_array_mut()
            .unwrap()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned().into());
    }
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let description = serde_json::json!({
        "method": method,
        "target": target,
        "headers": headers,
        "body_len": body.len(),
        "body_fnv": fnv1a(&body),
        "peer": remote.ip().to_string(),
    });
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(description.to_string()))));
    let h = response.headers_mut();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert("x-upstream", "echo".parse().unwrap());
    // A header the upstream marks as hop-by-hop, which the proxy must not pass on.
    h.insert("x-hop", "1".parse().unwrap());
    h.insert("connection", "x-hop".parse().unwrap());
    Ok(response)
}

/// The FNV-1a 64-bit hash of `bytes`, as a checksum of a forwarded body.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A body of `left` bytes of `x` in 64 KiB frames, with no length known in advance.
pub struct Chunks {
    left: usize,
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(64 * 1024);
        self.left -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n])))))
    }
}
