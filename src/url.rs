//! HTTP URLs as the CA sees them, and the parser for redirect targets.
//!
//! A general URL library normalizes what the CA compares literally: it drops a default
//! port, so `http://h:80/p` and `http://h/p` would become one string, while Let's Encrypt's
//! loop check treats them as two URLs, and it hides whether a port was written at all. This
//! parser keeps the port as written and resolves relative references the way RFC 3986 and
//! Go's `net/url` do, which is what the CA's HTTP client uses.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::sanitize;

/// The host part of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lowercased.
    Name(String),
    V4(Ipv4Addr),
    V6 { addr: Ipv6Addr, zone: Option<String> },
    /// No host at all, as in `http:///path` or `http:path`.
    Empty,
}

/// Names and zones are shown with control and bidirectional characters escaped: a name
/// from a `Location` header may carry any byte of 0x80 and up, and it reaches reports
/// through this.
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(&sanitize::escape(name)),
            Host::V4(addr) => write!(f, "{addr}"),
            Host::V6 { addr, zone: None } => write!(f, "[{addr}]"),
            Host::V6 { addr, zone: Some(zone) } => write!(f, "[{addr}%25{}]", sanitize::escape(zone)),
            Host::Empty => Ok(()),
        }
    }
}

/// An absolute URL with the port exactly as written.
///
/// The path and query of a URL from [`resolve_location`] are printable ASCII: bytes that
/// a URL cannot hold are percent-encoded as the CA's client sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// Lowercased scheme; anything other than `http` and `https` is kept so that the
    /// redirect check can name it.
    pub scheme: String,
    pub host: Host,
    /// The explicit port, `None` when the URL has none.
    pub port: Option<u16>,
    /// The path as written (percent-encoding kept), always starting with `/`.
    pub path: String,
    pub query: Option<String>,
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        Ok(())
    }
}

impl Url {
    /// Builds `http://HOST/PATH` with no port, the form of the CA's first request.
    pub fn http(host: Host, port: Option<u16>, path: &str) -> Url {
        Url {
            scheme: "http".to_string(),
            host,
            port,
            path: path.to_string(),
            query: None,
        }
    }

    /// Returns the path and query as sent on the request line.
    pub fn request_target(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// Returns the path with percent-escapes decoded, as bytes.
    pub fn decoded_path(&self) -> Vec<u8> {
        percent_decode(&self.path)
    }

    /// Returns the value of the `Host` header for this URL, with the port when
    /// `with_port` is set and the URL has one.
    pub fn host_header(&self, with_port: bool) -> String {
        match (with_port, self.port) {
            (true, Some(port)) => format!("{}:{port}", self.host),
            _ => self.host.to_string(),
        }
    }
}

/// Why a `Location` value could not be read as a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocationError {
    ControlCharacter,
    InvalidPort(String),
    InvalidHost(String),
    /// A `%` in the path that is not followed by two hexadecimal digits.
    InvalidEscape(String),
}

impl fmt::Display for LocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocationError::ControlCharacter => f.write_str("contains a control character"),
            LocationError::InvalidPort(port) => write!(f, "has an invalid port {port:?}"),
            LocationError::InvalidHost(host) => write!(f, "has an invalid host {host:?}"),
            LocationError::InvalidEscape(path) => write!(f, "has an invalid %-escape in the path {path:?}"),
        }
    }
}

/// Resolves a `Location` header value against the URL that returned it.
pub fn resolve_location(base: &Url, location: &str) -> Result<Url, LocationError> {
    if location.chars().any(|c| c.is_ascii_control()) {
        return Err(LocationError::ControlCharacter);
    }

    // The fragment never reaches the server.
    let location = location.split('#').next().unwrap_or("");

    if let Some((scheme, rest)) = split_scheme(location) {
        return parse_after_scheme(&scheme.to_ascii_lowercase(), rest);
    }

    if let Some(rest) = location.strip_prefix("//") {
        return parse_authority_and_path(&base.scheme, rest);
    }

    let (path_part, query) = split_query(location);
    let path_part = escape_path(path_part)?;
    let query = query.map(|q| escape_query(&q));
    let mut url = base.clone();

    if path_part.is_empty() {
        // An empty path keeps the base path; a query, if given, replaces the base query.
        if query.is_some() {
            url.query = query;
        }
        return Ok(url);
    }

    url.query = query;
    url.path = if path_part.starts_with('/') {
        remove_dot_segments(&path_part)
    } else {
        let directory = match base.path.rfind('/') {
            Some(i) => &base.path[..=i],
            None => "/",
        };
        remove_dot_segments(&format!("{directory}{path_part}"))
    };
    Ok(url)
}

fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return None;
    }
    Some((scheme, &text[colon + 1..]))
}

fn parse_after_scheme(scheme: &str, rest: &str) -> Result<Url, LocationError> {
    match rest.strip_prefix("//") {
        Some(after) => parse_authority_and_path(scheme, after),
        // `http:path` has no authority, so no host.
        None => {
            let (path, query) = split_query(rest);
            Ok(Url {
                scheme: scheme.to_string(),
                host: Host::Empty,
                port: None,
                path: remove_dot_segments(&ensure_leading_slash(&escape_path(path)?)),
                query: query.map(|q| escape_query(&q)),
            })
        }
    }
}

fn parse_authority_and_path(scheme: &str, text: &str) -> Result<Url, LocationError> {
    let end = text.find(['/', '?']).unwrap_or(text.len());
    let (authority, rest) = text.split_at(end);
    let (path, query) = split_query(rest);

    // Userinfo is allowed by the URL syntax and ignored for the connection.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_host_port(host_port)?;

    Ok(Url {
        scheme: scheme.to_string(),
        host,
        port,
        path: ensure_leading_slash(&remove_dot_segments(&escape_path(path)?)),
        query: query.map(|q| escape_query(&q)),
    })
}

fn split_host_port(text: &str) -> Result<(Host, Option<u16>), LocationError> {
    let (host_text, port_text) = if let Some(rest) = text.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| LocationError::InvalidHost(text.to_string()))?;
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(LocationError::InvalidHost(text.to_string())),
        };
        (&text[..close + 2], port)
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };

    // An empty port (`http://h:/`) means no port, as in Go's `net/url`.
    let port = match port_text {
        None | Some("") => None,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(
            digits
                .parse::<u16>()
                .map_err(|_| LocationError::InvalidPort(digits.to_string()))?,
        ),
        Some(other) => return Err(LocationError::InvalidPort(other.to_string())),
    };

    Ok((parse_host(host_text)?, port))
}

/// Parses a host as it appears in a URL: a name, an IPv4 literal or a bracketed IPv6
/// literal with an optional `%25` zone.
pub fn parse_host(text: &str) -> Result<Host, LocationError> {
    if text.is_empty() {
        return Ok(Host::Empty);
    }

    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let (addr_text, zone) = match inner.split_once('%') {
            Some((addr, zone)) => {
                let zone = zone.strip_prefix("25").unwrap_or(zone);
                (addr, Some(zone.to_string()))
            }
            None => (inner, None),
        };
        let addr = addr_text
            .parse::<Ipv6Addr>()
            .map_err(|_| LocationError::InvalidHost(text.to_string()))?;
        return Ok(Host::V6 { addr, zone });
    }

    if let Ok(addr) = text.parse::<Ipv4Addr>() {
        return Ok(Host::V4(addr));
    }

    check_name_syntax(text)?;
    let decoded = String::from_utf8(percent_decode(text))
        .map_err(|_| LocationError::InvalidHost(text.to_string()))?;
    if decoded
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '@' | '[' | ']'))
    {
        return Err(LocationError::InvalidHost(text.to_string()));
    }
    Ok(Host::Name(decoded.to_lowercase()))
}

fn split_query(text: &str) -> (&str, Option<String>) {
    match text.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (text, None),
    }
}

fn ensure_leading_slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// Removes `.` and `..` segments as RFC 3986 section 5.2.4 describes.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);

    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    output.push("");
                }
            }
            ".." => {
                if output.len() > 1 {
                    output.pop();
                }
                if i == last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }

    let joined = output.join("/");
    if path.starts_with('/') && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Returns the byte that `%XX` at the start of `bytes` encodes. Both digits must be
/// hexadecimal (`u8::from_str_radix` alone would also take `+5`).
fn escaped_byte(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [b'%', high, low, ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
            let digits = [*high, *low];
            u8::from_str_radix(std::str::from_utf8(&digits).ok()?, 16).ok()
        }
        _ => None,
    }
}

/// Decodes `%XX` escapes; a `%` without two hexadecimal digits stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(value) = escaped_byte(&bytes[i..]) {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Bytes that Go's `net/url` leaves as written in a path (RFC 3986 `pchar`, `/`, and
/// `[`, `]`, `%`): with only these, a path is sent exactly as the `Location` gave it.
fn allowed_in_path(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:@[]%/".contains(&byte)
}

/// Bytes that Go's `net/url` keeps unescaped when it escapes a path again.
fn unescaped_in_path(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&byte)
}

/// Returns a path as the CA's client (Go's `net/url`) sends it: as written when every
/// byte is allowed in a path, and otherwise decoded and escaped again, which turns spaces,
/// quotes and bytes of 0x80 and up into `%XX`. A `%` without two hexadecimal digits is an
/// error, as it is in Go.
fn escape_path(path: &str) -> Result<String, LocationError> {
    let bytes = path.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'%' && escaped_byte(&bytes[i..]).is_none() {
            return Err(LocationError::InvalidEscape(sanitize::escape(path)));
        }
    }
    if bytes.iter().all(|b| allowed_in_path(*b)) {
        return Ok(path.to_string());
    }

    let mut out = String::with_capacity(path.len() * 3);
    for byte in percent_decode(path) {
        if unescaped_in_path(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(out)
}

/// Percent-encodes the bytes of a query that a URL cannot hold (spaces, quotes, bytes of
/// 0x80 and up), and keeps everything else as written.
///
/// NOTE: Go sends such query bytes as they came, so a server that compares raw query
/// bytes may see a different query from this tool than from the CA.
fn escape_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for byte in query.bytes() {
        if byte.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Applies Go's `net/url` rules to a host name as written: a `%XX` escape only for a byte
/// of 0x80 and up (or `%25`), and no ASCII character that a host cannot contain. Without
/// this, `%1b` in a redirect host would put an escape character into the name.
fn check_name_syntax(text: &str) -> Result<(), LocationError> {
    let bytes = text.as_bytes();
    let invalid = || LocationError::InvalidHost(sanitize::escape(text));
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            match escaped_byte(&bytes[i..]) {
                Some(value) if value >= 0x80 || value == b'%' => {
                    i += 3;
                    continue;
                }
                _ => return Err(invalid()),
            }
        }
        let allowed = byte >= 0x80 || byte.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&byte);
        if !allowed {
            return Err(invalid());
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::http(Host::Name("example.test".into()), None, "/.well-known/acme-challenge/tok")
    }

    fn resolve(location: &str) -> String {
        resolve_location(&base(), location).unwrap().to_string()
    }

    #[test]
    fn absolute_keeps_explicit_default_port() {
        assert_eq!(resolve("http://example.test:80/x"), "http://example.test:80/x");
        assert_eq!(resolve("http://example.test/x"), "http://example.test/x");
    }

    #[test]
    fn host_is_lowercased() {
        assert_eq!(resolve("HTTP://EXAMPLE.TEST/x"), "http://example.test/x");
    }

    #[test]
    fn relative_forms() {
        assert_eq!(resolve("/a/b"), "http://example.test/a/b");
        assert_eq!(resolve("other"), "http://example.test/.well-known/acme-challenge/other");
        assert_eq!(resolve("../x"), "http://example.test/.well-known/x");
        assert_eq!(resolve("?q=1"), "http://example.test/.well-known/acme-challenge/tok?q=1");
        assert_eq!(resolve("//other.test/p"), "http://other.test/p");
        assert_eq!(resolve(""), "http://example.test/.well-known/acme-challenge/tok");
    }

    #[test]
    fn fragment_dropped_and_query_kept() {
        assert_eq!(resolve("/p?a=b#frag"), "http://example.test/p?a=b");
    }

    #[test]
    fn ipv6_with_zone() {
        let url = resolve_location(&base(), "http://[::1%25lo]/x").unwrap();
        assert_eq!(
            url.host,
            Host::V6 {
                addr: Ipv6Addr::LOCALHOST,
                zone: Some("lo".into())
            }
        );
    }

    #[test]
    fn other_scheme_kept_for_reporting() {
        let url = resolve_location(&base(), "gopher://example.test/").unwrap();
        assert_eq!(url.scheme, "gopher");
        let url = resolve_location(&base(), "file:///etc/passwd").unwrap();
        assert_eq!(url.scheme, "file");
        assert_eq!(url.host, Host::Empty);
    }

    #[test]
    fn path_without_authority_has_no_dot_segments() {
        let url = resolve_location(&base(), "htp:./tp://other/b").unwrap();
        assert_eq!(url.host, Host::Empty);
        assert_eq!(url.path, "/tp://other/b");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(resolve_location(&base(), "http://h:99999/").is_err());
        assert!(resolve_location(&base(), "http://h:8x/").is_err());
        assert!(resolve_location(&base(), "/a\r\nSet-Cookie: x").is_err());
        assert!(resolve_location(&base(), "http://[::1/").is_err());
    }

    #[test]
    fn path_with_disallowed_bytes_is_escaped_again() {
        assert_eq!(resolve("/\u{9b}31m\u{202e}x"), "http://example.test/%C2%9B31m%E2%80%AEx");
        assert_eq!(resolve("/a b\"c"), "http://example.test/a%20b%22c");
        // Go re-escapes the decoded path as a whole, so `'` becomes %27 here.
        assert_eq!(resolve("/é'"), "http://example.test/%C3%A9%27");
    }

    #[test]
    fn path_with_allowed_bytes_is_kept_as_written() {
        assert_eq!(resolve("/a'b(c)*[d]%41"), "http://example.test/a'b(c)*[d]%41");
    }

    #[test]
    fn invalid_escape_in_path_is_rejected() {
        for location in ["/a%zz", "/a%+5", "/a%4", "http://h.test/%"] {
            assert!(
                matches!(resolve_location(&base(), location), Err(LocationError::InvalidEscape(_))),
                "{location}"
            );
        }
    }

    #[test]
    fn query_bytes_outside_ascii_are_escaped() {
        assert_eq!(resolve("/p?q=é x"), "http://example.test/p?q=%C3%A9%20x");
    }

    #[test]
    fn host_escape_below_0x80_is_rejected() {
        assert!(resolve_location(&base(), "http://a%1bb.test/").is_err());
        assert!(resolve_location(&base(), "http://a%+1b.test/").is_err());
        assert!(resolve_location(&base(), "http://a b.test/").is_err());
    }

    #[test]
    fn host_with_control_character_is_rejected() {
        assert!(resolve_location(&base(), "http://a%C2%9Bb.test/").is_err());
    }

    #[test]
    fn host_display_escapes_bidi() {
        let url = resolve_location(&base(), "http://a\u{202e}b.test/x").unwrap();
        assert_eq!(url.to_string(), "http://a\\u{202e}b.test/x");
    }

    #[test]
    fn decoded_path_length() {
        let url = resolve_location(&base(), "/%41%42").unwrap();
        assert_eq!(url.decoded_path(), b"/AB");
    }
}
