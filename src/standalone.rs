//! `check --standalone`: the bundled responder serves the token from memory on this
//! machine's HTTP port, while the check fetches it through the public name.
//!
//! Nothing is written to disk and no web server is involved, so the result is about the
//! network path alone: DNS, firewalls, NAT and port forwarding.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::responder::{self, Config, Fallback, Limits, Source, listen};
use crate::token::Challenge;

/// The report note that states what a standalone result proves.
pub const NOTE: &str = "--standalone: the bundled responder on this machine answered the challenge, with no web server involved. \
A pass shows that DNS, firewalls, NAT and port forwarding bring the CA's request to this machine, so if a --webroot check \
fails for the same name, the cause is how the web server routes the challenge path. A fail here is about the network path.";

/// The responder of one standalone check, serving until [`Running::stop`].
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Opens the responder's listeners: the `--listen` values, or `0.0.0.0` and `[::]` on
/// `http_port`. Of the default pair, the IPv6 one is left out with a warning where the
/// machine has no IPv6.
pub fn bind(listen_values: &[String], http_port: u16) -> Result<Vec<TcpListener>, String> {
    if !listen_values.is_empty() {
        let addrs = listen_values
            .iter()
            .map(|text| listen::parse_listen(text))
            .collect::<Result<Vec<_>, _>>()?;
        return listen::bind_all(&addrs);
    }

    let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), http_port);
    let v6 = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), http_port);
    let mut listeners = vec![listen::bind(v4).map_err(|e| listen::bind_error(v4, &e))?];
    match listen::bind(v6) {
        Ok(listener) => listeners.push(listener),
        Err(error) if ipv6_unavailable(&error) => {
            eprintln!("acme-preflight: warning: cannot listen on {v6} ({error}); the responder listens on IPv4 only");
        }
        Err(error) => return Err(listen::bind_error(v6, &error)),
    }
    Ok(listeners)
}

fn ipv6_unavailable(error: &io::Error) -> bool {
    #[cfg(unix)]
    if matches!(error.raw_os_error(), Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL)) {
        return true;
    }
    error.kind() == io::ErrorKind::AddrNotAvailable
}

/// Starts the responder with `challenge` as its only source.
pub fn start(listeners: Vec<TcpListener>, challenge: &Challenge) -> Running {
    for listener in &listeners {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "standalone responder listening");
        }
    }
    let config = Config {
        sources: vec![Source::Memory(challenge.clone())],
        fallback: Fallback::NotFound,
    };
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(responder::serve(config, Limits::default(), listeners, stopped));
    Running { stop, task }
}

impl Running {
    /// Stops the responder and waits for it to close its listeners.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
