//! Placing challenge files in a webroot and removing exactly what was placed.
//!
//! The rules follow certbot's webroot plugin, the most careful of the common clients:
//! missing folders are created with mode 0755 and, when running as root, given the
//! webroot's owner; files are written to a temporary name in the same folder and linked
//! into place without replacing anything; cleanup removes the files this run wrote and then
//! only the folders it created, and only while they are empty. A file or folder that was
//! there before is never modified or removed.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where challenge files go.
#[derive(Clone, Debug)]
pub enum Layout {
    /// The document root; files go to `ROOT/.well-known/acme-challenge/`.
    Webroot(PathBuf),
    /// A folder that the server maps to `/.well-known/acme-challenge/` itself (an alias).
    ChallengeDir(PathBuf),
}

impl Layout {
    /// The folder that challenge files are written to.
    pub fn challenge_dir(&self) -> PathBuf {
        match self {
            Layout::Webroot(root) => root.join(".well-known").join("acme-challenge"),
            Layout::ChallengeDir(dir) => dir.clone(),
        }
    }

    /// The document root, which `--challenge-dir` does not reveal.
    pub fn document_root(&self) -> Option<&Path> {
        match self {
            Layout::Webroot(root) => Some(root),
            Layout::ChallengeDir(_) => None,
        }
    }

    /// The folder given on the command line.
    pub fn given(&self) -> &Path {
        match self {
            Layout::Webroot(path) | Layout::ChallengeDir(path) => path,
        }
    }

    /// Checks, before anything is written, that challenge files can be placed.
    pub fn validate(&self) -> Result<(), String> {
        let (given, option) = match self {
            Layout::Webroot(path) => (path, "--webroot"),
            Layout::ChallengeDir(path) => (path, "--challenge-dir"),
        };
        let shown = given.display();

        let meta = fs::metadata(given).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                format!("{option} {shown} does not exist; give the folder your web server serves for this name")
            }
            _ => format!("cannot read {option} {shown}: {e}"),
        })?;
        if !meta.is_dir() {
            return Err(format!("{option} {shown} is not a directory"));
        }

        // The deepest folder that exists on the way to the challenge folder must be a
        // writable directory; anything else in the way is not ours to replace.
        let mut existing = given.clone();
        for part in relative_challenge_parts(self) {
            let next = existing.join(part);
            match fs::metadata(&next) {
                Ok(m) if m.is_dir() => existing = next,
                Ok(_) => {
                    return Err(format!(
                        "{} exists and is not a directory; remove or rename it so that the challenge folder can be created",
                        next.display()
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) => return Err(format!("cannot read {}: {e}", next.display())),
            }
        }
        if !is_writable(&existing) {
            return Err(format!(
                "{} is not writable by this user (or is on a read-only filesystem); run as a user who can write to it",
                existing.display()
            ));
        }
        Ok(())
    }
}

fn relative_challenge_parts(layout: &Layout) -> Vec<&'static str> {
    match layout {
        Layout::Webroot(_) => vec![".well-known", "acme-challenge"],
        Layout::ChallengeDir(_) => vec![],
    }
}

#[cfg(unix)]
fn is_writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: c_path is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn is_writable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// A file this run wrote, identified by its inode so a replaced file is left alone.
#[derive(Clone, Debug)]
struct PlacedFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

/// What this run created, in creation order.
#[derive(Debug, Default)]
pub struct Ledger {
    files: Vec<PlacedFile>,
    dirs: Vec<PathBuf>,
}

/// The ledger shared between the checks and the signal path that cleans up.
pub type SharedLedger = Arc<Mutex<Ledger>>;

pub fn new_ledger() -> SharedLedger {
    Arc::new(Mutex::new(Ledger::default()))
}

/// Writes `content` to `dir/name` without replacing anything, creating `dir` (and its
/// missing parents up to `base`) first. Every created path is recorded in the ledger before
/// the next step, so a cleanup at any moment finds it.
pub fn place(ledger: &SharedLedger, base: &Path, dir: &Path, name: &str, content: &[u8]) -> io::Result<PathBuf> {
    create_dirs(ledger, base, dir)?;

    let mut temp = tempfile::Builder::new()
        .prefix(".acme-preflight-")
        .tempfile_in(dir)?;
    // No fsync: the file lives for a moment and is read back through the page cache, and
    // thousands of fsyncs would dominate a bulk run.
    temp.write_all(content)?;
    set_mode(temp.path(), 0o644)?;
    chown_like(temp.path(), base)?;

    let target = dir.join(name);
    let file = temp.persist_noclobber(&target).map_err(|e| e.error)?;
    let identity = file_identity(&file.metadata()?);

    lock(ledger).files.push(PlacedFile {
        path: target.clone(),
        identity,
    });
    Ok(target)
}

fn create_dirs(ledger: &SharedLedger, base: &Path, dir: &Path) -> io::Result<()> {
    let relative = dir.strip_prefix(base).unwrap_or(Path::new(""));
    let mut current = base.to_path_buf();

    for part in relative.components() {
        current.push(part);
        match fs::create_dir(&current) {
            Ok(()) => {
                lock(ledger).dirs.push(current.clone());
                set_mode(&current, 0o755)?;
                chown_like(&current, base)?;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Returns the folders this run created, in creation order.
pub fn created_dirs(ledger: &SharedLedger) -> Vec<PathBuf> {
    lock(ledger).dirs.clone()
}

/// Removes one file this run placed, if it is still the file that was written.
pub fn remove(ledger: &SharedLedger, path: &Path) -> io::Result<()> {
    let placed = {
        let mut ledger = lock(ledger);
        let index = ledger.files.iter().position(|f| f.path == path);
        index.map(|i| ledger.files.remove(i))
    };
    match placed {
        Some(file) => remove_placed(&file),
        None => Ok(()),
    }
}

/// Removes every file this run placed, then the folders it created while they are empty,
/// deepest first. Safe to call more than once.
pub fn cleanup(ledger: &SharedLedger) -> Vec<String> {
    let (files, dirs) = {
        let mut ledger = lock(ledger);
        (std::mem::take(&mut ledger.files), std::mem::take(&mut ledger.dirs))
    };
    let mut problems = Vec::new();

    for file in &files {
        if let Err(e) = remove_placed(file) {
            problems.push(format!("cannot remove {}: {e}", file.path.display()));
        }
    }

    for dir in dirs.iter().rev() {
        match fs::remove_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            // Someone else put files there meanwhile: the folder stays with them.
            Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {}
            Err(e) => problems.push(format!("cannot remove folder {}: {e}", dir.display())),
        }
    }
    problems
}

fn remove_placed(file: &PlacedFile) -> io::Result<()> {
    match fs::symlink_metadata(&file.path) {
        Ok(meta) if file_identity(&meta) == file.identity => fs::remove_file(&file.path),
        // Replaced by someone else, or already gone: not ours to remove.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn lock(ledger: &SharedLedger) -> std::sync::MutexGuard<'_, Ledger> {
    // A panic while the lock was held leaves valid data: the lists are only pushed to.
    ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(unix)]
fn file_identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_identity(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Gives `path` the owner and group of `reference` when running as root, so a web server
/// that runs as the site's user can read it, as certbot does.
#[cfg(unix)]
fn chown_like(path: &Path, reference: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let meta = fs::metadata(reference)?;
    std::os::unix::fs::chown(path, Some(meta.uid()), Some(meta.gid()))
}

#[cfg(not(unix))]
fn chown_like(_path: &Path, _reference: &Path) -> io::Result<()> {
    Ok(())
}

/// Files in `dir` that an earlier run of this tool left behind (it was killed before its
/// cleanup), recognized by content rather than name because tokens look alike. Files this
/// run placed are not listed.
pub fn find_leftovers(ledger: &SharedLedger, dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let ours: Vec<PathBuf> = lock(ledger).files.iter().map(|f| f.path.clone()).collect();
    let mut found = Vec::new();

    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if !meta.is_file() || meta.len() > 4096 || ours.contains(&path) {
            continue;
        }
        let Ok(content) = fs::read(&path) else { continue };
        if crate::token::is_own_key_authorization(&content) || content.starts_with(PROBE_MARKER.as_bytes()) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Start of the content of every probe file the diagnosis writes.
pub const PROBE_MARKER: &str = "acme-preflight probe ";

/// One folder or file on the way from the document root to the token, and whether other
/// users can pass through or read it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PathStep {
    pub path: String,
    pub mode: String,
    pub owner: u32,
    pub others_can_access: bool,
}

/// Lists the mode of every folder from `/` to the file and of the file itself. A web
/// server worker that runs as another user needs execute permission for others on each
/// folder and read permission on the file.
#[cfg(unix)]
pub fn access_path(file: &Path) -> Vec<PathStep> {
    use std::os::unix::fs::MetadataExt;
    let mut steps = Vec::new();
    let mut current = PathBuf::new();
    let components: Vec<_> = file.components().collect();

    for (i, component) in components.iter().enumerate() {
        current.push(component);
        let Ok(meta) = fs::metadata(&current) else {
            break;
        };
        let mode = meta.mode() & 0o7777;
        let is_last = i + 1 == components.len();
        let others_can_access = if is_last { mode & 0o004 != 0 } else { mode & 0o001 != 0 };
        steps.push(PathStep {
            path: current.display().to_string(),
            mode: format!("{mode:04o}"),
            owner: meta.uid(),
            others_can_access,
        });
    }
    steps
}

#[cfg(not(unix))]
pub fn access_path(_file: &Path) -> Vec<PathStep> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in walk(root) {
            out.push(entry.strip_prefix(root).unwrap().display().to_string());
        }
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.clone());
            if path.is_dir() {
                out.extend(walk(&path));
            }
        }
        out
    }

    #[test]
    fn place_and_cleanup_restore_tree() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("index.html"), "hi").unwrap();
        let before = tree(root.path());

        let ledger = new_ledger();
        let layout = Layout::Webroot(root.path().to_path_buf());
        let path = place(&ledger, root.path(), &layout.challenge_dir(), "tok", b"ka").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"ka");

        assert!(cleanup(&ledger).is_empty());
        assert_eq!(tree(root.path()), before);
    }

    #[test]
    fn existing_folders_are_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".well-known/acme-challenge");
        fs::create_dir_all(&dir).unwrap();

        let ledger = new_ledger();
        place(&ledger, root.path(), &dir, "tok", b"ka").unwrap();
        cleanup(&ledger);
        assert!(dir.is_dir());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn never_clobbers() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("tok"), "theirs").unwrap();
        let ledger = new_ledger();
        let err = place(&ledger, root.path(), root.path(), "tok", b"ours").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(root.path().join("tok")).unwrap(), b"theirs");
        cleanup(&ledger);
        assert_eq!(fs::read(root.path().join("tok")).unwrap(), b"theirs");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn replaced_file_is_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let ledger = new_ledger();
        let path = place(&ledger, root.path(), root.path(), "tok", b"ours").unwrap();
        // Written while ours still exists, so it cannot reuse our inode number.
        let other = root.path().join("other");
        fs::write(&other, "someone else").unwrap();
        fs::rename(&other, &path).unwrap();
        cleanup(&ledger);
        assert_eq!(fs::read(&path).unwrap(), b"someone else");
    }

    #[test]
    fn folder_with_foreign_file_stays() {
        let root = tempfile::tempdir().unwrap();
        let ledger = new_ledger();
        let layout = Layout::Webroot(root.path().to_path_buf());
        place(&ledger, root.path(), &layout.challenge_dir(), "tok", b"ka").unwrap();
        fs::write(layout.challenge_dir().join("certbot-token"), "x").unwrap();
        cleanup(&ledger);
        assert!(layout.challenge_dir().join("certbot-token").exists());
    }

    #[test]
    fn validate_rejects_missing_and_files() {
        let root = tempfile::tempdir().unwrap();
        let missing = Layout::Webroot(root.path().join("nope"));
        assert!(missing.validate().unwrap_err().contains("does not exist"));
        fs::write(root.path().join(".well-known"), "").unwrap();
        let blocked = Layout::Webroot(root.path().to_path_buf());
        assert!(blocked.validate().unwrap_err().contains("not a directory"));
    }
}
