//! `acme-preflight clean`: removing what a killed check left in a webroot, and nothing else.
//!
//! A check that gets SIGKILL, or loses power, cannot clean up. Its token names look like
//! any ACME client's, so nothing here goes by name alone:
//!
//! - a token file contains a key authorization whose thumbprint half starts with the
//!   tool's marker, which no ACME client writes ([`crate::token::THUMBPRINT_MARKER`]);
//! - a probe file starts with [`webroot::PROBE_MARKER`];
//! - a temporary file has a name starting with `.acme-preflight-` and is empty or has
//!   one of the contents above;
//! - a folder the tool created contains [`webroot::FOLDER_MARKER`] with its exact
//!   content, and is removed only when nothing else is in it;
//! - a temporary folder has a name starting with [`webroot::TEMP_DIR_PREFIX`] and
//!   contains nothing or only the marker.
//!
//! Files must be regular files of at most 4 KiB. Symlinks are followed to look inside a
//! linked `.well-known`, but a symlink itself is never removed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::cli::CleanArgs;
use crate::exit::Exit;
use crate::sanitize;
use crate::token;
use crate::webroot::{self, Layout};

/// Largest file that can be one of the tool's: a key authorization is 87 bytes.
const MAX_OWN_FILE_BYTES: u64 = 4096;

/// Start of the temporary names of files, of this version and of earlier ones.
const TEMP_NAME_PREFIX: &str = ".acme-preflight-";

/// What a leftover is, which decides how it is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Token,
    Probe,
    TempFile,
    TempFolder,
    CreatedFolder,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Token => "token file",
            Kind::Probe => "probe file",
            Kind::TempFile => "temporary file",
            Kind::TempFolder => "temporary folder",
            Kind::CreatedFolder => "folder created by acme-preflight",
        }
    }

    fn is_folder(self) -> bool {
        matches!(self, Kind::TempFolder | Kind::CreatedFolder)
    }
}

/// One file or folder that a check left behind.
#[derive(Clone, Debug)]
pub struct Leftover {
    pub path: PathBuf,
    pub kind: Kind,
    /// Device and inode of a file when it was read, so a file replaced since is kept.
    identity: Option<(u64, u64)>,
}

/// The result of removing one leftover.
#[derive(Debug)]
pub enum Outcome {
    Removed,
    /// A created folder that contains entries the tool did not write (their names).
    Kept(Vec<String>),
    Failed(io::Error),
}

/// Lists the leftovers in the folders a check writes to: for a webroot, the webroot
/// itself (probe files), `.well-known` and `.well-known/acme-challenge`; for a challenge
/// folder, that folder only. Files come first, then folders, deepest first, which is the
/// order they can be removed in.
pub fn scan(layout: &Layout) -> Vec<Leftover> {
    let mut found = Vec::new();
    match layout {
        Layout::Webroot(root) => {
            let well_known = root.join(".well-known");
            let challenge = well_known.join("acme-challenge");
            scan_entries(root, false, &mut found);
            scan_entries(&well_known, false, &mut found);
            scan_entries(&challenge, true, &mut found);
            for dir in [challenge, well_known] {
                if is_created_folder(&dir) {
                    found.push(Leftover {
                        path: dir,
                        kind: Kind::CreatedFolder,
                        identity: None,
                    });
                }
            }
        }
        Layout::ChallengeDir(dir) => scan_entries(dir, true, &mut found),
    }
    // A stable sort keeps the created folders deepest first.
    found.sort_by_key(|leftover| leftover.kind.is_folder());
    found
}

/// Adds the leftovers among the entries of `dir`. Token names are random, so in a
/// challenge folder (`any_name`) every small file is read; elsewhere the tool writes only
/// names with its own prefix, and other files, of which a site's top folder may hold
/// thousands, are not read at all.
fn scan_entries(dir: &Path, any_name: bool, found: &mut Vec<Leftover>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !any_name && !name.starts_with(webroot::PROBE_NAME_PREFIX) && !name.starts_with(TEMP_NAME_PREFIX) {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let kind = if meta.is_file() {
            classify_file(&path, &name, &meta)
        } else if meta.is_dir() && name.starts_with(webroot::TEMP_DIR_PREFIX) && holds_only_marker(&path) {
            Some(Kind::TempFolder)
        } else {
            None
        };
        if let Some(kind) = kind {
            found.push(Leftover {
                path,
                kind,
                identity: identity(&meta),
            });
        }
    }
}

fn classify_file(path: &Path, name: &str, meta: &fs::Metadata) -> Option<Kind> {
    if name == webroot::FOLDER_MARKER || meta.len() > MAX_OWN_FILE_BYTES {
        return None;
    }
    let content = fs::read(path).ok()?;
    let temp_name = name.starts_with(TEMP_NAME_PREFIX);
    if token::is_own_key_authorization(&content) {
        Some(if temp_name { Kind::TempFile } else { Kind::Token })
    } else if content.starts_with(webroot::PROBE_MARKER.as_bytes()) {
        Some(if temp_name { Kind::TempFile } else { Kind::Probe })
    } else if temp_name && content.is_empty() {
        // NOTE: a kill during the one small write of a temporary file could leave a part
        // of the content, and such a file stays. That write is one call of under 100 bytes.
        Some(Kind::TempFile)
    } else {
        None
    }
}

/// Reports whether `dir` is a real folder (not a symlink) holding the tool's marker.
fn is_created_folder(dir: &Path) -> bool {
    let is_dir = fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    is_dir && is_marker(&dir.join(webroot::FOLDER_MARKER))
}

fn is_marker(path: &Path) -> bool {
    let is_file = fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_OWN_FILE_BYTES);
    is_file && fs::read(path).is_ok_and(|content| content == webroot::FOLDER_MARKER_CONTENT.as_bytes())
}

/// Reports whether a temporary folder is empty or holds only a valid marker.
fn holds_only_marker(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry.file_name()),
            Err(_) => return false,
        }
    }
    match names.as_slice() {
        [] => true,
        [only] => only == webroot::FOLDER_MARKER && is_marker(&dir.join(webroot::FOLDER_MARKER)),
        _ => false,
    }
}

/// Removes one leftover, checking again just before that it is still what was found.
pub fn remove(leftover: &Leftover) -> Outcome {
    match leftover.kind {
        Kind::Token | Kind::Probe | Kind::TempFile => remove_file(leftover),
        Kind::TempFolder => {
            if !holds_only_marker(&leftover.path) {
                return Outcome::Kept(vec!["files added since the scan".to_string()]);
            }
            match webroot::remove_created_dir(&leftover.path) {
                Ok(others) if others.is_empty() => Outcome::Removed,
                Ok(others) => Outcome::Kept(others),
                Err(e) => Outcome::Failed(e),
            }
        }
        Kind::CreatedFolder => match webroot::remove_created_dir(&leftover.path) {
            Ok(others) if others.is_empty() => Outcome::Removed,
            Ok(others) => Outcome::Kept(others),
            Err(e) => Outcome::Failed(e),
        },
    }
}

fn remove_file(leftover: &Leftover) -> Outcome {
    match fs::symlink_metadata(&leftover.path) {
        Ok(meta) if identity(&meta) == leftover.identity => match fs::remove_file(&leftover.path) {
            Ok(()) => Outcome::Removed,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Removed,
            Err(e) => Outcome::Failed(e),
        },
        Ok(_) => Outcome::Kept(vec!["a different file now has this name".to_string()]),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Removed,
        Err(e) => Outcome::Failed(e),
    }
}

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Runs `acme-preflight clean` and returns its exit status: 0 when everything found was
/// removed (folders that hold other files stay, which is no error), 1 when something
/// could not be removed, 2 for invalid arguments.
pub fn run(args: &CleanArgs) -> Exit {
    let (layout, option) = match (&args.webroot, &args.challenge_dir) {
        (Some(dir), None) => (Layout::Webroot(dir.clone()), "--webroot"),
        (None, Some(dir)) => (Layout::ChallengeDir(dir.clone()), "--challenge-dir"),
        _ => {
            eprintln!("acme-preflight: error: give the folder the check wrote to: --webroot DIR or --challenge-dir DIR");
            return Exit::Error;
        }
    };
    let given = layout.given();
    match fs::metadata(given) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            eprintln!("acme-preflight: error: {option} {} is not a directory", shown(given));
            return Exit::Error;
        }
        Err(e) => {
            eprintln!("acme-preflight: error: cannot read {option} {}: {e}", shown(given));
            return Exit::Error;
        }
    }

    let found = scan(&layout);
    if found.is_empty() {
        println!("nothing to clean: {} holds no file or folder of acme-preflight", shown(given));
        return Exit::Pass;
    }

    let mut failed = false;
    for leftover in &found {
        let path = shown(&leftover.path);
        let kind = leftover.kind.describe();
        if args.dry_run {
            println!("would remove {path} ({kind})");
            continue;
        }
        match remove(leftover) {
            Outcome::Removed => println!("removed {path} ({kind})"),
            Outcome::Kept(others) => {
                let list: Vec<String> = others.iter().take(3).map(|n| sanitize::escape(n)).collect();
                let more = if others.len() > 3 { format!(" and {} more", others.len() - 3) } else { String::new() };
                println!("kept {path} ({kind}): it also holds {}{more}, which acme-preflight did not write", list.join(", "));
            }
            Outcome::Failed(e) => {
                eprintln!("acme-preflight: error: cannot remove {path}: {e}");
                failed = true;
            }
        }
    }
    if failed { Exit::Fail } else { Exit::Pass }
}

/// A path from the filesystem, escaped for the terminal: anyone who can write to the
/// webroot chooses its names.
fn shown(path: &Path) -> String {
    sanitize::escape(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ka(token: &str) -> String {
        format!("{token}.{}{}", token::THUMBPRINT_MARKER, "x".repeat(token::TOKEN_LEN - token::THUMBPRINT_MARKER.len()))
    }

    #[test]
    fn scan_finds_own_files_and_not_others() {
        let root = tempfile::tempdir().unwrap();
        let challenge = root.path().join(".well-known/acme-challenge");
        fs::create_dir_all(&challenge).unwrap();
        fs::write(challenge.join("A"), ka("A")).unwrap();
        fs::write(challenge.join("B"), format!("B.{}", "y".repeat(43))).unwrap();
        fs::write(root.path().join("acme-preflight-x.txt"), format!("{}x", webroot::PROBE_MARKER)).unwrap();
        fs::write(challenge.join(".acme-preflight-tmp-abc"), "").unwrap();
        fs::write(challenge.join(".acme-preflight-other"), "not ours").unwrap();

        let found = scan(&Layout::Webroot(root.path().to_path_buf()));
        let names: Vec<(String, Kind)> = found
            .iter()
            .map(|l| (l.path.file_name().unwrap().to_string_lossy().into_owned(), l.kind))
            .collect();

        assert!(names.contains(&("A".to_string(), Kind::Token)), "{names:?}");
        assert!(names.contains(&("acme-preflight-x.txt".to_string(), Kind::Probe)), "{names:?}");
        assert!(names.contains(&(".acme-preflight-tmp-abc".to_string(), Kind::TempFile)), "{names:?}");
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn other_names_outside_the_challenge_folder_are_skipped() {
        let root = tempfile::tempdir().unwrap();
        // Own content under a name the tool never writes at the top of a webroot.
        fs::write(root.path().join("page.txt"), format!("{}x", webroot::PROBE_MARKER)).unwrap();
        assert!(scan(&Layout::Webroot(root.path().to_path_buf())).is_empty());
    }

    #[test]
    fn folder_without_marker_is_not_ours() {
        let root = tempfile::tempdir().unwrap();
        let challenge = root.path().join(".well-known/acme-challenge");
        fs::create_dir_all(&challenge).unwrap();
        assert!(scan(&Layout::Webroot(root.path().to_path_buf())).is_empty());
    }

    #[test]
    fn marker_with_other_content_is_not_ours() {
        let root = tempfile::tempdir().unwrap();
        let well_known = root.path().join(".well-known");
        fs::create_dir(&well_known).unwrap();
        fs::write(well_known.join(webroot::FOLDER_MARKER), "something else").unwrap();
        assert!(scan(&Layout::Webroot(root.path().to_path_buf())).is_empty());
    }

    #[test]
    fn created_folder_with_foreign_file_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let well_known = root.path().join(".well-known");
        fs::create_dir(&well_known).unwrap();
        fs::write(well_known.join(webroot::FOLDER_MARKER), webroot::FOLDER_MARKER_CONTENT).unwrap();
        fs::write(well_known.join("security.txt"), "contact").unwrap();

        let found = scan(&Layout::Webroot(root.path().to_path_buf()));
        assert_eq!(found.len(), 1);
        match remove(&found[0]) {
            Outcome::Kept(others) => assert_eq!(others, vec!["security.txt".to_string()]),
            other => panic!("expected Kept, got {other:?}"),
        }
        assert!(well_known.join(webroot::FOLDER_MARKER).exists());
        assert!(well_known.join("security.txt").exists());
    }

    #[test]
    fn replaced_file_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("A");
        fs::write(&path, ka("A")).unwrap();
        let found = scan(&Layout::ChallengeDir(root.path().to_path_buf()));
        assert_eq!(found.len(), 1);

        let other = root.path().join("other");
        fs::write(&other, "someone else's").unwrap();
        fs::rename(&other, &path).unwrap();

        assert!(matches!(remove(&found[0]), Outcome::Kept(_)));
        assert_eq!(fs::read(&path).unwrap(), b"someone else's");
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_file_is_not_ours() {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("A");
        fs::write(&target, ka("A")).unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&target, root.path().join("A")).unwrap();
        assert!(scan(&Layout::ChallengeDir(root.path().to_path_buf())).is_empty());
    }
}
