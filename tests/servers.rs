//! The same kinds of failure on Apache httpd and lighttpd, and the remaining status codes
//! on nginx: a fix must follow the kind of setup, not one server's configuration.

mod common;

use std::fs;

use common::*;

#[test]
fn apache_serving_webroot_passes() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = apache(w.path(), "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn apache_dot_rule_is_dotfiles_blocked() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = apache(w.path(), "RedirectMatch 403 /\\.") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("dotfiles-blocked"), Some("forbidden"));
    assert!(primary_fix(&run).contains("LocationMatch"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn apache_front_controller_is_catch_all() {
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let rules = format!(
        "<Directory {}>\n Require all granted\n RewriteEngine On\n RewriteCond %{{REQUEST_FILENAME}} !-f\n RewriteRule ^ index.html [L]\n</Directory>",
        other.path().display()
    );
    let Some(server) = apache(other.path(), &rules) else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("catch-all"), Some("content-mismatch"));
    assert!(primary_fix(&run).contains("RewriteCond"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn apache_other_document_root_is_webroot_not_served() {
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let Some(server) = apache(other.path(), "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("webroot-not-served"), Some("not-found"));
    assert!(primary_fix(&run).contains("DocumentRoot"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn lighttpd_serving_webroot_passes() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = lighttpd(w.path(), "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn lighttpd_dot_rule_is_dotfiles_blocked() {
    let w = site_dir();
    let before = snapshot(w.path());
    let Some(server) = lighttpd(w.path(), "$HTTP[\"url\"] =~ \"^/\\.\" { url.access-deny = (\"\") }") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("dotfiles-blocked"), Some("forbidden"));
    assert!(primary_fix(&run).contains("url.access-deny"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn lighttpd_other_root_is_webroot_not_served() {
    let w = site_dir();
    let other = site_dir();
    let before = snapshot(w.path());
    let Some(server) = lighttpd(other.path(), "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("webroot-not-served"), Some("not-found"));
    assert!(primary_fix(&run).contains("server.document-root"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn nginx_basic_auth_is_auth_required() {
    let w = site_dir();
    let auth = public_dir();
    fs::write(auth.path().join("htpasswd"), "user:{PLAIN}secret\n").unwrap();
    let body = format!("root {}; auth_basic \"private\"; auth_basic_user_file {}/htpasswd;", w.path().display(), auth.path().display());
    let Some(server) = nginx(&body, "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", Some("auth-required"), Some("auth-required"));
    assert!(primary_fix(&run).contains("auth_basic off"), "{}", primary_fix(&run));
}

#[test]
fn nginx_dead_upstream_is_server_error() {
    let w = site_dir();
    let dead = free_port();
    let Some(server) = nginx(&format!("location / {{ proxy_pass http://127.0.0.1:{dead}; }}"), "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", None, Some("server-error"));
    assert_eq!(run.result()["hops"][0]["status"], 502);
}

#[test]
fn cdn_headers_add_cdn_proxy_info() {
    let w = site_dir();
    let body = "add_header CF-Ray 8a1b2c3d4e5f6789-AMS always; return 404;";
    let Some(server) = nginx(body, "") else { return };
    let run = check(w.path(), server.port, &[]);
    assert_result(&run, "fail", None, Some("cdn-proxy"));
    let info = run.result()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "cdn-proxy")
        .cloned()
        .unwrap();
    assert_eq!(info["severity"], "info");
    assert_eq!(info["component"], "Cloudflare");
}
