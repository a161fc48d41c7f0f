//! Hooks for ACME clients: check the real token, with the real key authorization, in the
//! moment between the client writing it and the client asking the CA to validate.
//!
//! certbot ignores an auth hook's exit status and answers the challenge anyway, so when the
//! CA would fail, the certbot auth hook stops certbot itself with SIGTERM: certbot's own
//! signal handling then runs its cleanup (and our cleanup hook), and the challenge is never
//! answered. dehydrated runs its hook under `set -e`, so a non-zero exit from
//! `deploy_challenge` is enough to stop it before it answers.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::token::is_valid_token;
use crate::webroot::{self, Layout};

/// The file and folders the auth hook created, so the cleanup hook removes exactly those.
/// The record is kept outside the webroot, in a folder only this user can read, and named
/// by the token.
#[derive(Debug, Serialize, Deserialize)]
pub struct HookRecord {
    pub file: PathBuf,
    /// Folders the auth hook created, in creation order.
    pub created_dirs: Vec<PathBuf>,
}

/// Returns the folder that contains the hook records of this user.
fn record_dir() -> PathBuf {
    #[cfg(unix)]
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    #[cfg(not(unix))]
    let uid = 0;
    std::env::temp_dir().join(format!("acme-preflight-hooks-{uid}"))
}

fn record_path(token: &str) -> PathBuf {
    record_dir().join(format!("{token}.json"))
}

/// Reads certbot's hook environment: CERTBOT_DOMAIN, CERTBOT_TOKEN, CERTBOT_VALIDATION.
pub fn certbot_environment() -> Result<(String, String, String), String> {
    let read = |name: &str| {
        std::env::var(name).map_err(|_| {
            format!("{name} is not set: run this as certbot's --manual-auth-hook or --manual-cleanup-hook")
        })
    };
    let domain = read("CERTBOT_DOMAIN")?;
    let token = read("CERTBOT_TOKEN")?;
    let validation = read("CERTBOT_VALIDATION")?;
    if !is_valid_token(&token) {
        return Err(format!("CERTBOT_TOKEN {token:?} is not a valid ACME token"));
    }
    Ok((domain, token, validation))
}

/// Writes the challenge file as certbot's webroot plugin would (missing folders 0755 owned
/// like the webroot, the file 0644, never replacing anything) and records what was created.
pub fn write_challenge(layout: &Layout, token: &str, key_authorization: &str) -> Result<PathBuf, String> {
    let ledger = webroot::new_ledger();
    let dir = layout.challenge_dir();
    let path = webroot::place(&ledger, layout.given(), &dir, token, key_authorization.as_bytes())
        .map_err(|e| format!("cannot write the challenge file {}: {e}", dir.join(token).display()))?;

    let record = HookRecord {
        file: path.clone(),
        created_dirs: webroot::created_dirs(&ledger),
    };
    if let Err(e) = save_record(token, &record) {
        // Without a record the cleanup hook still removes the file, only not the folders.
        tracing::warn!(error = %e, "cannot save the hook record; created folders will stay");
    }
    Ok(path)
}

fn save_record(token: &str, record: &HookRecord) -> io::Result<()> {
    let dir = record_dir();
    fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    }
    let text = serde_json::to_string(record).map_err(io::Error::other)?;
    fs::write(record_path(token), text)
}

/// Removes the challenge file if it still holds `key_authorization`, then the folders the
/// auth hook created, while they are empty. Returns what it could not do.
pub fn remove_challenge(layout: &Layout, token: &str, key_authorization: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let path = layout.challenge_dir().join(token);

    match fs::read(&path) {
        Ok(content) if content.trim_ascii_end() == key_authorization.as_bytes() => {
            if let Err(e) = fs::remove_file(&path) {
                problems.push(format!("cannot remove {}: {e}", path.display()));
            }
        }
        // Someone replaced the file: it is not ours to remove.
        Ok(_) => problems.push(format!("{} holds other content and was left in place", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => problems.push(format!("cannot read {}: {e}", path.display())),
    }

    let record_file = record_path(token);
    if let Ok(text) = fs::read_to_string(&record_file) {
        if let Ok(record) = serde_json::from_str::<HookRecord>(&text) {
            for dir in record.created_dirs.iter().rev() {
                // A folder with other files in it stays, with them and its marker.
                if let Err(e) = webroot::remove_created_dir(dir) {
                    problems.push(format!("cannot remove {}: {e}", dir.display()));
                }
            }
        }
        let _ = fs::remove_file(&record_file);
    }
    problems
}

/// Finds the certbot process that ran this hook: the nearest ancestor whose command name
/// or first arguments name certbot.
#[cfg(target_os = "linux")]
pub fn find_certbot() -> Option<i32> {
    let mut pid = std::os::unix::process::parent_id() as i32;
    for _ in 0..16 {
        if pid <= 1 {
            return None;
        }
        if names_certbot(pid) {
            return Some(pid);
        }
        pid = parent_of(pid)?;
    }
    None
}

#[cfg(target_os = "linux")]
fn names_certbot(pid: i32) -> bool {
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() == "certbot" {
        return true;
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    cmdline
        .split(|b| *b == 0)
        .take(3)
        .any(|arg| Path::new(&*String::from_utf8_lossy(arg)).file_name().is_some_and(|n| n == "certbot"))
}

#[cfg(target_os = "linux")]
fn parent_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces; the fields after it are
    // plain: state, then the parent's PID.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// NOTE: without /proc the process tree cannot be walked, so only the direct parent is
/// considered; certbot usually runs hooks through a shell, which is that parent.
#[cfg(all(unix, not(target_os = "linux")))]
pub fn find_certbot() -> Option<i32> {
    Some(std::os::unix::process::parent_id() as i32).filter(|pid| *pid > 1)
}

#[cfg(not(unix))]
pub fn find_certbot() -> Option<i32> {
    None
}

/// Writes `text` where a process writes its errors, by opening its standard error through
/// /proc: the terminal, the pipe or the log file that the user reads certbot's messages in.
#[cfg(target_os = "linux")]
pub fn write_to_stderr_of(pid: i32, text: &str) {
    use std::io::Write;
    if let Ok(mut stderr) = fs::OpenOptions::new().append(true).open(format!("/proc/{pid}/fd/2")) {
        let _ = stderr.write_all(text.as_bytes());
    }
}

/// NOTE: without /proc another process's standard error cannot be reached; the report
/// then goes only to the hook's own stderr.
#[cfg(not(target_os = "linux"))]
pub fn write_to_stderr_of(_pid: i32, _text: &str) {}

/// Sends SIGTERM to a process.
#[cfg(unix)]
pub fn terminate(pid: i32) -> io::Result<()> {
    // SAFETY: kill has no memory-safety preconditions.
    if unsafe { libc::kill(pid, libc::SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
pub fn terminate(_pid: i32) -> io::Result<()> {
    Err(io::Error::other("stopping certbot needs a Unix system"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_and_remove_restore_the_webroot() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::Webroot(root.path().to_path_buf());
        let token = crate::token::random_base64url(32).unwrap();
        let path = write_challenge(&layout, &token, "ka").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"ka");

        assert!(remove_challenge(&layout, &token, "ka").is_empty());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn replaced_file_stays() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::Webroot(root.path().to_path_buf());
        let token = crate::token::random_base64url(32).unwrap();
        let path = write_challenge(&layout, &token, "ka").unwrap();
        fs::write(&path, "other").unwrap();
        assert_eq!(remove_challenge(&layout, &token, "ka").len(), 1);
        assert_eq!(fs::read(&path).unwrap(), b"other");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn parent_of_self_is_known() {
        let own = std::process::id() as i32;
        assert_eq!(parent_of(own), Some(std::os::unix::process::parent_id() as i32));
    }
}
