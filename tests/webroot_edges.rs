//! Webroots that are not a plain folder: symlinked `.well-known` or `acme-challenge`,
//! read-only and full filesystems, names already taken, and a web server that runs as
//! another user than the check.
//!
//! The tests run as root, where a file mode does not stop a write, so read-only and full
//! filesystems are real mounts: a read-only bind mount or a small tmpfs, made inside a
//! mount namespace of their own (`unshare -m`) so nothing outside the test sees them.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::raw::{RawServer, response, send};
use common::*;

/// Serves the key authorization from `webroot`'s challenge folder, following symlinks as
/// a web server does, and calls `observe` with the token file's path first.
fn serving_server(webroot: PathBuf, observe: impl Fn(&Path) + Send + Sync + 'static) -> RawServer {
    RawServer::start("127.0.0.1", move |request, stream, _| {
        let file = webroot.join(".well-known/acme-challenge").join(request.token());
        if request.is_challenge() {
            observe(&file);
        }
        match fs::read(&file) {
            Ok(content) if request.is_challenge() => send(stream, &response("200 OK", &[], &content)),
            _ => send(stream, &response("404 Not Found", &[], b"no")),
        }
    })
}

/// Whether the tests that need root and `unshare -m` can run; under CI=true they must.
fn can_use_mount_namespace(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let works = root
        && Command::new("unshare")
            .args(["-m", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !works {
        assert!(!in_ci(), "{test}: CI runs as root with unshare -m");
        eprintln!("SKIPPED {test}: needs root and unshare -m");
    }
    works
}

/// Runs `setup` (shell commands that may mount over $W), then `check` for example.test
/// on webroot $W, inside a new mount namespace. Prints the check's output, then
/// `exit=N` and whether the tree under $W was the same before and after.
fn check_in_mount_namespace(webroot: &Path, setup: &str, layout_option: &str, target: &str) -> Run {
    let script = format!(
        r#"set -u
W="$1"; BIN="$2"
{setup}
snap() {{ find "$W" -printf '%P %y %m %s %U\n' | sort; find "$W" -type f -exec sha256sum {{}} + | sort; }}
before=$(snap)
"$BIN" check example.test {layout_option} "{target}" --resolve example.test:*:127.0.0.1 --http-port 9 --timeout 2 --attempts 1
code=$?
after=$(snap)
echo "exit=$code"
if [ "$before" = "$after" ]; then echo "tree=same"; else echo "tree=changed"; diff <(echo "$before") <(echo "$after"); fi
"#
    );
    let output = Command::new("unshare")
        .args(["-m", "--", "bash", "-c", &script, "bash"])
        .arg(webroot)
        .arg(binary())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_exit_2_unchanged(run: &Run, message: &str) {
    assert!(run.stdout.contains("exit=2"), "exit status:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("tree=same"), "the tree changed:\n{}\n{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains(message), "expected {message:?} in:\n{all}");
}

#[test]
fn symlinked_well_known_is_followed() {
    let top = public_dir();
    let webroot = top.path().join("site");
    let shared = top.path().join("shared");
    fs::create_dir(&webroot).unwrap();
    fs::create_dir(&shared).unwrap();
    std::os::unix::fs::symlink(&shared, webroot.join(".well-known")).unwrap();
    let before = snapshot(top.path());
    let server = serving_server(webroot.clone(), |_| {});

    let run = check(&webroot, server.port(), &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(top.path()), before, "only what the check created is removed");
}

#[test]
fn symlinked_challenge_folder_is_followed() {
    let top = public_dir();
    let webroot = top.path().join("site");
    let challenges = top.path().join("challenges");
    fs::create_dir_all(webroot.join(".well-known")).unwrap();
    fs::create_dir(&challenges).unwrap();
    fs::write(challenges.join("keep.txt"), "someone's").unwrap();
    std::os::unix::fs::symlink(&challenges, webroot.join(".well-known/acme-challenge")).unwrap();
    let before = snapshot(top.path());
    let server = serving_server(webroot.clone(), |_| {});

    let run = check(&webroot, server.port(), &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(top.path()), before);
}

#[test]
fn dangling_well_known_symlink_is_rejected() {
    let w = public_dir();
    std::os::unix::fs::symlink(w.path().join("missing-target"), w.path().join(".well-known")).unwrap();
    let before = snapshot(w.path());

    let run = check(w.path(), free_port(), &[]);

    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(run.stderr.contains("missing-target"), "{}", run.stderr);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn file_in_place_of_a_folder_is_never_replaced() {
    for taken in [".well-known", ".well-known/acme-challenge"] {
        let w = public_dir();
        let path = w.path().join(taken);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "a file, not a folder").unwrap();
        let before = snapshot(w.path());

        let run = check(w.path(), free_port(), &[]);

        assert_eq!(run.code, 2, "{taken}: {}", run.stderr);
        assert!(run.stderr.contains("not a directory"), "{taken}: {}", run.stderr);
        assert_eq!(snapshot(w.path()), before, "{taken}");
    }
}

#[test]
fn missing_webroot_writes_nothing() {
    let parent = public_dir();
    let missing = parent.path().join("site");
    let run = check(&missing, free_port(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains(&missing.display().to_string()), "{}", run.stderr);
    assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
}

#[test]
fn read_only_webroot_is_rejected() {
    if !can_use_mount_namespace("read_only_webroot_is_rejected") {
        return;
    }
    let w = public_dir();
    fs::write(w.path().join("index.html"), "<h1>site</h1>").unwrap();
    let setup = r#"mount --bind "$W" "$W" && mount -o remount,bind,ro "$W" || exit 90"#;

    let run = check_in_mount_namespace(w.path(), setup, "--webroot", &w.path().display().to_string());

    assert_exit_2_unchanged(&run, "read-only filesystem");
}

#[test]
fn read_only_challenge_folder_is_rejected() {
    if !can_use_mount_namespace("read_only_challenge_folder_is_rejected") {
        return;
    }
    let w = public_dir();
    let challenge = w.path().join(".well-known/acme-challenge");
    fs::create_dir_all(&challenge).unwrap();
    let setup = r#"C="$W/.well-known/acme-challenge"; mount --bind "$C" "$C" && mount -o remount,bind,ro "$C" || exit 90"#;

    let run = check_in_mount_namespace(w.path(), setup, "--webroot", &w.path().display().to_string());

    assert_exit_2_unchanged(&run, "read-only filesystem");
    assert!(run.stderr.contains("acme-challenge"), "the error names the folder: {}", run.stderr);
}

#[test]
fn full_disk_is_an_error_and_leaves_nothing() {
    if !can_use_mount_namespace("full_disk_is_an_error_and_leaves_nothing") {
        return;
    }
    let w = public_dir();
    // A 64 KiB tmpfs, filled up before the check.
    let setup = r#"mount -t tmpfs -o size=64k,mode=0755 tmpfs "$W" || exit 90
echo '<h1>site</h1>' > "$W/index.html"
dd if=/dev/zero of="$W/filler" bs=4096 count=64 2>/dev/null"#;

    let run = check_in_mount_namespace(w.path(), setup, "--webroot", &w.path().display().to_string());

    assert_exit_2_unchanged(&run, "No space left on device");
}

#[test]
fn no_free_inodes_is_an_error_and_leaves_nothing() {
    if !can_use_mount_namespace("no_free_inodes_is_an_error_and_leaves_nothing") {
        return;
    }
    let w = public_dir();
    // Three inodes: the root folder, index.html and one more file; nothing else fits.
    let setup = r#"mount -t tmpfs -o size=1m,nr_inodes=3,mode=0755 tmpfs "$W" || exit 90
echo '<h1>site</h1>' > "$W/index.html"
echo x > "$W/other.html""#;

    let run = check_in_mount_namespace(w.path(), setup, "--webroot", &w.path().display().to_string());

    assert_exit_2_unchanged(&run, "No space left on device");
}

#[test]
fn full_challenge_dir_is_an_error_and_leaves_nothing() {
    if !can_use_mount_namespace("full_challenge_dir_is_an_error_and_leaves_nothing") {
        return;
    }
    let w = public_dir();
    let challenge = w.path().join("challenges");
    fs::create_dir(&challenge).unwrap();
    let setup = r#"C="$W/challenges"; mount -t tmpfs -o size=64k,mode=0755 tmpfs "$C" || exit 90
dd if=/dev/zero of="$C/filler" bs=4096 count=64 2>/dev/null"#;

    let run = check_in_mount_namespace(w.path(), setup, "--challenge-dir", &challenge.display().to_string());

    assert_exit_2_unchanged(&run, "No space left on device");
}

/// Owner, group and mode of each path the check created, seen while it ran.
type Seen = Arc<Mutex<Vec<(String, u32, u32, u32)>>>;

#[test]
fn created_files_are_owned_like_the_webroot() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(!in_ci(), "CI runs as root");
        eprintln!("SKIPPED created_files_are_owned_like_the_webroot: needs root");
        return;
    }
    let w = public_dir();
    // The uid and gid of www-data on Debian; any other owner works as well.
    std::os::unix::fs::chown(w.path(), Some(33), Some(33)).unwrap();
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let server = serving_server(w.path().to_path_buf(), move |token| {
        let challenge = token.parent().unwrap();
        let well_known = challenge.parent().unwrap();
        let paths = [
            well_known.to_path_buf(),
            well_known.join(".acme-preflight-created"),
            challenge.to_path_buf(),
            challenge.join(".acme-preflight-created"),
            token.to_path_buf(),
        ];
        for path in paths {
            if let Ok(meta) = fs::metadata(&path) {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                record.lock().unwrap().push((name, meta.uid(), meta.gid(), meta.permissions().mode() & 0o7777));
            }
        }
    });

    let run = check(w.path(), server.port(), &["--attempts", "1"]);

    assert_result(&run, "pass", None, None);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 5, "{seen:?}");
    for (name, uid, gid, mode) in seen.iter() {
        assert_eq!((*uid, *gid), (33, 33), "{name}");
        let expected = if name.starts_with(".well-known") || name == "acme-challenge" { 0o755 } else { 0o644 };
        assert_eq!(*mode, expected, "{name}: mode {mode:o}");
    }
}

#[test]
fn server_as_www_data_can_read_the_token() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root || !have("setpriv") || !have("/usr/bin/python3") {
        assert!(!in_ci(), "CI runs as root with setpriv and /usr/bin/python3");
        eprintln!("SKIPPED server_as_www_data_can_read_the_token: needs root, setpriv and python3");
        return;
    }
    let w = public_dir();
    let before = snapshot(w.path());
    let port = free_port();
    // A web server that runs as www-data, as nginx's and Apache's workers do.
    let mut child = Command::new("setpriv")
        .args(["--reuid=www-data", "--regid=www-data", "--clear-groups", "--"])
        .args(["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
        .arg(w.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("setpriv runs");
    wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &mut child, "python3 -m http.server");
    let server = Server { child, port, dir: None };

    // With umask 077 every file and folder would be private to root unless the check
    // sets the modes itself.
    let pin = format!("{DOMAIN}:{port}:127.0.0.1");
    let output = Command::new("sh")
        .args(["-c", "umask 077 && exec \"$@\"", "sh", binary(), "check", DOMAIN, "--webroot"])
        .arg(w.path())
        .args(["--resolve", &pin, "--http-port", &port.to_string(), "--format", "json", "--timeout", "5"])
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };

    assert_result(&run, "pass", None, None);
    drop(server);
    assert_eq!(snapshot(w.path()), before);
}
