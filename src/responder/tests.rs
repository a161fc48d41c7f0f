//! Tests of the pure handler: each source, each fallback, and what is never served.

use super::*;
use http_body_util::BodyExt;

const THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

fn dir_with(token: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(token), content).unwrap();
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn config(sources: Vec<Source>, fallback: Fallback) -> Config {
    Config { sources, fallback }
}

fn request(method: Method, target: &str, host: Option<&str>) -> Request<()> {
    let mut builder = Request::builder().method(method).uri(target);
    if let Some(host) = host {
        builder = builder.header(HOST, host);
    }
    builder.body(()).unwrap()
}

fn get(config: &Config, target: &str) -> Response<Full<Bytes>> {
    respond(config, &request(Method::GET, target, Some("example.test")))
}

async fn body(response: Response<Full<Bytes>>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

#[tokio::test]
async fn serves_token_file() {
    let (_dir, path) = dir_with("tok_en-1", b"tok_en-1.thumb");
    let config = config(vec![Source::Dir(path)], Fallback::NotFound);
    let response = get(&config, "/.well-known/acme-challenge/tok_en-1");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
    assert_eq!(body(response).await, "tok_en-1.thumb");
}

#[tokio::test]
async fn head_has_no_body() {
    let (_dir, path) = dir_with("tok", b"tok.thumb");
    let config = config(vec![Source::Dir(path)], Fallback::NotFound);
    let response = respond(&config, &request(Method::HEAD, "/.well-known/acme-challenge/tok", None));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_LENGTH], "9");
    assert!(body(response).await.is_empty());
}

#[test]
fn other_paths_and_methods() {
    let (_dir, path) = dir_with("tok", b"x");
    let config = config(vec![Source::Dir(path)], Fallback::NotFound);
    assert_eq!(get(&config, "/").status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&config, "/.well-known/acme-challenge/missing").status(), StatusCode::NOT_FOUND);
    let post = respond(&config, &request(Method::POST, "/.well-known/acme-challenge/tok", None));
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()[ALLOW], "GET, HEAD");
    let put = respond(&config, &request(Method::PUT, "/.well-known/acme-challenge/tok", None));
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn stateless_answers_any_token() {
    let config = config(vec![Source::Thumbprint(THUMBPRINT.to_string())], Fallback::NotFound);
    for token in ["a", "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", "x-y_z"] {
        let response = get(&config, &format!("/.well-known/acme-challenge/{token}"));
        assert_eq!(response.status(), StatusCode::OK, "{token}");
        assert_eq!(body(response).await, format!("{token}.{THUMBPRINT}"));
    }
    assert_eq!(get(&config, "/.well-known/acme-challenge/a.b").status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&config, "/.well-known/acme-challenge/").status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn file_wins_over_thumbprint() {
    let (_dir, path) = dir_with("tok", b"tok.from-file");
    let config = config(
        vec![Source::Dir(path), Source::Thumbprint(THUMBPRINT.to_string())],
        Fallback::NotFound,
    );
    assert_eq!(body(get(&config, "/.well-known/acme-challenge/tok")).await, "tok.from-file");
    assert_eq!(
        body(get(&config, "/.well-known/acme-challenge/other")).await,
        format!("other.{THUMBPRINT}")
    );
}

#[tokio::test]
async fn memory_source_answers_only_its_token() {
    let challenge = Challenge::given("held", "held.key");
    let config = config(vec![Source::Memory(challenge)], Fallback::NotFound);
    assert_eq!(body(get(&config, "/.well-known/acme-challenge/held")).await, "held.key");
    assert_eq!(get(&config, "/.well-known/acme-challenge/other").status(), StatusCode::NOT_FOUND);
}

#[test]
fn redirect_mode_sends_308_to_https() {
    let config = config(vec![Source::Thumbprint(THUMBPRINT.to_string())], Fallback::RedirectHttps);
    let cases = [
        ("/", Some("example.test"), "https://example.test/"),
        ("/a/b?x=1&y=%20", Some("Example.TEST:8080"), "https://example.test/a/b?x=1&y=%20"),
        ("/p", Some("[::1]:80"), "https://[::1]/p"),
        ("/p", Some("192.0.2.1"), "https://192.0.2.1/p"),
        ("http://other.test:81/q?z", Some("example.test"), "https://other.test/q?z"),
    ];
    for (target, host, location) in cases {
        let response = respond(&config, &request(Method::GET, target, host));
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT, "{target}");
        assert_eq!(response.headers()[LOCATION], location, "{target}");
    }
    let post = respond(&config, &request(Method::POST, "/form", Some("example.test")));
    assert_eq!(post.status(), StatusCode::PERMANENT_REDIRECT);
}

#[test]
fn redirect_mode_still_answers_challenges() {
    let config = config(vec![Source::Thumbprint(THUMBPRINT.to_string())], Fallback::RedirectHttps);
    assert_eq!(get(&config, "/.well-known/acme-challenge/tok").status(), StatusCode::OK);
    assert_eq!(get(&config, "/.well-known/acme-challenge/a.b").status(), StatusCode::NOT_FOUND);
}

#[test]
fn redirect_rejects_bad_hosts() {
    let config = config(vec![], Fallback::RedirectHttps);
    for host in [None, Some(""), Some("user@evil.test"), Some("a b"), Some("evil.test/x"), Some("[::1"), Some("a..b"), Some("a:b:c")] {
        let response = respond(&config, &request(Method::GET, "/", host));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{host:?}");
        assert!(response.headers().get(LOCATION).is_none(), "{host:?}");
    }
}

#[test]
fn redirect_host_forms() {
    assert_eq!(redirect_host("Example.Test").as_deref(), Some("example.test"));
    assert_eq!(redirect_host("example.test.").as_deref(), Some("example.test."));
    assert_eq!(redirect_host("example.test:80").as_deref(), Some("example.test"));
    assert_eq!(redirect_host("[2001:DB8::1]:8080").as_deref(), Some("[2001:db8::1]"));
    assert_eq!(redirect_host("[fe80::1%25eth0]"), None);
    assert_eq!(redirect_host("example.test:"), None);
    assert_eq!(redirect_host("example.test:123456"), None);
    assert_eq!(redirect_host(&"a".repeat(254)), None);
}

#[test]
fn proxy_mode_forwards_only_non_challenges() {
    let upstream = Upstream {
        authority: "127.0.0.1:8050".to_string(),
        addrs: vec!["127.0.0.1:8050".parse().unwrap()],
    };
    let config = config(vec![Source::Thumbprint(THUMBPRINT.to_string())], Fallback::Proxy(upstream));
    let forwarded = |method: Method, target: &str| forward_target(&config, &request(method, target, None)).is_some();
    assert!(forwarded(Method::GET, "/"));
    assert!(forwarded(Method::POST, "/_dash-update-component"));
    assert!(forwarded(Method::GET, "/.well-known/other"));
    assert!(forwarded(Method::GET, "/.well-known/acme-challenge"));
    assert!(!forwarded(Method::GET, "/.well-known/acme-challenge/tok"));
    assert!(!forwarded(Method::GET, "/.well-known/acme-challenge/..%2f..%2fetc"));
    assert!(!forwarded(Method::POST, "/.well-known/acme-challenge/tok"));
    assert!(!forwarded(Method::CONNECT, "example.test:443"));

    let connect = respond(&config, &request(Method::CONNECT, "example.test:443", None));
    assert_eq!(connect.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn no_fallback_means_404() {
    let config = config(vec![Source::Thumbprint(THUMBPRINT.to_string())], Fallback::NotFound);
    assert_eq!(get(&config, "/").status(), StatusCode::NOT_FOUND);
    assert!(forward_target(&config, &request(Method::GET, "/", None)).is_none());
}

#[test]
fn traversal_is_never_served() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret"), "secret").unwrap();
    let inner = outer.path().join("challenges");
    std::fs::create_dir(&inner).unwrap();
    let config = config(vec![Source::Dir(inner)], Fallback::NotFound);
    for path in [
        "/.well-known/acme-challenge/../secret",
        "/.well-known/acme-challenge/%2e%2e/secret",
        "/.well-known/acme-challenge/..%2fsecret",
        "/.well-known/acme-challenge/..%5csecret",
        "/.well-known/acme-challenge/..\\secret",
        "/.well-known/acme-challenge/",
        "/.well-known/acme-challenge/secret%00",
    ] {
        assert_eq!(get(&config, path).status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_large_files_fifos_and_folders_refused() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret"), "secret").unwrap();
    let dir = outer.path().join("c");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("link")).unwrap();
    std::os::unix::fs::symlink("inside", dir.join("innerlink")).unwrap();
    std::fs::write(dir.join("inside"), "inside").unwrap();
    std::fs::write(dir.join("big"), vec![b'a'; 5000]).unwrap();
    std::fs::write(dir.join("edge"), vec![b'a'; MAX_FILE_BYTES as usize]).unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("fifo").to_str().unwrap()).unwrap();
    // SAFETY: `fifo` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let config = config(vec![Source::Dir(dir)], Fallback::NotFound);

    for token in ["link", "innerlink", "big", "folder", "fifo"] {
        let response = get(&config, &format!("/.well-known/acme-challenge/{token}"));
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{token}");
    }
    assert_eq!(get(&config, "/.well-known/acme-challenge/inside").status(), StatusCode::OK);
    assert_eq!(get(&config, "/.well-known/acme-challenge/edge").status(), StatusCode::OK);
}

#[test]
fn thumbprint_syntax() {
    assert_eq!(parse_thumbprint(THUMBPRINT).unwrap(), THUMBPRINT);
    for bad in ["", "short", &format!("{THUMBPRINT}A"), &THUMBPRINT.replace('N', "+"), &format!("{}=", &THUMBPRINT[..42])] {
        let error = parse_thumbprint(bad).unwrap_err();
        assert!(error.contains("--thumbprint"), "{error}");
        assert!(error.contains(&format!("{bad:?}")), "{error}");
    }
}
