//! `check` against real application frameworks behind nginx, which proxies every path to
//! them: the motivating Dash case and the other frameworks that swallow the challenge path.

mod common;

use common::*;

fn proxy_to(app_port: u16) -> String {
    format!("location / {{ proxy_pass http://127.0.0.1:{app_port}; proxy_set_header Host $host; }}")
}

#[test]
fn dash_pages_behind_nginx_is_catch_all() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = gunicorn("dash_pages", "app:server", &[]) else { return };
    let Some(front) = nginx(&proxy_to(app.port), "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "fail", Some("catch-all"), Some("body-too-large"));
    let finding = &run.result()["findings"][0];
    let component = finding["component"].as_str().unwrap();
    assert!(component.contains("Plotly Dash") && component.contains("nginx"), "{component}");
    let fix = primary_fix(&run);
    assert!(fix.contains("@app.server.route") && fix.contains("location ^~"), "{fix}");
    let matched = finding["evidence"]["matched"].to_string();
    assert!(matched.contains("_dash-config"), "{matched}");
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn dash_pages_with_challenge_route_passes() {
    let w = public_dir();
    let before = snapshot(w.path());
    let challenge = w.path().join(".well-known/acme-challenge");
    let challenge_env = challenge.display().to_string();
    let Some(app) = gunicorn("dash_pages", "app:server", &[("CHALLENGE_DIR", &challenge_env)]) else { return };
    let Some(front) = nginx(&proxy_to(app.port), "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "pass", None, None);
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn django_404_is_app_intercept() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = gunicorn("django_site", "config.wsgi:application", &[]) else { return };
    let Some(front) = nginx(&proxy_to(app.port), "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "fail", Some("app-intercept"), Some("not-found"));
    assert!(run.result()["findings"][0]["component"].as_str().unwrap().contains("Django"));
    assert!(primary_fix(&run).contains("URL pattern"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn flask_404_is_app_intercept() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = gunicorn("flask_plain", "app:app", &[]) else { return };
    let Some(front) = nginx(&proxy_to(app.port), "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "fail", Some("app-intercept"), Some("not-found"));
    let fix = primary_fix(&run);
    assert!(fix.contains("Flask route") && fix.contains("location ^~ /.well-known/acme-challenge/"), "{fix}");
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn express_spa_fallback_is_catch_all() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = express() else { return };
    let Some(front) = nginx(&proxy_to(app.port), "") else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "fail", Some("catch-all"), Some("body-too-large"));
    assert!(primary_fix(&run).contains("express.static"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}

#[test]
fn vhost_without_challenge_location_proxying_to_flask() {
    let w = public_dir();
    let before = snapshot(w.path());
    let Some(app) = gunicorn("flask_plain", "app:app", &[]) else { return };
    let body = format!("root {}; {}", w.path().display(), proxy_to(app.port));
    let other_vhost = format!(
        "server {{ listen 127.0.0.1:{}; server_name other.test; location ^~ /.well-known/acme-challenge/ {{ root {}; }} }}",
        free_port(),
        w.path().display()
    );
    let Some(front) = nginx(&body, &other_vhost) else { return };

    let run = check(w.path(), front.port, &[]);

    assert_result(&run, "fail", Some("app-intercept"), Some("not-found"));
    assert!(primary_fix(&run).contains("example.test"), "{}", primary_fix(&run));
    assert_eq!(snapshot(w.path()), before);
}
