//! A real ACME CA for tests: Pebble with pebble-challtestsrv as its DNS server, on loopback.
//!
//! Pebble's own HTTPS listener gets a certificate from a throwaway CA made with openssl, and
//! certbot trusts it through REQUESTS_CA_BUNDLE. Every listener is given explicitly because
//! both programs otherwise bind every interface. The settings that make validation
//! deterministic: PEBBLE_VA_NOSLEEP=1 (no random sleep before each validation),
//! PEBBLE_AUTHZREUSE=0 (every order validates again), PEBBLE_WFE_NONCEREJECT=0 (no nonces
//! rejected on purpose).

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Server, free_port, have, wait_for_port};

pub struct Pebble {
    pub dir: tempfile::TempDir,
    pub acme_port: u16,
    pub dns_port: u16,
    pub management_port: u16,
    /// The port Pebble sends HTTP-01 requests to.
    pub http_port: u16,
    _dns: Server,
    _pebble: Server,
}

/// The outcome of one certbot run.
pub struct Certbot {
    pub issued: bool,
    pub output: String,
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?} failed");
}

impl Pebble {
    /// Starts challtestsrv and Pebble, validating HTTP-01 on `http_port`.
    pub fn start(http_port: u16) -> Option<Pebble> {
        if !have("/usr/bin/pebble") || !have("/usr/bin/pebble-challtestsrv") || !have("certbot") || !have("openssl") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();

        openssl(d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca"]);
        openssl(d, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost"]);
        fs::write(d.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        openssl(d, &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "san.ext"]);

        let (acme_port, pebble_management, dns_port, management_port) = (free_port(), free_port(), free_port(), free_port());
        let config = format!(
            r#"{{"pebble": {{"listenAddress": "127.0.0.1:{acme_port}", "managementListenAddress": "127.0.0.1:{pebble_management}",
            "certificate": "{d}/cert.pem", "privateKey": "{d}/key.pem", "httpPort": {http_port}, "tlsPort": {tls},
            "ocspResponderURL": "", "externalAccountBindingRequired": false}}}}"#,
            d = d.display(),
            tls = free_port()
        );
        fs::write(d.join("pebble.json"), config).unwrap();

        let dns_log = fs::File::create(d.join("challtestsrv.log")).unwrap();
        let mut dns = Command::new("/usr/bin/pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns_port}"), "-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{management_port}"), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(dns_log.try_clone().unwrap())
            .stderr(dns_log)
            .spawn()
            .expect("pebble-challtestsrv starts");
        wait_for_port(format!("127.0.0.1:{management_port}").parse().unwrap(), &mut dns, "pebble-challtestsrv");
        let dns = Server { child: dns, port: dns_port, dir: None };

        let log = fs::File::create(d.join("pebble.log")).unwrap();
        let mut pebble = Command::new("/usr/bin/pebble")
            .args(["-config", &format!("{}/pebble.json", d.display()), "-dnsserver", &format!("127.0.0.1:{dns_port}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_AUTHZREUSE", "0")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("pebble starts");
        wait_for_port(format!("127.0.0.1:{acme_port}").parse().unwrap(), &mut pebble, "pebble");
        let pebble = Server { child: pebble, port: acme_port, dir: None };

        Some(Pebble {
            dir,
            acme_port,
            dns_port,
            management_port,
            http_port,
            _dns: dns,
            _pebble: pebble,
        })
    }

    pub fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.acme_port)
    }

    pub fn dns_server(&self) -> String {
        format!("127.0.0.1:{}", self.dns_port)
    }

    /// Pebble's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }

    /// Runs `certbot certonly --webroot` for one name and reports whether it issued.
    pub fn certbot_webroot(&self, name: &str, webroot: &Path) -> Certbot {
        let mut command = self.certbot_command();
        command.args(["certonly", "--webroot", "-w"]).arg(webroot).args(["-d", name]);
        run_certbot(command)
    }

    /// A certbot command aimed at this Pebble, with state kept in this Pebble's folder.
    pub fn certbot_command(&self) -> Command {
        let d = self.dir.path();
        let mut command = Command::new("certbot");
        command
            .args(["--server", &self.directory_url(), "--agree-tos", "--register-unsafely-without-email"])
            .args(["--non-interactive", "--no-random-sleep-on-renew"])
            .arg("--config-dir")
            .arg(d.join("certbot/config"))
            .arg("--work-dir")
            .arg(d.join("certbot/work"))
            .arg("--logs-dir")
            .arg(d.join("certbot/logs"))
            .env("REQUESTS_CA_BUNDLE", d.join("ca.pem"));
        command
    }

    /// Sends a JSON body to a challtestsrv management endpoint.
    pub fn manage(&self, path: &str, body: &str) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.management_port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        assert!(response.starts_with("HTTP/1.1 200"), "{path} {body}: {response}");
    }
}

pub fn run_certbot(mut command: Command) -> Certbot {
    let output = command.output().expect("certbot runs");
    Certbot {
        issued: output.status.success(),
        output: format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    }
}
