//! Challenge tokens and key authorizations, made the way an ACME CA makes them.
//!
//! RFC 8555 asks for at least 128 bits of entropy in base64url without padding. Let's
//! Encrypt and Pebble draw 32 random bytes, which encode to exactly 43 characters, and the
//! key authorization `token.thumbprint` is then 87 ASCII bytes. The tool makes its own
//! tokens the same size, so a server rule that depends on the name's length or alphabet
//! treats the preflight exactly as it will treat the real challenge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of a token from Let's Encrypt or Pebble: 32 random bytes in base64url.
pub const TOKEN_LEN: usize = 43;

/// Prefix of the thumbprint half of every key authorization this tool writes.
///
/// A real thumbprint is a SHA-256 digest in base64url, so it never starts with this text
/// by accident in practice. The marker is how `clean` tells this tool's leftovers apart from
/// a live ACME client's token in the same folder: file names alone look the same.
pub const THUMBPRINT_MARKER: &str = "acme-preflight-";

/// A token and the key authorization that the server must return for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub token: String,
    pub key_authorization: String,
}

impl Challenge {
    /// Creates a fresh challenge from the operating system's CSPRNG.
    ///
    /// The thumbprint half carries [`THUMBPRINT_MARKER`] and is padded with random
    /// characters to the 43 characters of a real SHA-256 thumbprint.
    pub fn random() -> Result<Challenge, getrandom::Error> {
        let token = random_base64url(32)?;

        let tail = random_base64url(32)?;
        let thumbprint = format!(
            "{THUMBPRINT_MARKER}{}",
            &tail[..TOKEN_LEN - THUMBPRINT_MARKER.len()]
        );

        let key_authorization = format!("{token}.{thumbprint}");
        Ok(Challenge {
            token,
            key_authorization,
        })
    }

    /// Creates a challenge from a token and key authorization that an ACME client made.
    pub fn given(token: &str, key_authorization: &str) -> Challenge {
        Challenge {
            token: token.to_string(),
            key_authorization: key_authorization.to_string(),
        }
    }
}

/// Returns `bytes` random bytes from the OS, encoded as base64url without padding.
pub fn random_base64url(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Reports whether `token` is a syntactically valid ACME token for a URL path segment.
///
/// RFC 8555 allows any length of base64url; the path segment bound of 255 characters keeps
/// file names within what every common filesystem accepts.
pub fn is_valid_token(token: &str) -> bool {
    (1..=255).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reports whether a key authorization was written by this tool.
pub fn is_own_key_authorization(content: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content) else {
        return false;
    };
    match text.trim_end().split_once('.') {
        Some((token, thumbprint)) => {
            is_valid_token(token)
                && thumbprint.starts_with(THUMBPRINT_MARKER)
                && thumbprint.len() == TOKEN_LEN
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_challenge_has_ca_sizes() {
        let challenge = Challenge::random().unwrap();
        assert_eq!(challenge.token.len(), TOKEN_LEN);
        assert_eq!(challenge.key_authorization.len(), 87);
        assert!(is_valid_token(&challenge.token));
        assert!(challenge.key_authorization.starts_with(&challenge.token));
    }

    #[test]
    fn random_tokens_differ() {
        let a = Challenge::random().unwrap();
        let b = Challenge::random().unwrap();
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn own_marker_recognized() {
        let challenge = Challenge::random().unwrap();
        assert!(is_own_key_authorization(challenge.key_authorization.as_bytes()));
        let certbot_like = format!("{}.{}", challenge.token, "x".repeat(43));
        assert!(!is_own_key_authorization(certbot_like.as_bytes()));
        assert!(!is_own_key_authorization(b"\xff\xfe"));
    }

    #[test]
    fn token_syntax() {
        assert!(is_valid_token("abc_DEF-123"));
        assert!(!is_valid_token(""));
        assert!(!is_valid_token("a.b"));
        assert!(!is_valid_token("a/b"));
        assert!(!is_valid_token(&"a".repeat(256)));
    }
}
