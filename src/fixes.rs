//! Causes and fixes, written in the terms of the stack that answered.
//!
//! Each function returns text for one finding; the snippets name the user's own folders so
//! they can be pasted. Where the stack is unknown, the fix is the generic one.

use std::path::Path;

use crate::finding::Code;
use crate::fingerprint::Stack;

/// What the fix text needs to know about the setup.
pub struct FixContext<'a> {
    pub domain: &'a str,
    /// The document root, when `--webroot` was given.
    pub root: Option<&'a Path>,
    /// The folder the token was written to.
    pub challenge_dir: &'a Path,
    pub http_port: u16,
}

impl FixContext<'_> {
    fn root_text(&self) -> String {
        match self.root {
            Some(root) => root.display().to_string(),
            None => "/path/to/webroot".to_string(),
        }
    }

    fn dir_text(&self) -> String {
        self.challenge_dir.display().to_string()
    }
}

/// A fix that makes a web server serve the challenge folder for this name.
pub fn serve_prefix(stack: Option<Stack>, ctx: &FixContext) -> String {
    let root = ctx.root_text();
    let dir = ctx.dir_text();
    match stack {
        Some(Stack::Nginx) => format!(
            "in the nginx server block for {domain} on port {port}, before any other location and outside any server-wide `return`: `location ^~ /.well-known/acme-challenge/ {{ root {root}; default_type text/plain; try_files $uri =404; }}`",
            domain = ctx.domain,
            port = ctx.http_port
        ),
        Some(Stack::Apache) => format!(
            "in the Apache virtual host for {domain}: `Alias /.well-known/acme-challenge/ {dir}/` with `<Directory {dir}> Require all granted </Directory>`, `ProxyPass /.well-known/acme-challenge/ !` before other ProxyPass lines, and `RewriteCond %{{REQUEST_URI}} !^/\\.well-known/acme-challenge/` before rewrites that send every path elsewhere",
            domain = ctx.domain
        ),
        Some(Stack::Caddy) => format!(
            "in the Caddyfile site block for {domain}, before `reverse_proxy`: `handle /.well-known/acme-challenge/* {{ root * {root}\n file_server }}`",
            domain = ctx.domain
        ),
        Some(Stack::Lighttpd) => format!(
            "in lighttpd: `alias.url += ( \"/.well-known/acme-challenge/\" => \"{dir}/\" )` for {domain}, and keep that prefix out of any `url.rewrite` or proxy rule",
            domain = ctx.domain
        ),
        Some(Stack::Traefik) => format!(
            "in Traefik: a router with rule ``Host(`{domain}`) && PathPrefix(`/.well-known/acme-challenge/`)`` and a higher priority than the app's router, pointing at a service that serves {dir}",
            domain = ctx.domain
        ),
        Some(Stack::Iis) => format!(
            "in IIS: a virtual directory /.well-known/acme-challenge for {dir} with `<mimeMap fileExtension=\".\" mimeType=\"text/plain\" />` and no URL Rewrite rule matching it"
        ),
        _ => format!(
            "configure the server that answers {domain} on port {port} to serve {dir} at /.well-known/acme-challenge/, before any proxy, rewrite or catch-all rule",
            domain = ctx.domain,
            port = ctx.http_port
        ),
    }
}

/// A fix inside an application framework that answers every path.
pub fn app_route(framework: Stack, ctx: &FixContext) -> Option<String> {
    let dir = ctx.dir_text();
    let text = match framework {
        Stack::Dash => format!(
            "add a route on the Dash app's Flask server, `app.server`: `@app.server.route(\"/.well-known/acme-challenge/<path:name>\")` returning `flask.send_from_directory(\"{dir}\", name, mimetype=\"text/plain\")`; Dash Pages then no longer answers that prefix"
        ),
        Stack::Flask => format!(
            "add a Flask route: `@app.route(\"/.well-known/acme-challenge/<path:name>\")` returning `flask.send_from_directory(\"{dir}\", name, mimetype=\"text/plain\")`"
        ),
        Stack::Django => format!(
            "add a Django URL pattern first in urlpatterns: `re_path(r\"^\\.well-known/acme-challenge/(?P<path>[A-Za-z0-9_-]+)$\", django.views.static.serve, {{\"document_root\": \"{dir}\"}})`"
        ),
        Stack::Express => format!(
            "mount the challenge folder before the catch-all route: `app.use(\"/.well-known/acme-challenge\", express.static(\"{dir}\", {{ dotfiles: \"allow\" }}))` above `app.get(\"*\", ...)`"
        ),
        Stack::NextJs => format!(
            "serve the token from Next.js's `public/.well-known/acme-challenge/` folder (the ACME client's webroot is then `public`), or exclude the prefix from middleware and rewrites; the folder written here was {dir}"
        ),
        Stack::WordPress | Stack::Php | Stack::Nextcloud => {
            "exclude the prefix from the rewrite to index.php: Apache `RewriteCond %{REQUEST_URI} !^/\\.well-known/acme-challenge/` before the RewriteRule, or nginx `location ^~ /.well-known/acme-challenge/ { try_files $uri =404; }`".to_string()
        }
        _ => return None,
    };
    Some(text)
}

/// Cause and fix for a symptom code when no root cause explains it further.
pub fn symptom(code: Code, ctx: &FixContext, ip: &str) -> (String, String) {
    let port = ctx.http_port;
    let domain = ctx.domain;
    let (cause, fix) = match code {
        Code::ConnectionRefused => (
            format!("nothing accepts connections on port {port} at {ip}: the web server is stopped, listens on other addresses, or a firewall rejects the connection"),
            format!("start the web server and make it listen on port {port} of {ip} (nginx `listen {port};` and `listen [::]:{port};`), open port {port} in the firewall, and forward it to this machine if it is behind NAT"),
        ),
        Code::ConnectTimeout => (
            format!("packets to port {port} at {ip} are dropped: a firewall, a security group, or a NAT without port forwarding"),
            format!("allow inbound TCP port {port} from anywhere in the firewall and the hosting provider's security group; the CA connects from several regions"),
        ),
        Code::NetworkUnreachable => (
            format!("there is no route to {ip}: the address is not reachable from here, often an AAAA record on a host without IPv6"),
            "make the address reachable, or remove the DNS record that points to it".to_string(),
        ),
        Code::ResponseTimeout => (
            "the server accepted the connection but did not send a complete answer before the deadline".to_string(),
            "check that the web server or the app behind it is not stalled or overloaded, and that no proxy holds the request".to_string(),
        ),
        Code::ConnectionReset => (
            "the connection broke before a complete answer arrived: a crashing backend, a proxy or a filter that drops the request".to_string(),
            "check the web server's error log at the time of the check".to_string(),
        ),
        Code::MalformedResponse => (
            "the server's answer is not valid HTTP/1.1".to_string(),
            format!("make sure a web server speaking HTTP/1.1 listens on port {port}, not another protocol"),
        ),
        Code::DnsNoAddress => (
            format!("DNS has no usable A or AAAA record for {domain}"),
            format!("add an A record (and an AAAA record only if IPv6 works) for {domain} pointing at the web server's public address"),
        ),
        Code::DnsLookupFailed => (
            format!("the DNS lookup of {domain} failed (the name does not exist, or its DNS servers fail)"),
            format!("check the zone of {domain} at its DNS provider, and that its nameservers answer"),
        ),
        Code::NotFound => (
            "the server answered 404: the token file is not where the server looks for it".to_string(),
            serve_prefix(None, ctx),
        ),
        Code::Forbidden => (
            "the server answered 403: an access rule or file permissions refuse the token".to_string(),
            "allow access to /.well-known/acme-challenge/ and let the web server's user read the folder".to_string(),
        ),
        Code::AuthRequired => (
            "the server asks for authentication, which the CA cannot give".to_string(),
            "exempt /.well-known/acme-challenge/ from authentication (nginx `auth_basic off;` in that location, Apache `Require all granted`)".to_string(),
        ),
        Code::ServerError => (
            "the server failed with a 5xx status".to_string(),
            "check the web server's and the app's error logs; a proxy that cannot reach its backend answers 502 or 504".to_string(),
        ),
        Code::UnexpectedStatus => (
            "the server answered with a status other than 200; the CA accepts only 200".to_string(),
            serve_prefix(None, ctx),
        ),
        Code::ContentMismatch => (
            "the server answered 200 with a body other than the token file's content".to_string(),
            serve_prefix(None, ctx),
        ),
        Code::BodyTooLarge => (
            "the answer is 128 bytes or more; the CA reads at most 127 bytes, so this is not the token file".to_string(),
            serve_prefix(None, ctx),
        ),
        Code::RedirectBadPort => (
            "a redirect names a port other than 80 and 443; the CA connects to no other port".to_string(),
            "redirect to a URL without a port (or with :80 or :443), or exempt /.well-known/acme-challenge/ from the redirect".to_string(),
        ),
        Code::RedirectBadScheme => (
            "a redirect leads to a scheme other than http or https".to_string(),
            "redirect only to http:// or https:// URLs, or exempt /.well-known/acme-challenge/ from the redirect".to_string(),
        ),
        Code::RedirectBadHost => (
            "a redirect leads to a host the CA rejects: an IP address in a reserved range, an IPv6 zone, or a name outside the public DNS".to_string(),
            "redirect only to public names of this site, or exempt /.well-known/acme-challenge/ from the redirect".to_string(),
        ),
        Code::RedirectMissingSlash => (
            "a redirect glues the host name to .well-known, as `return 301 https://$host$request_uri` does when `$request_uri` lacks its slash or the rule is written `https://$host.well-known/...`".to_string(),
            "add the missing slash between the host and the path in the redirect rule".to_string(),
        ),
        Code::RedirectDisallowedStatus => (
            "the redirect status is not one the CA follows: Let's Encrypt follows 301, 302, 307 and 308 only".to_string(),
            "use 301 or 308 for the redirect (nginx `return 301`, Apache `Redirect permanent`)".to_string(),
        ),
        Code::RedirectLoop => (
            "the redirects lead back to a URL already requested".to_string(),
            "check rewrite rules and proxy headers (a backend that does not see X-Forwarded-Proto redirects forever)".to_string(),
        ),
        Code::RedirectTooMany => (
            "the chain has more redirects than the CA follows".to_string(),
            "redirect at most once or twice: straight to the final URL".to_string(),
        ),
        Code::RedirectTooLong => (
            "a redirect path is longer than 2000 bytes, which the CA rejects; a rewrite rule is probably appending to the path in a loop".to_string(),
            "fix the rewrite rule that grows the path".to_string(),
        ),
        Code::RedirectInvalid => (
            "a Location header is not a valid URL".to_string(),
            "fix the redirect rule so that Location holds an absolute URL or a path".to_string(),
        ),
        Code::TlsFailed => (
            "the TLS handshake on the HTTPS redirect target failed; the CA accepts any certificate but needs TLS 1.2 or later".to_string(),
            "make the HTTPS side complete a TLS 1.2+ handshake, or exempt /.well-known/acme-challenge/ from the redirect to HTTPS".to_string(),
        ),
        Code::HttpOnHttpsPort => (
            "the HTTPS port answers in plain HTTP: the server block for that port lacks `ssl`".to_string(),
            "enable TLS on that listener (nginx `listen 443 ssl;`), or exempt /.well-known/acme-challenge/ from the redirect to HTTPS".to_string(),
        ),
        Code::Http2OnHttpPort => (
            format!("port {port} speaks HTTP/2 without TLS (h2c prior knowledge); the CA speaks HTTP/1.1 only"),
            format!("let the listener on port {port} accept HTTP/1.1 (nginx: remove `http2` from the plain `listen` line)"),
        ),
        _ => (String::new(), String::new()),
    };
    (cause, fix)
}
