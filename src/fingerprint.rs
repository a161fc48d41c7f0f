//! Recognizing which component answered, from headers and body markers.
//!
//! The table is data: each row names a component and one marker. Several rows can match one
//! answer (nginx in front of gunicorn running a Dash app), and the report names the most
//! specific component and keeps every marker that matched as evidence.

use serde::Serialize;

use crate::fetch::Hop;

/// A component that can answer an HTTP request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    Nginx,
    Apache,
    Lighttpd,
    Caddy,
    Iis,
    Traefik,
    Flask,
    Dash,
    Django,
    Express,
    NextJs,
    Php,
    WordPress,
    Nextcloud,
    Gunicorn,
    Uvicorn,
    Cloudflare,
    Cdn,
    AcmePreflight,
}

/// What kind of component a stack is, from the most to the least specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Framework,
    AppServer,
    WebServer,
    Cdn,
}

impl Stack {
    pub fn name(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Apache => "Apache httpd",
            Stack::Lighttpd => "lighttpd",
            Stack::Caddy => "Caddy",
            Stack::Iis => "Microsoft IIS",
            Stack::Traefik => "Traefik",
            Stack::Flask => "Flask (Werkzeug)",
            Stack::Dash => "Plotly Dash",
            Stack::Django => "Django",
            Stack::Express => "Express",
            Stack::NextJs => "Next.js",
            Stack::Php => "PHP",
            Stack::WordPress => "WordPress",
            Stack::Nextcloud => "Nextcloud",
            Stack::Gunicorn => "gunicorn",
            Stack::Uvicorn => "uvicorn",
            Stack::Cloudflare => "Cloudflare",
            Stack::Cdn => "a CDN",
            Stack::AcmePreflight => "the acme-preflight responder",
        }
    }

    pub fn role(self) -> Role {
        match self {
            Stack::Flask
            | Stack::Dash
            | Stack::Django
            | Stack::Express
            | Stack::NextJs
            | Stack::Php
            | Stack::WordPress
            | Stack::Nextcloud => Role::Framework,
            Stack::Gunicorn | Stack::Uvicorn => Role::AppServer,
            Stack::Cloudflare | Stack::Cdn => Role::Cdn,
            _ => Role::WebServer,
        }
    }

    /// Whether a more specific framework refines this one (Dash runs on Flask, WordPress
    /// on PHP), so the general one is not named separately.
    fn refined_by(self, other: Stack) -> bool {
        matches!(
            (self, other),
            (Stack::Flask, Stack::Dash) | (Stack::Php, Stack::WordPress) | (Stack::Php, Stack::Nextcloud)
        )
    }
}

enum Test {
    /// A header whose value contains the text, case-insensitively.
    Header(&'static str, &'static str),
    /// A header that is present at all.
    HeaderPresent(&'static str),
    /// A cookie whose name starts with the text.
    Cookie(&'static str),
    /// Text in the body, case-sensitively.
    Body(&'static str),
    /// Every header of the set, with values containing the texts.
    HeaderSet(&'static [(&'static str, &'static str)]),
}

struct Rule {
    stack: Stack,
    test: Test,
}

const fn rule(stack: Stack, test: Test) -> Rule {
    Rule { stack, test }
}

static RULES: &[Rule] = &[
    rule(Stack::Nginx, Test::Header("server", "nginx")),
    rule(Stack::Nginx, Test::Body("<center>nginx")),
    rule(Stack::Apache, Test::Header("server", "apache")),
    rule(Stack::Apache, Test::Body("<address>Apache/")),
    rule(Stack::Lighttpd, Test::Header("server", "lighttpd")),
    rule(Stack::Caddy, Test::Header("server", "caddy")),
    rule(Stack::Iis, Test::Header("server", "microsoft-iis")),
    rule(Stack::Iis, Test::Header("x-powered-by", "asp.net")),
    rule(Stack::Traefik, Test::Body("404 page not found\n")),
    rule(Stack::Flask, Test::Header("server", "werkzeug")),
    rule(Stack::Flask, Test::Body("The requested URL was not found on the server. If you entered the URL manually")),
    rule(Stack::Dash, Test::Body("_dash-config")),
    rule(Stack::Dash, Test::Body("react-entry-point")),
    rule(Stack::Dash, Test::Body("DashRenderer")),
    rule(Stack::Django, Test::Body("The requested resource was not found on this server.")),
    rule(Stack::Django, Test::Body("Page not found <span>(404)</span>")),
    rule(Stack::Django, Test::Header("server", "wsgiserver")),
    rule(Stack::Django, Test::Cookie("csrftoken")),
    rule(
        Stack::Django,
        Test::HeaderSet(&[
            ("x-frame-options", "deny"),
            ("referrer-policy", "same-origin"),
            ("cross-origin-opener-policy", "same-origin"),
        ]),
    ),
    rule(Stack::Express, Test::Header("x-powered-by", "express")),
    rule(Stack::Express, Test::Body("<pre>Cannot GET ")),
    rule(Stack::NextJs, Test::Header("x-powered-by", "next.js")),
    rule(Stack::NextJs, Test::HeaderPresent("x-nextjs-cache")),
    rule(Stack::NextJs, Test::Body("__NEXT_DATA__")),
    rule(Stack::NextJs, Test::Body("/_next/static/")),
    rule(Stack::Php, Test::Header("x-powered-by", "php")),
    rule(Stack::Php, Test::Cookie("PHPSESSID")),
    rule(Stack::WordPress, Test::Header("x-redirect-by", "wordpress")),
    rule(Stack::WordPress, Test::Header("link", "wp-json")),
    rule(Stack::WordPress, Test::Body("/wp-content/")),
    rule(Stack::Nextcloud, Test::Cookie("oc_sessionPassphrase")),
    rule(Stack::Nextcloud, Test::HeaderPresent("x-nextcloud-well-known")),
    rule(Stack::Nextcloud, Test::Body("nextcloud")),
    rule(Stack::Gunicorn, Test::Header("server", "gunicorn")),
    rule(Stack::Uvicorn, Test::Header("server", "uvicorn")),
    rule(Stack::Cloudflare, Test::Header("server", "cloudflare")),
    rule(Stack::Cloudflare, Test::HeaderPresent("cf-ray")),
    rule(Stack::Cdn, Test::Header("via", "cloudfront")),
    rule(Stack::Cdn, Test::HeaderPresent("x-amz-cf-id")),
    rule(Stack::Cdn, Test::Header("via", "varnish")),
    rule(Stack::Cdn, Test::HeaderPresent("x-fastly-request-id")),
    rule(Stack::Cdn, Test::Header("server", "akamaighost")),
    rule(Stack::Cdn, Test::HeaderPresent("x-vercel-id")),
    rule(Stack::AcmePreflight, Test::Header("server", "acme-preflight")),
];

/// The components recognized in one answer, with the markers that matched.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub matches: Vec<(Stack, String)>,
}

impl Identity {
    /// Recognizes the components behind one hop's answer.
    pub fn of(hop: &Hop) -> Identity {
        let body = String::from_utf8_lossy(&hop.body);
        let mut matches = Vec::new();

        for rule in RULES {
            if let Some(evidence) = test(&rule.test, hop, &body) {
                matches.push((rule.stack, evidence));
            }
        }
        Identity { matches }
    }

    pub fn has(&self, stack: Stack) -> bool {
        self.matches.iter().any(|(s, _)| *s == stack)
    }

    /// The distinct stacks, most specific first, without a stack that another refines.
    pub fn stacks(&self) -> Vec<Stack> {
        let mut stacks: Vec<Stack> = Vec::new();
        for (stack, _) in &self.matches {
            if !stacks.contains(stack) {
                stacks.push(*stack);
            }
        }
        let all = stacks.clone();
        stacks.retain(|s| !all.iter().any(|other| s.refined_by(*other)));
        stacks.sort_by_key(|s| s.role());
        stacks
    }

    /// The application framework, if one answered.
    pub fn framework(&self) -> Option<Stack> {
        self.stacks().into_iter().find(|s| s.role() == Role::Framework)
    }

    /// The most specific component.
    pub fn primary(&self) -> Option<Stack> {
        self.stacks().into_iter().next()
    }

    /// The front web server, if one was seen.
    pub fn web_server(&self) -> Option<Stack> {
        self.stacks().into_iter().find(|s| s.role() == Role::WebServer)
    }

    pub fn cdn(&self) -> Option<Stack> {
        self.stacks().into_iter().find(|s| s.role() == Role::Cdn)
    }

    /// Describes the answering component: "a Plotly Dash app under gunicorn".
    pub fn describe(&self) -> Option<String> {
        let stacks = self.stacks();
        let first = *stacks.first()?;
        let mut text = match first.role() {
            Role::Framework => format!("a {} app", first.name()),
            _ => first.name().to_string(),
        };
        if first.role() == Role::Framework
            && let Some(server) = stacks.iter().find(|s| s.role() == Role::AppServer)
        {
            text.push_str(&format!(" under {}", server.name()));
        }
        if let Some(front) = stacks.iter().find(|s| s.role() == Role::WebServer)
            && *front != first
        {
            text.push_str(&format!(" behind {}", front.name()));
        }
        Some(text)
    }

    /// The matched markers as evidence strings.
    pub fn evidence(&self) -> Vec<String> {
        self.matches
            .iter()
            .map(|(stack, marker)| format!("{}: {marker}", stack.name()))
            .collect()
    }
}

fn test(test: &Test, hop: &Hop, body: &str) -> Option<String> {
    match test {
        Test::Header(name, needle) => hop
            .header_values(name)
            .find(|v| v.to_ascii_lowercase().contains(needle))
            .map(|v| format!("header {name}: {v}")),
        Test::HeaderPresent(name) => hop.header(name).map(|_| format!("header {name}")),
        Test::Cookie(prefix) => hop
            .header_values("set-cookie")
            .find(|v| v.starts_with(prefix))
            .map(|v| format!("cookie {v}")),
        Test::Body(needle) => body
            .contains(needle)
            .then(|| format!("body contains {:?}", needle.trim_end())),
        Test::HeaderSet(set) => {
            let all = set.iter().all(|(name, value)| {
                hop.header_values(name)
                    .any(|v| v.to_ascii_lowercase().contains(value))
            });
            all.then(|| {
                let names: Vec<&str> = set.iter().map(|(n, _)| *n).collect();
                format!("security headers {}", names.join(", "))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{Host, Url};

    fn hop(headers: &[(&str, &str)], body: &str) -> Hop {
        let mut chain_hop = crate::fetch::Hop::for_tests(Url::http(Host::Name("a.test".into()), None, "/"));
        chain_hop.headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        chain_hop.body = body.as_bytes().to_vec();
        chain_hop
    }

    #[test]
    fn dash_under_gunicorn_behind_nginx() {
        let identity = Identity::of(&hop(&[("server", "nginx/1.22.1")], "<div id=\"react-entry-point\"><script id=\"_dash-config\">"));
        assert_eq!(identity.framework(), Some(Stack::Dash));
        assert_eq!(identity.describe().unwrap(), "a Plotly Dash app behind nginx");
        let identity = Identity::of(&hop(&[("server", "gunicorn")], "_dash-config"));
        assert_eq!(identity.describe().unwrap(), "a Plotly Dash app under gunicorn");
    }

    #[test]
    fn each_framework_and_cdn() {
        let cases: &[(&[(&str, &str)], &str, Stack)] = &[
            (&[("x-powered-by", "Express")], "", Stack::Express),
            (&[("x-powered-by", "Next.js")], "", Stack::NextJs),
            (&[], "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>", Stack::Django),
            (&[("server", "Werkzeug/3.1.3 Python/3.11")], "", Stack::Flask),
            (&[("x-redirect-by", "WordPress")], "", Stack::WordPress),
            (&[("set-cookie", "oc_sessionPassphrase")], "", Stack::Nextcloud),
            (&[("server", "Microsoft-IIS/10.0")], "", Stack::Iis),
            (&[("server", "uvicorn")], "", Stack::Uvicorn),
            (&[("cf-ray", "8a1b-AMS")], "", Stack::Cloudflare),
            (&[("via", "1.1 abc.cloudfront.net (CloudFront)")], "", Stack::Cdn),
            (&[("server", "Caddy")], "", Stack::Caddy),
            (&[("server", "lighttpd/1.4.69")], "", Stack::Lighttpd),
            (&[("server", "Apache/2.4.62 (Debian)")], "", Stack::Apache),
        ];
        for (headers, body, expected) in cases {
            let identity = Identity::of(&hop(headers, body));
            assert!(identity.has(*expected), "{expected:?} from {headers:?} {body:?}");
            assert!(!identity.evidence().is_empty());
        }
    }

    #[test]
    fn unknown_answer_has_no_identity() {
        let identity = Identity::of(&hop(&[("content-type", "text/plain")], "hello"));
        assert!(identity.describe().is_none());
    }
}
