//! Diagnosis: from a failed fetch and a few experiments to the root cause.
//!
//! The tool can write into the webroot, so it can compare answers that an outside probe
//! cannot: the token against a token that does not exist (a catch-all answers both alike),
//! a file with an extension beside it (extensionless files blocked), a file at the top of
//! the document root (dot-paths blocked, or the folder not served at all), and the
//! addresses and attempts against each other. Each root cause is one rule below; the
//! symptom finding stays as a secondary finding.

use crate::check::{AddressOutcome, Settings};
use crate::fetch::{Chain, Hop};
use crate::finding::{Code, Evidence, Finding, Judgement, Severity};
use crate::fingerprint::{Identity, Stack};
use crate::fixes::{self, FixContext};
use crate::report::ProbeReport;
use crate::sanitize;
use crate::webroot;

/// One diagnostic request and its answer.
pub struct Probe {
    pub kind: &'static str,
    pub chain: Chain,
    /// For probes of files the tool wrote: whether the file came back.
    pub served: Option<bool>,
}

impl Probe {
    pub fn report(&self) -> ProbeReport {
        let hop = self.chain.last();
        ProbeReport {
            kind: self.kind,
            url: hop.url.to_string(),
            status: hop.status,
            served: self.served,
        }
    }
}

/// Everything the rules look at.
pub struct Observations<'a> {
    pub domain: &'a str,
    pub settings: &'a Settings,
    /// Where the token was written, if anywhere.
    pub layout: Option<&'a crate::webroot::Layout>,
    pub fix: &'a FixContext<'a>,
    pub token_path: Option<&'a std::path::Path>,
    /// The failing chain the CA would see, and its judgement.
    pub chain: &'a Chain,
    pub judgement: &'a Judgement,
    pub outcomes: &'a [AddressOutcome],
    pub failing_index: usize,
    pub probes: &'a [Probe],
}

impl Observations<'_> {
    fn probe(&self, kind: &str) -> Option<&Probe> {
        self.probes.iter().find(|p| p.kind == kind)
    }

    fn served(&self, kind: &str) -> Option<bool> {
        self.probe(kind).and_then(|p| p.served)
    }
}

/// Whether the failure came with an HTTP answer, so experiments can tell more.
pub fn needs_probes(judgement: &Judgement) -> bool {
    matches!(
        judgement.code(),
        Some(
            Code::NotFound
                | Code::Forbidden
                | Code::AuthRequired
                | Code::ServerError
                | Code::UnexpectedStatus
                | Code::ContentMismatch
                | Code::BodyTooLarge
        )
    )
}

/// The root cause among the findings: a root-cause error wins over a symptom.
pub fn primary(findings: &[Finding]) -> Option<Code> {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error);
    let mut best: Option<&Finding> = None;
    for finding in errors {
        match best {
            None => best = Some(finding),
            Some(current) if finding.code.is_root_cause() && !current.code.is_root_cause() => best = Some(finding),
            _ => {}
        }
    }
    best.map(|f| f.code)
}

/// Runs the rules and returns the symptom finding and every root cause that applies, the
/// most telling root cause first.
pub fn diagnose(obs: &Observations) -> Vec<Finding> {
    let Judgement::Fail { code, detail, .. } = obs.judgement else {
        return Vec::new();
    };
    let hop = obs.chain.last();
    let identity = Identity::of(hop);
    let evidence = evidence_of(hop, &identity);
    let ip = hop.address.map(|a| a.ip().to_string()).unwrap_or_default();

    let mut findings = Vec::new();
    let rules: &[fn(&Observations, &Identity, &Evidence) -> Option<Finding>] = &[
        inconsistent_backends,
        address_mismatch,
        token_unreadable,
        https_redirect_not_served,
        extensionless_blocked,
        dotfiles_blocked,
        catch_all,
        app_intercept,
        webroot_not_served,
    ];
    for rule in rules {
        if let Some(finding) = rule(obs, &identity, &evidence) {
            findings.push(finding);
            // The first root cause explains the answer; later rules would restate it.
            break;
        }
    }

    let (cause, fix) = fixes::symptom(*code, obs.fix, &ip);
    findings.push(Finding {
        code: *code,
        severity: Severity::Error,
        summary: detail.clone(),
        cause,
        fix,
        component: identity.describe(),
        evidence: Some(evidence.clone()),
    });

    if let Some(cdn) = identity.cdn() {
        findings.push(Finding {
            code: Code::CdnProxy,
            severity: Severity::Info,
            summary: format!("{} answered for {}", cdn.name(), obs.domain),
            cause: "a CDN or proxy sits in front of the server, so its rules and caches apply to the challenge path".to_string(),
            fix: "make sure the CDN passes /.well-known/acme-challenge/ to the origin over plain HTTP, uncached, with no redirect to HTTPS".to_string(),
            component: Some(cdn.name().to_string()),
            evidence: Some(evidence),
        });
    }
    findings
}

fn evidence_of(hop: &Hop, identity: &Identity) -> Evidence {
    Evidence {
        url: Some(hop.url.to_string()),
        address: hop.address.map(|a| a.to_string()),
        status: hop.status,
        body: (!hop.body.is_empty()).then(|| sanitize::excerpt(&hop.body, 300)),
        matched: identity.evidence(),
        notes: Vec::new(),
    }
}

fn root(code: Code, summary: String, cause: String, fix: String, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    Some(Finding {
        code,
        severity: Severity::Error,
        summary,
        cause,
        fix,
        component: identity.describe(),
        evidence: Some(evidence.clone()),
    })
}

fn status_text(hop: &Hop) -> String {
    match hop.status {
        Some(status) => format!("status {status}"),
        None => "no HTTP answer".to_string(),
    }
}

fn inconsistent_backends(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let outcome = &obs.outcomes[obs.failing_index];
    let passed = outcome.results.iter().filter(|(_, j)| j.is_pass()).count();
    let codes: Vec<_> = outcome.results.iter().map(|(_, j)| j.code()).collect();
    if codes.iter().all(|c| *c == codes[0]) {
        return None;
    }
    let total = outcome.results.len();
    root(
        Code::InconsistentBackends,
        format!("{passed} of {total} fetches from {} served the token; the others failed", outcome.addr),
        "repeated fetches from one address reach different servers: load-balanced backends that do not share the challenge folder, or several servers listening on one address".to_string(),
        "share the challenge folder between the backends (shared storage or a sync), send /.well-known/acme-challenge/ to one backend, or answer challenges statelessly on every backend".to_string(),
        identity,
        evidence,
    )
}

fn address_mismatch(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let failing = &obs.outcomes[obs.failing_index];
    if obs.judgement.is_dial_error() {
        return None;
    }
    let passing: Vec<String> = obs
        .outcomes
        .iter()
        .filter(|o| o.results.iter().all(|(_, j)| j.is_pass()))
        .map(|o| o.addr.to_string())
        .collect();
    if passing.is_empty() {
        return None;
    }
    let failing_family = if failing.addr.is_ipv6() { "AAAA" } else { "A" };
    let fix = if failing.addr.is_ipv6() {
        format!(
            "remove the AAAA record for {domain}, or make the IPv6 listener serve the same site (nginx: `listen [::]:{port};` in the same server block)",
            domain = obs.domain,
            port = obs.settings.ports.http
        )
    } else {
        format!("point every A record of {} at a server that serves the webroot", obs.domain)
    };
    root(
        Code::AddressMismatch,
        format!(
            "{} ({failing_family} record) answered with {} while {} served the token",
            failing.addr,
            status_text(obs.chain.last()),
            passing.join(", ")
        ),
        format!(
            "the {failing_family} record of {} leads to a different server, or to a listener that serves another site; the CA uses this address",
            obs.domain
        ),
        fix,
        identity,
        evidence,
    )
}

fn token_unreadable(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let hop = obs.chain.last();
    if !matches!(hop.status, Some(403) | Some(404)) {
        return None;
    }
    let path = obs.token_path?;
    let steps = webroot::access_path(path);
    let blocked = steps.iter().find(|s| !s.others_can_access)?;
    let is_file = blocked.path == path.display().to_string();
    let needed = if is_file { "o+r" } else { "o+x" };
    root(
        Code::TokenUnreadable,
        format!(
            "the server answered {} and {} has mode {} (owner uid {}), which other users cannot {}",
            status_text(hop),
            blocked.path,
            blocked.mode,
            blocked.owner,
            if is_file { "read" } else { "enter" }
        ),
        "the web server's workers run as another user (www-data, nginx, apache) and cannot reach the token through a folder or file that is closed to other users".to_string(),
        format!(
            "`chmod {needed} {}` (or give that folder to the web server's group); every folder from / to the token needs execute permission for the server's user, and the file needs read permission",
            blocked.path
        ),
        identity,
        evidence,
    )
}

fn https_redirect_not_served(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let hops = &obs.chain.hops;
    let last = hops.last()?;
    let redirected_to_https = hops.len() > 1 && hops[0].url.scheme == "http" && last.url.scheme == "https";
    if !redirected_to_https || last.status.is_none() {
        return None;
    }
    let front = identity.web_server();
    let fix = match front {
        Some(Stack::Nginx) | None => format!(
            "in the port-{port} server block, move the redirect into `location / {{ return 301 https://$host$request_uri; }}` and add `location ^~ /.well-known/acme-challenge/ {{ root {root}; }}` beside it; or serve that folder on the HTTPS side too",
            port = obs.settings.ports.http,
            root = obs.fix.root.map(|r| r.display().to_string()).unwrap_or_else(|| "/path/to/webroot".into())
        ),
        Some(other) => format!(
            "exempt /.well-known/acme-challenge/ from the redirect to HTTPS, or serve the challenge folder on the HTTPS side as well ({})",
            fixes::serve_prefix(Some(other), obs.fix)
        ),
    };
    let mut evidence = evidence.clone();
    if let Some(tls) = &last.tls {
        evidence.notes.push(format!(
            "the HTTPS side presented {}; the CA accepts any certificate here",
            tls.describe()
        ));
    }
    root(
        Code::HttpsRedirectNotServed,
        format!("{} redirects to {}, which answered with {}", hops[0].url, last.url, status_text(last)),
        "the HTTP server redirects the challenge to HTTPS, and the HTTPS site does not serve the challenge folder (another root, or another virtual host)".to_string(),
        fix,
        identity,
        &evidence,
    )
}

fn extensionless_blocked(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    if obs.served("extension-file") != Some(true) {
        return None;
    }
    let fix = match identity.web_server() {
        Some(Stack::Nginx) => "remove the rule that rejects names without a dot in the challenge location, and set `default_type text/plain;` there".to_string(),
        Some(Stack::Apache) => "remove the rule that rejects names without an extension; add `ForceType text/plain` in a `<Directory>` for the challenge folder".to_string(),
        Some(Stack::Iis) => "add `<mimeMap fileExtension=\".\" mimeType=\"text/plain\" />` for the challenge folder".to_string(),
        _ => "change the server's type or handler mapping so that files without an extension are served (as text/plain)".to_string(),
    };
    root(
        Code::ExtensionlessBlocked,
        format!(
            "a probe file with a .txt extension in the challenge folder was served, while the token (no extension) got {}",
            status_text(obs.chain.last())
        ),
        "the server's type or handler mapping refuses files without an extension, and ACME tokens never have one".to_string(),
        fix,
        identity,
        evidence,
    )
}

fn dotfiles_blocked(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    if obs.served("top-level-file") != Some(true) || obs.served("extension-file") == Some(true) {
        return None;
    }
    let fix = match identity.web_server() {
        Some(Stack::Nginx) => format!(
            "add `location ^~ /.well-known/acme-challenge/ {{ allow all; root {}; }}`: the `^~` prefix match wins over a regex rule such as `location ~ /\\. {{ deny all; }}`",
            obs.fix.root.map(|r| r.display().to_string()).unwrap_or_default()
        ),
        Some(Stack::Apache) => "exempt the prefix from the dot-file rule: `<LocationMatch \"^/\\.well-known/acme-challenge/\"> Require all granted </LocationMatch>` after the rule that denies `/\\.`".to_string(),
        Some(Stack::Lighttpd) => "exclude /.well-known/ from `url.access-deny` or the dot-file match".to_string(),
        other => format!(
            "exempt /.well-known/acme-challenge/ from the rule that blocks or reroutes paths starting with a dot; {}",
            fixes::serve_prefix(other, obs.fix)
        ),
    };
    root(
        Code::DotfilesBlocked,
        format!(
            "a probe file at the top of the webroot was served, while everything under /.well-known/ got {}",
            status_text(obs.chain.last())
        ),
        "a rule blocks or reroutes paths that start with a dot (a deny rule for hidden files, a rewrite, or an app route), and /.well-known/ is such a path".to_string(),
        fix,
        identity,
        evidence,
    )
}

/// Whether two answers look like the same page: same status, content type and components,
/// and sizes within 10 % (pages often embed the path or a nonce, so an exact hash is too
/// strict).
fn similar(a: &Hop, b: &Hop) -> bool {
    if a.status != b.status || a.header("content-type") != b.header("content-type") {
        return false;
    }
    if Identity::of(a).stacks() != Identity::of(b).stacks() {
        return false;
    }
    let (x, y) = (a.body.len() as f64, b.body.len() as f64);
    (x - y).abs() <= (x.max(y) * 0.1).max(64.0)
}

fn catch_all(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let hop = obs.chain.last();
    if hop.status != Some(200) {
        return None;
    }
    let same_as_missing = obs.probe("missing-token").is_some_and(|p| similar(p.chain.last(), hop));
    let same_as_root = obs.probe("site-root").is_some_and(|p| similar(p.chain.last(), hop));
    if !same_as_missing && !same_as_root {
        return None;
    }
    let what = match identity.describe() {
        Some(component) => component,
        None => "the server".to_string(),
    };
    let compared = match (same_as_missing, same_as_root) {
        (true, true) => "the same page as for a token that does not exist and as for /",
        (true, false) => "the same page as for a token that does not exist",
        _ => "the same page as for /",
    };
    let page = if identity.has(Stack::Dash) { "its page shell" } else { "a page" };
    root(
        Code::CatchAll,
        format!("{what} answered the challenge path with {page}, status 200: {compared}"),
        "an application route or a fallback (such as `try_files ... /index.html` or a single-page-app router) answers every path, so the token file is never read".to_string(),
        intercept_fix(obs, identity),
        identity,
        evidence,
    )
}

fn app_intercept(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    let framework = identity.framework()?;
    if obs.served("top-level-file") == Some(true) {
        return None;
    }
    let hop = obs.chain.last();
    root(
        Code::AppIntercept,
        format!(
            "{} answered the challenge path itself, with {}",
            identity.describe().unwrap_or_else(|| framework.name().to_string()),
            status_text(hop)
        ),
        format!(
            "requests for /.well-known/acme-challenge/ reach the {} application, which has no route for them, instead of the folder the token is in",
            framework.name()
        ),
        intercept_fix(obs, identity),
        identity,
        evidence,
    )
}

fn intercept_fix(obs: &Observations, identity: &Identity) -> String {
    let front = identity.web_server();
    let front_fix = fixes::serve_prefix(front.or(Some(Stack::Nginx)).filter(|_| front.is_some()), obs.fix);
    match identity.framework().and_then(|f| fixes::app_route(f, obs.fix)) {
        Some(app_fix) => format!("{app_fix}; or, {front_fix}"),
        None => front_fix,
    }
}

fn webroot_not_served(obs: &Observations, identity: &Identity, evidence: &Evidence) -> Option<Finding> {
    // Only a "not found" says the file is missing from what the server serves; a 401, 403
    // or 5xx on every path has its own cause, which the symptom finding names.
    if identity.framework().is_some() || !matches!(obs.chain.last().status, Some(404) | Some(410)) {
        return None;
    }
    let top = obs.served("top-level-file");
    let ext = obs.served("extension-file");
    if top == Some(true) || ext == Some(true) || (top.is_none() && ext.is_none()) {
        return None;
    }
    let given = obs
        .layout
        .map(|l| l.given().display().to_string())
        .unwrap_or_default();
    let which = match identity.web_server() {
        Some(Stack::Nginx) => "nginx `root`",
        Some(Stack::Apache) => "Apache `DocumentRoot`",
        Some(Stack::Caddy) => "Caddy `root`",
        Some(Stack::Lighttpd) => "lighttpd `server.document-root`",
        _ => "the document root",
    };
    let mut summary = format!(
        "neither the token nor a probe file written beside it was served ({}), so the server does not serve {given} for {}",
        status_text(obs.chain.last()),
        obs.domain
    );
    if top.is_none() {
        summary.push_str("; with --challenge-dir no file can be placed at the document root, so a blocked dot-path cannot be told apart");
    }
    root(
        Code::WebrootNotServed,
        summary,
        format!(
            "the folder the server uses for {} ({which}) is not {given}: the webroot moved, another virtual host answers this name, or everything is passed to a backend",
            obs.domain
        ),
        format!(
            "find the virtual host that answers {} on port {} and its {which}; give that folder as --webroot, or point the server at {given}",
            obs.domain, obs.settings.ports.http
        ),
        identity,
        evidence,
    )
}
