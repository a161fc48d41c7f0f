//! One check of one name: place the token, resolve, fetch, diagnose, report.
//!
//! Every address of the name is fetched `attempts` times, each on a fresh connection and
//! all at once, because the CA's perspectives fetch independently and resolvers rotate
//! records. The verdict then follows the CA's address rules (see [`decide`]). Only when a
//! fetch fails does the diagnosis make extra requests.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use crate::caa::{self, CaaOutcome};
use crate::diagnose::{self, Observations, Probe};
use crate::fetch::{self, Chain, FetchConfig};
use crate::finding::{Code, Finding, Judgement, Severity, judge};
use crate::fixes::FixContext;
use crate::profile::{AddressChoice, Ports, Profile};
use crate::report::{AddressReport, DomainReport, HopReport, Verdict};
use crate::resolve::{Addresses, ResolveError, Resolver};
use crate::token::{Challenge, random_base64url};
use crate::url::{Host, parse_host};
use crate::webroot::{self, Layout, SharedLedger};

/// Addresses of one name that are fetched; more are listed but not fetched.
const MAX_ADDRESSES: usize = 8;

/// Resolved settings for a check run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub profile: &'static Profile,
    pub ports: Ports,
    pub timeout: Duration,
    pub attempts: usize,
    pub layout: Option<Layout>,
    /// A token and key authorization written by an ACME client, instead of a random one.
    pub given: Option<Challenge>,
}

/// Shared state for the checks of one run.
pub struct Checker<'a> {
    pub settings: &'a Settings,
    pub resolver: &'a Resolver,
    pub ledger: &'a SharedLedger,
    pub limits: &'a AddressLimits,
    /// Leftover files found per challenge folder, scanned once per run before the first
    /// token is placed there, so a run never mistakes its own files for leftovers and a
    /// bulk run does not reread the folder for every name.
    pub leftovers: &'a LeftoverScan,
}

/// Leftover files per challenge folder, found once per run.
#[derive(Default)]
pub struct LeftoverScan {
    scanned: std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<Vec<PathBuf>>>>,
}

impl LeftoverScan {
    fn get(&self, ledger: &SharedLedger, layout: &Layout) -> std::sync::Arc<Vec<PathBuf>> {
        let mut map = self.scanned.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(layout.challenge_dir())
            .or_insert_with(|| std::sync::Arc::new(webroot::find_leftovers(ledger, layout)))
            .clone()
    }
}

/// Fetches in flight to one address at a time, across all the names of a run. Many sites
/// often share one address, and a bulk run must not open thousands of connections to it.
pub struct AddressLimits {
    per_address: usize,
    semaphores: std::sync::Mutex<std::collections::HashMap<IpAddr, std::sync::Arc<tokio::sync::Semaphore>>>,
}

impl AddressLimits {
    /// Fetches to one address at once by default: enough to keep a local nginx busy on two
    /// cores, and far below what a small production server accepts.
    pub const DEFAULT: usize = 64;

    pub fn new(per_address: usize) -> AddressLimits {
        AddressLimits {
            per_address: per_address.max(1),
            semaphores: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    async fn acquire(&self, addr: IpAddr) -> tokio::sync::OwnedSemaphorePermit {
        let semaphore = {
            let mut map = self.semaphores.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(addr)
                .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(self.per_address)))
                .clone()
        };
        semaphore.acquire_owned().await.expect("the semaphore is never closed")
    }
}

/// The outcome of the attempts on one address.
pub struct AddressOutcome {
    pub addr: IpAddr,
    pub results: Vec<(Chain, Judgement)>,
}

impl AddressOutcome {
    /// The first failing judgement, or a pass.
    fn worst(&self) -> (&Chain, &Judgement) {
        let failing = self.results.iter().find(|(_, j)| !j.is_pass());
        let (chain, judgement) = failing.unwrap_or(&self.results[0]);
        (chain, judgement)
    }

    fn passed(&self) -> usize {
        self.results.iter().filter(|(_, j)| j.is_pass()).count()
    }

    fn all_pass(&self) -> bool {
        self.passed() == self.results.len()
    }

    fn all_dial_errors(&self) -> bool {
        self.results.iter().all(|(_, j)| j.is_dial_error())
    }

    fn is_mixed(&self) -> bool {
        let first = self.results[0].1.code();
        self.results.iter().any(|(_, j)| j.code() != first)
    }
}

impl Checker<'_> {
    /// Checks one name with the run's webroot and removes what it wrote, whatever happens.
    pub async fn check(&self, domain: &str) -> DomainReport {
        self.check_with(domain, self.settings.layout.as_ref()).await
    }

    /// Checks one name with its own webroot (`None` for a token held only in memory).
    pub async fn check_with(&self, domain: &str, layout: Option<&Layout>) -> DomainReport {
        let started = Instant::now();
        let profile_name = self.settings.profile.name.as_str();

        let challenge = match &self.settings.given {
            Some(given) => given.clone(),
            None => match Challenge::random() {
                Ok(c) => c,
                Err(e) => return DomainReport::error(domain, profile_name, format!("cannot get random bytes: {e}")),
            },
        };

        let leftovers = match layout {
            Some(layout) => self.leftovers.get(self.ledger, layout),
            None => std::sync::Arc::new(Vec::new()),
        };

        let placed = match layout {
            Some(layout) => {
                let dir = layout.challenge_dir();
                match webroot::place(
                    self.ledger,
                    layout.given(),
                    &dir,
                    &challenge.token,
                    challenge.key_authorization.as_bytes(),
                ) {
                    Ok(path) => Some(path),
                    Err(e) => {
                        let message = format!("cannot write the token file in {}: {e}", dir.display());
                        return DomainReport::error(domain, profile_name, message);
                    }
                }
            }
            None => None,
        };

        // The whole name is bounded: the attempts and the probes each take at most one
        // timeout, and DNS is inside the first.
        let limit = self.settings.timeout * 3;
        let mut report = match tokio::time::timeout(limit, self.inspect(domain, layout, &challenge, placed.clone())).await {
            Ok(report) => report,
            Err(_) => DomainReport::error(
                domain,
                profile_name,
                format!("the check did not finish within {:.1} s", limit.as_secs_f64()),
            ),
        };

        if let Some(layout) = layout
            && !leftovers.is_empty()
        {
            report.findings.push(leftover_finding(&leftovers, layout));
        }

        if let Some(path) = placed
            && let Err(e) = webroot::remove(self.ledger, &path)
        {
            report.error.get_or_insert(format!("cannot remove {}: {e}", path.display()));
        }
        report.elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        report
    }

    async fn inspect(
        &self,
        domain: &str,
        layout: Option<&Layout>,
        challenge: &Challenge,
        token_path: Option<PathBuf>,
    ) -> DomainReport {
        let settings = self.settings;
        let profile = settings.profile;
        let mut findings = Vec::new();

        let host = match parse_host(domain) {
            Ok(host) => host,
            Err(e) => return DomainReport::error(domain, profile.name.as_str(), format!("invalid name {domain:?}: {e}")),
        };

        if let Some(finding) = self.identifier_policy(&host) {
            return finish(
                domain,
                profile,
                Verdict::Fail,
                vec![finding],
                Some(format!("Error creating new order :: the identifier {domain} is rejected by the CA's policy")),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
        }

        let lookup = self.resolver.lookup(domain, profile.rejects_reserved_addresses);
        let addresses = match tokio::time::timeout(settings.timeout, lookup).await {
            Ok(Ok(addresses)) => addresses,
            Ok(Err(error)) => return self.dns_failure(domain, error),
            Err(_) => {
                let error = ResolveError::LookupFailed {
                    detail: match self.resolver.dns_server() {
                        Some(server) => format!(
                            "no answer from the DNS server {server} within {:.1} s; check that it runs and answers",
                            settings.timeout.as_secs_f64()
                        ),
                        None => format!(
                            "no answer from the system's resolvers within {:.1} s",
                            settings.timeout.as_secs_f64()
                        ),
                    },
                };
                return self.dns_failure(domain, error);
            }
        };
        findings.extend(reserved_warnings(domain, &addresses));

        let outcomes = self.fetch_all(&host, &addresses, challenge).await;
        let decision = decide(profile.address_choice, &addresses, &outcomes);

        let fix_context = FixContext {
            domain,
            root: layout.and_then(|l| l.document_root()),
            challenge_dir: &layout
                .map(|l| l.challenge_dir())
                .unwrap_or_else(|| PathBuf::from("/.well-known/acme-challenge")),
            http_port: settings.ports.http,
        };

        let address_reports: Vec<AddressReport> = outcomes
            .iter()
            .map(|o| AddressReport {
                address: o.addr.to_string(),
                attempts: o.results.len(),
                passed: o.passed(),
                code: o.worst().1.code(),
            })
            .collect();

        let Some(failing) = decision.failing else {
            findings.extend(decision.warnings);
            let hops = outcomes.first().map(|o| HopReport::from_chain(&o.results[0].0)).unwrap_or_default();
            let caa = self.check_caa(domain).await;
            let verdict = match caa_finding(domain, &caa) {
                Some(finding) => {
                    findings.push(finding);
                    Verdict::Fail
                }
                None => Verdict::Pass,
            };
            let mut report = finish(domain, profile, verdict, findings, None, address_reports, hops, Vec::new());
            report.caa = Some(caa);
            return report;
        };

        let outcome = &outcomes[failing];
        let (chain, judgement) = outcome.worst();
        let probes = if diagnose::needs_probes(judgement) {
            self.probe(&host, outcome.addr, layout.filter(|_| token_path.is_some())).await
        } else {
            Vec::new()
        };

        let observations = Observations {
            domain,
            settings,
            layout,
            fix: &fix_context,
            token_path: token_path.as_deref(),
            chain,
            judgement,
            outcomes: &outcomes,
            failing_index: failing,
            probes: &probes,
        };
        findings.extend(diagnose::diagnose(&observations));
        findings.extend(decision.warnings);

        let ca_message = match judgement {
            Judgement::Fail { ca_message, .. } => Some(ca_message.clone()),
            Judgement::Pass => None,
        };
        let hops = HopReport::from_chain(chain);
        let probe_reports = probes.iter().map(Probe::report).collect();
        let mut report = finish(domain, profile, Verdict::Fail, findings, ca_message, address_reports, hops, probe_reports);
        report.local_path = token_path.as_deref().map(webroot::access_path).unwrap_or_default();
        if report.primary.is_none() {
            report.primary = judgement.code();
        }
        report
    }

    /// Applies the CA's identifier policy: no reserved IP addresses, and names only under a
    /// public top-level domain. Pinned names count as public, as they do for redirects.
    fn identifier_policy(&self, host: &Host) -> Option<Finding> {
        let profile = self.settings.profile;
        if !profile.rejects_reserved_addresses || self.resolver.allows_private() {
            return None;
        }
        let reason = match host {
            Host::V4(addr) => crate::reserved::special_purpose(IpAddr::V4(*addr)).map(|b| format!("{addr} is a reserved address ({b})")),
            Host::V6 { addr, .. } => {
                crate::reserved::special_purpose(IpAddr::V6(*addr)).map(|b| format!("{addr} is a reserved address ({b})"))
            }
            Host::Name(name) if !self.resolver.pins().contains(name) && !crate::profile::has_icann_suffix(name) => {
                Some(format!("{name} does not end in a public top-level domain"))
            }
            _ => None,
        }?;
        Some(Finding {
            code: Code::IdentifierRejected,
            severity: Severity::Error,
            summary: format!("{} would not accept this identifier: {reason}", profile.ca_name),
            cause: "public CAs issue only for public names and public addresses, and refuse the order before any validation".to_string(),
            fix: "request the certificate for the site's public name or address; for an internal name, use a private CA (and check with --allow-private)".to_string(),
            component: None,
            evidence: None,
        })
    }

    /// Checks CAA as the profile's CA would, when the name's DNS can be seen.
    async fn check_caa(&self, domain: &str) -> CaaOutcome {
        let Some(identity) = self.settings.profile.caa_identity else {
            return CaaOutcome::NotChecked {
                detail: format!("{} does not check CAA", self.settings.profile.ca_name),
            };
        };
        if domain.parse::<IpAddr>().is_ok() || domain.starts_with('[') {
            return CaaOutcome::NotChecked {
                detail: "CAA does not apply to IP address identifiers".to_string(),
            };
        }
        if self.resolver.pins().contains(domain) && !self.resolver.has_dns_server() {
            return CaaOutcome::NotChecked {
                detail: "CAA was not checked because the name is pinned with --resolve; give --dns-server to check it"
                    .to_string(),
            };
        }
        match tokio::time::timeout(self.settings.timeout, caa::check(self.resolver, domain, identity)).await {
            Ok(outcome) => outcome,
            Err(_) => CaaOutcome::LookupFailed {
                name: domain.to_string(),
                detail: format!("no CAA answer within {:.1} s", self.settings.timeout.as_secs_f64()),
            },
        }
    }

    fn dns_failure(&self, domain: &str, error: ResolveError) -> DomainReport {
        let profile = self.settings.profile;
        let (code, detail, dropped) = match &error {
            ResolveError::NoAddress { detail, dropped } => (Code::DnsNoAddress, detail.clone(), dropped.clone()),
            ResolveError::LookupFailed { detail } => (Code::DnsLookupFailed, detail.clone(), Vec::new()),
        };
        let fix_context = FixContext {
            domain,
            root: None,
            challenge_dir: std::path::Path::new(""),
            http_port: self.settings.ports.http,
        };
        let (cause, fix) = crate::fixes::symptom(code, &fix_context, "");
        let finding = Finding {
            code,
            severity: Severity::Error,
            summary: format!("DNS for {domain}: {detail}"),
            cause,
            fix,
            component: None,
            evidence: None,
        };
        let warnings = reserved_warnings(
            domain,
            &Addresses {
                source: crate::resolve::Source::Dns,
                ipv6: Vec::new(),
                ipv4: Vec::new(),
                dropped,
                kept_reserved: Vec::new(),
            },
        );
        finish(
            domain,
            profile,
            Verdict::Fail,
            std::iter::once(finding).chain(warnings).collect(),
            Some(format!("DNS problem: {detail}")),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        )
    }

    async fn fetch_all(&self, host: &Host, addresses: &Addresses, challenge: &Challenge) -> Vec<AddressOutcome> {
        let config = self.fetch_config();
        let path = format!("/.well-known/acme-challenge/{}", challenge.token);
        let addrs: Vec<IpAddr> = addresses.all().take(MAX_ADDRESSES).collect();

        let fetches = addrs.iter().flat_map(|addr| {
            let config = &config;
            let path = &path;
            (0..self.settings.attempts).map(move |_| async move {
                let _permit = self.limits.acquire(*addr).await;
                fetch::fetch_chain(config, host, *addr, path).await
            })
        });
        let mut chains = join_all(fetches).await.into_iter();

        addrs
            .iter()
            .map(|addr| {
                let results = (0..self.settings.attempts)
                    .map(|_| {
                        let chain = chains.next().expect("one chain per attempt");
                        let judgement = judge(&chain, &challenge.key_authorization, self.settings.profile);
                        (chain, judgement)
                    })
                    .collect();
                AddressOutcome { addr: *addr, results }
            })
            .collect()
    }

    fn fetch_config(&self) -> FetchConfig<'_> {
        FetchConfig {
            profile: self.settings.profile,
            ports: self.settings.ports,
            resolver: self.resolver,
            timeout: self.settings.timeout,
        }
    }

    /// Runs the diagnostic probes against one address, writing and removing probe files
    /// of the tool's own.
    async fn probe(&self, host: &Host, addr: IpAddr, layout: Option<&Layout>) -> Vec<Probe> {
        let config = self.fetch_config();
        let Ok(missing_token) = random_base64url(32) else {
            return Vec::new();
        };
        let Ok(probe_name) = random_base64url(12) else {
            return Vec::new();
        };
        let probe_content = format!("{}{probe_name}", webroot::PROBE_MARKER);

        // Probe files: one with an extension beside the token, one at the document root.
        let mut written = Vec::new();
        if let Some(layout) = layout {
            let ext_name = format!("{probe_name}.txt");
            if let Ok(path) =
                webroot::place(self.ledger, layout.given(), &layout.challenge_dir(), &ext_name, probe_content.as_bytes())
            {
                written.push(("extension-file", format!("/.well-known/acme-challenge/{ext_name}"), Some(path)));
            }
            if let Some(root) = layout.document_root() {
                let top_name = format!("{}{probe_name}.txt", webroot::PROBE_NAME_PREFIX);
                if let Ok(path) = webroot::place(self.ledger, root, root, &top_name, probe_content.as_bytes()) {
                    written.push(("top-level-file", format!("/{top_name}"), Some(path)));
                }
            }
        }

        let mut plan: Vec<(&'static str, String, Option<PathBuf>)> = vec![
            ("missing-token", format!("/.well-known/acme-challenge/{missing_token}"), None),
            ("site-root", "/".to_string(), None),
        ];
        plan.extend(written);

        let config = &config;
        let fetches = plan.iter().map(|(_, path, _)| async move {
            let _permit = self.limits.acquire(addr).await;
            fetch::fetch_chain(config, host, addr, path).await
        });
        let chains = join_all(fetches).await;

        let mut probes = Vec::new();
        for ((kind, _, file), chain) in plan.into_iter().zip(chains) {
            if let Some(path) = &file {
                let _ = webroot::remove(self.ledger, path);
            }
            let served = file.as_ref().map(|_| {
                let hop = chain.last();
                hop.error.is_none()
                    && hop.status == Some(200)
                    && self.settings.profile.trim_body(&String::from_utf8_lossy(&hop.body)) == probe_content
            });
            probes.push(Probe { kind, chain, served });
        }
        probes
    }
}

/// The CA's verdict over all addresses: which outcome fails the validation, if any, and
/// the warnings about addresses the CA would not use.
pub struct Decision {
    pub failing: Option<usize>,
    pub warnings: Vec<Finding>,
}

/// Applies the CA's address rules.
///
/// Let's Encrypt connects to the first AAAA address and falls back to the first A address
/// only when the IPv6 connection does not open. Resolvers rotate records, so any AAAA
/// address can be first, and any A address when there is no AAAA or IPv6 does not
/// connect: each of those must pass. Attempts that disagree fail the name, because the
/// CA's perspectives fetch independently. Pebble takes the first address only.
pub fn decide(choice: AddressChoice, addresses: &Addresses, outcomes: &[AddressOutcome]) -> Decision {
    let mut warnings = Vec::new();
    let index_of = |addr: IpAddr| outcomes.iter().position(|o| o.addr == addr);
    let v6: Vec<usize> = addresses.ipv6.iter().filter_map(|a| index_of(*a)).collect();
    let v4: Vec<usize> = addresses.ipv4.iter().filter_map(|a| index_of(*a)).collect();

    if let Some(mixed) = outcomes.iter().position(AddressOutcome::is_mixed) {
        return Decision {
            failing: Some(mixed),
            warnings,
        };
    }

    let candidates: Vec<usize> = match choice {
        AddressChoice::FirstOnly => v6.first().or(v4.first()).copied().into_iter().collect(),
        AddressChoice::Ipv6ThenIpv4OnDialError => {
            if v6.is_empty() {
                v4.clone()
            } else if v6.iter().any(|i| outcomes[*i].all_dial_errors()) {
                // The IPv6 path does not connect, so IPv4 decides, unless IPv4 is absent.
                let mut list: Vec<usize> = v6.iter().copied().filter(|i| !outcomes[*i].all_dial_errors()).collect();
                if v4.is_empty() {
                    list.extend(v6.iter().copied());
                } else {
                    list.extend(v4.iter().copied());
                }
                list
            } else {
                v6.clone()
            }
        }
    };

    let failing = candidates.iter().copied().find(|i| !outcomes[*i].all_pass());

    if failing.is_none() {
        for (i, outcome) in outcomes.iter().enumerate() {
            if !candidates.contains(&i) && !outcome.all_pass() {
                let (_, judgement) = outcome.worst();
                let code = judgement.code().map(|c| c.as_str()).unwrap_or("fail");
                warnings.push(Finding {
                    code: Code::AddressMismatch,
                    severity: Severity::Warning,
                    summary: format!(
                        "{} fails ({code}) while the address the CA uses first passes",
                        outcome.addr
                    ),
                    cause: "this address does not serve the token, but the CA reaches it only when the preferred address does not connect".to_string(),
                    fix: "make every address of the name serve the same site, or remove the DNS record for this one".to_string(),
                    component: None,
                    evidence: None,
                });
            }
        }
    }

    Decision { failing, warnings }
}

fn leftover_finding(paths: &[PathBuf], layout: &Layout) -> Finding {
    let shown: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| crate::sanitize::escape(&p.display().to_string()))
        .collect();
    let more = if paths.len() > 5 { format!(" and {} more", paths.len() - 5) } else { String::new() };
    let option = match layout {
        Layout::Webroot(_) => "--webroot",
        Layout::ChallengeDir(_) => "--challenge-dir",
    };
    let given = crate::sanitize::escape(&layout.given().display().to_string());
    Finding {
        code: Code::LeftoverFiles,
        severity: Severity::Warning,
        summary: format!(
            "{} file(s) or folder(s) from an earlier interrupted check: {}{more}",
            paths.len(),
            shown.join(", ")
        ),
        cause: "a check was killed (SIGKILL, a crash, a power cut) before it could remove its token or probe files and the folders it created".to_string(),
        fix: format!(
            "run `acme-preflight clean {option} {given}` when no check is running there; it removes only files and folders that carry this tool's marks, never an ACME client's token"
        ),
        component: None,
        evidence: None,
    }
}

/// The finding for a CAA outcome that fails validation, if it does.
fn caa_finding(domain: &str, outcome: &CaaOutcome) -> Option<Finding> {
    match outcome {
        CaaOutcome::Forbidden { set_at, detail } => Some(Finding {
            code: Code::CaaForbids,
            severity: Severity::Error,
            summary: format!("the CAA records at {set_at} do not allow this CA to issue for {domain} by HTTP-01: {detail}"),
            cause: "CAA records name the CAs that may issue for a name; the CA checks them after the HTTP fetch and refuses when it is not listed".to_string(),
            fix: format!("add a CAA record at {set_at} such as `{set_at}. CAA 0 issue \"letsencrypt.org\"` (and list http-01 if the record has validationmethods), or remove the records that exclude it"),
            component: None,
            evidence: None,
        }),
        CaaOutcome::LookupFailed { name, detail } => Some(Finding {
            code: Code::CaaLookupFailed,
            severity: Severity::Error,
            summary: format!("the CAA lookup for {name} failed: {detail}"),
            cause: "the CA must get an answer (possibly empty) for CAA at the name and each parent; a DNS server that fails CAA queries (SERVFAIL, timeouts) makes validation fail".to_string(),
            fix: format!("make the authoritative DNS servers for {name} answer CAA queries, with an empty answer when there are no CAA records"),
            component: None,
            evidence: None,
        }),
        _ => None,
    }
}

fn reserved_warnings(domain: &str, addresses: &Addresses) -> Vec<Finding> {
    let kept = addresses.kept_reserved.iter().map(|(addr, block)| Finding {
        code: Code::DnsReservedAddress,
        severity: Severity::Info,
        summary: format!("{addr} for {domain} is a reserved address ({block}), kept because of --allow-private"),
        cause: "a private CA may connect to it, but a public CA such as Let's Encrypt drops addresses from IANA's special-purpose registries".to_string(),
        fix: format!("nothing for a private CA; for a public CA, publish the server's public address for {domain}"),
        component: None,
        evidence: None,
    });
    addresses
        .dropped
        .iter()
        .map(|(addr, block)| Finding {
            code: Code::DnsReservedAddress,
            severity: Severity::Warning,
            summary: format!("DNS returns {addr} for {domain}, a reserved address ({block})"),
            cause: "Let's Encrypt drops addresses from IANA's special-purpose registries and never connects to them".to_string(),
            fix: format!("publish the server's public address for {domain}; for a private CA, check with --allow-private"),
            component: None,
            evidence: None,
        })
        .chain(kept)
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn finish(
    domain: &str,
    profile: &Profile,
    verdict: Verdict,
    mut findings: Vec<Finding>,
    ca_message: Option<String>,
    addresses: Vec<AddressReport>,
    hops: Vec<HopReport>,
    probes: Vec<crate::report::ProbeReport>,
) -> DomainReport {
    findings.sort_by_key(|f| f.severity);
    let primary = diagnose::primary(&findings);
    // The report quotes the CA in its own words, introduced as such.
    let ca_message = ca_message.map(|m| format!("{} would report: {m}", profile.ca_name));
    DomainReport {
        domain: domain.to_string(),
        verdict,
        primary: if verdict == Verdict::Pass { None } else { primary },
        findings,
        profile: profile.name.as_str(),
        ca_message,
        error: None,
        addresses,
        hops,
        probes,
        local_path: Vec::new(),
        caa: None,
        elapsed_ms: 0.0,
    }
}
