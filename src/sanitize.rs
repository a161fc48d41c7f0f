//! Making bytes from a server safe to print.
//!
//! Servers are not trusted: a body or header may carry terminal escape sequences, control
//! characters or invalid UTF-8. Everything that reaches a report passes through here first,
//! so no server byte reaches the terminal unescaped.

/// Converts server bytes to printable text of at most `max_chars` characters.
///
/// Invalid UTF-8 becomes U+FFFD, and control characters (C0, DEL, C1, and the bidirectional
/// overrides that can reorder a terminal line) become `\n`, `\t`, `\r` or `\u{..}` escapes.
/// A cut excerpt ends with `…`.
pub fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();

    for (count, ch) in text.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        push_escaped(&mut out, ch);
    }
    out
}

/// Escapes control characters in text that is already valid UTF-8.
pub fn escape(text: &str) -> String {
    // Printable ASCII other than `\` needs no escape. The responder logs a path and a
    // host per request, and they are nearly always such text.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        push_escaped(&mut out, ch);
    }
    out
}

fn push_escaped(out: &mut String, ch: char) {
    match ch {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(excerpt(b"\x1b[31mred\x07", 100), "\\u{1b}[31mred\\u{7}");
    }

    #[test]
    fn replaces_invalid_utf8() {
        assert_eq!(excerpt(b"ok\xff", 100), "ok\u{fffd}");
    }

    #[test]
    fn cuts_long_text() {
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(b"abc", 3), "abc");
    }

    #[test]
    fn escapes_newlines_and_bidi() {
        assert_eq!(escape("a\nb\u{202e}"), "a\\nb\\u{202e}");
    }
}
