//! The bundled HTTP-01 responder (`acme-preflight serve`): what it answers, as a pure
//! request handler.
//!
//! A request whose path starts with `/.well-known/acme-challenge/` is a challenge. It is
//! answered from the configured [`Source`]s, tried in order, and never passed on: a token
//! that no source knows gets a 404. Every other request gets the [`Fallback`]: a 404, a 308
//! to the same URL over https, or forwarding to one upstream ([`proxy`]).
//!
//! The path is matched on its raw bytes, before any percent-decoding, and the token must be
//! base64url. So no encoding (`%2e%2e`, `%2f`, `%5c`, a backslash, overlong UTF-8, NUL)
//! can name a file outside the folder. Files are opened without following symlinks, and
//! files over 4 KiB are not served.

pub mod listen;
pub mod proxy;
mod server;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, LOCATION, SERVER};
use hyper::{Method, Request, Response, StatusCode};

use crate::token::{Challenge, is_valid_token};

pub use proxy::Upstream;
pub use server::{Limits, serve};

/// The URL path prefix of HTTP-01 challenges.
pub const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";

/// Largest challenge file served. A key authorization is 87 bytes; anything this large is
/// not one, and the bound keeps a stray large file from being read into memory.
pub const MAX_FILE_BYTES: u64 = 4096;

/// Length of an account key thumbprint: a SHA-256 digest (RFC 7638) in base64url without
/// padding.
pub const THUMBPRINT_LEN: usize = 43;

const SERVER_NAME: &str = concat!("acme-preflight/", env!("CARGO_PKG_VERSION"));

/// A place where the responder finds key authorizations.
#[derive(Clone, Debug)]
pub enum Source {
    /// A folder of files named after their token, as ACME clients write them in webroot
    /// mode; each file holds the key authorization.
    Dir(PathBuf),
    /// The stateless mode: every well-formed token is answered with `TOKEN.THUMBPRINT`, so
    /// instances behind a load balancer need no shared storage.
    Thumbprint(String),
    /// One token and its key authorization, held in memory (`check --standalone`).
    Memory(Challenge),
}

/// What a request that is not a challenge gets.
#[derive(Clone, Debug)]
pub enum Fallback {
    /// A 404.
    NotFound,
    /// A 308 to the same host, path and query over https, as a port-80 server block does.
    RedirectHttps,
    /// Forwarding to the one configured upstream (see [`forward_target`]).
    Proxy(Upstream),
}

/// What the responder answers.
#[derive(Clone, Debug)]
pub struct Config {
    /// Sources of key authorizations, tried in order; the first that knows a token wins.
    pub sources: Vec<Source>,
    pub fallback: Fallback,
}

/// Validates a `--thumbprint` value: 43 base64url characters, the SHA-256 JWK thumbprint
/// of an ACME account key.
pub fn parse_thumbprint(text: &str) -> Result<String, String> {
    let well_formed = text.len() == THUMBPRINT_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(text.to_string())
    } else {
        Err(format!(
            "invalid --thumbprint value {:?}: expected the account key's SHA-256 thumbprint, {THUMBPRINT_LEN} base64url characters (A-Z a-z 0-9 - _), as `acme.sh --register-account` prints it",
            crate::sanitize::escape(text)
        ))
    }
}

/// Reports whether a request path is a challenge path, which is never forwarded.
pub fn is_challenge(path: &str) -> bool {
    path.starts_with(CHALLENGE_PREFIX)
}

/// Returns the upstream a request goes to, or `None` when [`respond`] answers it.
///
/// Only requests that are not challenges are forwarded, and never `CONNECT`: the responder
/// does not open tunnels.
pub fn forward_target<'a, B>(config: &'a Config, request: &Request<B>) -> Option<&'a Upstream> {
    match &config.fallback {
        Fallback::Proxy(upstream) if !is_challenge(request.uri().path()) && request.method() != Method::CONNECT => {
            Some(upstream)
        }
        _ => None,
    }
}

/// Answers one request that is not forwarded. Pure apart from reading one file, so tests
/// need no socket.
pub fn respond<B>(config: &Config, request: &Request<B>) -> Response<Full<Bytes>> {
    let method = request.method();
    if method == Method::CONNECT {
        return method_not_allowed("CONNECT is not supported\n");
    }

    let path = request.uri().path();
    let Some(token) = path.strip_prefix(CHALLENGE_PREFIX) else {
        return match config.fallback {
            Fallback::RedirectHttps => redirect_to_https(request),
            // A request that the server did not forward (see `forward_target`) gets a 404.
            Fallback::NotFound | Fallback::Proxy(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
        };
    };
    if !is_valid_token(token) {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed("only GET and HEAD\n");
    }

    match key_authorization(&config.sources, token) {
        Some(content) => {
            let length = content.len();
            let body = if method == Method::HEAD { Bytes::new() } else { content };
            let mut response = Response::new(Full::new(body));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            headers.insert(CONTENT_LENGTH, length.into());
            headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
            response
        }
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Looks `token` up in each source in order. The caller has checked that it is base64url.
fn key_authorization(sources: &[Source], token: &str) -> Option<Bytes> {
    sources.iter().find_map(|source| match source {
        Source::Dir(dir) => read_challenge(dir, token),
        Source::Thumbprint(thumbprint) => Some(Bytes::from(format!("{token}.{thumbprint}"))),
        Source::Memory(challenge) => {
            (challenge.token == token).then(|| Bytes::from(challenge.key_authorization.clone()))
        }
    })
}

/// Reads `dir/token` if it is a regular file (not a symlink) of at most 4 KiB.
fn read_challenge(dir: &Path, token: &str) -> Option<Bytes> {
    use std::io::Read;

    // SECURITY: `token` is base64url only (checked by the caller), so it has no `/`, `\`,
    // `.` or NUL and the joined path stays a direct child of `dir`.
    let path = dir.join(token);
    let mut file = open_no_follow(&path).ok()?;
    // The checks run on the opened file, so a file swapped in after a check is not read.
    let meta = file.metadata().ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    // The size from fstat bounds the read, so a file that grows after the check is still
    // cut at 4 KiB, and a regular file this small is read in one call.
    let mut content = vec![0u8; meta.len() as usize];
    let mut filled = 0;
    while filled < content.len() {
        match file.read(&mut content[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    content.truncate(filled);
    Some(Bytes::from(content))
}

/// Opens a file for reading without following a final symlink. `O_NONBLOCK` keeps a FIFO
/// planted under a token's name from blocking the open; regular files ignore it.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    // NOTE: without O_NOFOLLOW a symlink swapped in between this check and the open is
    // followed.
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(std::io::Error::other("symlinks are not served"));
    }
    std::fs::File::open(path)
}

/// Builds the 308 to `https://HOST/PATH?QUERY`. The host comes from the request target in
/// absolute form, else from the Host header, and loses its port, as nginx's `$host` does.
fn redirect_to_https<B>(request: &Request<B>) -> Response<Full<Bytes>> {
    let uri = request.uri();
    let authority = match uri.authority() {
        Some(authority) => Some(authority.as_str()),
        None => request.headers().get(HOST).and_then(|value| value.to_str().ok()),
    };
    let Some(host) = authority.and_then(redirect_host) else {
        return plain(StatusCode::BAD_REQUEST, "missing or invalid Host header\n");
    };
    let path = uri.path();
    if !path.starts_with('/') {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let target = match uri.query() {
        Some(query) => format!("https://{host}{path}?{query}"),
        None => format!("https://{host}{path}"),
    };
    // Every byte of `target` passed hyper's URI parser or `redirect_host`, so it is a
    // valid header value.
    let Ok(location) = target.parse() else {
        return plain(StatusCode::BAD_REQUEST, "invalid request target\n");
    };
    let mut response = plain(StatusCode::PERMANENT_REDIRECT, "moved to https\n");
    response.headers_mut().insert(LOCATION, location);
    response
}

/// Returns the host part of an authority (`HOST[:PORT]`) if it is a DNS name or an IP
/// address, lowercased and without the port. Anything else (user info, spaces, stray
/// characters) would let a client shape the redirect target, so it gets `None`.
pub fn redirect_host(authority: &str) -> Option<String> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port_ok = match after.strip_prefix(':') {
            Some(port) => is_port(port),
            None => after.is_empty(),
        };
        if inside.parse::<std::net::Ipv6Addr>().is_err() || !port_ok {
            return None;
        }
        return Some(format!("[{}]", inside.to_ascii_lowercase()));
    }

    let host = match authority.split_once(':') {
        Some((host, port)) if is_port(port) => host,
        Some(_) => return None,
        None => authority,
    };
    let name = host.strip_suffix('.').unwrap_or(host);
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    valid.then(|| host.to_ascii_lowercase())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

fn method_not_allowed(text: &'static str) -> Response<Full<Bytes>> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, text);
    response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// A short `text/plain` response from the responder itself.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(CONTENT_LENGTH, text.len().into());
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    response
}

#[cfg(test)]
mod tests;
