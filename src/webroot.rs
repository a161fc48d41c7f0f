//! Placing challenge files in a webroot and removing exactly what was placed.
//!
//! The rules follow certbot's webroot plugin. Missing folders are created with mode 0755
//! and, when running as root, given the webroot's owner. Files are written to a temporary
//! name in the same folder and linked into place without replacing anything. Cleanup
//! removes the files this run wrote, then only the folders it created, and only while they
//! are empty. A file or folder that was there before is never modified or removed.
//!
//! SIGKILL skips every cleanup, so what the tool leaves must identify itself to a later
//! `acme-preflight clean` (see [`crate::clean`]): token and probe files by their content,
//! and every folder the tool creates by a marker file inside it. A folder is built under a
//! temporary name with its marker already in it and only then renamed into place, so at
//! no moment does a folder of the tool's exist without a way to prove it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The place challenge files go.
#[derive(Clone, Debug)]
pub enum Layout {
    /// The document root; files go to `ROOT/.well-known/acme-challenge/`.
    Webroot(PathBuf),
    /// A folder that the server maps to `/.well-known/acme-challenge/` itself (an alias).
    ChallengeDir(PathBuf),
}

impl Layout {
    /// Returns the folder that challenge files are written to.
    pub fn challenge_dir(&self) -> PathBuf {
        match self {
            Layout::Webroot(root) => root.join(".well-known").join("acme-challenge"),
            Layout::ChallengeDir(dir) => dir.clone(),
        }
    }

    /// Returns the document root, which `--challenge-dir` does not reveal.
    pub fn document_root(&self) -> Option<&Path> {
        match self {
            Layout::Webroot(root) => Some(root),
            Layout::ChallengeDir(_) => None,
        }
    }

    /// Returns the folder given on the command line.
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
            return Err(format!("{option} {shown} is not a directory; give the folder itself"));
        }

        // The deepest folder that exists on the way to the challenge folder must be a
        // writable directory. Anything else in the way is not ours to replace.
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
                // A symlink whose target is missing: following it is not possible, and
                // replacing it is not ours to do.
                Err(e) if e.kind() == io::ErrorKind::NotFound && fs::symlink_metadata(&next).is_ok() => {
                    let target = fs::read_link(&next).map(|t| t.display().to_string()).unwrap_or_default();
                    return Err(format!(
                        "{} is a symbolic link to {target}, which does not exist; create the target folder or remove the link",
                        next.display()
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) => return Err(format!("cannot read {}: {e}", next.display())),
            }
        }
        match writable(&existing) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(EROFS) => Err(format!(
                "{} is on a read-only filesystem; give a folder on a writable filesystem",
                existing.display()
            )),
            Err(_) => Err(format!(
                "{} is not writable by this user; run as a user who can write to it",
                existing.display()
            )),
        }
    }
}

fn relative_challenge_parts(layout: &Layout) -> Vec<&'static str> {
    match layout {
        Layout::Webroot(_) => vec![".well-known", "acme-challenge"],
        Layout::ChallengeDir(_) => vec![],
    }
}

#[cfg(unix)]
const EROFS: i32 = libc::EROFS;
#[cfg(not(unix))]
const EROFS: i32 = -1;

/// Checks that this user may create entries in `path`, returning the reason when not
/// (EROFS for a read-only filesystem, EACCES for permissions).
#[cfg(unix)]
fn writable(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path contains a NUL byte"))?;
    // SAFETY: c_path is a valid NUL-terminated string that outlives the call.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> io::Result<()> {
    match fs::metadata(path)?.permissions().readonly() {
        true => Err(io::Error::from(io::ErrorKind::PermissionDenied)),
        false => Ok(()),
    }
}

/// A file this run wrote, identified by its inode so a replaced file is left alone.
#[derive(Clone, Debug)]
struct PlacedFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

/// The files and folders this run created, in creation order.
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

    // No fsync: the file lives for a moment and is read back through the page cache, and
    // thousands of fsyncs would dominate a bulk run.
    let mut temp = tempfile::Builder::new().prefix(TEMP_FILE_PREFIX).tempfile_in(dir)?;
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
        let parent = current.clone();
        current.push(part);
        // An existing folder, or a symlink to one, is used as it is.
        if fs::metadata(&current).is_ok() {
            continue;
        }
        if create_marked_dir(&parent, &current, base)? {
            lock(ledger).dirs.push(current.clone());
        }
    }
    Ok(())
}

/// Returns the folders this run created, in creation order.
pub fn created_dirs(ledger: &SharedLedger) -> Vec<PathBuf> {
    lock(ledger).dirs.clone()
}

/// Name of the marker file in every folder the tool creates.
pub const FOLDER_MARKER: &str = ".acme-preflight-created";

/// Content of the marker file; `clean` compares it byte for byte.
pub const FOLDER_MARKER_CONTENT: &str =
    "acme-preflight created this folder. `acme-preflight clean` removes it, with this file, once nothing else is in it.\n";

/// Start of the temporary name of a file before it is linked into place.
pub const TEMP_FILE_PREFIX: &str = ".acme-preflight-tmp-";

/// Start of the temporary name of a folder before it is renamed into place.
pub const TEMP_DIR_PREFIX: &str = ".acme-preflight-dir-";

/// Creates `target` holding the marker file, so that a later `clean` can tell it from a
/// folder someone else made. Returns false when `target` appeared meanwhile (it is then
/// left alone). `owner` is the folder whose owner the new folder gets when run as root.
///
/// Whatever moment a SIGKILL hits, what is on disk is one of: nothing; an empty folder
/// with the temporary prefix; that folder with the marker; the target with the marker.
/// `clean` recognizes each of them.
fn create_marked_dir(parent: &Path, target: &Path, owner: &Path) -> io::Result<bool> {
    let temp = create_temp_dir(parent)?;
    let built = write_marker(&temp, owner)
        .and_then(|()| set_mode(&temp, 0o755))
        .and_then(|()| chown_like(&temp, owner))
        .and_then(|()| rename_noreplace(&temp, target));

    match built {
        Ok(()) => Ok(true),
        Err(e) => {
            let _ = fs::remove_file(temp.join(FOLDER_MARKER));
            let _ = fs::remove_dir(&temp);
            if e.kind() == io::ErrorKind::AlreadyExists { Ok(false) } else { Err(e) }
        }
    }
}

fn create_temp_dir(parent: &Path) -> io::Result<PathBuf> {
    let mut last_error = io::Error::from(io::ErrorKind::AlreadyExists);
    // Twelve random bytes make a collision practically impossible; the retries cover a
    // leftover of a killed run that happens to hold the same name.
    for _ in 0..3 {
        let suffix = crate::token::random_base64url(12).map_err(|e| io::Error::other(e.to_string()))?;
        let path = parent.join(format!("{TEMP_DIR_PREFIX}{suffix}"));
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_error)
}

fn write_marker(dir: &Path, owner: &Path) -> io::Result<()> {
    let path = dir.join(FOLDER_MARKER);
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    file.write_all(FOLDER_MARKER_CONTENT.as_bytes())?;
    file.sync_all()?;
    set_mode(&path, 0o644)?;
    chown_like(&path, owner)
}

/// Renames `from` to `to` unless `to` exists, atomically where the filesystem supports
/// it (Linux `renameat2` with `RENAME_NOREPLACE`).
#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c_from = std::ffi::CString::new(from.as_os_str().as_bytes())?;
    let c_to = std::ffi::CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(libc::AT_FDCWD, c_from.as_ptr(), libc::AT_FDCWD, c_to.as_ptr(), libc::RENAME_NOREPLACE)
    };
    if result == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        // The filesystem cannot do it atomically (some network filesystems).
        Some(libc::EINVAL) | Some(libc::ENOSYS) => rename_if_absent(from, to),
        _ => Err(error),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    rename_if_absent(from, to)
}

/// NOTE: not atomic. A folder created at `to` between the check and the rename is
/// replaced when it is empty, which is the one case `rename` allows.
fn rename_if_absent(from: &Path, to: &Path) -> io::Result<()> {
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
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
        match remove_created_dir(dir) {
            Ok(_) => {}
            Err(e) => problems.push(format!("cannot remove folder {}: {e}", dir.display())),
        }
    }
    problems
}

/// Removes a folder the tool created, with its marker, if nothing else is in it. Returns
/// the names of other entries when there are some: the folder then stays, with its
/// marker, so that a later `clean` can remove it once those are gone.
pub fn remove_created_dir(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut others = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != FOLDER_MARKER {
            others.push(name);
        }
    }
    if !others.is_empty() {
        others.sort();
        return Ok(others);
    }

    match fs::remove_file(dir.join(FOLDER_MARKER)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(Vec::new()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        // Someone put a file there after the listing: the folder stays with it, and gets
        // its marker back.
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            let _ = write_marker(dir, dir);
            Ok(vec!["a file added meanwhile".to_string()])
        }
        Err(e) => Err(e),
    }
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

/// Files and folders that an earlier run of this tool left behind (it was killed before
/// its cleanup), leaving out what this run wrote.
pub fn find_leftovers(ledger: &SharedLedger, layout: &Layout) -> Vec<PathBuf> {
    let (files, dirs) = {
        let ledger = lock(ledger);
        let files: Vec<PathBuf> = ledger.files.iter().map(|f| f.path.clone()).collect();
        (files, ledger.dirs.clone())
    };
    let mut found: Vec<PathBuf> = crate::clean::scan(layout)
        .into_iter()
        .map(|leftover| leftover.path)
        .filter(|path| !files.contains(path) && !dirs.contains(path))
        .collect();
    found.sort();
    found
}

/// Start of the content of every probe file the diagnosis writes.
pub const PROBE_MARKER: &str = "acme-preflight probe ";

/// Start of the name of the probe file at the top of the webroot.
pub const PROBE_NAME_PREFIX: &str = "acme-preflight-";

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

    #[cfg(unix)]
    #[test]
    fn never_clobbers_a_symlink() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target");
        fs::write(&target, "theirs").unwrap();
        std::os::unix::fs::symlink(&target, root.path().join("tok")).unwrap();
        let ledger = new_ledger();

        let err = place(&ledger, root.path(), root.path(), "tok", b"ours").unwrap_err();

        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(fs::symlink_metadata(root.path().join("tok")).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"theirs");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 2, "no temporary file stays");
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
    fn created_folders_hold_the_marker_until_cleanup() {
        let root = tempfile::tempdir().unwrap();
        let ledger = new_ledger();
        let layout = Layout::Webroot(root.path().to_path_buf());
        place(&ledger, root.path(), &layout.challenge_dir(), "tok", b"ka").unwrap();

        for dir in [root.path().join(".well-known"), layout.challenge_dir()] {
            let marker = fs::read_to_string(dir.join(FOLDER_MARKER)).unwrap();
            assert_eq!(marker, FOLDER_MARKER_CONTENT, "{}", dir.display());
        }
        let names: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![".well-known".to_string()], "no temporary folder stays");

        assert!(cleanup(&ledger).is_empty());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn folder_with_foreign_file_stays_marked() {
        let root = tempfile::tempdir().unwrap();
        let ledger = new_ledger();
        let layout = Layout::Webroot(root.path().to_path_buf());
        place(&ledger, root.path(), &layout.challenge_dir(), "tok", b"ka").unwrap();
        fs::write(layout.challenge_dir().join("certbot-token"), "x").unwrap();

        cleanup(&ledger);

        assert!(layout.challenge_dir().join("certbot-token").exists());
        assert!(layout.challenge_dir().join(FOLDER_MARKER).exists());
        assert!(!layout.challenge_dir().join("tok").exists());
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_well_known_is_followed_and_kept() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), root.path().join(".well-known")).unwrap();
        let ledger = new_ledger();
        let layout = Layout::Webroot(root.path().to_path_buf());
        assert!(layout.validate().is_ok());

        let path = place(&ledger, root.path(), &layout.challenge_dir(), "tok", b"ka").unwrap();
        assert!(elsewhere.path().join("acme-challenge/tok").exists(), "{}", path.display());

        assert!(cleanup(&ledger).is_empty());
        assert!(fs::symlink_metadata(root.path().join(".well-known")).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn dangling_symlink_is_rejected() {
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(root.path().join("gone"), root.path().join(".well-known")).unwrap();
        let error = Layout::Webroot(root.path().to_path_buf()).validate().unwrap_err();
        assert!(error.contains("symbolic link") && error.contains("gone"), "{error}");
    }

    #[test]
    fn folder_appearing_meanwhile_is_not_taken() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("taken");
        fs::create_dir(&target).unwrap();
        assert!(!create_marked_dir(root.path(), &target, root.path()).unwrap());
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0, "the other folder stays untouched");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1, "the temporary folder is gone");
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
