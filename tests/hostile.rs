//! `check` against hostile servers, one behaviour per test.
//!
//! Every server listens on 127.0.0.1 and is a [`RawServer`] that writes raw bytes. Each
//! test runs the binary in text mode with `-vv` and `--timeout 2`, and asserts:
//!
//! - the run ends within three times the timeout ([`TIME_BOUND`]) with exit status 1;
//! - the finding code the behaviour should get is the primary code or among the findings;
//! - nothing panicked;
//! - stdout and stderr are valid UTF-8 with no control character but newline and no
//!   bidirectional control, so no server byte reached the terminal unescaped;
//! - the peak resident set size of the check stays under [`RSS_BOUND_KIB`];
//! - the webroot is byte-identical afterwards.
//!
//! Behaviours that redirect to 0.0.0.0 or to an IPv6 zone run only inside a private
//! network namespace, because a wrong rule there would send traffic off loopback.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use common::raw::{RawServer, Request, Stop, reset_on_close, response, send};
use common::*;

/// The `--timeout` of every check here, in seconds.
const TIMEOUT_SECS: u64 = 2;

/// Three times the timeout: the bound on one whole run, startup and cleanup included.
const TIME_BOUND: Duration = Duration::from_secs(3 * TIMEOUT_SECS);

/// Peak RSS allowed for the check process. Runs against these servers measured 14.5 to
/// 16.7 MiB (debug build). A body or head buffered without bound would pass 64 MiB within
/// the timeout on loopback.
const RSS_BOUND_KIB: i64 = 64 * 1024;

/// A second server for the HTTPS side of a redirect.
struct Setup {
    http: RawServer,
    https: Option<RawServer>,
    /// Extra names pinned to 127.0.0.1.
    pinned: Vec<String>,
}

impl Setup {
    fn http(behaviour: impl Fn(&Request, &mut TcpStream, &Stop) + Send + Sync + 'static) -> Setup {
        Setup {
            http: RawServer::start("127.0.0.1", behaviour),
            https: None,
            pinned: Vec::new(),
        }
    }

    fn with_https(mut self, behaviour: impl Fn(&Request, &mut TcpStream, &Stop) + Send + Sync + 'static) -> Setup {
        self.https = Some(RawServer::start("127.0.0.1", behaviour));
        self
    }

    fn with_pinned(mut self, names: &[String]) -> Setup {
        self.pinned.extend_from_slice(names);
        self
    }
}

/// Runs the check against `setup` and asserts everything the module lists; `expected`
/// is the finding code.
fn assert_hostile(name: &str, setup: Setup, expected: &str) {
    let webroot = public_dir();
    std::fs::write(webroot.path().join("index.html"), "<h1>site</h1>").unwrap();
    let before = snapshot(webroot.path());

    let root = webroot.path().display().to_string();
    let port = setup.http.port().to_string();
    // An HTTPS port with nothing behind it, when the behaviour needs none.
    let https_port = setup.https.as_ref().map_or_else(|| free_port().to_string(), |s| s.port().to_string());
    let timeout = TIMEOUT_SECS.to_string();
    let mut pins = vec![format!("{DOMAIN}:*:127.0.0.1")];
    pins.extend(setup.pinned.iter().map(|name| format!("{name}:*:127.0.0.1")));
    let mut args = vec![
        "check", DOMAIN, "--webroot", &root, "--http-port", &port, "--https-port", &https_port, "--timeout", &timeout,
        "--color", "never", "-vv",
    ];
    for pin in &pins {
        args.extend_from_slice(&["--resolve", pin]);
    }

    let measured = run_measured(&args, Duration::from_secs(30));
    let output = format!("stdout:\n{}\nstderr:\n{}", measured.run.stdout, measured.run.stderr);
    eprintln!(
        "{name}: {:.2} s, peak RSS {} KiB, codes {:?}",
        measured.elapsed.as_secs_f64(),
        measured.peak_rss_kib,
        text_codes(&measured.run.stdout)
    );

    assert!(!measured.run.stderr.contains("panicked"), "{name} panicked\n{output}");
    assert!(measured.elapsed <= TIME_BOUND, "{name} took {:?}\n{output}", measured.elapsed);
    assert_eq!(measured.run.code, 1, "{name}: exit status\n{output}");
    assert!(
        text_codes(&measured.run.stdout).iter().any(|c| c == expected),
        "{name}: {expected} is neither the primary code nor a finding\n{output}"
    );
    assert_terminal_safe(name, "stdout", &measured.stdout_bytes);
    assert_terminal_safe(name, "stderr", &measured.stderr_bytes);
    assert!(
        measured.peak_rss_kib <= RSS_BOUND_KIB,
        "{name}: peak RSS {} KiB is over {RSS_BOUND_KIB} KiB",
        measured.peak_rss_kib
    );
    assert_eq!(snapshot(webroot.path()), before, "{name}: the webroot changed\n{output}");
}

/// The primary code and every finding code of a text report.
fn text_codes(stdout: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("FAIL ") || line.starts_with("PASS ") || line.starts_with("ERROR ") {
            if let Some(code) = line.rsplit_once('[').and_then(|(_, rest)| rest.strip_suffix(']')) {
                codes.push(code.to_string());
            }
            continue;
        }
        let mut words = line.trim_start().splitn(2, ' ');
        if let (Some("error" | "warning" | "info"), Some(rest)) = (words.next(), words.next())
            && let Some((code, _)) = rest.split_once(':')
            && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            codes.push(code.to_string());
        }
    }
    codes
}

/// Asserts that `bytes` are valid UTF-8 without control characters (newline aside) and
/// without bidirectional controls.
fn assert_terminal_safe(name: &str, stream: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {stream} is not valid UTF-8: {e}"));
    for (line_number, line) in text.lines().enumerate() {
        let bad = line.chars().find(|c| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        assert!(
            bad.is_none(),
            "{name}: {stream} line {} has the raw character {:?}: {line:?}",
            line_number + 1,
            bad.unwrap()
        );
    }
}

/// Writes `bytes` in blocks until the client goes away or the server stops.
fn send_forever(stream: &mut TcpStream, stop: &Stop, block: &[u8]) {
    while !stop.stopped() {
        if stream.write_all(block).is_err() {
            return;
        }
    }
}

/// Writes `bytes` one byte per second.
fn drip(stream: &mut TcpStream, stop: &Stop, bytes: &[u8]) {
    for byte in bytes {
        if stream.write_all(&[*byte]).is_err() || !stop.sleep(Duration::from_secs(1)) {
            return;
        }
    }
    stop.hold();
}

fn redirect(location: &str) -> Vec<u8> {
    response("301 Moved Permanently", &[("Location", location)], b"")
}

/// A gzip stream of about 1 MiB that inflates to about 160 MiB of zeros: one fixed-Huffman
/// deflate block of a literal zero followed by (length 258, distance 1) pairs, 13 bits
/// each. Built by hand, because compressing that much in a debug build is slow; the
/// trailer is left out, since no reader gets that far.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        let mut bits = BitWriter::default();
        bits.push_lsb_first(1, 1); // BFINAL
        bits.push_lsb_first(1, 2); // BTYPE 01: fixed Huffman codes
        bits.push_code(0x30, 8); // literal 0
        while bits.bytes.len() < 1024 * 1024 {
            bits.push_code(0xC5, 8); // length symbol 285: 258 bytes
            bits.push_code(0, 5); // distance code 0: distance 1
        }
        out.extend_from_slice(&bits.bytes);
        out
    })
}

/// Packs bits the way deflate does: fields LSB first, Huffman codes MSB first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u8,
}

impl BitWriter {
    fn push_bit(&mut self, bit: u32) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if bit != 0 {
            *self.bytes.last_mut().unwrap() |= 1 << self.used;
        }
        self.used = (self.used + 1) % 8;
    }

    fn push_lsb_first(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.push_bit((value >> i) & 1);
        }
    }

    fn push_code(&mut self, code: u32, count: u32) {
        for i in (0..count).rev() {
            self.push_bit((code >> i) & 1);
        }
    }
}

// Bodies without end.

#[test]
fn endless_body() {
    let setup = Setup::http(|_, stream, stop| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
        send_forever(stream, stop, &[b'A'; 64 * 1024]);
    });
    assert_hostile("endless_body", setup, "body-too-large");
}

#[test]
fn endless_chunked_body() {
    let setup = Setup::http(|_, stream, stop| {
        send(stream, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let mut chunk = b"4000\r\n".to_vec();
        chunk.extend_from_slice(&[b'B'; 0x4000]);
        chunk.extend_from_slice(b"\r\n");
        send_forever(stream, stop, &chunk);
    });
    assert_hostile("endless_chunked_body", setup, "body-too-large");
}

#[test]
fn huge_content_length() {
    let setup = Setup::http(|_, stream, stop| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n");
        send_forever(stream, stop, &[b'C'; 64 * 1024]);
    });
    assert_hostile("huge_content_length", setup, "body-too-large");
}

#[test]
fn gzip_bomb_body() {
    let setup = Setup::http(|_, stream, _| {
        let bomb = gzip_bomb();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", bomb.len());
        send(stream, head.as_bytes());
        send(stream, bomb);
    });
    assert_hostile("gzip_bomb_body", setup, "body-too-large");
}

// Slow and silent servers.

#[test]
fn one_byte_per_second_head() {
    let setup = Setup::http(|_, stream, stop| drip(stream, stop, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
    assert_hostile("one_byte_per_second_head", setup, "response-timeout");
}

#[test]
fn one_byte_per_second_body() {
    let setup = Setup::http(|_, stream, stop| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 87\r\n\r\n");
        drip(stream, stop, &[b'x'; 87]);
    });
    assert_hostile("one_byte_per_second_body", setup, "response-timeout");
}

#[test]
fn accepts_and_never_answers() {
    let setup = Setup::http(|_, _, stop| stop.hold());
    assert_hostile("accepts_and_never_answers", setup, "response-timeout");
}

#[test]
fn endless_interim_responses() {
    let setup = Setup::http(|_, stream, stop| send_forever(stream, stop, &b"HTTP/1.1 100 Continue\r\n\r\n".repeat(400)));
    assert_hostile("endless_interim_responses", setup, "malformed-response");
}

// Heads too large or invalid.

#[test]
fn huge_header() {
    let setup = Setup::http(|_, stream, _| {
        let mut head = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
        head.extend_from_slice(&[b'h'; 1024 * 1024]);
        head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        send(stream, &head);
    });
    assert_hostile("huge_header", setup, "malformed-response");
}

#[test]
fn numerous_headers() {
    let setup = Setup::http(|_, stream, _| {
        let mut head = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..10_000 {
            head.push_str(&format!("X-H{i}: v\r\n"));
        }
        head.push_str("Content-Length: 0\r\n\r\n");
        send(stream, head.as_bytes());
    });
    assert_hostile("numerous_headers", setup, "malformed-response");
}

#[test]
fn endless_headers() {
    let setup = Setup::http(|_, stream, stop| {
        send(stream, b"HTTP/1.1 200 OK\r\n");
        send_forever(stream, stop, &b"X-More: yes\r\n".repeat(1000));
    });
    assert_hostile("endless_headers", setup, "malformed-response");
}

#[test]
fn http09_reply() {
    let setup = Setup::http(|_, stream, _| send(stream, b"just a body, with no status line\n"));
    assert_hostile("http09_reply", setup, "malformed-response");
}

#[test]
fn http2_preface_on_port_80() {
    let setup = Setup::http(|_, stream, _| {
        // A SETTINGS frame on stream 0, then the client preface text for good measure.
        send(stream, &[0, 0, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x64, 0, 4, 0, 0x10, 0, 0]);
        send(stream, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    });
    assert_hostile("http2_preface_on_port_80", setup, "http2-on-http-port");
}

#[test]
fn invalid_status_code() {
    let setup = Setup::http(|_, stream, _| send(stream, b"HTTP/1.1 9999 Whatever\r\nContent-Length: 0\r\n\r\n"));
    assert_hostile("invalid_status_code", setup, "malformed-response");
}

#[test]
fn conflicting_content_lengths() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
    });
    assert_hostile("conflicting_content_lengths", setup, "malformed-response");
}

#[test]
fn invalid_chunk_framing() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
    });
    assert_hostile("invalid_chunk_framing", setup, "malformed-response");
}

// Resets and early closes.

#[test]
fn reset_mid_headers() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Le");
        std::thread::sleep(Duration::from_millis(50));
        reset_on_close(stream);
    });
    assert_hostile("reset_mid_headers", setup, "connection-reset");
}

#[test]
fn reset_mid_body() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 87\r\n\r\n0123456789");
        std::thread::sleep(Duration::from_millis(50));
        reset_on_close(stream);
    });
    assert_hostile("reset_mid_body", setup, "connection-reset");
}

#[test]
fn close_mid_body() {
    let setup = Setup::http(|_, stream, _| send(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 87\r\n\r\n0123456789"));
    assert_hostile("close_mid_body", setup, "connection-reset");
}

#[test]
fn close_before_answer() {
    let setup = Setup::http(|_, _, _| {});
    assert_hostile("close_before_answer", setup, "connection-reset");
}

// Bytes meant for the terminal.

#[test]
fn terminal_escapes_in_body() {
    let setup = Setup::http(|_, stream, _| {
        let body = b"\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[31mred\x1b[0m\r\x08\x00\x7f done";
        send(stream, &response("200 OK", &[], body));
    });
    assert_hostile("terminal_escapes_in_body", setup, "content-mismatch");
}

#[test]
fn c1_and_bidi_in_body() {
    let setup = Setup::http(|_, stream, _| {
        let body = "\u{9b}31m CSI, \u{202e}reversed\u{202c}, \u{2066}isolate\u{2069}".as_bytes();
        send(stream, &response("200 OK", &[], body));
    });
    assert_hostile("c1_and_bidi_in_body", setup, "content-mismatch");
}

#[test]
fn invalid_utf8_in_body() {
    let setup = Setup::http(|_, stream, _| send(stream, &response("200 OK", &[], b"\xff\xfe\xc3\x28 \xe2\x82 \xf0\x9f")));
    assert_hostile("invalid_utf8_in_body", setup, "content-mismatch");
}

#[test]
fn escape_sequence_in_header() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 404 Not Found\r\nServer: \x1b]0;owned\x07\x1b[2J\r\nContent-Length: 0\r\n\r\n")
    });
    assert_hostile("escape_sequence_in_header", setup, "malformed-response");
}

#[test]
fn invalid_utf8_and_c1_in_header() {
    let setup = Setup::http(|_, stream, _| {
        send(stream, b"HTTP/1.1 404 Not Found\r\nServer: evil\xff\xfe\xc2\x9b31m\r\nX-Powered-By: \xe2\x80\xaereversed\r\nContent-Length: 2\r\n\r\nno")
    });
    assert_hostile("invalid_utf8_and_c1_in_header", setup, "not-found");
}

#[test]
fn escape_sequence_in_reason_phrase() {
    let setup = Setup::http(|_, stream, _| send(stream, b"HTTP/1.1 404 \x1b[2JNot Found\r\nContent-Length: 0\r\n\r\n"));
    assert_hostile("escape_sequence_in_reason_phrase", setup, "malformed-response");
}

#[test]
fn c1_and_bidi_in_redirect_path() {
    let setup = Setup::http(|request, stream, _| {
        if request.path.starts_with("/.well-known/") {
            send(stream, &redirect("/\u{9b}31m\u{202e}gone"));
        } else {
            send(stream, &response("404 Not Found", &[], b"no"));
        }
    });
    assert_hostile("c1_and_bidi_in_redirect_path", setup, "not-found");
}

#[test]
fn escaped_control_in_redirect_host() {
    let setup = Setup::http(|_, stream, _| send(stream, &redirect("http://a%1b%5b2Jb.example.test/")));
    assert_hostile("escaped_control_in_redirect_host", setup, "redirect-invalid");
}

#[test]
fn invalid_utf8_in_location() {
    let setup = Setup::http(|request, stream, _| {
        if request.path.starts_with("/.well-known/") {
            send(stream, b"HTTP/1.1 302 Found\r\nLocation: /\xff\xfe\xc2\x9b\r\nContent-Length: 0\r\n\r\n");
        } else {
            send(stream, &response("404 Not Found", &[], b"no"));
        }
    });
    assert_hostile("invalid_utf8_in_location", setup, "not-found");
}

// Redirects the CA refuses.

#[test]
fn redirect_to_file_scheme() {
    let setup = Setup::http(|_, stream, _| send(stream, &redirect("file:///etc/passwd")));
    assert_hostile("redirect_to_file_scheme", setup, "redirect-bad-scheme");
}

#[test]
fn redirect_to_unspecified_address() {
    if !private_network_or_skip("redirect_to_unspecified_address") {
        return;
    }
    let setup = Setup::http(|request, stream, _| send(stream, &redirect(&format!("http://0.0.0.0{}", request.path))));
    assert_hostile("redirect_to_unspecified_address", setup, "redirect-bad-host");
}

#[test]
fn redirect_to_ipv6_zone() {
    if !private_network_or_skip("redirect_to_ipv6_zone") {
        return;
    }
    let setup = Setup::http(|request, stream, _| send(stream, &redirect(&format!("http://[::1%25lo]{}", request.path))));
    assert_hostile("redirect_to_ipv6_zone", setup, "redirect-bad-host");
}

#[test]
fn location_of_10000_characters() {
    let setup = Setup::http(|_, stream, _| send(stream, &redirect(&format!("/{}", "a".repeat(9_999)))));
    assert_hostile("location_of_10000_characters", setup, "redirect-too-long");
}

#[test]
fn location_host_of_10000_characters() {
    let setup = Setup::http(|_, stream, _| send(stream, &redirect(&format!("http://{}.invalid/", "b".repeat(9_992)))));
    assert_hostile("location_host_of_10000_characters", setup, "redirect-bad-host");
}

#[test]
fn redirect_chain_across_hosts() {
    // example.test -> h1.example.test -> ... -> h12.example.test: one more than the 11
    // redirects Let's Encrypt follows.
    let names: Vec<String> = (1..=12).map(|i| format!("h{i}.example.test")).collect();
    let setup = Setup::http(|request, stream, _| {
        let next = match request.host.split(':').next().unwrap_or("") {
            DOMAIN => 1,
            host => host.strip_prefix('h').and_then(|h| h.split('.').next()?.parse::<u32>().ok()).unwrap_or(99) + 1,
        };
        send(stream, &redirect(&format!("http://h{next}.example.test{}", request.path)));
    })
    .with_pinned(&names);
    assert_hostile("redirect_chain_across_hosts", setup, "redirect-too-many");
}

#[test]
fn redirect_loop_across_hosts() {
    let names = vec!["other.example.test".to_string()];
    let setup = Setup::http(|request, stream, _| {
        let target = if request.host.starts_with("other.") { DOMAIN } else { "other.example.test" };
        send(stream, &redirect(&format!("http://{target}{}", request.path)));
    })
    .with_pinned(&names);
    assert_hostile("redirect_loop_across_hosts", setup, "redirect-loop");
}

// The HTTPS side of a redirect.

#[test]
fn garbage_instead_of_tls() {
    let setup = Setup::http(|request, stream, _| send(stream, &redirect(&format!("https://{DOMAIN}{}", request.path))))
        .with_https(|_, stream, _| {
            let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            send(stream, &garbage);
        });
    assert_hostile("garbage_instead_of_tls", setup, "tls-failed");
}

#[test]
fn silent_tls_port() {
    let setup = Setup::http(|request, stream, _| send(stream, &redirect(&format!("https://{DOMAIN}{}", request.path))))
        .with_https(|_, _, stop| stop.hold());
    assert_hostile("silent_tls_port", setup, "response-timeout");
}

#[test]
fn endless_tls_records() {
    // A valid-looking TLS record header followed by endless record bodies.
    let setup = Setup::http(|request, stream, _| send(stream, &redirect(&format!("https://{DOMAIN}{}", request.path))))
        .with_https(|_, stream, stop| {
            let mut record = vec![0x16, 0x03, 0x03, 0x40, 0x00];
            record.extend_from_slice(&[0x0b; 0x4000]);
            send_forever(stream, stop, &record);
        });
    assert_hostile("endless_tls_records", setup, "tls-failed");
}
