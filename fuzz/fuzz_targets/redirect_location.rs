//! Fuzzes the redirect-target parser with arbitrary `Location` values: whatever it
//! accepts must display as printable text, with a path that starts with `/`, holds only
//! printable ASCII and has no dot segments.
#![no_main]

use acme_preflight::url::{Host, Url, resolve_location};
use libfuzzer_sys::fuzz_target;

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fuzz_target!(|data: &[u8]| {
    let location = String::from_utf8_lossy(data);
    let base = Url::http(Host::Name("example.test".into()), None, "/.well-known/acme-challenge/tok");
    let Ok(url) = resolve_location(&base, &location) else {
        return;
    };

    let shown = url.to_string();
    assert!(!shown.chars().any(is_unsafe), "raw character in {shown:?} from {location:?}");
    assert!(url.path.starts_with('/'), "path {:?} from {location:?}", url.path);
    assert!(url.path.bytes().all(|b| b.is_ascii_graphic()), "path {:?} from {location:?}", url.path);
    if let Some(query) = &url.query {
        assert!(query.bytes().all(|b| b.is_ascii_graphic()), "query {query:?} from {location:?}");
    }
    assert!(
        url.path.split('/').all(|segment| segment != "." && segment != ".."),
        "dot segment in {:?} from {location:?}",
        url.path
    );
});
