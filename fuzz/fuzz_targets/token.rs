//! Fuzzes token validation and the recognition of the tool's own key authorizations,
//! which decides what `clean` may remove.
#![no_main]

use acme_preflight::token::{THUMBPRINT_MARKER, TOKEN_LEN, is_own_key_authorization, is_valid_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let base64url = text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        assert_eq!(is_valid_token(text), (1..=255).contains(&text.len()) && base64url, "{text:?}");
    }

    if is_own_key_authorization(data) {
        let text = std::str::from_utf8(data).expect("an own key authorization is UTF-8");
        let (token, thumbprint) = text.trim_end().split_once('.').expect("it has a dot");
        assert!(is_valid_token(token), "{text:?}");
        assert!(thumbprint.starts_with(THUMBPRINT_MARKER), "{text:?}");
        assert_eq!(thumbprint.len(), TOKEN_LEN, "{text:?}");
    }
});
