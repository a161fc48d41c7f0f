//! Fuzzes the bundled responder with arbitrary request paths and methods: it must answer
//! 200 for exactly one path, that of the one token file, and only to GET and HEAD.
#![no_main]

use std::sync::OnceLock;

use acme_preflight::responder::{CHALLENGE_PREFIX, Config, Fallback, Source, respond};
use hyper::{Method, StatusCode};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "served_TOKEN-1";

/// A challenge folder with one token file and a symlink to a secret beside the folder.
fn source() -> &'static Config {
    static SOURCE: OnceLock<(tempfile::TempDir, Config)> = OnceLock::new();
    &SOURCE
        .get_or_init(|| {
            let outer = tempfile::tempdir().expect("temporary folder");
            std::fs::write(outer.path().join("secret"), "secret").expect("secret file");
            let dir = outer.path().join("challenges");
            std::fs::create_dir(&dir).expect("challenge folder");
            std::fs::write(dir.join(TOKEN), format!("{TOKEN}.thumbprint")).expect("token file");
            std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("link")).expect("symlink");
            let config = Config {
                sources: vec![Source::Dir(dir)],
                fallback: Fallback::NotFound,
            };
            (outer, config)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let method = match selector % 4 {
        0 => Method::GET,
        1 => Method::HEAD,
        2 => Method::POST,
        _ => Method::PUT,
    };
    let path = String::from_utf8_lossy(rest);
    // A target the HTTP parser rejects never reaches the handler.
    let Ok(request) = hyper::Request::builder().method(method.clone()).uri(path.as_ref()).body(()) else {
        return;
    };

    let status = respond(source(), &request).status();

    let readable = method == Method::GET || method == Method::HEAD;
    let exact = request.uri().path() == format!("{CHALLENGE_PREFIX}{TOKEN}");
    assert_eq!(status == StatusCode::OK, readable && exact, "{status} for {method} {path:?}");
});
