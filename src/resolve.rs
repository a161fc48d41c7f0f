//! Name resolution: `--resolve` pins, the system's resolver, or one `--dns-server`.
//!
//! Let's Encrypt looks up A and AAAA in parallel, drops addresses from IANA's
//! special-purpose registries, and fails only when neither family leaves a usable address.
//! The order of the records is the resolver's: nothing here sorts them, because the CA
//! connects to the first of each family.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::sync::OnceCell;

use crate::reserved;

/// Addresses pinned with `--resolve`, by lowercased host name, in the order given.
#[derive(Clone, Debug, Default)]
pub struct Pins {
    hosts: HashMap<String, Vec<IpAddr>>,
}

impl Pins {
    /// Parses curl's `HOST:PORT:ADDR[,ADDR...]` form. The port is accepted as a number or
    /// `*` and ignored, because a pin applies to every port. Repeated pins for one host add
    /// to its list.
    pub fn parse(specs: &[String]) -> Result<Pins, String> {
        let mut pins = Pins::default();
        for spec in specs {
            let (host, addrs) = parse_pin(spec)?;
            pins.hosts.entry(host).or_default().extend(addrs);
        }
        Ok(pins)
    }

    pub fn get(&self, host: &str) -> Option<&[IpAddr]> {
        self.hosts.get(&host.to_ascii_lowercase()).map(Vec::as_slice)
    }

    pub fn contains(&self, host: &str) -> bool {
        self.get(host).is_some()
    }
}

fn parse_pin(spec: &str) -> Result<(String, Vec<IpAddr>), String> {
    let usage = "expected HOST:PORT:ADDR[,ADDR...], for example example.com:80:127.0.0.1";

    let (host, rest) = spec
        .split_once(':')
        .ok_or_else(|| format!("invalid --resolve value {spec:?}: {usage}"))?;
    let (port, addr_list) = rest
        .split_once(':')
        .ok_or_else(|| format!("invalid --resolve value {spec:?}: {usage}"))?;

    if host.is_empty() {
        return Err(format!("invalid --resolve value {spec:?}: the host is empty; {usage}"));
    }
    if port != "*" && !port.parse::<u16>().is_ok_and(|p| p > 0) {
        return Err(format!(
            "invalid --resolve value {spec:?}: port {port:?} is not a number from 1 to 65535 or *; {usage}"
        ));
    }

    let mut addrs = Vec::new();
    for item in addr_list.split(',') {
        let bare = item
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(item);
        let addr = bare.parse::<IpAddr>().map_err(|_| {
            format!("invalid --resolve value {spec:?}: {item:?} is not an IPv4 or IPv6 address; {usage}")
        })?;
        addrs.push(addr);
    }

    Ok((host.to_ascii_lowercase(), addrs))
}

/// Where a host's addresses came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Pinned,
    Dns,
    Literal,
}

/// The usable addresses of one host, by family, in the resolver's order.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Addresses {
    pub source: Source,
    pub ipv6: Vec<IpAddr>,
    pub ipv4: Vec<IpAddr>,
    /// Addresses DNS returned that the CA would drop, with the registry block's name.
    pub dropped: Vec<(IpAddr, &'static str)>,
    /// Reserved addresses kept because of `--allow-private`, which a public CA would drop.
    pub kept_reserved: Vec<(IpAddr, &'static str)>,
}

impl Addresses {
    /// Returns every usable address, AAAA first.
    pub fn all(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ipv6.iter().chain(self.ipv4.iter()).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.ipv6.is_empty() && self.ipv4.is_empty()
    }

    fn from_list(source: Source, list: &[IpAddr]) -> Addresses {
        Addresses {
            source,
            ipv6: list.iter().filter(|a| a.is_ipv6()).copied().collect(),
            ipv4: list.iter().filter(|a| a.is_ipv4()).copied().collect(),
            dropped: Vec::new(),
            kept_reserved: Vec::new(),
        }
    }
}

/// Why a host has no usable address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// The lookups worked but left no usable address. `dropped` lists the reserved
    /// addresses that the CA would not use.
    NoAddress {
        detail: String,
        dropped: Vec<(IpAddr, &'static str)>,
    },
    /// A lookup failed: NXDOMAIN, SERVFAIL, a timeout or no reachable resolver.
    LookupFailed { detail: String },
}

/// How names are resolved for one run.
pub struct Resolver {
    pins: Pins,
    dns_server: Option<SocketAddr>,
    /// Keep reserved addresses from DNS, as a private CA would.
    allow_private: bool,
    dns: OnceCell<Result<TokioResolver, String>>,
}

impl Resolver {
    pub fn new(pins: Pins, dns_server: Option<SocketAddr>, allow_private: bool) -> Resolver {
        Resolver {
            pins,
            dns_server,
            allow_private,
            dns: OnceCell::new(),
        }
    }

    pub fn pins(&self) -> &Pins {
        &self.pins
    }

    /// Looks up a host's addresses. `drop_reserved` follows the CA profile; pinned
    /// addresses and IP literals are kept whatever it says.
    pub async fn lookup(&self, host: &str, drop_reserved: bool) -> Result<Addresses, ResolveError> {
        if let Some(list) = self.pins.get(host) {
            return Ok(Addresses::from_list(Source::Pinned, list));
        }

        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(addr) = bare.parse::<IpAddr>() {
            return Ok(Addresses::from_list(Source::Literal, &[addr]));
        }

        let dns = match self.dns().await {
            Ok(dns) => dns,
            Err(message) => {
                return Err(ResolveError::LookupFailed {
                    detail: message.clone(),
                });
            }
        };

        // A trailing dot keeps the resolver from appending search domains.
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let (v4, v6) = tokio::join!(dns.ipv4_lookup(fqdn.as_str()), dns.ipv6_lookup(fqdn.as_str()));

        let mut addresses = Addresses {
            source: Source::Dns,
            ipv6: Vec::new(),
            ipv4: Vec::new(),
            dropped: Vec::new(),
            kept_reserved: Vec::new(),
        };
        let v4 = collect_family(v4, &mut addresses.ipv4);
        let v6 = collect_family(v6, &mut addresses.ipv6);

        if drop_reserved && self.allow_private {
            addresses.kept_reserved = addresses
                .all()
                .filter_map(|addr| reserved::special_purpose(addr).map(|block| (addr, block)))
                .collect();
        }

        if drop_reserved && !self.allow_private {
            for list in [&mut addresses.ipv6, &mut addresses.ipv4] {
                list.retain(|addr| match reserved::special_purpose(*addr) {
                    Some(block) => {
                        addresses.dropped.push((*addr, block));
                        false
                    }
                    None => true,
                });
            }
        }

        if !addresses.is_empty() {
            return Ok(addresses);
        }

        match (v4, v6) {
            (FamilyResult::Failed(a), FamilyResult::Failed(b)) if a == b => {
                Err(ResolveError::LookupFailed { detail: a })
            }
            (FamilyResult::Failed(a), FamilyResult::Failed(b)) => Err(ResolveError::LookupFailed {
                detail: format!("A lookup: {a}; AAAA lookup: {b}"),
            }),
            (FamilyResult::Failed(detail), _) | (_, FamilyResult::Failed(detail)) => {
                Err(ResolveError::LookupFailed { detail })
            }
            _ => {
                let mut detail =
                    format!("no valid A records found for {host}; no valid AAAA records found for {host}");
                if !addresses.dropped.is_empty() {
                    let list: Vec<String> =
                        addresses.dropped.iter().map(|(a, _)| a.to_string()).collect();
                    detail.push_str(&format!(" (dropped reserved addresses: {})", list.join(", ")));
                }
                Err(ResolveError::NoAddress {
                    detail,
                    dropped: addresses.dropped,
                })
            }
        }
    }

    /// Whether DNS lookups go to a server given with `--dns-server`.
    pub fn has_dns_server(&self) -> bool {
        self.dns_server.is_some()
    }

    /// Whether reserved addresses are accepted, as a private CA would (`--allow-private`).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The server given with `--dns-server`, if any.
    pub fn dns_server(&self) -> Option<SocketAddr> {
        self.dns_server
    }

    /// Looks up the CAA records of exactly `name`. An empty answer or NXDOMAIN is an empty
    /// set; any other failure is an error, as at the CA.
    pub async fn caa(&self, name: &str) -> Result<Vec<crate::caa::CaaRecord>, String> {
        let dns = self.dns().await.as_ref().map_err(Clone::clone)?;
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match dns.lookup(fqdn.as_str(), RecordType::CAA).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::CAA(caa) => Some(crate::caa::CaaRecord {
                        critical: caa.issuer_critical,
                        tag: caa.tag.clone(),
                        value: String::from_utf8_lossy(&caa.value).into_owned(),
                    }),
                    _ => None,
                })
                .collect()),
            Err(error) if error.is_nx_domain() || error.is_no_records_found() => Ok(Vec::new()),
            Err(error) => Err(format!("looking up CAA for {name}: {error}")),
        }
    }

    async fn dns(&self) -> &Result<TokioResolver, String> {
        self.dns
            .get_or_init(|| async { build_resolver(self.dns_server) })
            .await
    }
}

enum FamilyResult {
    Found,
    Empty,
    Failed(String),
}

fn collect_family(
    result: Result<hickory_resolver::lookup::Lookup, NetError>,
    into: &mut Vec<IpAddr>,
) -> FamilyResult {
    match result {
        Ok(lookup) => {
            for record in lookup.answers() {
                match &record.data {
                    RData::A(a) => into.push(IpAddr::V4(a.0)),
                    RData::AAAA(aaaa) => into.push(IpAddr::V6(aaaa.0)),
                    // CNAME records on the way to the address are followed by the resolver.
                    _ => {}
                }
            }
            if into.is_empty() {
                FamilyResult::Empty
            } else {
                FamilyResult::Found
            }
        }
        Err(error) if error.is_nx_domain() => FamilyResult::Failed("NXDOMAIN".to_string()),
        Err(error) if error.is_no_records_found() => FamilyResult::Empty,
        Err(error) => FamilyResult::Failed(error.to_string()),
    }
}

fn build_resolver(dns_server: Option<SocketAddr>) -> Result<TokioResolver, String> {
    let mut builder = match dns_server {
        Some(server) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = server.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = server.port();
            let name_server = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
            let config = ResolverConfig::from_parts(None, vec![], vec![name_server]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the system's resolver configuration: {e}"))?,
    };

    // The CA asks DNS, never /etc/hosts.
    builder.options_mut().use_hosts_file = ResolveHosts::Never;
    builder
        .build()
        .map_err(|e| format!("cannot set up the DNS resolver: {e}"))
}

/// Parses `--dns-server ADDR[:PORT]`: an IPv4 address, a bracketed IPv6 address with a
/// port, or a bare IPv6 address; the port defaults to 53.
pub fn parse_dns_server(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "invalid --dns-server value {text:?}: expected ADDR or ADDR:PORT, for example 127.0.0.1:53 or [::1]:5353"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_curl_form() {
        let pins = Pins::parse(&[
            "Example.test:80:127.0.0.1".into(),
            "example.test:*:[::1],127.0.0.2".into(),
        ])
        .unwrap();
        let list = pins.get("example.test").unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[1], "::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn pins_reject_bad_values() {
        for bad in ["example.test", "example.test:80", ":80:127.0.0.1", "h:port:127.0.0.1", "h:80:nope", "h:80:"] {
            let err = Pins::parse(&[bad.to_string()]).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn dns_server_forms() {
        assert_eq!(parse_dns_server("127.0.0.1").unwrap().port(), 53);
        assert_eq!(parse_dns_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_dns_server("[::1]:5353").unwrap().port(), 5353);
        assert_eq!(parse_dns_server("::1").unwrap().port(), 53);
        assert!(parse_dns_server("dns.example").is_err());
    }
}
