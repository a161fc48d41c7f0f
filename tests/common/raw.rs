//! A raw TCP server on loopback for tests that need a misbehaving peer.
//!
//! Each connection gets its own thread: the request head is read (bounded in bytes and
//! time), then a behaviour function writes whatever bytes it likes. Behaviours get a
//! [`Stop`] to poll, so every loop ends when the server guard drops, and no connection
//! lives longer than [`MAX_CONNECTION_LIFE`] in any case.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Upper bound on the life of one connection, whatever the behaviour does.
pub const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(60);

/// The request as the server read it.
pub struct Request {
    /// The bytes read before the behaviour ran: a request head, or the start of a TLS
    /// ClientHello.
    pub head: Vec<u8>,
    pub path: String,
    /// The Host header, lowercased.
    pub host: String,
}

impl Request {
    /// The last segment of the path: the token of a challenge request.
    pub fn token(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    pub fn is_challenge(&self) -> bool {
        self.path.starts_with("/.well-known/acme-challenge/")
    }
}

/// The stop flag of a server, with a deadline for the connection.
pub struct Stop {
    flag: Arc<AtomicBool>,
    deadline: Instant,
}

impl Stop {
    pub fn stopped(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    /// Sleeps for `duration` in short steps; returns false when the server stopped meanwhile.
    pub fn sleep(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
        }
        !self.stopped()
    }

    /// Holds the connection open, sending nothing, until the server stops.
    pub fn hold(&self) {
        while self.sleep(Duration::from_millis(100)) {}
    }
}

pub type Behaviour = dyn Fn(&Request, &mut TcpStream, &Stop) + Send + Sync;

/// A running server; dropping it stops the accept loop and every connection.
pub struct RawServer {
    pub addr: SocketAddr,
    flag: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl RawServer {
    /// Starts a server on `ip` (for example "127.0.0.1" or "::1") on a free port.
    pub fn start(ip: &str, behaviour: impl Fn(&Request, &mut TcpStream, &Stop) + Send + Sync + 'static) -> RawServer {
        Self::start_shared(ip, Arc::new(behaviour))
    }

    pub fn start_shared(ip: &str, behaviour: Arc<Behaviour>) -> RawServer {
        let listener = TcpListener::bind((ip, 0)).expect("bind on loopback");
        let addr = listener.local_addr().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let accept_flag = flag.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                let stop = Stop {
                    flag: accept_flag.clone(),
                    deadline: Instant::now() + MAX_CONNECTION_LIFE,
                };
                std::thread::spawn(move || serve(stream, &*behaviour, &stop));
            }
        });
        RawServer {
            addr,
            flag,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.flag.store(true, Ordering::Relaxed);
        // Wakes the blocking accept so that its thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

fn serve(mut stream: TcpStream, behaviour: &Behaviour, stop: &Stop) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let head = read_head(&mut stream);
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let host = lines
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("host").then(|| value.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let request = Request { head, path, host };
    behaviour(&request, &mut stream, stop);
}

/// Reads until the end of a request head, 16 KiB, or a pause of 5 s. A TLS ClientHello
/// (first byte 0x16) is returned after its first read.
fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while head.len() < 16 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.first() == Some(&0x16) {
            break;
        }
    }
    head
}

/// Writes all of `bytes`, ignoring errors: the client may close first.
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
}

/// Builds a complete response with a Content-Length.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Makes the close at the end of the behaviour a TCP reset (SO_LINGER 0) instead of a FIN.
pub fn reset_on_close(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}
