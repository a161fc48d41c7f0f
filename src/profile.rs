//! CA profiles: the rules one certificate authority applies to an HTTP-01 fetch.
//!
//! Each profile is data plus a few small functions, so the fetcher has no CA-specific
//! branches. The `letsencrypt` rules are those of Let's Encrypt's validation authority,
//! Boulder (`va/http.go`, mid-2026); the `pebble` rules are those of Pebble, the test CA
//! (`va/va.go`), whose HTTP client keeps Go's `net/http` defaults.

use std::time::Duration;

use crate::reserved;
use crate::url::{Host, Url};

/// Which CA's rules a check follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileName {
    /// Let's Encrypt in production (Boulder's validation authority).
    Letsencrypt,
    /// Pebble, the ACME test CA.
    Pebble,
}

impl ProfileName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Letsencrypt => "letsencrypt",
            ProfileName::Pebble => "pebble",
        }
    }

    pub fn profile(self) -> &'static Profile {
        match self {
            ProfileName::Letsencrypt => &LETSENCRYPT,
            ProfileName::Pebble => &PEBBLE,
        }
    }
}

/// Which bytes a CA strips from the end of the body before it compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Every character with the Unicode White_Space property, as Go's `unicode.IsSpace`.
    UnicodeWhitespace,
    /// Only `\n`, `\r` and `\t`.
    NewlinesAndTabs,
}

/// Which resolved addresses a CA connects to, and when it moves on to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressChoice {
    /// The first AAAA address, then the first A address only when the IPv6 connection
    /// fails to open (refused, unreachable, connect timeout).
    Ipv6ThenIpv4OnDialError,
    /// The first address (AAAA before A) and nothing else.
    FirstOnly,
}

/// Where a redirect without an explicit port connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortlessRedirect {
    /// To the configured HTTP or HTTPS port, by scheme.
    ConfiguredPorts,
    /// To 80 or 443, by scheme, whatever the configured ports are.
    WellKnownPorts,
}

/// The rules of one CA.
#[derive(Debug)]
pub struct Profile {
    pub name: ProfileName,
    /// The CA's name in sentences ("Let's Encrypt would report: ...").
    pub ca_name: &'static str,
    pub user_agent: &'static str,
    /// Redirects followed; one more is rejected as too many.
    pub max_redirects: usize,
    pub redirect_statuses: &'static [u16],
    /// Whether an explicit port in a redirect must be the HTTP or the HTTPS port.
    pub restricts_redirect_ports: bool,
    pub portless_redirect: PortlessRedirect,
    /// Whether the first URL, and so the `Host` header, carries the HTTP port.
    pub port_in_url: bool,
    /// A body of this many bytes or more fails; `None` reads the whole body.
    pub body_limit: Option<usize>,
    pub trim: Trim,
    /// Whether a redirect back to an earlier URL is rejected before it is followed.
    pub detects_loops: bool,
    /// Whether a redirect host must end in a public suffix of the ICANN section.
    pub requires_public_suffix: bool,
    /// Whether a redirect host ending in `.well-known` is rejected as a missing slash.
    pub detects_missing_slash: bool,
    /// Longest decoded redirect path accepted, in bytes.
    pub max_redirect_path: Option<usize>,
    /// Whether addresses in IANA's special-purpose registries are dropped (from DNS
    /// answers) and rejected (as redirect targets).
    pub rejects_reserved_addresses: bool,
    pub address_choice: AddressChoice,
    /// The CA's own deadline for one validation, used as the default `--timeout`.
    pub deadline: Duration,
    /// The issuer domain CAA records must name, or `None` for a CA that skips CAA.
    pub caa_identity: Option<&'static str>,
}

/// Let's Encrypt's validation authority, one perspective.
pub static LETSENCRYPT: Profile = Profile {
    name: ProfileName::Letsencrypt,
    ca_name: "Let's Encrypt",
    user_agent: "Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)",
    max_redirects: 11,
    redirect_statuses: &[301, 302, 307, 308],
    restricts_redirect_ports: true,
    portless_redirect: PortlessRedirect::ConfiguredPorts,
    port_in_url: false,
    body_limit: Some(128),
    trim: Trim::UnicodeWhitespace,
    detects_loops: true,
    requires_public_suffix: true,
    detects_missing_slash: true,
    max_redirect_path: Some(2000),
    rejects_reserved_addresses: true,
    address_choice: AddressChoice::Ipv6ThenIpv4OnDialError,
    deadline: Duration::from_secs(20),
    caa_identity: Some("letsencrypt.org"),
};

/// Pebble, whose HTTP client follows Go's defaults: 10 requests at most, so 9 redirects.
pub static PEBBLE: Profile = Profile {
    name: ProfileName::Pebble,
    ca_name: "Pebble",
    user_agent: "LetsEncrypt-Pebble-VA (linux; amd64)",
    max_redirects: 9,
    redirect_statuses: &[301, 302, 303, 307, 308],
    restricts_redirect_ports: false,
    portless_redirect: PortlessRedirect::WellKnownPorts,
    port_in_url: true,
    body_limit: None,
    trim: Trim::NewlinesAndTabs,
    detects_loops: false,
    requires_public_suffix: false,
    detects_missing_slash: false,
    max_redirect_path: None,
    rejects_reserved_addresses: false,
    address_choice: AddressChoice::FirstOnly,
    deadline: Duration::from_secs(15),
    caa_identity: None,
};

/// The ports a check uses: where the first request goes and where redirects may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub http: u16,
    pub https: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            http: 80,
            https: 443,
        }
    }
}

/// A redirect that the CA rejects, in the order the CA checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectViolation {
    TooMany { limit: usize },
    DisallowedStatus(u16),
    BadScheme(String),
    BadPort(u16),
    EmptyHost,
    MissingSlash(String),
    IpZone(String),
    ReservedIp { addr: String, block: &'static str },
    NotPublicSuffix(String),
    PathTooLong(usize),
    Loop(String),
}

impl Profile {
    /// Reports whether `status` with a `Location` header is a redirect for this CA.
    ///
    /// Go's client follows only 301, 302, 303, 307 and 308; 300, 304, 305, 306 and any 3xx
    /// without `Location` are final answers, so they fail as an unexpected status.
    pub fn is_redirect(&self, status: u16, has_location: bool) -> bool {
        has_location && matches!(status, 301 | 302 | 303 | 307 | 308)
    }

    /// Checks one redirect against the CA's rules, in the CA's order.
    ///
    /// `followed` is the number of redirects already followed; `earlier` holds the URLs of
    /// the earlier hops; `is_pinned` tells whether a name was pinned with `--resolve`,
    /// which makes it count as a public name.
    pub fn check_redirect(
        &self,
        ports: Ports,
        followed: usize,
        status: u16,
        target: &Url,
        earlier: &[String],
        is_pinned: &dyn Fn(&str) -> bool,
    ) -> Result<(), RedirectViolation> {
        if followed >= self.max_redirects {
            return Err(RedirectViolation::TooMany {
                limit: self.max_redirects,
            });
        }

        if !self.redirect_statuses.contains(&status) {
            return Err(RedirectViolation::DisallowedStatus(status));
        }

        if target.scheme != "http" && target.scheme != "https" {
            return Err(RedirectViolation::BadScheme(target.scheme.clone()));
        }

        if let Some(port) = target.port
            && self.restricts_redirect_ports
            && port != ports.http
            && port != ports.https
        {
            return Err(RedirectViolation::BadPort(port));
        }

        self.check_redirect_host(&target.host, is_pinned)?;

        let path_len = target.decoded_path().len();
        if let Some(max) = self.max_redirect_path
            && path_len > max
        {
            return Err(RedirectViolation::PathTooLong(path_len));
        }

        let url = target.to_string();
        if self.detects_loops && earlier.iter().any(|u| *u == url) {
            return Err(RedirectViolation::Loop(url));
        }

        Ok(())
    }

    fn check_redirect_host(
        &self,
        host: &Host,
        is_pinned: &dyn Fn(&str) -> bool,
    ) -> Result<(), RedirectViolation> {
        match host {
            Host::Empty => Err(RedirectViolation::EmptyHost),
            Host::Name(name) => {
                if self.detects_missing_slash && name.ends_with(".well-known") {
                    return Err(RedirectViolation::MissingSlash(name.clone()));
                }
                if self.requires_public_suffix && !is_pinned(name) && !has_icann_suffix(name) {
                    return Err(RedirectViolation::NotPublicSuffix(name.clone()));
                }
                Ok(())
            }
            Host::V6 { zone: Some(zone), addr } if self.rejects_reserved_addresses => {
                Err(RedirectViolation::IpZone(format!("[{addr}%{zone}]")))
            }
            Host::V4(addr) if self.rejects_reserved_addresses => check_ip(std::net::IpAddr::V4(*addr)),
            Host::V6 { addr, .. } if self.rejects_reserved_addresses => {
                check_ip(std::net::IpAddr::V6(*addr))
            }
            _ => Ok(()),
        }
    }

    /// Returns the port a URL connects to under this profile.
    pub fn port_for(&self, url: &Url, ports: Ports) -> u16 {
        if let Some(port) = url.port {
            return port;
        }
        let https = url.scheme == "https";
        match (self.portless_redirect, https) {
            (PortlessRedirect::ConfiguredPorts, false) => ports.http,
            (PortlessRedirect::ConfiguredPorts, true) => ports.https,
            (PortlessRedirect::WellKnownPorts, false) => 80,
            (PortlessRedirect::WellKnownPorts, true) => 443,
        }
    }

    /// Returns the body with the trailing characters this CA trims removed.
    pub fn trim_body<'a>(&self, body: &'a str) -> &'a str {
        match self.trim {
            Trim::UnicodeWhitespace => body.trim_end_matches(char::is_whitespace),
            Trim::NewlinesAndTabs => body.trim_end_matches(['\n', '\r', '\t']),
        }
    }
}

fn check_ip(addr: std::net::IpAddr) -> Result<(), RedirectViolation> {
    match reserved::special_purpose(addr) {
        Some(block) => Err(RedirectViolation::ReservedIp {
            addr: addr.to_string(),
            block,
        }),
        None => Ok(()),
    }
}

/// Reports whether `name` ends in a top-level domain from the ICANN section of the Public
/// Suffix List, with no implicit `*` rule for unknown names.
pub fn has_icann_suffix(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    let tld = name.rsplit('.').next().unwrap_or(name);
    if tld.is_empty() {
        return false;
    }
    matches!(
        psl::suffix(tld.as_bytes()).map(|s| s.typ()),
        Some(Some(psl::Type::Icann))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::resolve_location;

    fn base() -> Url {
        Url::http(Host::Name("example.com".into()), None, "/.well-known/acme-challenge/t")
    }

    fn check(profile: &Profile, followed: usize, status: u16, location: &str) -> Result<(), RedirectViolation> {
        let target = resolve_location(&base(), location).unwrap();
        let earlier = vec![base().to_string()];
        profile.check_redirect(Ports::default(), followed, status, &target, &earlier, &|_| false)
    }

    #[test]
    fn count_is_checked_before_status() {
        assert_eq!(
            check(&LETSENCRYPT, 11, 303, "/x"),
            Err(RedirectViolation::TooMany { limit: 11 })
        );
        assert_eq!(check(&LETSENCRYPT, 10, 303, "/x"), Err(RedirectViolation::DisallowedStatus(303)));
        assert_eq!(check(&PEBBLE, 8, 303, "/x"), Ok(()));
        assert_eq!(check(&PEBBLE, 9, 301, "/x"), Err(RedirectViolation::TooMany { limit: 9 }));
    }

    #[test]
    fn ports_and_schemes() {
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http://example.com:443/x"), Ok(()));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "https://example.com:8443/x"), Err(RedirectViolation::BadPort(8443)));
        assert_eq!(check(&PEBBLE, 0, 301, "https://example.com:8443/x"), Ok(()));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "gopher://example.com/"), Err(RedirectViolation::BadScheme("gopher".into())));
    }

    #[test]
    fn hosts() {
        assert!(matches!(check(&LETSENCRYPT, 0, 301, "http://10.10.10.10/x"), Err(RedirectViolation::ReservedIp { .. })));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http://1.1.1.1/x"), Ok(()));
        assert!(matches!(check(&LETSENCRYPT, 0, 301, "http://[::1%25lo]/x"), Err(RedirectViolation::IpZone(_))));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http://host.invalid/x"), Err(RedirectViolation::NotPublicSuffix("host.invalid".into())));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http://localhost/x"), Err(RedirectViolation::NotPublicSuffix("localhost".into())));
        assert!(matches!(check(&LETSENCRYPT, 0, 301, "http://example.com.well-known/acme-challenge/t"), Err(RedirectViolation::MissingSlash(_))));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http:///x"), Err(RedirectViolation::EmptyHost));
    }

    #[test]
    fn loops_and_length() {
        assert!(matches!(check(&LETSENCRYPT, 0, 301, "/.well-known/acme-challenge/t"), Err(RedirectViolation::Loop(_))));
        assert_eq!(check(&LETSENCRYPT, 0, 301, "http://example.com:80/.well-known/acme-challenge/t"), Ok(()));
        let long = format!("/{}", "a".repeat(2000));
        assert_eq!(check(&LETSENCRYPT, 0, 301, &long), Err(RedirectViolation::PathTooLong(2001)));
    }

    #[test]
    fn public_suffix() {
        assert!(has_icann_suffix("example.com"));
        assert!(has_icann_suffix("a.b.co.uk"));
        assert!(!has_icann_suffix("example.invalid"));
        assert!(!has_icann_suffix("printer.lan"));
        assert!(!has_icann_suffix("localhost"));
    }

    #[test]
    fn trimming() {
        assert_eq!(LETSENCRYPT.trim_body("ka \t\n\u{a0}\u{3000}"), "ka");
        assert_eq!(PEBBLE.trim_body("ka \n"), "ka ");
        assert_eq!(LETSENCRYPT.trim_body("\u{feff}ka"), "\u{feff}ka");
    }
}
