//! Forwarding requests that are not challenges to the one upstream of `serve --proxy`.
//!
//! This is a small reverse proxy on hyper's client connection API, not a general client. It
//! connects only to the addresses fixed at startup from the `--proxy` URL, never to a host
//! named in a request, and it reads no proxy settings from the environment. Each downstream
//! connection uses at most one upstream connection at a time, because HTTP/1.1 answers the
//! requests of one connection in order. Bodies stream both ways without being collected.
//!
//! The upstream sees the client's method, path, query and headers, including Host, minus the
//! hop-by-hop headers (RFC 9110, section 7.6.1), plus `X-Forwarded-For`,
//! `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded` (RFC 7239).

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONNECTION, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::plain;

/// Time allowed to open a connection to the upstream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Time the upstream gets to send its response head; the body that follows is not bounded,
/// so long downloads and streamed responses keep working.
// NOTE: a client that sends a forwarded request body slowly is not timed out here either;
// only the request head has a deadline (`Limits::header_read_timeout`).
const RESPONSE_HEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Time a kept-alive upstream connection gets to become ready for the next request before
/// a new one is opened.
const REUSE_WAIT: Duration = Duration::from_secs(1);

/// Headers that describe one connection, not the message (RFC 9110, section 7.6.1), plus
/// `Proxy-Connection`, which old clients still send.
// NOTE: dropping `Upgrade` means WebSocket upgrades are not forwarded; the upstream sees a
// plain request and the client gets whatever it answers.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The upstream of `--proxy`, resolved once at startup.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// `HOST:PORT` as given; the Host header for clients that sent none.
    pub authority: String,
    /// Addresses tried in order for each new connection.
    pub addrs: Vec<SocketAddr>,
}

impl Upstream {
    /// Parses a `--proxy` value and resolves its host once, through the system resolver.
    pub async fn resolve(text: &str) -> Result<Upstream, String> {
        let (host, port) = parse_proxy_url(text)?;
        let lookup_host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match lookup_host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((lookup_host, port))
                .await
                .map_err(|e| format!("cannot resolve the --proxy host {host:?}: {e}"))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(format!("the --proxy host {host:?} has no address"));
        }
        Ok(Upstream {
            authority: format!("{host}:{port}"),
            addrs,
        })
    }
}

/// Splits a `--proxy` value `http://HOST:PORT` (a trailing `/` is allowed) into host and
/// port. HOST is a DNS name, an IPv4 address or a bracketed IPv6 address.
pub fn parse_proxy_url(text: &str) -> Result<(String, u16), String> {
    let invalid = || {
        format!(
            "invalid --proxy value {:?}: expected http://HOST:PORT, for example http://127.0.0.1:8050",
            crate::sanitize::escape(text)
        )
    };
    let scheme_len = "http://".len();
    if text.len() <= scheme_len || !text[..scheme_len].eq_ignore_ascii_case("http://") {
        return Err(invalid());
    }
    let rest = &text[scheme_len..];
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(invalid());
    }
    let (host, port) = authority.rsplit_once(':').ok_or_else(invalid)?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(invalid)?;
    // `redirect_host` accepts exactly a DNS name or an IP address, which is what an
    // upstream can be.
    let checked = super::redirect_host(host).ok_or_else(invalid)?;
    if checked != host.to_ascii_lowercase() {
        return Err(invalid());
    }
    Ok((checked, port))
}

/// The upstream connection of one downstream connection, kept for the next request.
#[derive(Default)]
pub struct Link {
    sender: Mutex<Option<SendRequest<Incoming>>>,
}

impl Link {
    fn take(&self) -> Option<SendRequest<Incoming>> {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn keep(&self, sender: SendRequest<Incoming>) {
        *self.sender.lock().unwrap_or_else(|e| e.into_inner()) = Some(sender);
    }
}

/// Sends `request` to the upstream and returns its response with the body streaming, or a
/// 502 or 504 of the responder's own.
pub async fn forward(
    upstream: &Upstream,
    link: &Link,
    remote: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Incoming>, Response<Full<Bytes>>> {
    let mut request = upstream_request(request, remote.ip(), &upstream.authority);

    // A kept connection the upstream has closed in the meantime hands the request back
    // unsent, so it is retried once on a new connection.
    let mut reused = false;
    let mut sender = match reusable(link).await {
        Some(sender) => {
            reused = true;
            sender
        }
        None => connect(upstream).await?,
    };
    loop {
        let sent = tokio::time::timeout(RESPONSE_HEAD_TIMEOUT, sender.try_send_request(request)).await;
        match sent {
            Ok(Ok(response)) => {
                link.keep(sender);
                return Ok(downstream_response(response));
            }
            Ok(Err(mut error)) => match error.take_message() {
                Some(unsent) if reused => {
                    reused = false;
                    request = unsent;
                    sender = connect(upstream).await?;
                }
                _ => {
                    tracing::warn!(upstream = %upstream.authority, error = %error.error(), "the upstream request failed");
                    return Err(plain(StatusCode::BAD_GATEWAY, "bad gateway: the upstream did not answer\n"));
                }
            },
            Err(_) => {
                tracing::warn!(
                    upstream = %upstream.authority,
                    timeout_s = RESPONSE_HEAD_TIMEOUT.as_secs(),
                    "the upstream sent no response head in time"
                );
                return Err(plain(StatusCode::GATEWAY_TIMEOUT, "gateway timeout: the upstream did not answer in time\n"));
            }
        }
    }
}

/// Returns the kept upstream connection once it is ready for another request.
async fn reusable(link: &Link) -> Option<SendRequest<Incoming>> {
    let mut sender = link.take()?;
    if sender.is_closed() {
        return None;
    }
    match tokio::time::timeout(REUSE_WAIT, sender.ready()).await {
        Ok(Ok(())) => Some(sender),
        _ => None,
    }
}

/// Opens a connection to the first upstream address that accepts one.
async fn connect(upstream: &Upstream) -> Result<SendRequest<Incoming>, Response<Full<Bytes>>> {
    let mut last_error = String::new();
    for addr in &upstream.addrs {
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                last_error = e.to_string();
                continue;
            }
            Err(_) => {
                last_error = format!("no connection within {} s", CONNECT_TIMEOUT.as_secs());
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok((sender, connection)) => {
                let addr = *addr;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%addr, %error, "upstream connection ended with an error");
                    }
                });
                return Ok(sender);
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    tracing::warn!(upstream = %upstream.authority, error = %last_error, "cannot connect to the upstream");
    Err(plain(StatusCode::BAD_GATEWAY, "bad gateway: cannot connect to the upstream\n"))
}

/// Rewrites a downstream request for the upstream: origin-form target, HTTP/1.1, headers
/// from [`upstream_headers`], the body passed through as it streams in.
fn upstream_request(request: Request<Incoming>, remote: IpAddr, authority: &str) -> Request<Incoming> {
    let (mut parts, body) = request.into_parts();
    // A target in absolute form (`GET http://other/ HTTP/1.1`) keeps only its path and
    // query: the host in it never chooses where the request goes.
    let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    parts.uri = target.parse::<Uri>().unwrap_or_else(|_| Uri::from_static("/"));
    parts.version = Version::HTTP_11;
    parts.headers = upstream_headers(&parts.headers, remote, authority);
    Request::from_parts(parts, body)
}

/// Returns the headers the upstream gets: the client's, minus hop-by-hop ones, with the
/// client's address appended to `X-Forwarded-For` and `Forwarded`, and `X-Forwarded-Proto`
/// and `X-Forwarded-Host` set. Appending keeps the chain of an earlier proxy, so an app that
/// trusts only the last hop (Werkzeug's `ProxyFix(x_for=1)`, for example) reads this one.
pub fn upstream_headers(headers: &HeaderMap, remote: IpAddr, authority: &str) -> HeaderMap {
    let remote = remote.to_canonical();
    let mut out = without_hop_by_hop(headers);

    let host = headers.get(HOST).cloned();
    if host.is_none()
        && let Ok(value) = HeaderValue::from_str(authority)
    {
        out.insert(HOST, value);
    }

    let forwarded_for = append_list(headers, "x-forwarded-for", &remote.to_string());
    insert(&mut out, "x-forwarded-for", &forwarded_for);
    insert(&mut out, "x-forwarded-proto", "http");
    match &host {
        Some(value) => {
            out.insert(HeaderName::from_static("x-forwarded-host"), value.clone());
        }
        None => {
            out.remove("x-forwarded-host");
        }
    }

    let node = match remote {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("\"[{ip}]\""),
    };
    let mut element = format!("for={node};proto=http");
    if let Some(host) = host.as_ref().and_then(|h| h.to_str().ok()) {
        element.push_str(&format!(";host={}", quoted_string(host)));
    }
    let forwarded = append_list(headers, "forwarded", &element);
    insert(&mut out, "forwarded", &forwarded);
    out
}

/// Copies `headers` without the hop-by-hop ones and those named in `Connection`.
fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    let listed: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len() + 4);
    for (name, value) in headers {
        let name_text = name.as_str();
        if HOP_BY_HOP.contains(&name_text) || listed.iter().any(|l| l == name_text) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// Joins the existing values of a list header and appends `item`.
fn append_list(headers: &HeaderMap, name: &str, item: &str) -> String {
    let mut values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
    values.push(item);
    values.join(", ")
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // Every value built here comes from header values or addresses, so it is valid. A
    // value that is not valid is left out rather than sent broken.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// Quotes a value as an RFC 7230 quoted-string, escaping `"` and `\`.
fn quoted_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Drops the hop-by-hop headers of the upstream's response; hyper frames the body again
/// for the client.
fn downstream_response(response: Response<Incoming>) -> Response<Incoming> {
    let (mut parts, body) = response.into_parts();
    parts.headers = without_hop_by_hop(&parts.headers);
    parts.version = Version::HTTP_11;
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_url_accepts_host_and_port() {
        assert_eq!(parse_proxy_url("http://127.0.0.1:8050").unwrap(), ("127.0.0.1".to_string(), 8050));
        assert_eq!(parse_proxy_url("http://127.0.0.1:8050/").unwrap(), ("127.0.0.1".to_string(), 8050));
        assert_eq!(parse_proxy_url("HTTP://[::1]:80").unwrap(), ("[::1]".to_string(), 80));
        assert_eq!(parse_proxy_url("http://app.internal:3000").unwrap(), ("app.internal".to_string(), 3000));
    }

    #[test]
    fn proxy_url_rejects_other_forms() {
        for text in [
            "127.0.0.1:8050",
            "https://127.0.0.1:8050",
            "http://127.0.0.1",
            "http://127.0.0.1:0",
            "http://127.0.0.1:65536",
            "http://127.0.0.1:8050/app",
            "http://127.0.0.1:8050?x",
            "http://user@127.0.0.1:8050",
            "http://:8050",
            "http://::1:8050",
            "http://exa mple:80",
            "http://",
            "",
        ] {
            let error = parse_proxy_url(text).unwrap_err();
            assert!(error.contains("--proxy"), "{text}: {error}");
            assert!(error.contains(&format!("{text:?}")), "{text}: {error}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn forwarded_headers_are_added() {
        let input = headers(&[("host", "dash.example.test"), ("accept", "text/html"), ("cookie", "a=1")]);
        let out = upstream_headers(&input, "192.0.2.7".parse().unwrap(), "127.0.0.1:8050");
        assert_eq!(out["host"], "dash.example.test");
        assert_eq!(out["accept"], "text/html");
        assert_eq!(out["cookie"], "a=1");
        assert_eq!(out["x-forwarded-for"], "192.0.2.7");
        assert_eq!(out["x-forwarded-proto"], "http");
        assert_eq!(out["x-forwarded-host"], "dash.example.test");
        assert_eq!(out["forwarded"], "for=192.0.2.7;proto=http;host=\"dash.example.test\"");
    }

    #[test]
    fn forwarded_chain_is_appended() {
        let input = headers(&[
            ("host", "a.test"),
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "198.51.100.2"),
            ("forwarded", "for=198.51.100.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let out = upstream_headers(&input, "2001:db8::5".parse().unwrap(), "127.0.0.1:8050");
        assert_eq!(out["x-forwarded-for"], "198.51.100.1, 198.51.100.2, 2001:db8::5");
        assert_eq!(out["forwarded"], "for=198.51.100.1, for=\"[2001:db8::5]\";proto=http;host=\"a.test\"");
        assert_eq!(out["x-forwarded-proto"], "http");
        assert_eq!(out.get_all("x-forwarded-for").iter().count(), 1);
    }

    #[test]
    fn mapped_ipv4_client_is_shown_as_ipv4() {
        let out = upstream_headers(&HeaderMap::new(), "::ffff:192.0.2.9".parse().unwrap(), "127.0.0.1:8050");
        assert_eq!(out["x-forwarded-for"], "192.0.2.9");
        assert_eq!(out["host"], "127.0.0.1:8050");
        assert!(out.get("x-forwarded-host").is_none());
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let input = headers(&[
            ("host", "a.test"),
            ("connection", "keep-alive, X-Secret-Hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("upgrade", "websocket"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("proxy-connection", "keep-alive"),
            ("x-kept", "yes"),
        ]);
        let out = upstream_headers(&input, "192.0.2.7".parse().unwrap(), "u:1");
        for name in ["connection", "keep-alive", "x-secret-hop", "upgrade", "te", "transfer-encoding", "proxy-connection"] {
            assert!(out.get(name).is_none(), "{name} was forwarded");
        }
        assert_eq!(out["x-kept"], "yes");
    }

    #[test]
    fn host_with_quote_is_escaped_in_forwarded() {
        let input = headers(&[("host", "a\"b\\c")]);
        let out = upstream_headers(&input, "192.0.2.7".parse().unwrap(), "u:1");
        assert_eq!(out["forwarded"], "for=192.0.2.7;proto=http;host=\"a\\\"b\\\\c\"");
    }
}
