//! The long form of every finding code: what it means, how the check detects it, and fixes
//! per stack. `acme-preflight explain CODE` prints one entry; docs/findings.md is the same
//! text for every code, generated from this table (a unit test compares the two).

use crate::finding::Code;

/// The long form of one code.
pub struct Explanation {
    pub code: Code,
    pub meaning: &'static str,
    pub detection: &'static str,
    /// Fixes by stack: (stack, fix).
    pub fixes: &'static [(&'static str, &'static str)],
}

const NGINX_PREFIX: &str = "`location ^~ /.well-known/acme-challenge/ { root /var/www/site; default_type text/plain; try_files $uri =404; }` in the server block for the name on port 80, before other locations and outside any server-wide `return`";
const APACHE_PREFIX: &str = "`Alias /.well-known/acme-challenge/ /var/www/site/.well-known/acme-challenge/` with `<Directory ...> Require all granted </Directory>`, `ProxyPass /.well-known/acme-challenge/ !` before other ProxyPass lines, `RewriteCond %{REQUEST_URI} !^/\\.well-known/acme-challenge/` before catch-all rewrites";
const CADDY_PREFIX: &str = "`handle /.well-known/acme-challenge/* { root * /var/www/site; file_server }` before `reverse_proxy`";
const LIGHTTPD_PREFIX: &str = "`alias.url += ( \"/.well-known/acme-challenge/\" => \"/var/www/site/.well-known/acme-challenge/\" )`, and keep the prefix out of `url.rewrite` and proxy rules";
const TRAEFIK_PREFIX: &str = "a router with ``PathPrefix(`/.well-known/acme-challenge/`)`` and a higher priority than the app's router, to a service that serves the folder (`acme-preflight serve`)";

const SERVE_PREFIX: &[(&str, &str)] = &[
    ("nginx", NGINX_PREFIX),
    ("Apache httpd", APACHE_PREFIX),
    ("Caddy", CADDY_PREFIX),
    ("lighttpd", LIGHTTPD_PREFIX),
    ("Traefik", TRAEFIK_PREFIX),
];

const APP_ROUTES: &[(&str, &str)] = &[
    ("Plotly Dash", "a route on the Flask server: `@app.server.route(\"/.well-known/acme-challenge/<path:name>\")` returning `flask.send_from_directory(CHALLENGE_DIR, name, mimetype=\"text/plain\")`"),
    ("Flask", "`@app.route(\"/.well-known/acme-challenge/<path:name>\")` returning `flask.send_from_directory(CHALLENGE_DIR, name, mimetype=\"text/plain\")`"),
    ("Django", "first in urlpatterns: `re_path(r\"^\\.well-known/acme-challenge/(?P<path>[A-Za-z0-9_-]+)$\", django.views.static.serve, {\"document_root\": CHALLENGE_DIR})`"),
    ("Express", "`app.use(\"/.well-known/acme-challenge\", express.static(CHALLENGE_DIR, { dotfiles: \"allow\" }))` above the catch-all route; Express 5's static middleware skips dot-folders unless `dotfiles: \"allow\"`"),
    ("Next.js", "put the files under `public/.well-known/acme-challenge/`, and exclude the prefix from middleware and rewrites"),
    ("PHP applications (WordPress, Nextcloud)", "exclude the prefix from the rewrite to index.php (Apache `RewriteCond %{REQUEST_URI} !^/\\.well-known/acme-challenge/`)"),
    ("front server", "serve the prefix from the folder before the proxy (see the web server fixes for `not-found`)"),
];

pub static EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: Code::ConnectionRefused,
        meaning: "Nothing accepts TCP connections on the HTTP port at the address the CA uses. The web server is stopped, listens only on other addresses (for example 127.0.0.1, or IPv4 only while the name has an AAAA record), or a firewall rejects the connection.",
        detection: "The TCP connect fails with ECONNREFUSED.",
        fixes: &[
            ("nginx", "`listen 80;` and `listen [::]:80;` in the server block, then reload"),
            ("Apache httpd", "`Listen 80` (all addresses) in ports.conf"),
            ("firewall", "allow inbound TCP port 80 from anywhere (the CA connects from several regions), and forward it to this machine behind NAT"),
        ],
    },
    Explanation {
        code: Code::ConnectTimeout,
        meaning: "The connection did not open within 10 seconds (the CA's dial timeout), or within `--timeout` if shorter. Packets are dropped: a firewall, a cloud security group, or a router without port forwarding.",
        detection: "The TCP connect neither succeeds nor fails before the deadline.",
        fixes: &[("firewall", "allow inbound TCP port 80 in the host firewall and in the provider's security group; add a port forward on a home router")],
    },
    Explanation {
        code: Code::NetworkUnreachable,
        meaning: "There is no route to the address: typically an AAAA record on a host or network without working IPv6.",
        detection: "The TCP connect fails with ENETUNREACH, EHOSTUNREACH or EADDRNOTAVAIL.",
        fixes: &[("DNS", "remove the record for the unreachable address, or fix the route to it")],
    },
    Explanation {
        code: Code::ResponseTimeout,
        meaning: "The server accepted the connection but did not send a complete answer before the deadline (\"Timeout after connect\" at the CA).",
        detection: "The connection opened, but the response head or body did not arrive before `--timeout`.",
        fixes: &[("any", "check that the web server, or the app behind a proxy, is not stalled or overloaded; a proxy waiting on a dead backend shows the same")],
    },
    Explanation {
        code: Code::ConnectionReset,
        meaning: "The connection broke before a complete answer arrived: a reset, or a close before the end of the response. A body cut short is an \"unauthorized\" problem at the CA.",
        detection: "The read fails with ECONNRESET, or the stream ends before the response head or the declared body is complete.",
        fixes: &[("any", "check the web server's error log; a crashing worker, a filter or an intrusion-prevention rule that drops the request all look like this")],
    },
    Explanation {
        code: Code::MalformedResponse,
        meaning: "The answer is not valid HTTP/1.1: an HTTP/0.9 reply, another protocol on the port, or a response head over 64 KiB or with more than 100 headers.",
        detection: "The HTTP/1.1 parser rejects the response head.",
        fixes: &[("any", "make sure an HTTP/1.1 web server listens on port 80, not another service")],
    },
    Explanation {
        code: Code::DnsNoAddress,
        meaning: "DNS answered, but neither an A nor an AAAA record gives a usable address. Let's Encrypt drops addresses from IANA's special-purpose registries, so a name that points only at private or loopback addresses has none.",
        detection: "The A and AAAA lookups return no records, or only reserved addresses.",
        fixes: &[("DNS", "add an A record (and an AAAA record only where IPv6 works) with the server's public address")],
    },
    Explanation {
        code: Code::DnsLookupFailed,
        meaning: "The DNS lookup itself failed: the name does not exist (NXDOMAIN), its servers fail (SERVFAIL), or no answer came.",
        detection: "The resolver returns an error for the A and AAAA lookups.",
        fixes: &[("DNS", "check the zone at the DNS provider and that its nameservers answer for the name")],
    },
    Explanation {
        code: Code::NotFound,
        meaning: "The server answered 404: it looks for the token somewhere other than where it was written.",
        detection: "The final answer has status 404. The diagnosis then tells apart the root causes (`webroot-not-served`, `dotfiles-blocked`, `extensionless-blocked`, `app-intercept`).",
        fixes: SERVE_PREFIX,
    },
    Explanation {
        code: Code::Forbidden,
        meaning: "The server answered 403: an access rule or file permissions refuse the token.",
        detection: "The final answer has status 403. The diagnosis checks the modes on the way to the token (`token-unreadable`) and dot-path rules (`dotfiles-blocked`).",
        fixes: &[
            ("nginx", "`allow all;` in the challenge location, which `^~` makes win over regex deny rules"),
            ("Apache httpd", "`Require all granted` for the challenge folder"),
            ("files", "let the web server's user enter every folder on the way (o+x) and read the file (o+r)"),
        ],
    },
    Explanation {
        code: Code::AuthRequired,
        meaning: "The server asks for authentication (401 or 407), which the CA cannot give.",
        detection: "The final answer has status 401 or 407.",
        fixes: &[
            ("nginx", "`auth_basic off;` in the challenge location"),
            ("Apache httpd", "`Require all granted` in a `<Location /.well-known/acme-challenge/>` block"),
        ],
    },
    Explanation {
        code: Code::ServerError,
        meaning: "The server failed with a 5xx status; a proxy that cannot reach its backend answers 502 or 504.",
        detection: "The final answer has a status from 500 to 599.",
        fixes: &[("any", "check the web server's and the app's error logs, and that the backend of any proxy is running")],
    },
    Explanation {
        code: Code::UnexpectedStatus,
        meaning: "The server answered with a status other than 200. This includes 3xx statuses that are not redirects for the CA: 300, 304, 305, 306, and any 3xx without a Location header.",
        detection: "The final answer has a status that no other code covers.",
        fixes: SERVE_PREFIX,
    },
    Explanation {
        code: Code::ContentMismatch,
        meaning: "The server answered 200, but the body is not the key authorization. Let's Encrypt trims trailing whitespace and then compares exactly; leading whitespace or a byte order mark fails. Pebble trims only newlines and tabs.",
        detection: "Status 200, and the trimmed body differs from the key authorization the check wrote.",
        fixes: SERVE_PREFIX,
    },
    Explanation {
        code: Code::CatchAll,
        meaning: "Every path gets the same page: an application router or a fallback (`try_files ... /index.html`, a front controller, a single-page-app route) answers the challenge path, so the token file is never read.",
        detection: "The token's answer has status 200 and matches the answer for a random token that does not exist, or for `/`: same status, content type and components, sizes within 10 %.",
        fixes: APP_ROUTES,
    },
    Explanation {
        code: Code::BodyTooLarge,
        meaning: "The body is 128 bytes or more. Let's Encrypt reads at most 128 bytes and fails the challenge when there are more, so this is a page, not the token file.",
        detection: "Status 200 and a decoded body of 128 bytes or more.",
        fixes: SERVE_PREFIX,
    },
    Explanation {
        code: Code::RedirectBadPort,
        meaning: "A redirect names an explicit port other than 80 and 443 (in tests, the HTTP and HTTPS ports). The CA connects to no other port.",
        detection: "The Location URL has a port that is neither `--http-port` nor `--https-port`.",
        fixes: &[("any", "redirect without a port, or exempt /.well-known/acme-challenge/ from the redirect")],
    },
    Explanation {
        code: Code::RedirectBadScheme,
        meaning: "A redirect leads to a scheme other than http and https.",
        detection: "The Location URL's scheme is not `http` or `https`.",
        fixes: &[("any", "redirect only to http:// or https:// URLs")],
    },
    Explanation {
        code: Code::RedirectBadHost,
        meaning: "A redirect leads to a host the CA rejects: no host, an IPv6 address with a zone, an address in IANA's special-purpose registries, or a name that does not end in a top-level domain of the Public Suffix List's ICANN section (`.local`, `.lan`, `.internal`, `.invalid`, `localhost`). Current Let's Encrypt accepts public IP addresses; older versions and its documentation refused every IP redirect.",
        detection: "The Location URL's host fails one of those rules.",
        fixes: &[("any", "redirect to the site's public name")],
    },
    Explanation {
        code: Code::RedirectMissingSlash,
        meaning: "A redirect glues the host to the path (`https://example.com.well-known/...`): a redirect rule lacks the slash between them.",
        detection: "The Location URL's host ends in `.well-known`.",
        fixes: &[("nginx", "`return 301 https://$host$request_uri;` (`$request_uri` starts with a slash; `https://$host.well-known` does not)")],
    },
    Explanation {
        code: Code::RedirectDisallowedStatus,
        meaning: "A redirect has a status the CA does not follow: Let's Encrypt follows 301, 302, 307 and 308, not 303.",
        detection: "A 303 with a Location header (Pebble follows 303).",
        fixes: &[("nginx", "`return 301 ...;` or `return 308 ...;`"), ("Apache httpd", "`Redirect permanent ...`")],
    },
    Explanation {
        code: Code::RedirectLoop,
        meaning: "A redirect leads back to a URL already requested in the chain. URLs are compared as strings, so `http://h/p` and `http://h:80/p` differ.",
        detection: "The Location URL equals an earlier hop's URL.",
        fixes: &[("any", "check rewrite rules and proxy headers: a backend that does not see `X-Forwarded-Proto: https` redirects to HTTPS forever")],
    },
    Explanation {
        code: Code::RedirectTooMany,
        meaning: "The chain has more redirects than the CA follows: Let's Encrypt follows 11 and refuses the 12th, Pebble follows 9. The count is checked before anything else.",
        detection: "A redirect arrives after the profile's limit was reached.",
        fixes: &[("any", "redirect once, straight to the final URL")],
    },
    Explanation {
        code: Code::RedirectTooLong,
        meaning: "A redirect's decoded path is longer than 2000 bytes, which Let's Encrypt refuses; usually a rewrite rule that appends to the path on every pass.",
        detection: "The percent-decoded path of the Location URL is over 2000 bytes.",
        fixes: &[("any", "fix the rewrite rule that grows the path")],
    },
    Explanation {
        code: Code::RedirectInvalid,
        meaning: "A Location header is not a valid URL: control characters, a port that is not a number from 0 to 65535, or a broken IPv6 literal.",
        detection: "The Location value fails URL parsing.",
        fixes: &[("any", "fix the redirect rule so Location is an absolute URL or a path")],
    },
    Explanation {
        code: Code::TlsFailed,
        meaning: "The TLS handshake with an HTTPS redirect target failed. The CA accepts any certificate (self-signed, expired, for another name) but needs TLS 1.2 or later and a completed handshake.",
        detection: "The handshake fails with an alert or a protocol error.",
        fixes: &[("any", "make the HTTPS listener complete a TLS 1.2+ handshake, or exempt /.well-known/acme-challenge/ from the redirect to HTTPS")],
    },
    Explanation {
        code: Code::HttpOnHttpsPort,
        meaning: "The HTTPS port answers in plain HTTP, so the redirect to HTTPS cannot be followed.",
        detection: "The answer to the TLS ClientHello starts with `HTTP/`.",
        fixes: &[("nginx", "`listen 443 ssl;` with a certificate"), ("any", "or exempt /.well-known/acme-challenge/ from the redirect")],
    },
    Explanation {
        code: Code::Http2OnHttpPort,
        meaning: "The HTTP port answers with HTTP/2 without TLS (h2c with prior knowledge). The CA speaks HTTP/1.1 only.",
        detection: "The first bytes of the answer are an HTTP/2 SETTINGS frame or the HTTP/2 preface.",
        fixes: &[("nginx", "remove `http2` from the plain `listen 80` line"), ("any", "let port 80 accept HTTP/1.1")],
    },
    Explanation {
        code: Code::AppIntercept,
        meaning: "An application framework answers the challenge path with its own non-200 page (its 404, its 403): requests for the prefix reach the app instead of the folder the token is in.",
        detection: "The answer carries a framework's markers (Werkzeug's 404 text, Django's 404 page and security headers, `X-Powered-By: Express`, Next.js headers) and no probe file placed in the webroot is served.",
        fixes: APP_ROUTES,
    },
    Explanation {
        code: Code::DotfilesBlocked,
        meaning: "A rule blocks or reroutes paths that start with a dot (a deny rule for hidden files, a rewrite, an app route), and `/.well-known/` is such a path.",
        detection: "A probe file written at the top of the webroot is served, while the token and a probe file beside it are not.",
        fixes: &[
            ("nginx", "`location ^~ /.well-known/acme-challenge/ { allow all; root /var/www/site; }`: the `^~` prefix match wins over `location ~ /\\. { deny all; }`"),
            ("Apache httpd", "`<LocationMatch \"^/\\.well-known/acme-challenge/\"> Require all granted </LocationMatch>` after the rule that denies `/\\.`"),
            ("lighttpd", "exclude `/.well-known/` from the `url.access-deny` match"),
        ],
    },
    Explanation {
        code: Code::ExtensionlessBlocked,
        meaning: "Files without an extension are not served (a type or handler mapping refuses them), and ACME tokens never have one.",
        detection: "A probe file with a `.txt` extension beside the token is served; the token is not.",
        fixes: &[
            ("nginx", "`default_type text/plain;` in the challenge location, and no rule that rejects names without a dot"),
            ("Apache httpd", "`ForceType text/plain` in a `<Directory>` for the challenge folder"),
            ("IIS", "`<mimeMap fileExtension=\".\" mimeType=\"text/plain\" />` for the challenge folder"),
        ],
    },
    Explanation {
        code: Code::WebrootNotServed,
        meaning: "The server does not serve the given folder for this name: the webroot moved, another virtual host answers the name, or everything goes to a backend.",
        detection: "A plain web server answers 404 for the token, a probe file beside it and a probe file at the top of the webroot.",
        fixes: &[
            ("nginx", "compare the `root` of the server block that answers the name with the folder given to --webroot"),
            ("Apache httpd", "compare the virtual host's `DocumentRoot`"),
            ("lighttpd", "compare `server.document-root`"),
        ],
    },
    Explanation {
        code: Code::HttpsRedirectNotServed,
        meaning: "The HTTP server redirects the challenge to HTTPS, and the HTTPS site does not serve the challenge folder (another root, or another virtual host).",
        detection: "The chain goes from http:// to https://, and the HTTPS answer is not the token. The report describes the certificate presented, which the CA accepts whatever it is.",
        fixes: &[
            ("nginx", "move `return 301 https://$host$request_uri;` into `location /` and add the challenge location beside it in the port-80 server block"),
            ("any", "or serve the challenge folder on the HTTPS side as well"),
        ],
    },
    Explanation {
        code: Code::TokenUnreadable,
        meaning: "The web server's workers run as another user (www-data, nginx, apache) and cannot reach the token: a folder on the way is closed to other users, or the file is not readable.",
        detection: "The answer is 403 or 404, and a folder from `/` to the token lacks execute permission for others, or the file lacks read permission.",
        fixes: &[("files", "`chmod o+x` on the folder the report names (or give it to the web server's group); the token needs o+r")],
    },
    Explanation {
        code: Code::AddressMismatch,
        meaning: "The addresses of the name answer differently: typically an AAAA record that points at another server, or an IPv6 listener that serves another site. Let's Encrypt uses IPv6 first and falls back to IPv4 only when the IPv6 connection fails to open. As a warning: an address the CA would not use first fails.",
        detection: "Every attempt on one address serves the token, and another address answers something else.",
        fixes: &[("DNS", "remove the AAAA (or A) record that points elsewhere"), ("nginx", "`listen [::]:80;` in the same server block as `listen 80;`")],
    },
    Explanation {
        code: Code::InconsistentBackends,
        meaning: "Repeated fetches from one address disagree: load-balanced backends that do not share the challenge folder. The CA's perspectives fetch independently, so any miss fails.",
        detection: "Of the `--attempts` fetches from one address, some serve the token and some do not (the report gives k of N).",
        fixes: &[("any", "share the folder between backends, route /.well-known/acme-challenge/ to one backend, or answer challenges statelessly (the same `token.thumbprint` on every backend)")],
    },
    Explanation {
        code: Code::CaaForbids,
        meaning: "CAA records do not allow the CA to issue by HTTP-01: the relevant set has `issue` properties and none names the CA, or its `validationmethods` parameter leaves out http-01, or an unknown property is marked critical.",
        detection: "After the fetch passes, the CAA set of the name or its nearest parent that has one is evaluated (RFC 8659, RFC 8657).",
        fixes: &[("DNS", "add `CAA 0 issue \"letsencrypt.org\"` at the name that holds the set (with `validationmethods=http-01` listed if the record has that parameter)")],
    },
    Explanation {
        code: Code::CaaLookupFailed,
        meaning: "A CAA query for the name or a parent failed (SERVFAIL, timeout). The CA needs an answer, possibly empty, and fails validation otherwise.",
        detection: "The resolver returns an error other than NXDOMAIN or an empty answer for a CAA query.",
        fixes: &[("DNS", "make the authoritative servers answer CAA queries, with an empty answer when there are no records")],
    },
    Explanation {
        code: Code::IdentifierRejected,
        meaning: "The CA would refuse the identifier itself when the order is created, before any validation: an IP address in IANA's special-purpose registries (loopback, private, documentation), or a name that does not end in a top-level domain of the Public Suffix List's ICANN section (`localhost`, `.lan`, `.internal`).",
        detection: "Under the `letsencrypt` profile, the name is checked against those rules. A name pinned with `--resolve` counts as public, and `--allow-private` accepts reserved addresses, as a private CA would.",
        fixes: &[("any", "request the certificate for the site's public name or public address; for an internal name, use a private CA")],
    },
    Explanation {
        code: Code::DnsReservedAddress,
        meaning: "DNS returns an address from IANA's special-purpose registries (private, loopback, documentation, ...), which Let's Encrypt drops. With `--allow-private` the address is kept and this is information, for private CAs.",
        detection: "An A or AAAA answer falls in a special-purpose block.",
        fixes: &[("DNS", "publish the server's public address; split-horizon DNS must give the public one to the outside")],
    },
    Explanation {
        code: Code::CdnProxy,
        meaning: "A CDN or proxy answered for the name (Cloudflare, CloudFront, Fastly, Akamai, Vercel), so its rules, caches and redirects apply to the challenge path.",
        detection: "The answer carries a CDN's headers (`CF-Ray`, `Server: cloudflare`, `X-Amz-Cf-Id`, `Via: ... varnish`, ...).",
        fixes: &[("CDN", "pass /.well-known/acme-challenge/ to the origin over plain HTTP, uncached, with no forced HTTPS redirect")],
    },
    Explanation {
        code: Code::LeftoverFiles,
        meaning: "The webroot holds token or probe files, or folders, from an earlier check that was killed before its cleanup (SIGKILL, a crash).",
        detection: "Files whose content carries this tool's marker, which no ACME client writes, and folders that hold the marker file `.acme-preflight-created` that the tool puts in every folder it creates.",
        fixes: &[("files", "`acme-preflight clean --webroot DIR` (or `--challenge-dir DIR`, as given to the check) removes them and nothing else; run it when no check is running on that folder")],
    },
];

/// Returns the explanation of a code.
pub fn explain(code: Code) -> &'static Explanation {
    EXPLANATIONS
        .iter()
        .find(|e| e.code == code)
        .expect("every code has an explanation")
}

/// Formats one explanation as a Markdown section.
pub fn render(explanation: &Explanation) -> String {
    let code = explanation.code;
    let kind = if code.is_root_cause() { "root cause" } else { "symptom" };
    let mut out = format!("## `{code}`\n\n{} ({kind}).\n\n", capitalize(code.title()));
    out.push_str(&format!("{}\n\n", explanation.meaning));
    out.push_str(&format!("How it is detected: {}\n", explanation.detection));
    if !explanation.fixes.is_empty() {
        out.push_str("\nFixes:\n\n");
        for (stack, fix) in explanation.fixes {
            out.push_str(&format!("- {stack}: {fix}\n"));
        }
    }
    out
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Returns the text of docs/findings.md.
pub fn findings_document() -> String {
    let mut out = String::from(
        "# Finding codes\n\n\
         Codes are stable: scripts may match on them. A symptom code says what the CA would see; a\n\
         root-cause code says why, and becomes `primary` when the diagnosis can tell. This file is\n\
         generated by `acme-preflight explain --all`, which prints the same text as\n\
         `acme-preflight explain CODE`.\n",
    );
    for explanation in EXPLANATIONS {
        out.push('\n');
        out.push_str(&render(explanation));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_explained_once() {
        for code in Code::ALL {
            assert_eq!(EXPLANATIONS.iter().filter(|e| e.code == *code).count(), 1, "{code}");
        }
    }

    #[test]
    fn findings_doc_matches_explain() {
        let doc = include_str!("../docs/findings.md");
        assert!(
            doc == findings_document(),
            "docs/findings.md differs from `acme-preflight explain --all`; regenerate it with that command"
        );
    }
}
