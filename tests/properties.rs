//! Property tests for the parsers that read untrusted input: the responder's request path
//! and token check, the redirect-target parser, and name normalization. The fuzz targets
//! under fuzz/ check the same properties with coverage guidance; these run in the suite.

use std::sync::OnceLock;

use acme_preflight::responder::{CHALLENGE_PREFIX, Config, Fallback, Source, respond};
use acme_preflight::token::{TOKEN_LEN, THUMBPRINT_MARKER, is_own_key_authorization, is_valid_token};
use acme_preflight::url::{Host, Url, resolve_location};
use hyper::{Method, StatusCode};
use proptest::prelude::*;

/// The one token the responder under test can serve.
const TOKEN: &str = "served_TOKEN-1";

/// A challenge folder with one token file, and a secret beside the folder that no path
/// may reach.
fn source() -> &'static Config {
    static SOURCE: OnceLock<(tempfile::TempDir, Config)> = OnceLock::new();
    &SOURCE
        .get_or_init(|| {
            let outer = tempfile::tempdir().unwrap();
            std::fs::write(outer.path().join("secret"), "secret").unwrap();
            let dir = outer.path().join("challenges");
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join(TOKEN), format!("{TOKEN}.thumbprint")).unwrap();
            std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("link")).unwrap();
            let config = Config {
                sources: vec![Source::Dir(dir)],
                fallback: Fallback::NotFound,
            };
            (outer, config)
        })
        .1
}

/// Sends one request to the pure handler; `None` when the path is not a valid request
/// target at all, which the HTTP parser rejects before the handler runs.
fn status_for(method: Method, path: &str) -> Option<StatusCode> {
    let request = hyper::Request::builder().method(method).uri(path).body(()).ok()?;
    Some(respond(source(), &request).status())
}

fn is_base64url(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Paths built from pieces that traversal attempts use.
fn hostile_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e".to_string()),
        Just("%2f".to_string()),
        Just("%5c".to_string()),
        Just("\\".to_string()),
        Just("%00".to_string()),
        Just("secret".to_string()),
        Just("link".to_string()),
        Just(TOKEN.to_string()),
        Just(".well-known".to_string()),
        Just("acme-challenge".to_string()),
        "[a-zA-Z0-9_.%-]{0,8}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn base() -> Url {
    Url::http(Host::Name("example.test".into()), None, "/.well-known/acme-challenge/tok")
}

/// Characters a report must never show raw.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Locations built from URL pieces, to reach the parser's branches more often than
/// arbitrary text does.
fn location_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("http://".to_string()),
        Just("https://".to_string()),
        Just("//".to_string()),
        Just("/".to_string()),
        Just("../".to_string()),
        Just("./".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just("@".to_string()),
        Just(":".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("%".to_string()),
        Just("%25".to_string()),
        Just("%1b".to_string()),
        Just("%c2%9b".to_string()),
        Just("::1".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{9b}".to_string()),
        Just("é".to_string()),
        "[a-z0-9.-]{0,6}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

/// Checks what every parsed redirect target must satisfy.
fn check_resolved(location: &str) -> Result<(), TestCaseError> {
    let Ok(url) = resolve_location(&base(), location) else {
        return Ok(());
    };
    let shown = url.to_string();
    prop_assert!(!shown.chars().any(is_unsafe), "raw character in {shown:?} from {location:?}");
    prop_assert!(url.path.starts_with('/'), "path {:?} from {location:?}", url.path);
    prop_assert!(url.path.bytes().all(|b| b.is_ascii_graphic()), "path {:?} from {location:?}", url.path);
    if let Some(query) = &url.query {
        prop_assert!(query.bytes().all(|b| b.is_ascii_graphic()), "query {query:?} from {location:?}");
    }
    for segment in url.path.split('/') {
        prop_assert!(segment != "." && segment != "..", "dot segment in {:?} from {location:?}", url.path);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn token_validity_matches_its_definition(token in "\\PC{0,300}") {
        let expected = (1..=255).contains(&token.len()) && is_base64url(&token);
        prop_assert_eq!(is_valid_token(&token), expected);
    }

    #[test]
    fn base64url_tokens_up_to_255_are_valid(token in "[A-Za-z0-9_-]{1,255}") {
        prop_assert!(is_valid_token(&token));
    }

    #[test]
    fn own_key_authorization_has_valid_parts(content in prop::collection::vec(any::<u8>(), 0..200)) {
        if is_own_key_authorization(&content) {
            let text = std::str::from_utf8(&content).unwrap();
            let (token, thumbprint) = text.trim_end().split_once('.').unwrap();
            prop_assert!(is_valid_token(token));
            prop_assert!(thumbprint.starts_with(THUMBPRINT_MARKER));
            prop_assert_eq!(thumbprint.len(), TOKEN_LEN);
        }
    }

    #[test]
    fn responder_serves_only_the_token(
        path in prop_oneof![
            "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,20}){1,4}",
            "/\\.well-known/acme-challenge/[A-Za-z0-9._~%-]{0,30}",
            Just(format!("{CHALLENGE_PREFIX}{TOKEN}")),
        ],
        get in any::<bool>(),
    ) {
        let method = if get { Method::GET } else { Method::HEAD };
        let status = status_for(method, &path);
        prop_assume!(status.is_some());
        let status = status.unwrap();
        let exact = path == format!("{CHALLENGE_PREFIX}{TOKEN}");
        prop_assert_eq!(status == StatusCode::OK, exact, "{} for {:?}", status, path);
    }

    #[test]
    fn responder_rejects_traversal(path in hostile_path()) {
        let path = format!("{CHALLENGE_PREFIX}{path}");
        let status = status_for(Method::GET, &path);
        prop_assume!(status.is_some());
        let status = status.unwrap();
        let exact = path == format!("{CHALLENGE_PREFIX}{TOKEN}");
        prop_assert_eq!(status == StatusCode::OK, exact, "{} for {:?}", status, path);
    }

    #[test]
    fn responder_rejects_other_methods(path in "\\PC{0,40}") {
        if let Some(status) = status_for(Method::POST, &path) {
            prop_assert_ne!(status, StatusCode::OK);
        }
    }

    #[test]
    fn resolved_location_is_printable(location in "\\PC{0,120}") {
        check_resolved(&location)?;
    }

    #[test]
    fn resolved_url_like_location_is_printable(location in location_like()) {
        check_resolved(&location)?;
    }

    #[test]
    fn resolved_location_with_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        check_resolved(&String::from_utf8_lossy(&bytes))?;
    }

    // A second slash at the start would make a network-path reference (`//host/...`).
    #[test]
    fn absolute_path_keeps_scheme_and_host(path in "/([a-zA-Z0-9._~-][a-zA-Z0-9/._~-]{0,60})?") {
        let url = resolve_location(&base(), &path).unwrap();
        prop_assert_eq!(url.scheme, "http");
        prop_assert_eq!(url.host, Host::Name("example.test".into()));
        prop_assert_eq!(url.port, None);
    }

    #[test]
    fn normalized_names_are_stable(name in "\\PC{0,80}") {
        if let Ok(normalized) = acme_preflight::app::normalize_domain(&name) {
            prop_assert!(normalized.len() <= 253 + 2, "{}", normalized);
            prop_assert!(normalized.bytes().all(|b| b.is_ascii_graphic()), "{:?}", normalized);
            prop_assert_eq!(acme_preflight::app::normalize_domain(&normalized), Ok(normalized.clone()));
        }
    }
}
