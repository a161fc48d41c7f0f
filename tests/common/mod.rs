//! Shared fixtures for tests that run the built binary against real servers on loopback.
//!
//! Servers are started as child processes on free loopback ports and stopped by PID when
//! their guard drops. With `CI=true` a server that cannot start fails the test; elsewhere a
//! missing server program is reported and the test returns early.

#![allow(dead_code)]

pub mod echo;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod pebble;
pub mod raw;

pub const DOMAIN: &str = "example.test";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_acme-preflight")
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Returns whether a program needed by a test exists. In CI a missing program fails.
pub fn have(program: &str) -> bool {
    let found = Path::new(program).exists()
        || Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !found {
        assert!(!in_ci(), "{program} is missing; the test command installs it");
        eprintln!("SKIPPED: {program} is not installed (run scripts/test.sh to install it)");
    }
    found
}

/// A free TCP port on 127.0.0.1 and ::1.
///
/// Ports come from a counter, so two tests of one process never get the same port, even
/// when one has not bound its port yet; the kernel's ephemeral choice cannot promise that.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Below Linux's ephemeral range (32768 and up), where listeners bound to port 0 land.
    let base = 10_000 + (std::process::id() % 1000) as u16 * 20;
    loop {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = base + offset % 2_000;
        let v4 = TcpListener::bind(("127.0.0.1", port)).is_ok();
        let v6 = TcpListener::bind(("::1", port)).is_ok();
        if v4 && v6 {
            return port;
        }
    }
}

/// Waits until something accepts connections on `addr`.
pub fn wait_for_port(addr: SocketAddr, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("{what} exited with {status} before listening on {addr}: {err}");
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("{what} did not listen on {addr} within 20 s");
}

/// A child process stopped by PID when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A child that a test already stopped and reaped is left alone: its PID may
        // belong to another process by now.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM lets nginx and gunicorn stop their workers; the wait reaps the child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a webroot with a page in it, readable by the web server's workers.
pub fn site_dir() -> tempfile::TempDir {
    let dir = public_dir();
    fs::write(dir.path().join("index.html"), "<h1>site</h1>\n").unwrap();
    dir
}

/// Creates a temporary folder readable by the web server's workers (mode 0755).
pub fn public_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Starts nginx with `server_body` inside a `server { listen ...; }` block for
/// example.test on 127.0.0.1 (and ::1 when `ipv6`). `extra_http` goes into the http block.
pub fn nginx(server_body: &str, extra_http: &str) -> Option<Server> {
    nginx_on(&[format!("127.0.0.1:{{PORT}}")], server_body, extra_http, free_port())
}

pub fn nginx_on(listen: &[String], server_body: &str, extra_http: &str, port: u16) -> Option<Server> {
    if !have("/usr/sbin/nginx") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let listens: String = listen
        .iter()
        .map(|l| format!("    listen {};\n", l.replace("{PORT}", &port.to_string())))
        .collect();
    let config = format!(
        "user www-data;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    {extra_http}
    server {{
{listens}        server_name {DOMAIN};
        {server_body}
    }}
}}
"
    );
    fs::write(dir.path().join("nginx.conf"), &config).unwrap();
    let mut child = Command::new("/usr/sbin/nginx")
        .args(["-c", &format!("{d}/nginx.conf"), "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let addr = listen[0].replace("{PORT}", &port.to_string()).parse().unwrap();
    wait_for_port(addr, &mut child, "nginx");
    Some(Server {
        child,
        port,
        dir: Some(dir),
    })
}

impl Server {
    pub fn access_log(&self) -> String {
        let path = self.dir.as_ref().unwrap().path().join("access.log");
        fs::read_to_string(path).unwrap_or_default()
    }
}

/// Starts one of the apps under tests/apps with gunicorn on 127.0.0.1.
pub fn gunicorn(app_dir: &str, module: &str, env: &[(&str, &str)]) -> Option<Server> {
    let gunicorn = repo().join(".test-env/venv/bin/gunicorn");
    if !have(gunicorn.to_str().unwrap()) {
        return None;
    }
    let port = free_port();
    let mut command = Command::new(&gunicorn);
    command
        .args(["--no-control-socket", "--workers", "1", "--chdir"])
        .arg(repo().join("tests/apps").join(app_dir))
        .args(["-b", &format!("127.0.0.1:{port}"), module])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("gunicorn starts");
    wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &mut child, "gunicorn");
    Some(Server { child, port, dir: None })
}

/// Starts the Express app under tests/apps/express_spa.
pub fn express() -> Option<Server> {
    if !have("node") || !have(repo().join(".test-env/node/node_modules/express").to_str().unwrap()) {
        return None;
    }
    let port = free_port();
    let mut child = Command::new("node")
        .arg(repo().join("tests/apps/express_spa/server.js"))
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &mut child, "express");
    Some(Server { child, port, dir: None })
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    /// The first result of the JSON report.
    pub fn result(&self) -> Value {
        self.json()["results"][0].clone()
    }

    pub fn codes(&self) -> Vec<String> {
        self.result()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn run(args: &[&str]) -> Run {
    let output = Command::new(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A run of the binary with its wall time and peak memory.
pub struct Measured {
    pub run: Run,
    /// Raw stdout, to look for bytes that lossy decoding would hide.
    pub stdout_bytes: Vec<u8>,
    pub stderr_bytes: Vec<u8>,
    pub elapsed: Duration,
    /// Peak resident set size of the process in KiB, from wait4's rusage (ru_maxrss).
    pub peak_rss_kib: i64,
}

/// Runs the binary, killing it after `limit`, and measures it.
pub fn run_measured(args: &[&str], limit: Duration) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });

    // Polls instead of blocking, so a hang past the limit is killed and fails the test
    // instead of blocking it; the PID cannot be reused before this reaps it.
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: waits for our own child; `status` and `usage` are valid for writes.
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(waited >= 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if waited == pid {
            break;
        }
        if !killed && started.elapsed() > limit {
            // SAFETY: the child has not been reaped, so the PID is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    // wait4 reaped the child; dropping the handle only closes it.
    drop(child);

    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -libc::WTERMSIG(status) };
    let stdout_bytes = out_reader.join().unwrap();
    let stderr_bytes = err_reader.join().unwrap();
    Measured {
        run: Run {
            code,
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stderr: String::from_utf8_lossy(&stderr_bytes).into_owned(),
        },
        stdout_bytes,
        stderr_bytes,
        elapsed,
        peak_rss_kib: usage.ru_maxrss,
    }
}

/// Runs `check --format json` for example.test pinned to 127.0.0.1 on `port`.
pub fn check(webroot: &Path, port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let root = webroot.display().to_string();
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    let mut args = vec![
        "check", DOMAIN, "--webroot", &root, "--resolve", &pin, "--http-port", &port, "--format", "json",
    ];
    if !extra.contains(&"--timeout") {
        args.extend_from_slice(&["--timeout", "8"]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

/// A small xorshift generator for randomized tests; the seed is printed so a failing run
/// can be repeated with `ACME_PREFLIGHT_SEED`.
pub struct Rng(u64);

impl Rng {
    pub fn from_env(test: &str) -> Rng {
        let seed = std::env::var("ACME_PREFLIGHT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1);
                nanos ^ u64::from(std::process::id())
            });
        eprintln!("{test}: ACME_PREFLIGHT_SEED={seed}");
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// Whether a file's content is a key authorization or probe of this tool.
pub fn is_own_content(content: &[u8]) -> bool {
    let text = String::from_utf8_lossy(content);
    text.contains(".acme-preflight-") || text.starts_with("acme-preflight probe ")
}

/// Whether this test runs where no address but loopback is routed: a network namespace
/// whose only interface is `lo`, as `unshare -n` makes.
///
/// Comparing /proc/self/ns/net with /proc/1/ns/net would say more, but in containers
/// PID 1 often belongs to another user namespace and its links cannot be read.
pub fn in_private_network_namespace() -> bool {
    let Ok(devices) = fs::read_to_string("/proc/self/net/dev") else {
        return false;
    };
    // Two header lines, then one line per interface starting with "NAME:".
    let names: Vec<&str> = devices
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next())
        .map(str::trim)
        .collect();
    !names.is_empty() && names.iter().all(|name| *name == "lo")
}

/// Returns whether a test that could send traffic off loopback may run: only inside a
/// private network namespace. Elsewhere it is skipped, and under CI=true it fails.
pub fn private_network_or_skip(test: &str) -> bool {
    if in_private_network_namespace() {
        return true;
    }
    assert!(!in_ci(), "{test}: CI runs the suite inside unshare -n");
    eprintln!("SKIPPED {test}: not inside a private network namespace (scripts/test.sh provides one)");
    false
}

/// Waits up to `limit` for `condition`; returns whether it became true.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    condition()
}

/// Starts `check` for example.test pinned to 127.0.0.1 on `port`, with output discarded.
pub fn spawn_check(layout_option: &str, dir: &Path, port: u16, extra: &[&str]) -> Child {
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    Command::new(binary())
        .args(["check", DOMAIN, layout_option])
        .arg(dir)
        .args(["--resolve", &pin, "--http-port", &port.to_string()])
        .args(extra)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs")
}

/// A snapshot of a folder tree: every path with its mode and, for files, its content.
pub fn snapshot(root: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    collect(root, root, &mut out);
    out
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, Vec<u8>)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        let key = path.strip_prefix(root).unwrap().display().to_string();
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap_or_default();
            out.insert(key, (meta.permissions().mode(), format!("-> {}", target.display()).into_bytes()));
        } else if meta.is_dir() {
            out.insert(key, (meta.permissions().mode(), Vec::new()));
            collect(root, &path, out);
        } else {
            out.insert(key, (meta.permissions().mode(), fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Asserts a verdict, the primary code, and that `code` is among the findings.
pub fn assert_result(run: &Run, verdict: &str, primary: Option<&str>, code: Option<&str>) {
    let result = run.result();
    assert_eq!(result["verdict"], verdict, "verdict; report:\n{}", run.stdout);
    if let Some(primary) = primary {
        assert_eq!(result["primary"], primary, "primary; report:\n{}", run.stdout);
    }
    if let Some(code) = code {
        assert!(run.codes().iter().any(|c| c == code), "{code} not among {:?}; report:\n{}", run.codes(), run.stdout);
    }
    let expected_exit = match verdict {
        "pass" => 0,
        "fail" => 1,
        _ => 2,
    };
    assert_eq!(run.code, expected_exit, "exit status; stderr:\n{}", run.stderr);
}

/// The text of the primary finding's fix.
pub fn primary_fix(run: &Run) -> String {
    let result = run.result();
    let primary = result["primary"].as_str().unwrap_or_default().to_string();
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == primary.as_str())
        .map(|f| f["fix"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Starts Apache httpd in the foreground on 127.0.0.1 with `body` inside the server
/// config, for example.test.
pub fn apache(document_root: &Path, body: &str) -> Option<Server> {
    if !have("/usr/sbin/apache2") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let port = free_port();
    let modules = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "alias", "rewrite", "headers", "proxy", "proxy_http"];
    let loads: String = modules
        .iter()
        .map(|m| format!("LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"))
        .collect();
    let config = format!(
        "{loads}
ServerRoot {d}
PidFile {d}/httpd.pid
DefaultRuntimeDir {d}
Mutex file:{d} default
ErrorLog {d}/error.log
Listen 127.0.0.1:{port}
User www-data
Group www-data
ServerName {DOMAIN}
TypesConfig /etc/mime.types
DocumentRoot {root}
<Directory {root}>
    Require all granted
    AllowOverride All
</Directory>
{body}
",
        root = document_root.display()
    );
    fs::write(dir.path().join("httpd.conf"), config).unwrap();
    let mut child = Command::new("/usr/sbin/apache2")
        .args(["-f", &format!("{d}/httpd.conf"), "-DFOREGROUND"])
        .env("APACHE_RUN_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apache2 starts");
    wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &mut child, "apache2");
    Some(Server {
        child,
        port,
        dir: Some(dir),
    })
}

/// Starts lighttpd in the foreground on 127.0.0.1 with `body` appended to its config.
pub fn lighttpd(document_root: &Path, body: &str) -> Option<Server> {
    if !have("/usr/sbin/lighttpd") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let port = free_port();
    let config = format!(
        "server.modules = (\"mod_access\", \"mod_alias\", \"mod_rewrite\")
server.document-root = \"{root}\"
server.bind = \"127.0.0.1\"
server.port = {port}
server.username = \"www-data\"
server.groupname = \"www-data\"
mimetype.assign = (\".txt\" => \"text/plain\", \".html\" => \"text/html\")
{body}
",
        root = document_root.display()
    );
    fs::write(dir.path().join("lighttpd.conf"), config).unwrap();
    let mut child = Command::new("/usr/sbin/lighttpd")
        .args(["-D", "-f", &format!("{d}/lighttpd.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lighttpd starts");
    wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &mut child, "lighttpd");
    Some(Server {
        child,
        port,
        dir: Some(dir),
    })
}

/// Starts `acme-preflight serve` with `args`, listening on 127.0.0.1 on a free port. Its
/// log goes to a file (see [`Server::log`]), so a busy test cannot fill a pipe and stall it.
pub fn serve(args: &[&str]) -> Server {
    let port = free_port();
    serve_on(&[format!("127.0.0.1:{port}")], port, args)
}

/// Starts `acme-preflight serve` with a `--listen` for each of `listen`; `port` is the one
/// the returned server reports, and `listen[0]` is waited for.
pub fn serve_on(listen: &[String], port: u16, args: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut command = Command::new(binary());
    command.arg("serve").args(args);
    for addr in listen {
        command.args(["--listen", addr]);
    }
    let mut child = command
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary runs");
    let addr: SocketAddr = listen[0].parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            panic!("acme-preflight serve exited with {status} before listening on {addr}: {log}");
        }
        assert!(Instant::now() < deadline, "acme-preflight serve did not listen on {addr} within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server {
        child,
        port,
        dir: Some(dir),
    }
}

impl Server {
    /// What `serve` wrote to stderr so far.
    pub fn log(&self) -> String {
        let path = self.dir.as_ref().unwrap().path().join("serve.log");
        fs::read_to_string(path).unwrap_or_default()
    }

    /// Sends `signal` and waits up to `limit` for the exit; returns the exit code and the
    /// time it took.
    pub fn stop_with(&mut self, signal: i32, limit: Duration) -> (Option<i32>, Duration) {
        let started = Instant::now();
        // SAFETY: sending a signal to our own child process, which has not been reaped.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status.code(), started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the server did not exit within {limit:?} after signal {signal}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// One HTTP response as curl received it.
#[derive(Debug)]
pub struct Http {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Http {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Runs curl with `args` and returns the response. Proxy settings from the environment are
/// ignored and each call is bounded to 10 s.
pub fn curl(args: &[&str]) -> Http {
    let output = Command::new("curl")
        .args(["-s", "-S", "-i", "--max-time", "10", "--noproxy", "*"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_response(&output.stdout).unwrap_or_else(|| panic!("curl {args:?}: not an HTTP response: {:?}", String::from_utf8_lossy(&output.stdout)))
}

/// Splits a raw HTTP/1.1 response into status, headers and body. Interim 1xx heads are
/// skipped.
pub fn parse_response(raw: &[u8]) -> Option<Http> {
    let mut rest = raw;
    loop {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..end]).ok()?;
        let body = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            rest = body;
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        return Some(Http {
            status,
            headers,
            body: body.to_vec(),
        });
    }
}

/// Sends `request` as raw bytes to `addr` and returns everything read until the server
/// closes the connection or 5 s pass.
pub fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    response
}

/// The status code of a raw response, if it starts with a status line.
pub fn raw_status(response: &[u8]) -> Option<u16> {
    let line_end = response.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&response[..line_end]).ok()?;
    line.split(' ').nth(1)?.parse().ok()
}

/// A random-looking base64url token of the CA's length, distinct per call.
pub fn token() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let base = format!("t{}x{n}", std::process::id());
    format!("{base}{}", "A".repeat(43 - base.len()))
}

/// Whether this process may create a network namespace (`unshare -n`), for tests that must
/// listen on every address. In CI it must.
pub fn can_unshare() -> bool {
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(!in_ci(), "unshare -n failed; CI runs as root");
        eprintln!("SKIPPED: unshare -n is not permitted (run as root)");
    }
    ok
}
