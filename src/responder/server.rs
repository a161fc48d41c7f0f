//! The responder's accept loop: connection limits, forwarding, one log line per request,
//! and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::HOST;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::proxy::{self, Link};
use super::{Config, forward_target, respond};

/// Bounds that protect the responder against slow, huge or numerous requests.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections served at once; further connections wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client gets to send a complete request head. hyper also applies it to the
    /// wait for the next request on a kept-alive connection, so idle connections close too.
    pub header_read_timeout: Duration,
    /// Largest request head in bytes; a larger one gets status 431. hyper needs at least
    /// 8192.
    pub max_head_bytes: usize,
    /// Time in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_head_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves on every listener until `shutdown` changes, then lets in-flight requests finish
/// for at most `limits.shutdown_grace` and cuts off the rest.
pub async fn serve(config: Config, limits: Limits, listeners: Vec<TcpListener>, mut shutdown: watch::Receiver<bool>) {
    let shared = Arc::new(Shared {
        config,
        limits: limits.clone(),
    });
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut tasks = JoinSet::new();

    for listener in listeners {
        tasks.spawn(accept_loop(listener, shared.clone(), permits.clone(), shutdown.clone()));
    }

    stopped(&mut shutdown).await;
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain).await.is_err() {
        tracing::warn!(
            grace_s = limits.shutdown_grace.as_secs_f64(),
            "requests still running after the shutdown grace period were cut off"
        );
    }
    // Dropping `tasks` aborts the accept loops, and with them their connections.
}

struct Shared {
    config: Config,
    limits: Limits,
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        // The permit is taken before accepting, so at the cap new connections wait in the
        // kernel's backlog instead of being accepted and left unserved.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stopped(&mut shutdown) => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // EMFILE and similar pass once connections close; retrying at once
                    // would spin.
                    tracing::warn!(%error, "accept failed; retrying in 50 ms");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        let _ = stream.set_nodelay(true);

        let shared = shared.clone();
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            let link = Arc::new(Link::default());
            let limits = shared.limits.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let shared = shared.clone();
                let link = link.clone();
                async move { Ok::<_, Infallible>(handle(&shared.config, &link, remote, request).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(limits.max_head_bytes.max(8192));
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped(&mut stop) => {
                    // Finishes the request in flight, if any, and closes the connection.
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

/// Responds to or forwards one request. Its log line is written when the response body
/// is done.
async fn handle(config: &Config, link: &Link, remote: SocketAddr, request: Request<Incoming>) -> Response<LoggedBody> {
    let mut log = RequestLog {
        remote,
        method: request.method().to_string(),
        host: request
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(crate::sanitize::escape)
            .unwrap_or_else(|| "-".to_string()),
        // Only the path, because the query may carry an application's secrets. The path of
        // a challenge contains the public token, never the key authorization.
        path: crate::sanitize::escape(request.uri().path()),
        status: 0,
        upstream: false,
        started: Instant::now(),
    };

    let response = match forward_target(config, &request) {
        Some(upstream) => {
            log.upstream = true;
            match proxy::forward(upstream, link, remote, request).await {
                Ok(response) => response.map(Either::Right),
                Err(response) => response.map(Either::Left),
            }
        }
        None => respond(config, &request).map(Either::Left),
    };

    log.status = response.status().as_u16();
    response.map(|inner| LoggedBody { inner, bytes: 0, log })
}

/// The fields of one request's log line.
struct RequestLog {
    remote: SocketAddr,
    method: String,
    host: String,
    path: String,
    status: u16,
    upstream: bool,
    started: Instant,
}

/// A response body that counts the bytes sent and writes the request's log line when
/// hyper drops it: after the last frame, or when the client goes away mid-body.
pub(crate) struct LoggedBody {
    inner: Either<Full<Bytes>, Incoming>,
    bytes: u64,
    log: RequestLog,
}

impl Body for LoggedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            this.bytes += data.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        let log = &self.log;
        // Tenths of a millisecond, formatted as integers: float formatting showed up in
        // profiles of a busy responder.
        let tenths = log.started.elapsed().as_micros() / 100;
        tracing::info!(
            remote = %SocketAddr::new(log.remote.ip().to_canonical(), log.remote.port()),
            method = %log.method,
            host = %log.host,
            path = %log.path,
            status = log.status,
            bytes = self.bytes,
            ms = format_args!("{}.{}", tenths / 10, tenths % 10),
            upstream = log.upstream,
            "request"
        );
    }
}
