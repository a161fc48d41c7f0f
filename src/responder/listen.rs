//! Listening sockets for the responder: `--listen` addresses, sockets passed by systemd
//! (socket activation), and naming the process that already listens on a port.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

/// Connections the kernel queues for one listener while the responder is at its connection
/// cap or busy.
const BACKLOG: i32 = 1024;

/// Parses a `--listen` value: `ADDR:PORT`, with IPv6 in brackets.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>().map_err(|_| {
        format!(
            "invalid --listen value {:?}: expected ADDR:PORT, for example 127.0.0.1:80 or [::1]:80",
            crate::sanitize::escape(text)
        )
    })
}

/// Opens a listener on `addr`. An IPv6 socket is IPv6-only, so `0.0.0.0:80` and `[::]:80`
/// can both be bound, as separate `--listen` values. Must run inside a Tokio runtime.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // A restarted responder can bind while connections of the last run are in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// Opens listeners on every address, or returns a message that names the address that
/// failed and why.
pub fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<TcpListener>, String> {
    addrs
        .iter()
        .map(|addr| bind(*addr).map_err(|error| bind_error(*addr, &error)))
        .collect()
}

/// Describes a failed bind. Where the platform shows it, the message names the process
/// that already listens on the port.
pub fn bind_error(addr: SocketAddr, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::AddrInUse => format!("cannot listen on {addr}: the address is already in use; {}", holder_text(addr)),
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => format!(
            "cannot listen on {addr}: permission denied; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability"
        ),
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot listen on {addr}: the address is not available; give an address of this machine")
        }
        _ => format!("cannot listen on {addr}: {error}"),
    }
}

#[cfg(target_os = "linux")]
fn holder_text(addr: SocketAddr) -> String {
    let holders = holders::find(addr.port());
    if holders.is_empty() {
        return format!("no listening socket on port {} is visible to this user", addr.port());
    }
    let described: Vec<String> = holders.iter().take(4).map(holders::Holder::describe).collect();
    let more = if holders.len() > 4 { format!(" and {} more", holders.len() - 4) } else { String::new() };
    format!("{}{more}", described.join("; "))
}

#[cfg(not(target_os = "linux"))]
fn holder_text(addr: SocketAddr) -> String {
    format!("find the process with `lsof -nP -iTCP:{} -sTCP:LISTEN`", addr.port())
}

/// Returns the listening sockets systemd passed to this process (`LISTEN_PID` and
/// `LISTEN_FDS`, descriptors from 3 on), or none when the variables are absent or name
/// another process.
#[cfg(unix)]
pub fn inherited() -> Result<Vec<TcpListener>, String> {
    use std::os::fd::FromRawFd;

    const FIRST_FD: i32 = 3;

    let pid_matches = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| pid == std::process::id());
    if !pid_matches {
        return Ok(Vec::new());
    }
    let count_text = std::env::var("LISTEN_FDS").unwrap_or_default();
    let count: i32 = count_text
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=1024).contains(n))
        .ok_or_else(|| format!("invalid LISTEN_FDS value {count_text:?} from the service manager: expected a count of sockets"))?;

    let mut listeners = Vec::new();
    for fd in FIRST_FD..FIRST_FD + count {
        if !is_listening_tcp_socket(fd) {
            return Err(format!(
                "file descriptor {fd} from the service manager is not a listening TCP socket; use ListenStream= with an address or port"
            ));
        }
        // SAFETY: the service manager passed `fd` to this process for its use, nothing
        // else in the process owns it, and it was checked to be a listening TCP socket.
        let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
        // Descriptors from systemd do not have close-on-exec set.
        // SAFETY: `fd` is open and owned by `listener`.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot use file descriptor {fd} from the service manager: {e}"))?;
        let listener = TcpListener::from_std(listener)
            .map_err(|e| format!("cannot use file descriptor {fd} from the service manager: {e}"))?;
        listeners.push(listener);
    }
    Ok(listeners)
}

#[cfg(not(unix))]
pub fn inherited() -> Result<Vec<TcpListener>, String> {
    Ok(Vec::new())
}

/// Reports whether `fd` is a stream socket of family IPv4 or IPv6 in the listening state.
#[cfg(unix)]
fn is_listening_tcp_socket(fd: i32) -> bool {
    fn int_option(fd: i32, name: i32) -> Option<i32> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for writes of the sizes given.
        let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, name, (&mut value as *mut libc::c_int).cast(), &mut len) };
        (rc == 0).then_some(value)
    }

    // SAFETY: an all-zero sockaddr_storage is a valid value to be overwritten.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` and `len` are valid for writes of the sizes given.
    let rc = unsafe { libc::getsockname(fd, (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len) };
    let family_ok = rc == 0 && matches!(i32::from(storage.ss_family), libc::AF_INET | libc::AF_INET6);

    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let listening = int_option(fd, libc::SO_ACCEPTCONN) == Some(1);
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let listening = true;

    family_ok && int_option(fd, libc::SO_TYPE) == Some(libc::SOCK_STREAM) && listening
}

/// Raises the soft limit on open files towards `wanted`, within the hard limit. Each
/// connection needs one descriptor, two when it is forwarded; Linux's usual soft limit of
/// 1024 would stop accepting below the connection cap.
#[cfg(unix)]
pub fn raise_open_file_limit(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is valid for writes.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let wanted = wanted as libc::rlim_t;
    if limit.rlim_cur >= wanted {
        return;
    }
    let raised = libc::rlimit {
        rlim_cur: wanted.min(limit.rlim_max),
        rlim_max: limit.rlim_max,
    };
    // SAFETY: `raised` is a valid rlimit that does not exceed the hard limit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 || raised.rlim_cur < wanted {
        tracing::warn!(
            open_files = raised.rlim_cur,
            wanted,
            "the open-file limit is below what the connection cap needs; connections past it wait"
        );
    }
}

#[cfg(not(unix))]
pub fn raise_open_file_limit(_wanted: u64) {}

/// Finding the processes that listen on a TCP port, from /proc (Linux only).
#[cfg(target_os = "linux")]
pub mod holders {
    use std::collections::BTreeSet;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    /// A listening socket on the port, and the processes that have it open.
    #[derive(Debug)]
    pub struct Holder {
        pub local: SocketAddr,
        pub uid: u32,
        /// Process id and command name; empty when /proc hides other users' descriptors.
        pub processes: Vec<(u32, String)>,
    }

    impl Holder {
        pub fn describe(&self) -> String {
            if self.processes.is_empty() {
                return format!(
                    "a process of uid {} listens on {} (run as root to see which)",
                    self.uid, self.local
                );
            }
            let names: Vec<String> =
                self.processes.iter().take(4).map(|(pid, name)| format!("`{name}` (pid {pid})")).collect();
            format!("{} listens on {}", names.join(", "), self.local)
        }
    }

    /// Lists the listening TCP sockets on `port` in this network namespace and the
    /// processes that hold them.
    pub fn find(port: u16) -> Vec<Holder> {
        let mut sockets = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            if let Ok(text) = std::fs::read_to_string(table) {
                sockets.extend(text.lines().skip(1).filter_map(parse_line).filter(|s| s.local.port() == port));
            }
        }
        if sockets.is_empty() {
            return Vec::new();
        }
        let inodes: BTreeSet<u64> = sockets.iter().map(|s| s.inode).collect();
        let owners = processes_with_sockets(&inodes);
        sockets
            .into_iter()
            .map(|s| Holder {
                local: s.local,
                uid: s.uid,
                processes: owners
                    .iter()
                    .filter(|(inode, _, _)| *inode == s.inode)
                    .map(|(_, pid, name)| (*pid, name.clone()))
                    .collect(),
            })
            .collect()
    }

    struct Listening {
        local: SocketAddr,
        uid: u32,
        inode: u64,
    }

    /// Parses one line of /proc/net/tcp or tcp6, keeping sockets in state LISTEN (0A).
    /// Addresses are hex words in host byte order; the port is big-endian hex.
    fn parse_line(line: &str) -> Option<Listening> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 10 || fields[3] != "0A" {
            return None;
        }
        let (addr_hex, port_hex) = fields[1].split_once(':')?;
        let port = u16::from_str_radix(port_hex, 16).ok()?;
        let ip = match addr_hex.len() {
            8 => IpAddr::V4(Ipv4Addr::from(u32::from_str_radix(addr_hex, 16).ok()?.to_ne_bytes())),
            32 => {
                let mut bytes = [0u8; 16];
                for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                    let word = u32::from_str_radix(&addr_hex[i * 8..i * 8 + 8], 16).ok()?;
                    chunk.copy_from_slice(&word.to_ne_bytes());
                }
                IpAddr::V6(Ipv6Addr::from(bytes))
            }
            _ => return None,
        };
        Some(Listening {
            local: SocketAddr::new(ip, port),
            uid: fields[7].parse().ok()?,
            inode: fields[9].parse().ok()?,
        })
    }

    /// Returns (inode, pid, command name) for each process descriptor that is one of the
    /// sockets. Descriptors of other users' processes are visible only to root.
    fn processes_with_sockets(inodes: &BTreeSet<u64>) -> Vec<(u64, u32, String)> {
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return found;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let inode = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
                    .and_then(|t| t.parse::<u64>().ok());
                if let Some(inode) = inode.filter(|i| inodes.contains(i)) {
                    let name = std::fs::read_to_string(entry.path().join("comm"))
                        .map(|n| n.trim().to_string())
                        .unwrap_or_else(|_| "?".to_string());
                    found.push((inode, pid, crate::sanitize::escape(&name)));
                }
            }
        }
        found
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        // /proc prints address words in host byte order; these lines are from x86-64.
        #[cfg(target_endian = "little")]
        #[test]
        fn parses_ipv4_and_ipv6_listeners() {
            let v4 = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0";
            let parsed = parse_line(v4).unwrap();
            assert_eq!(parsed.local, "127.0.0.1:8080".parse().unwrap());
            assert_eq!(parsed.inode, 4242);
            let v6 = "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 99 1 0000000000000000 100 0 0 10 0";
            let parsed = parse_line(v6).unwrap();
            assert_eq!(parsed.local, "[::1]:80".parse().unwrap());
            assert_eq!(parsed.uid, 33);
            let established = v4.replace(" 0A ", " 01 ");
            assert!(parse_line(&established).is_none());
        }

        #[test]
        fn finds_own_listener() {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let holders = find(port);
            assert_eq!(holders.len(), 1, "{holders:?}");
            let pids: Vec<u32> = holders[0].processes.iter().map(|(pid, _)| *pid).collect();
            assert!(pids.contains(&std::process::id()), "{holders:?}");
        }
    }
}
