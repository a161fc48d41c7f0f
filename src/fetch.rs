//! Fetching a challenge URL the way the CA does, with every hop recorded.
//!
//! This is a small HTTP/1.1 client built on hyper's connection API rather than a
//! general-purpose client: each connection goes to an address the caller chose, the first
//! bytes of every answer are kept (to tell an HTTP/2 preface or a plain-HTTP answer on the
//! HTTPS port from other garbage), redirects are checked by the CA profile before they are
//! followed, and everything a server sends is bounded in bytes and time. The fetcher only
//! records; judging the final answer is the classifier's job.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::profile::{AddressChoice, Ports, Profile, RedirectViolation};
use crate::resolve::{ResolveError, Resolver};
use crate::sanitize;
use crate::url::{Host, LocationError, Url, resolve_location};

/// Bytes of decoded body kept from each answer: enough for the markers of an app's page
/// shell (a Dash page is about 6 KB) and far more than the 128 bytes the CA reads.
pub const BODY_CAPTURE: usize = 16 * 1024;

/// Compressed bytes read before decoding a gzip body. Gzip cannot shrink data by more than
/// about 1000:1, so this is always enough to exceed the decoded capture.
const GZIP_INPUT_LIMIT: usize = 256 * 1024;

/// Limit on the response head, which bounds memory against huge or numerous headers.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

/// Headers kept per hop, and the longest value kept of each.
const KEPT_HEADERS: usize = 48;
const KEPT_VALUE_CHARS: usize = 200;

/// The CA's connect timeout: "Timeout during connect (likely firewall problem)".
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes kept from the start of what a server sends, to recognize protocols.
const SNIFF_BYTES: usize = 24;

/// Bytes read from one connection at most, TLS records included. The head limit, the body
/// limits and hyper's read-ahead stay far below it, so only a server that never completes
/// its response reaches it: endless 1xx interim responses, which hyper skips one by one
/// without returning, would otherwise keep a worker thread parsing until the deadline.
pub const MAX_CONNECTION_BYTES: usize = 1024 * 1024;

/// Settings for one fetch chain.
pub struct FetchConfig<'a> {
    pub profile: &'static Profile,
    pub ports: Ports,
    pub resolver: &'a Resolver,
    /// Bound on the whole chain: DNS, every hop and the body.
    pub timeout: Duration,
}

/// A failure on one hop, before the response is judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    Dns(ResolveError),
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable(String),
    ConnectOther(String),
    /// The deadline passed after the connection opened.
    ResponseTimeout,
    /// The peer reset the connection before or during the response head.
    Reset(String),
    /// The peer closed the connection without a complete response head.
    ClosedEarly,
    Tls(String),
    /// A TLS handshake got a plain HTTP answer.
    HttpOnHttpsPort,
    /// The HTTP port answered with an HTTP/2 frame.
    Http2Preface,
    HeadTooLarge,
    Malformed(String),
    /// The body failed to arrive completely (reset or early close mid-body).
    BodyRead(String),
    /// The server sent more than [`MAX_CONNECTION_BYTES`] without completing a response.
    Flooded,
    BadLocation(String, LocationError),
    Redirect(RedirectViolation),
}

/// TLS facts about an HTTPS hop. Certificates are never verified, as the CA does not
/// verify them; these fields only describe what was presented.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TlsInfo {
    pub version: String,
    /// Certificates in the chain the server sent.
    pub certificates: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// DNS names and addresses in the subject alternative name extension.
    pub names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    pub self_signed: bool,
    pub expired: bool,
    /// Whether a name in the certificate covers the host (wildcards included).
    pub matches_host: bool,
}

impl TlsInfo {
    /// Describes the end-entity certificate for a report: "self-signed, expired, for a.test".
    pub fn describe(&self) -> String {
        let mut traits = Vec::new();
        if self.self_signed {
            traits.push("self-signed".to_string());
        }
        if self.expired {
            traits.push("expired".to_string());
        }
        if !self.matches_host {
            traits.push("not for this name".to_string());
        }
        let names = if self.names.is_empty() {
            self.subject.clone().unwrap_or_default()
        } else {
            self.names.join(", ")
        };
        let kind = if traits.is_empty() { "valid-looking".to_string() } else { traits.join(", ") };
        format!("a {kind} certificate for {names} ({})", self.version)
    }
}

/// Summarizes the end-entity certificate a server presented for `host`.
fn describe_certificate(der: &[u8], host: &Host, version: String, count: usize) -> TlsInfo {
    let mut info = TlsInfo {
        version,
        certificates: count,
        ..TlsInfo::default()
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return info;
    };

    info.subject = Some(sanitize::escape(&cert.subject().to_string()));
    info.issuer = Some(sanitize::escape(&cert.issuer().to_string()));
    info.self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    info.not_after = Some(cert.validity().not_after.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    info.expired = cert.validity().not_after.timestamp() < now;

    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => info.names.push(sanitize::escape(dns)),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    let addr = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
                        _ => None,
                    };
                    info.names.extend(addr);
                }
                _ => {}
            }
        }
    }
    let host_text = match host {
        Host::Name(name) => name.clone(),
        Host::V4(addr) => addr.to_string(),
        Host::V6 { addr, .. } => addr.to_string(),
        Host::Empty => String::new(),
    };
    info.matches_host = info.names.iter().any(|n| name_covers(n, &host_text));
    info
}

fn name_covers(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host.split_once('.').is_some_and(|(_, parent)| parent == rest),
        None => pattern == host,
    }
}

/// One request and what came back.
#[derive(Clone, Debug)]
pub struct Hop {
    pub url: Url,
    pub address: Option<SocketAddr>,
    /// An IPv6 address that failed to connect before this hop fell back to IPv4.
    pub fallback_from: Option<(SocketAddr, FetchError)>,
    pub status: Option<u16>,
    /// Response headers, names lowercased, values escaped and bounded; cookies keep only
    /// their names.
    pub headers: Vec<(String, String)>,
    /// The raw `Location` header, unescaped and uncut, because the redirect checks must
    /// see exactly what the CA sees. The response head limit bounds its size.
    pub location: Option<String>,
    /// The decoded body, at most [`BODY_CAPTURE`] bytes.
    pub body: Vec<u8>,
    /// Whether the body continued past what was kept.
    pub body_truncated: bool,
    pub tls: Option<TlsInfo>,
    pub connect_ms: Option<f64>,
    pub head_ms: Option<f64>,
    pub total_ms: f64,
    pub error: Option<FetchError>,
}

impl Hop {
    fn new(url: Url) -> Hop {
        Hop {
            url,
            address: None,
            fallback_from: None,
            status: None,
            headers: Vec::new(),
            location: None,
            body: Vec::new(),
            body_truncated: false,
            tls: None,
            connect_ms: None,
            head_ms: None,
            total_ms: 0.0,
            error: None,
        }
    }

    /// Creates an empty hop for unit tests of code that reads hops.
    #[doc(hidden)]
    pub fn for_tests(url: Url) -> Hop {
        Hop::new(url)
    }

    /// Returns the first value of a header, by lowercased name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Returns every value of a header, by lowercased name.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A followed chain of hops. The last hop is the final answer or the failure.
#[derive(Clone, Debug)]
pub struct Chain {
    pub hops: Vec<Hop>,
}

impl Chain {
    pub fn last(&self) -> &Hop {
        self.hops.last().expect("a chain has at least one hop")
    }

    pub fn error(&self) -> Option<&FetchError> {
        self.last().error.as_ref()
    }

    /// The address the chain started from.
    pub fn first_address(&self) -> Option<SocketAddr> {
        self.hops.first().and_then(|h| h.address)
    }
}

/// Fetches `path` from `host`, starting at `first`, and follows redirects under the
/// profile. Hops to the starting host reuse `first`; other hosts are resolved again.
pub async fn fetch_chain(config: &FetchConfig<'_>, host: &Host, first: IpAddr, path: &str) -> Chain {
    let deadline = Instant::now() + config.timeout;
    let start_port = config.ports.http;
    let url_port = config.profile.port_in_url.then_some(start_port);
    let mut url = Url::http(host.clone(), url_port, path);
    let mut target = SocketAddr::new(first, start_port);
    let mut hops: Vec<Hop> = Vec::new();
    let mut followed = 0;

    loop {
        let mut hop = Hop::new(url.clone());
        request(config, &mut hop, target, deadline).await;

        let location = match redirect_location(config.profile, &hop) {
            Some(location) => location,
            None => {
                hops.push(hop);
                return Chain { hops };
            }
        };

        let next = match resolve_location(&url, &location) {
            Ok(next) => next,
            Err(error) => {
                hop.error = Some(FetchError::BadLocation(sanitize::escape(&location), error));
                hops.push(hop);
                return Chain { hops };
            }
        };

        let earlier: Vec<String> = hops
            .iter()
            .chain(std::iter::once(&hop))
            .map(|h| h.url.to_string())
            .collect();
        let pins = config.resolver.pins();
        let status = hop.status.unwrap_or_default();
        if let Err(violation) =
            config
                .profile
                .check_redirect(config.ports, followed, status, &next, &earlier, &|name| pins.contains(name))
        {
            hop.error = Some(FetchError::Redirect(violation));
            hops.push(hop);
            return Chain { hops };
        }
        hops.push(hop);
        followed += 1;

        let port = config.profile.port_for(&next, config.ports);
        let same_host = next.host == *host;
        url = next;

        if same_host {
            target = SocketAddr::new(first, port);
            continue;
        }

        match pick_address(config, &url.host, port, deadline).await {
            Ok(addr) => target = addr,
            Err(error) => {
                let mut failed = Hop::new(url.clone());
                failed.error = Some(error);
                hops.push(failed);
                return Chain { hops };
            }
        }
    }
}

fn redirect_location(profile: &Profile, hop: &Hop) -> Option<String> {
    if hop.error.is_some() {
        return None;
    }
    let status = hop.status?;
    let location = hop.location.as_ref();
    if profile.is_redirect(status, location.is_some()) {
        location.cloned()
    } else {
        None
    }
}

/// Resolves a redirect host and picks the address the CA would connect to first.
///
/// NOTE: Let's Encrypt's tests do not cover the fallback to IPv4 on a redirect hop. Its
/// HTTP client dials one address at a time, so this follows the first hop's rule.
async fn pick_address(
    config: &FetchConfig<'_>,
    host: &Host,
    port: u16,
    deadline: Instant,
) -> Result<SocketAddr, FetchError> {
    let ip = match host {
        Host::V4(addr) => IpAddr::V4(*addr),
        Host::V6 { addr, .. } => IpAddr::V6(*addr),
        Host::Name(name) => {
            let lookup = config
                .resolver
                .lookup(name, config.profile.rejects_reserved_addresses);
            let addresses = match timeout_at(deadline, lookup).await {
                Ok(result) => result.map_err(FetchError::Dns)?,
                Err(_) => return Err(FetchError::ResponseTimeout),
            };
            let preferred = addresses.ipv6.first().or(addresses.ipv4.first());
            match preferred {
                Some(ip) => *ip,
                None => {
                    return Err(FetchError::Dns(ResolveError::NoAddress {
                        detail: format!("no usable address for {name}"),
                        dropped: addresses.dropped,
                    }));
                }
            }
        }
        Host::Empty => return Err(FetchError::Redirect(RedirectViolation::EmptyHost)),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Makes one request and fills in `hop`.
async fn request(config: &FetchConfig<'_>, hop: &mut Hop, target: SocketAddr, deadline: Instant) {
    let started = Instant::now();
    hop.address = Some(target);

    let result = request_inner(config, hop, target, deadline, started).await;
    if let Err(error) = result {
        hop.error = Some(error);
    }
    hop.total_ms = millis(started.elapsed());
}

async fn request_inner(
    config: &FetchConfig<'_>,
    hop: &mut Hop,
    target: SocketAddr,
    deadline: Instant,
    started: Instant,
) -> Result<(), FetchError> {
    let tcp = connect(target, deadline).await?;
    hop.connect_ms = Some(millis(started.elapsed()));

    let sniff = Arc::new(Mutex::new(Vec::with_capacity(SNIFF_BYTES)));
    let recorded = Recorder::new(tcp, sniff.clone());

    if hop.url.scheme == "https" {
        let server_name = server_name_for(&hop.url.host);
        let connector = tokio_rustls::TlsConnector::from(tls_config());
        let handshake = connector.connect(server_name, recorded);
        let tls = match timeout_at(deadline, handshake).await {
            Err(_) => return Err(FetchError::ResponseTimeout),
            Ok(Err(error)) => {
                let first = sniff.lock().map(|s| s.clone()).unwrap_or_default();
                return Err(classify_tls_error(&error, &first));
            }
            Ok(Ok(tls)) => tls,
        };
        let (_, session) = tls.get_ref();
        let version = session
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        let chain = session.peer_certificates().unwrap_or_default();
        hop.tls = Some(match chain.first() {
            Some(end_entity) => describe_certificate(end_entity.as_ref(), &hop.url.host, version, chain.len()),
            None => TlsInfo {
                version,
                ..TlsInfo::default()
            },
        });
        exchange(config, hop, tls, Arc::new(Mutex::new(Vec::new())), deadline, started).await
    } else {
        exchange(config, hop, recorded, sniff, deadline, started).await
    }
}

async fn connect(target: SocketAddr, deadline: Instant) -> Result<TcpStream, FetchError> {
    let connect_deadline = std::cmp::min(deadline, Instant::now() + CONNECT_TIMEOUT);
    match timeout_at(connect_deadline, TcpStream::connect(target)).await {
        Err(_) => Err(FetchError::ConnectTimeout),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(error)) => Err(classify_connect_error(&error)),
    }
}

fn classify_connect_error(error: &std::io::Error) -> FetchError {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => FetchError::ConnectRefused,
        ErrorKind::TimedOut => FetchError::ConnectTimeout,
        ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable | ErrorKind::AddrNotAvailable => {
            FetchError::ConnectUnreachable(error.to_string())
        }
        ErrorKind::ConnectionReset => FetchError::Reset(error.to_string()),
        _ => FetchError::ConnectOther(error.to_string()),
    }
}

/// Sends the CA's request on an open connection and reads the answer.
async fn exchange<S>(
    config: &FetchConfig<'_>,
    hop: &mut Hop,
    stream: S,
    sniff: Arc<Mutex<Vec<u8>>>,
    deadline: Instant,
    started: Instant,
) -> Result<(), FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::client::conn::http1::Builder::new();
    builder
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true);
    let handshake = builder.handshake::<_, Empty<Bytes>>(TokioIo::new(stream));
    let (mut sender, connection) = match timeout_at(deadline, handshake).await {
        Err(_) => return Err(FetchError::ResponseTimeout),
        Ok(Err(error)) => return Err(FetchError::Malformed(error.to_string())),
        Ok(Ok(pair)) => pair,
    };
    // The connection task ends when the server closes; the guard aborts it when this hop
    // is cancelled or done, so no task outlives the chain.
    let _driver = AbortOnDrop(tokio::spawn(connection));

    let request = hyper::Request::get(hop.url.request_target())
        .header("host", hop.url.host_header(true))
        .header("user-agent", config.profile.user_agent)
        .header("accept", "*/*")
        .header("accept-encoding", "gzip")
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Malformed(e.to_string()))?;

    let response = match timeout_at(deadline, sender.send_request(request)).await {
        Err(_) => return Err(FetchError::ResponseTimeout),
        Ok(Err(error)) => {
            let first = sniff.lock().map(|s| s.clone()).unwrap_or_default();
            return Err(classify_response_error(&error, &first));
        }
        Ok(Ok(response)) => response,
    };
    hop.head_ms = Some(millis(started.elapsed()));
    hop.status = Some(response.status().as_u16());
    hop.headers = keep_headers(response.headers());
    // NOTE: a byte that is not UTF-8 becomes U+FFFD here and so %EF%BF%BD in the next
    // request, while Go's client keeps the byte and sends %XX for it. A server that
    // redirects to such a path may respond differently to the two requests.
    hop.location = response
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    let gzip = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let raw_limit = if gzip { GZIP_INPUT_LIMIT } else { BODY_CAPTURE };

    let mut body = response.into_body();
    let mut raw = Vec::new();
    let mut more = false;
    let mut read_error = None;
    loop {
        match timeout_at(deadline, body.frame()).await {
            Err(_) => {
                read_error = Some(FetchError::ResponseTimeout);
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(error))) => {
                read_error = Some(classify_body_error(&error));
                break;
            }
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = raw_limit.saturating_sub(raw.len());
                    raw.extend_from_slice(&data[..data.len().min(room)]);
                    if data.len() > room {
                        more = true;
                        break;
                    }
                }
            }
        }
    }

    let (decoded, truncated) = if gzip {
        gunzip_bounded(&raw, BODY_CAPTURE)
    } else {
        (raw, more)
    };
    hop.body = decoded;
    hop.body_truncated = truncated || (gzip && more);

    match read_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Decodes at most `limit` bytes of a gzip body, keeping what decoded before any error
/// (a body cut short by the read limit ends mid-stream).
fn gunzip_bounded(raw: &[u8], limit: usize) -> (Vec<u8>, bool) {
    let mut decoder = flate2::read::GzDecoder::new(raw).take(limit as u64 + 1);
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    let truncated = out.len() > limit;
    out.truncate(limit);
    (out, truncated)
}

fn keep_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    for (name, value) in headers.iter().take(KEPT_HEADERS) {
        let name = name.as_str().to_string();
        let raw = String::from_utf8_lossy(value.as_bytes());
        // Cookie values can be session secrets; their names are enough to fingerprint.
        let text = if name == "set-cookie" {
            raw.split('=').next().unwrap_or("").trim().to_string()
        } else {
            raw.into_owned()
        };
        kept.push((name, sanitize::excerpt(text.as_bytes(), KEPT_VALUE_CHARS)));
    }
    kept
}

fn classify_response_error(error: &hyper::Error, first_bytes: &[u8]) -> FetchError {
    if looks_like_http2(first_bytes) {
        return FetchError::Http2Preface;
    }
    if is_flood(error) {
        return FetchError::Flooded;
    }
    if error.is_parse_too_large() {
        return FetchError::HeadTooLarge;
    }
    if error.is_parse() || error.is_parse_status() {
        return FetchError::Malformed(error.to_string());
    }
    if let Some(io) = find_io_error(error) {
        if io.kind() == std::io::ErrorKind::ConnectionReset {
            return FetchError::Reset(io.to_string());
        }
        return FetchError::Malformed(io.to_string());
    }
    if error.is_incomplete_message() || error.is_closed() || error.is_canceled() {
        return FetchError::ClosedEarly;
    }
    FetchError::Malformed(error.to_string())
}

/// Classifies an error while reading the body: invalid chunked framing is a malformed
/// answer, anything else (a reset, a close before the declared length) a broken body.
fn classify_body_error(error: &hyper::Error) -> FetchError {
    if is_flood(error) {
        return FetchError::Flooded;
    }
    match find_io_error(error).map(std::io::Error::kind) {
        Some(std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput) => {
            FetchError::Malformed(format!("invalid body framing: {}", describe_chain(error)))
        }
        _ => FetchError::BodyRead(describe_chain(error)),
    }
}

/// Joins an error with its sources ("error reading a body from connection: invalid chunk
/// size line"), because hyper's own message rarely names the cause.
fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

fn is_flood(error: &(dyn std::error::Error + 'static)) -> bool {
    find_io_error(error).is_some_and(|io| io.get_ref().is_some_and(|inner| inner.is::<ReadLimitReached>()))
}

/// The error [`Recorder`] returns once a connection has sent [`MAX_CONNECTION_BYTES`].
#[derive(Debug)]
struct ReadLimitReached;

impl std::fmt::Display for ReadLimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the server sent more than {} bytes", MAX_CONNECTION_BYTES)
    }
}

impl std::error::Error for ReadLimitReached {}

fn find_io_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut source = error.source();
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = inner.source();
    }
    None
}

/// Reports whether bytes start like HTTP/2: a client preface, or a frame header whose type
/// is SETTINGS on stream 0, which is what an h2c server sends first.
fn looks_like_http2(first: &[u8]) -> bool {
    if first.starts_with(b"PRI * HTTP/2.0") {
        return true;
    }
    first.len() >= 9 && first[3] == 0x04 && first[5..9] == [0, 0, 0, 0]
}

fn classify_tls_error(error: &std::io::Error, first_bytes: &[u8]) -> FetchError {
    if first_bytes.starts_with(b"HTTP/") {
        return FetchError::HttpOnHttpsPort;
    }
    if error.get_ref().is_some_and(|inner| inner.is::<ReadLimitReached>()) {
        return FetchError::Flooded;
    }
    match error.kind() {
        std::io::ErrorKind::ConnectionReset => FetchError::Reset(error.to_string()),
        std::io::ErrorKind::UnexpectedEof if first_bytes.is_empty() => FetchError::ClosedEarly,
        _ => FetchError::Tls(error.to_string()),
    }
}

fn server_name_for(host: &Host) -> rustls::pki_types::ServerName<'static> {
    use rustls::pki_types::{IpAddr as PkiIp, ServerName};
    match host {
        Host::V4(addr) => ServerName::IpAddress(PkiIp::from(IpAddr::V4(*addr))),
        Host::V6 { addr, .. } => ServerName::IpAddress(PkiIp::from(IpAddr::V6(*addr))),
        Host::Name(name) => ServerName::try_from(name.clone())
            .unwrap_or_else(|_| ServerName::try_from("invalid.invalid".to_string()).expect("static name")),
        Host::Empty => ServerName::try_from("invalid.invalid".to_string()).expect("static name"),
    }
}

/// The TLS client settings of the CA: TLS 1.2 or later, HTTP/1.1 only, certificates
/// accepted whatever they are (self-signed, expired, for another name).
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

/// A certificate verifier that accepts every certificate, because the CA does not verify
/// certificates on HTTPS redirect targets. Signatures are still checked for well-formedness
/// so the handshake itself is real.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A stream that keeps a copy of the first bytes it reads, and fails once the peer has
/// sent [`MAX_CONNECTION_BYTES`].
struct Recorder<S> {
    inner: S,
    sniff: Arc<Mutex<Vec<u8>>>,
    received: usize,
}

impl<S> Recorder<S> {
    fn new(inner: S, sniff: Arc<Mutex<Vec<u8>>>) -> Recorder<S> {
        Recorder {
            inner,
            sniff,
            received: 0,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.received >= MAX_CONNECTION_BYTES {
            return Poll::Ready(Err(std::io::Error::other(ReadLimitReached)));
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let new = &buf.filled()[before..];
            this.received += new.len();
            if let Ok(mut sniff) = this.sniff.lock()
                && sniff.len() < SNIFF_BYTES
            {
                let room = SNIFF_BYTES - sniff.len();
                sniff.extend_from_slice(&new[..new.len().min(room)]);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// Returns the addresses a CA starts from, in its order of preference, for the profile.
pub fn ca_start_order(choice: AddressChoice, ipv6: &[IpAddr], ipv4: &[IpAddr]) -> Vec<IpAddr> {
    match choice {
        AddressChoice::Ipv6ThenIpv4OnDialError => ipv6.first().into_iter().chain(ipv4.first()).copied().collect(),
        AddressChoice::FirstOnly => ipv6.first().or(ipv4.first()).into_iter().copied().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http2_settings_frame_recognized() {
        let settings = [0u8, 0, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 3];
        assert!(looks_like_http2(&settings));
        assert!(looks_like_http2(b"PRI * HTTP/2.0\r\n"));
        assert!(!looks_like_http2(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn gzip_is_bounded() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b'a'; 10 * 1024 * 1024]).unwrap();
        let compressed = encoder.finish().unwrap();
        let (out, truncated) = gunzip_bounded(&compressed, 1000);
        assert_eq!(out.len(), 1000);
        assert!(truncated);
    }
}
