//! `acme-preflight serve` end to end with real clients: each source and mode
//! through curl and the check command, several listeners, socket activation, signals,
//! request logs and bad input.

mod common;

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/// Creates a webroot whose challenge folder exists, readable by anyone.
fn webroot_with_challenge_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    (w, challenge)
}

#[test]
fn challenge_dir_answers_curl() {
    let (_w, dir) = webroot_with_challenge_dir();
    let token = token();
    fs::write(dir.join(&token), format!("{token}.key")).unwrap();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    let url = server.url(&format!("/.well-known/acme-challenge/{token}"));

    let get = curl(&[&url]);
    assert_eq!(get.status, 200);
    assert_eq!(get.text(), format!("{token}.key"));
    assert_eq!(get.header("content-type"), Some("text/plain"));

    let head = curl(&["-I", &url]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(format!("{}", token.len() + 4).as_str()));
    assert!(head.body.is_empty());

    let post = curl(&["-X", "POST", "--data", "x", &url]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/missing")]).status, 404);
    assert_eq!(curl(&[&server.url("/")]).status, 404);
}

#[test]
fn stateless_answers_curl_and_check() {
    let server = serve(&["--thumbprint", THUMBPRINT]);
    let token = token();

    let get = curl(&[&server.url(&format!("/.well-known/acme-challenge/{token}"))]);
    assert_eq!(get.status, 200);
    assert_eq!(get.text(), format!("{token}.{THUMBPRINT}"));

    let port = server.port.to_string();
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    let base = ["check", DOMAIN, "--resolve", &pin, "--http-port", &port, "--format", "json", "--timeout", "8"];
    let mut pass_args = base.to_vec();
    pass_args.extend(["--thumbprint", THUMBPRINT]);
    let pass = run(&pass_args);
    assert_result(&pass, "pass", None, None);
    assert_eq!(pass.result()["addresses"][0]["passed"], 3);

    // Another account's thumbprint gets the wrong key authorization.
    let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let mut fail_args = base.to_vec();
    fail_args.extend(["--thumbprint", other]);
    let fail = run(&fail_args);
    assert_result(&fail, "fail", None, None);
}

#[test]
fn file_wins_over_thumbprint() {
    let (w, dir) = webroot_with_challenge_dir();
    let before = snapshot(w.path());
    fs::write(dir.join("fromfile"), "fromfile.in-the-folder").unwrap();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--thumbprint", THUMBPRINT]);

    assert_eq!(curl(&[&server.url("/.well-known/acme-challenge/fromfile")]).text(), "fromfile.in-the-folder");
    assert_eq!(
        curl(&[&server.url("/.well-known/acme-challenge/elsewhere")]).text(),
        format!("elsewhere.{THUMBPRINT}")
    );

    // check writes its own key authorization into the folder. Only the file's content
    // matches it, and the stateless response would not.
    fs::remove_file(dir.join("fromfile")).unwrap();
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn redirect_https_sends_308_but_answers_challenges() {
    let (w, dir) = webroot_with_challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--redirect-https"]);

    let page = curl(&["-H", "Host: example.test:8080", &server.url("/shop/item?id=7&x=%20")]);
    assert_eq!(page.status, 308);
    assert_eq!(page.header("location"), Some("https://example.test/shop/item?id=7&x=%20"));

    let post = curl(&["-X", "POST", "--data", "a=1", "-H", "Host: example.test", &server.url("/form")]);
    assert_eq!(post.status, 308);
    assert_eq!(post.header("location"), Some("https://example.test/form"));

    let missing = curl(&["-H", "Host: example.test", &server.url("/.well-known/acme-challenge/none")]);
    assert_eq!(missing.status, 404);

    let bad_host = curl(&["-H", "Host: evil.test/x", &server.url("/")]);
    assert_eq!(bad_host.status, 400);

    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "pass", None, None);
    assert_eq!(run.result()["hops"].as_array().unwrap().len(), 1, "the challenge is not redirected");
}

#[test]
fn ipv4_and_ipv6_listeners_on_one_port() {
    let (_w, dir) = webroot_with_challenge_dir();
    fs::write(dir.join("both"), "both.key").unwrap();
    let port = free_port();
    let server = serve_on(
        &[format!("127.0.0.1:{port}"), format!("[::1]:{port}")],
        port,
        &["--challenge-dir", dir.to_str().unwrap()],
    );
    let v4 = curl(&[&format!("http://127.0.0.1:{port}/.well-known/acme-challenge/both")]);
    let v6 = curl(&["-g", &format!("http://[::1]:{port}/.well-known/acme-challenge/both")]);
    assert_eq!(v4.text(), "both.key");
    assert_eq!(v6.text(), "both.key");
    drop(server);
}

#[test]
fn socket_activation_uses_inherited_listener() {
    let (_w, dir) = webroot_with_challenge_dir();
    fs::write(dir.join("activated"), "activated.key").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fd = listener.as_raw_fd();

    // systemd sets LISTEN_PID to the service's own PID; `exec` keeps the shell's PID.
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new("sh");
    command
        .args(["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" serve --challenge-dir \"$1\""])
        .arg(binary())
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap());
    // SAFETY: dup2 and fcntl are async-signal-safe; they put the listener at descriptor 3
    // in the child, where socket activation passes the first socket, without close-on-exec.
    // When the listener already is descriptor 3, dup2 does nothing and keeps close-on-exec,
    // so the flag is cleared explicitly.
    unsafe {
        command.pre_exec(move || {
            if fd != 3 && libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().unwrap();
    drop(listener);
    let mut server = Server { child, port, dir: None };

    let answer = curl(&["--retry", "5", "--retry-connrefused", &format!("http://127.0.0.1:{port}/.well-known/acme-challenge/activated")]);
    assert_eq!(answer.text(), "activated.key");
    let (code, _) = server.stop_with(libc::SIGTERM, Duration::from_secs(10));
    assert_eq!(code, Some(143), "log:\n{}", fs::read_to_string(log.path()).unwrap());
}

#[test]
fn sigterm_lets_inflight_request_finish() {
    let echo = echo::start();
    let (_w, dir) = webroot_with_challenge_dir();
    let mut server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &echo.url()]);
    let url = server.url("/slow?ms=1500");
    let client = std::thread::spawn(move || curl(&[&url]));
    std::thread::sleep(Duration::from_millis(400));

    let (code, took) = server.stop_with(libc::SIGTERM, Duration::from_secs(10));
    let response = client.join().unwrap();

    assert_eq!(code, Some(143));
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "slow done");
    assert!(took >= Duration::from_millis(800), "exited before the request finished: {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn shutdown_cuts_requests_after_grace() {
    let echo = echo::start();
    let (_w, dir) = webroot_with_challenge_dir();
    let mut server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--proxy", &echo.url()]);
    let url = server.url("/slow?ms=30000");
    let client = std::thread::spawn(move || {
        Command::new("curl")
            .args(["-s", "--max-time", "20", "--noproxy", "*", &url])
            .output()
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(400));

    let (code, took) = server.stop_with(libc::SIGINT, Duration::from_secs(15));
    let output = client.join().unwrap();

    assert_eq!(code, Some(130));
    assert!(took >= Duration::from_secs(4), "the grace period was not given: {took:?}");
    assert!(took < Duration::from_secs(8), "the grace period was not bounded: {took:?}");
    assert!(!output.status.success(), "the cut request should fail at the client");
    assert!(server.log().contains("cut off"), "{}", server.log());
}

#[test]
fn idle_server_stops_at_once() {
    let (_w, dir) = webroot_with_challenge_dir();
    let mut server = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    // A kept-alive idle connection must not hold up the shutdown.
    let _idle = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let (code, took) = server.stop_with(libc::SIGTERM, Duration::from_secs(10));
    assert_eq!(code, Some(143));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let log = server.log();
    assert!(log.contains("stopping"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn one_log_line_per_request_without_key_authorization() {
    let (_w, dir) = webroot_with_challenge_dir();
    let token = token();
    let key_authorization = format!("{token}.secret-part-of-the-key-authorization");
    fs::write(dir.join(&token), &key_authorization).unwrap();
    let mut server = serve(&["--challenge-dir", dir.to_str().unwrap(), "--thumbprint", THUMBPRINT]);

    let url = server.url(&format!("/.well-known/acme-challenge/{token}"));
    curl(&["-H", "Host: example.test", &url]);
    curl(&[&server.url("/.well-known/acme-challenge/statelesstoken")]);
    curl(&[&server.url("/nothing-here?q=private")]);
    // The log lines are complete once the server has exited.
    server.stop_with(libc::SIGTERM, Duration::from_secs(10));

    let log = server.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(": request ")).collect();
    assert_eq!(lines.len(), 3, "{log}");
    let first = lines[0];
    assert!(first.contains("remote=127.0.0.1:"), "{first}");
    assert!(first.contains("host=example.test"), "{first}");
    assert!(first.contains(&format!("path=/.well-known/acme-challenge/{token}")), "{first}");
    assert!(first.contains("status=200"), "{first}");
    assert!(first.contains(&format!("bytes={}", key_authorization.len())), "{first}");
    assert!(first.contains("ms="), "{first}");
    assert!(lines[2].contains("status=404"), "{}", lines[2]);
    assert!(lines[2].contains("path=/nothing-here"), "{}", lines[2]);
    assert!(!log.contains("private"), "the query is not logged: {log}");
    assert!(!log.contains("secret-part-of-the-key-authorization"), "{log}");
    assert!(!log.contains(THUMBPRINT), "{log}");
}

#[test]
fn request_line_is_logged_while_running() {
    let (_w, dir) = webroot_with_challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    curl(&[&server.url("/while-running")]);

    // Request lines are batched and flushed within 100 ms, without waiting for a stop.
    let started = std::time::Instant::now();
    while !server.log().contains("path=/while-running") && started.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(server.log().contains("path=/while-running"), "{}", server.log());
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
}

#[test]
fn oversized_request_head_is_rejected() {
    let (_w, dir) = webroot_with_challenge_dir();
    let server = serve(&["--challenge-dir", dir.to_str().unwrap()]);
    let big = format!("X-Big: {}", "a".repeat(20_000));
    let response = curl(&["-H", &big, &server.url("/")]);
    assert_eq!(response.status, 431);
}

#[test]
fn listen_in_use_names_the_holder() {
    let (_w, dir) = webroot_with_challenge_dir();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();

    let run = run(&["serve", "--challenge-dir", dir.to_str().unwrap(), "--listen", &addr]);

    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("already in use"), "{}", run.stderr);
    assert!(run.stderr.contains(&addr), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("pid {}", std::process::id())), "{}", run.stderr);
}

#[test]
fn bad_input_exits_2_naming_value() {
    let (_w, dir) = webroot_with_challenge_dir();
    let dir = dir.to_str().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let cases: &[(&[&str], &str)] = &[
        (&["serve", "--thumbprint", "too-short", "--listen", &listen], "too-short"),
        (&["serve", "--thumbprint", "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs", "--listen", &listen], "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs"),
        (&["serve", "--challenge-dir", dir, "--proxy", "127.0.0.1:8050", "--listen", &listen], "127.0.0.1:8050"),
        (&["serve", "--challenge-dir", dir, "--proxy", "https://127.0.0.1:8050", "--listen", &listen], "https://127.0.0.1:8050"),
        (&["serve", "--challenge-dir", dir, "--proxy", "http://127.0.0.1:8050/app", "--listen", &listen], "http://127.0.0.1:8050/app"),
        (&["serve", "--challenge-dir", dir, "--proxy", "http://127.0.0.1", "--listen", &listen], "http://127.0.0.1"),
        (&["serve", "--challenge-dir", dir, "--listen", "localhost:80"], "localhost:80"),
        (&["serve", "--challenge-dir", dir, "--listen", "127.0.0.1"], "127.0.0.1"),
        (&["serve", "--challenge-dir", dir, "--listen", "::1:80"], "::1:80"),
        (&["serve", "--challenge-dir", "/nonexistent/acme", "--listen", &listen], "/nonexistent/acme"),
        (&["serve", "--challenge-dir", dir], "--listen"),
        (&["serve", "--listen", &listen], "--challenge-dir"),
        (&["serve", "--challenge-dir", dir, "--listen", &listen, "--redirect-https", "--proxy", "http://127.0.0.1:1"], "--proxy"),
        (&["check", DOMAIN, "--thumbprint", "bad"], "bad"),
        (&["check", DOMAIN, "--standalone", "--listen", "nowhere"], "nowhere"),
        (&["check", DOMAIN, "--webroot", dir, "--listen", &listen], "--standalone"),
        (&["check", DOMAIN, "--webroot", dir, "--standalone"], "--standalone"),
    ];
    for (args, named) in cases {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(named), "{args:?} should name {named}: {}", run.stderr);
    }
}
