//! The closed set of findings, and the one classifier from a fetch to a CA verdict.
//!
//! Codes are stable: scripts match on them, and docs/findings.md lists them. A symptom code
//! names what the CA would see. A root-cause code names why, and becomes `primary` when the
//! diagnosis can tell.

use std::fmt;

use serde::Serialize;

use crate::fetch::{Chain, FetchError};
use crate::profile::{Profile, ProfileName, RedirectViolation};
use crate::resolve::ResolveError;
use crate::sanitize;

/// The severity of a finding, ordered from error to info.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

macro_rules! codes {
    ($( $variant:ident = $text:literal, $root:literal, $title:literal; )*) => {
        /// Every finding the tool can report.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code string.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// Whether the code names a root cause rather than what the CA would see.
            pub fn is_root_cause(self) -> bool {
                match self { $( Code::$variant => $root, )* }
            }

            /// A short title for lists.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            pub fn parse(text: &str) -> Option<Code> {
                match text { $( $text => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

codes! {
    ConnectionRefused = "connection-refused", false, "nothing accepts connections on the HTTP port";
    ConnectTimeout = "connect-timeout", false, "the connection did not open in time";
    NetworkUnreachable = "network-unreachable", false, "no route to the address";
    ResponseTimeout = "response-timeout", false, "the server accepted the connection but did not answer in time";
    ConnectionReset = "connection-reset", false, "the server reset the connection";
    MalformedResponse = "malformed-response", false, "the answer is not valid HTTP/1.1";
    DnsNoAddress = "dns-no-address", false, "DNS has no usable A or AAAA record";
    DnsLookupFailed = "dns-lookup-failed", false, "the DNS lookup failed";
    NotFound = "not-found", false, "the server answered 404";
    Forbidden = "forbidden", false, "the server answered 403";
    AuthRequired = "auth-required", false, "the server asks for authentication";
    ServerError = "server-error", false, "the server answered with a 5xx status";
    UnexpectedStatus = "unexpected-status", false, "the server answered with a status other than 200";
    ContentMismatch = "content-mismatch", false, "the body is not the key authorization";
    CatchAll = "catch-all", true, "every path gets the same page";
    BodyTooLarge = "body-too-large", false, "the body is 128 bytes or more";
    RedirectBadPort = "redirect-bad-port", false, "a redirect names a port the CA does not use";
    RedirectBadScheme = "redirect-bad-scheme", false, "a redirect to a scheme other than http or https";
    RedirectBadHost = "redirect-bad-host", false, "a redirect to a host the CA rejects";
    RedirectMissingSlash = "redirect-missing-slash", false, "a redirect glues the host to .well-known";
    RedirectDisallowedStatus = "redirect-disallowed-status", false, "a redirect status the CA does not follow";
    RedirectLoop = "redirect-loop", false, "a redirect back to an earlier URL";
    RedirectTooMany = "redirect-too-many", false, "more redirects than the CA follows";
    RedirectTooLong = "redirect-too-long", false, "a redirect path longer than 2000 bytes";
    RedirectInvalid = "redirect-invalid", false, "a Location header that is not a valid URL";
    TlsFailed = "tls-failed", false, "the TLS handshake on an HTTPS redirect failed";
    HttpOnHttpsPort = "http-on-https-port", false, "the HTTPS port speaks plain HTTP";
    Http2OnHttpPort = "http2-on-http-port", false, "the HTTP port speaks HTTP/2";
    AppIntercept = "app-intercept", true, "an application answers the challenge path";
    DotfilesBlocked = "dotfiles-blocked", true, "paths starting with a dot are blocked";
    ExtensionlessBlocked = "extensionless-blocked", true, "files without an extension are not served";
    WebrootNotServed = "webroot-not-served", true, "the server does not serve this webroot for this name";
    HttpsRedirectNotServed = "https-redirect-not-served", true, "the HTTPS side of a redirect does not serve the file";
    TokenUnreadable = "token-unreadable", true, "the web server cannot read the token file";
    AddressMismatch = "address-mismatch", true, "the addresses of this name answer differently";
    InconsistentBackends = "inconsistent-backends", true, "repeated fetches answer differently";
    CaaForbids = "caa-forbids", true, "CAA records do not allow the CA to issue by HTTP-01";
    CaaLookupFailed = "caa-lookup-failed", false, "the CAA lookup failed";
    IdentifierRejected = "identifier-rejected", true, "the CA would not accept this name or address as an identifier";
    DnsReservedAddress = "dns-reserved-address", false, "DNS returns an address the CA drops";
    CdnProxy = "cdn-proxy", false, "a CDN or proxy answers for this name";
    LeftoverFiles = "leftover-files", false, "files from an earlier interrupted check";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The observations behind a finding, reported as `evidence`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The start of the body, with control characters escaped and invalid UTF-8 replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The fingerprint markers that matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<String>,
    /// Further observations, one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One finding: what was observed, the likely cause and the fix.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub summary: String,
    pub cause: String,
    pub fix: String,
    /// The component that answered, when the fingerprints identify it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The CA's conclusion from one fetch chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    Pass,
    Fail {
        code: Code,
        /// One line on what was observed.
        detail: String,
        /// The CA's own wording of the failure.
        ca_message: String,
    },
}

impl Judgement {
    pub fn is_pass(&self) -> bool {
        matches!(self, Judgement::Pass)
    }

    pub fn code(&self) -> Option<Code> {
        match self {
            Judgement::Pass => None,
            Judgement::Fail { code, .. } => Some(*code),
        }
    }

    /// Whether the failure happened while opening the connection, the only case in which
    /// Let's Encrypt tries the next address.
    pub fn is_dial_error(&self) -> bool {
        matches!(
            self.code(),
            Some(Code::ConnectionRefused | Code::ConnectTimeout | Code::NetworkUnreachable)
        )
    }
}

/// Judges a chain as the CA would: status 200, the body limit, trimming, exact compare.
pub fn judge(chain: &Chain, key_authorization: &str, profile: &Profile) -> Judgement {
    let hop = chain.last();
    let url = hop.url.to_string();
    let ip = hop
        .address
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| hop.url.host.to_string());

    if let Some(error) = &hop.error {
        return judge_error(error, &ip, &url, profile);
    }

    let status = hop.status.unwrap_or_default();
    if status != 200 {
        let code = match status {
            404 => Code::NotFound,
            403 => Code::Forbidden,
            401 | 407 => Code::AuthRequired,
            500..=599 => Code::ServerError,
            _ => Code::UnexpectedStatus,
        };
        let ca_message = match profile.name {
            ProfileName::Letsencrypt => format!("{ip}: Invalid response from {url}: {status}"),
            ProfileName::Pebble => format!("Non-200 status code from HTTP: {url} returned {status}"),
        };
        return Judgement::Fail {
            code,
            detail: format!("{url} answered {status}"),
            ca_message,
        };
    }

    if let Some(limit) = profile.body_limit
        && hop.body.len() >= limit
    {
        let size = if hop.body_truncated {
            format!("more than {} bytes", hop.body.len())
        } else {
            format!("{} bytes", hop.body.len())
        };
        return Judgement::Fail {
            code: Code::BodyTooLarge,
            detail: format!("{url} answered 200 with a body of {size}; the CA reads at most {} bytes", limit - 1),
            ca_message: format!(
                "{ip}: Invalid response from {url}: the body is {size}, and the key authorization file must be smaller than {limit} bytes"
            ),
        };
    }

    let text = std::str::from_utf8(&hop.body).unwrap_or("");
    let trimmed = profile.trim_body(text);
    if trimmed == key_authorization && !hop.body_truncated {
        return Judgement::Pass;
    }

    let got = sanitize::excerpt(&hop.body, 100);
    let ca_message = match profile.name {
        ProfileName::Letsencrypt => format!(
            "The key authorization file from the server did not match this challenge. Expected \"{key_authorization}\" (got \"{got}\")"
        ),
        ProfileName::Pebble => format!(
            "The key authorization file from the server did not match this challenge \"{key_authorization}\" != \"{got}\""
        ),
    };
    Judgement::Fail {
        code: Code::ContentMismatch,
        detail: format!("{url} answered 200, but the body is not the key authorization (got \"{got}\")"),
        ca_message,
    }
}

fn judge_error(error: &FetchError, ip: &str, url: &str, profile: &Profile) -> Judgement {
    let fail = |code: Code, detail: String, message: String| Judgement::Fail {
        code,
        detail,
        ca_message: message,
    };
    let fetching = |what: &str| format!("{ip}: Fetching {url}: {what}");

    match error {
        // A redirect host comes from the server, and resolver errors quote it.
        FetchError::Dns(ResolveError::NoAddress { detail, .. }) => {
            let detail = sanitize::escape(detail);
            fail(Code::DnsNoAddress, detail.clone(), format!("DNS problem: {detail}"))
        }
        FetchError::Dns(ResolveError::LookupFailed { detail }) => fail(
            Code::DnsLookupFailed,
            format!("DNS lookup failed: {}", sanitize::escape(detail)),
            format!("DNS problem: {}", sanitize::escape(detail)),
        ),
        FetchError::ConnectRefused => fail(
            Code::ConnectionRefused,
            format!("connecting to {ip} for {url} was refused"),
            fetching("Connection refused"),
        ),
        FetchError::ConnectTimeout => fail(
            Code::ConnectTimeout,
            format!("connecting to {ip} for {url} timed out"),
            fetching("Timeout during connect (likely firewall problem)"),
        ),
        FetchError::ConnectUnreachable(reason) => fail(
            Code::NetworkUnreachable,
            format!("connecting to {ip} for {url} failed: {reason}"),
            fetching("Network unreachable"),
        ),
        FetchError::ConnectOther(reason) => fail(
            Code::ConnectionRefused,
            format!("connecting to {ip} for {url} failed: {reason}"),
            fetching("Error getting validation data"),
        ),
        FetchError::ResponseTimeout => fail(
            Code::ResponseTimeout,
            format!("{url} accepted the connection but sent no complete answer before the deadline"),
            fetching("Timeout after connect (your server may be slow or overloaded)"),
        ),
        FetchError::Reset(reason) => fail(
            Code::ConnectionReset,
            format!("{url}: the server reset the connection ({reason})"),
            fetching("Connection reset by peer"),
        ),
        FetchError::BodyRead(reason) => fail(
            Code::ConnectionReset,
            format!("{url}: the body broke off ({})", sanitize::escape(reason)),
            format!("{ip}: Invalid response from {url}: the body could not be read"),
        ),
        FetchError::ClosedEarly => fail(
            Code::ConnectionReset,
            format!("{url}: the server closed the connection without a complete answer"),
            fetching("Error getting validation data"),
        ),
        FetchError::Tls(reason) => fail(
            Code::TlsFailed,
            format!("{url}: TLS handshake failed: {}", sanitize::escape(reason)),
            fetching(&format!("remote error: tls: {}", sanitize::escape(reason))),
        ),
        FetchError::HttpOnHttpsPort => fail(
            Code::HttpOnHttpsPort,
            format!("{url}: the HTTPS port answered the TLS handshake with plain HTTP"),
            fetching("Server only speaks HTTP, not TLS"),
        ),
        FetchError::Http2Preface => fail(
            Code::Http2OnHttpPort,
            format!("{url}: the HTTP port answered with an HTTP/2 frame"),
            fetching("Server is speaking HTTP/2 over HTTP"),
        ),
        FetchError::HeadTooLarge => fail(
            Code::MalformedResponse,
            format!("{url}: the response head is larger than 64 KiB or has more than 100 headers"),
            fetching("Error getting validation data"),
        ),
        FetchError::Flooded => fail(
            Code::MalformedResponse,
            format!(
                "{url}: the server sent more than {} KiB without completing a response (for example endless 1xx interim responses)",
                crate::fetch::MAX_CONNECTION_BYTES / 1024
            ),
            fetching("Error getting validation data"),
        ),
        FetchError::Malformed(reason) => fail(
            Code::MalformedResponse,
            format!("{url}: the answer is not valid HTTP/1.1 ({})", sanitize::escape(reason)),
            fetching("Error getting validation data"),
        ),
        FetchError::BadLocation(location, reason) => fail(
            Code::RedirectInvalid,
            format!("{url} redirects to \"{location}\", which {reason}"),
            fetching(&format!("Error following redirect: invalid Location \"{location}\"")),
        ),
        FetchError::Redirect(violation) => judge_redirect(violation, ip, url, profile),
    }
}

fn judge_redirect(violation: &RedirectViolation, ip: &str, url: &str, profile: &Profile) -> Judgement {
    // Host names in a violation are as the server wrote them.
    let shown = |host: &str| sanitize::escape(host);
    let (code, detail, why) = match violation {
        RedirectViolation::TooMany { limit } => (
            Code::RedirectTooMany,
            format!("{url} is one redirect more than the {limit} the CA follows"),
            "Too many redirects".to_string(),
        ),
        RedirectViolation::DisallowedStatus(status) => (
            Code::RedirectDisallowedStatus,
            format!("{url} redirects with status {status}; the CA follows only {:?}", profile.redirect_statuses),
            format!("received disallowed redirect status code {status}"),
        ),
        RedirectViolation::BadScheme(scheme) => (
            Code::RedirectBadScheme,
            format!("{url} redirects to the scheme {scheme:?}"),
            format!("Invalid protocol scheme in redirect target. Only \"http\" and \"https\" protocol schemes are supported, not {scheme:?}"),
        ),
        RedirectViolation::BadPort(port) => (
            Code::RedirectBadPort,
            format!("{url} redirects to port {port}"),
            format!("Invalid port in redirect target. Only ports 80 and 443 are supported, not {port}"),
        ),
        RedirectViolation::EmptyHost => (
            Code::RedirectBadHost,
            format!("{url} redirects to a URL with no host"),
            "Invalid empty hostname in redirect target".to_string(),
        ),
        RedirectViolation::MissingSlash(host) => (
            Code::RedirectMissingSlash,
            format!("{url} redirects to the host {}: the slash before .well-known is missing", shown(host)),
            format!(
                "Invalid host in redirect target \"{}\". Check webserver config for missing '/' in redirect target.",
                shown(host)
            ),
        ),
        RedirectViolation::IpZone(host) => (
            Code::RedirectBadHost,
            format!("{url} redirects to {}, an IPv6 address with a zone", shown(host)),
            "Invalid host in redirect target: contains zone specifier".to_string(),
        ),
        RedirectViolation::ReservedIp { addr, block } => (
            Code::RedirectBadHost,
            format!("{url} redirects to {addr}, a reserved address ({block})"),
            format!("Invalid host in redirect target: IP address is in a reserved address block: {block}"),
        ),
        RedirectViolation::NotPublicSuffix(host) => (
            Code::RedirectBadHost,
            format!("{url} redirects to {}, which does not end in a public top-level domain", shown(host)),
            "Invalid hostname in redirect target, must end in IANA registered TLD".to_string(),
        ),
        RedirectViolation::PathTooLong(len) => (
            Code::RedirectTooLong,
            format!("{url} redirects to a path of {len} bytes"),
            "Redirect target too long".to_string(),
        ),
        RedirectViolation::Loop(target) => (
            Code::RedirectLoop,
            format!("{url} redirects to {target}, which the chain already requested"),
            "Redirect loop detected".to_string(),
        ),
    };
    Judgement::Fail {
        code,
        detail,
        ca_message: format!("{ip}: Fetching {url}: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
    }
}
