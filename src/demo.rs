//! `acme-preflight demo`: two real checks on loopback, with no arguments and no network.
//!
//! It starts the bundled responder over a temporary webroot, and a stand-in for a Plotly
//! Dash app that answers every path with its page shell (status 200), as a Dash Pages app
//! does behind a proxy that sends it every request. Both listen on 127.0.0.1 on free ports;
//! the names are pinned there, as `--resolve` does. The first check passes; the second
//! fails and names the cause and the fix.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::{notes_for, print_report};
use crate::check::{AddressLimits, Checker, LeftoverScan, Settings};
use crate::cli::Format;
use crate::exit::Exit;
use crate::profile::{Ports, ProfileName};
use crate::report::{RunReport, Verdict};
use crate::resolve::{Pins, Resolver};
use crate::responder;
use crate::webroot::{self, Layout};

/// The page shell a Dash app sends for any path its router does not know: the markers are
/// the ones Dash 2 to 4 render.
const DASH_SHELL: &str = r#"<!DOCTYPE html>
<html>
    <head>
        <meta charset="UTF-8">
        <title>Dash</title>
    </head>
    <body>
        <div id="react-entry-point">
            <div class="_dash-loading">Loading...</div>
        </div>
        <footer>
            <script id="_dash-config" type="application/json">{"url_base_pathname": null, "requests_pathname_prefix": "/", "ui": false, "props_check": false}</script>
            <script>var renderer = new DashRenderer();</script>
        </footer>
    </body>
</html>
"#;

/// Runs the demo and returns 0 when both checks gave their expected verdicts.
pub async fn run() -> Exit {
    match run_inner().await {
        Ok(exit) => exit,
        Err(message) => {
            eprintln!("acme-preflight: demo failed: {message}");
            Exit::Error
        }
    }
}

async fn run_inner() -> Result<Exit, String> {
    let site_root = tempfile::tempdir().map_err(|e| format!("cannot create a temporary webroot: {e}"))?;
    let app_root = tempfile::tempdir().map_err(|e| format!("cannot create a temporary webroot: {e}"))?;
    let site_layout = Layout::Webroot(site_root.path().to_path_buf());

    let responder_listener = bind().await?;
    let app_listener = bind().await?;
    let responder_port = port_of(&responder_listener)?;
    let app_port = port_of(&app_listener)?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = responder::Config {
        sources: vec![responder::Source::Dir(site_layout.challenge_dir())],
        fallback: responder::Fallback::NotFound,
    };
    let responder_task = tokio::spawn(responder::serve(
        config,
        responder::Limits::default(),
        vec![responder_listener],
        stopped,
    ));
    let app_task = tokio::spawn(serve_stand_in(app_listener));

    println!("acme-preflight demo: two checks on 127.0.0.1, names pinned as --resolve does.");
    println!("  site.example.test  port {responder_port}: the bundled responder serves the webroot");
    println!("  dash.example.test  port {app_port}: a stand-in for a Plotly Dash app answers every path");
    println!();

    let resolver = Resolver::new(
        Pins::parse(&[
            "site.example.test:*:127.0.0.1".to_string(),
            "dash.example.test:*:127.0.0.1".to_string(),
        ])?,
        None,
        false,
    );
    let ledger = webroot::new_ledger();
    let limits = AddressLimits::new(AddressLimits::DEFAULT);
    let leftovers = LeftoverScan::default();
    let settings_for = |port: u16, layout: Layout| Settings {
        profile: ProfileName::Letsencrypt.profile(),
        ports: Ports { http: port, https: 443 },
        timeout: Duration::from_secs(5),
        attempts: 3,
        layout: Some(layout),
        given: None,
    };
    let site_settings = settings_for(responder_port, site_layout);
    let app_settings = settings_for(app_port, Layout::Webroot(app_root.path().to_path_buf()));

    let site = Checker {
        settings: &site_settings,
        resolver: &resolver,
        ledger: &ledger,
        limits: &limits,
        leftovers: &leftovers,
    };
    let app = Checker {
        settings: &app_settings,
        resolver: &resolver,
        ledger: &ledger,
        limits: &limits,
        leftovers: &leftovers,
    };
    let checks = async { tokio::join!(site.check("site.example.test"), app.check("dash.example.test")) };
    let outcome = tokio::select! {
        reports = checks => Ok(reports),
        signal = crate::app::wait_for_signal() => Err(signal),
    };

    webroot::cleanup(&ledger);
    let _ = stop.send(true);
    let _ = responder_task.await;
    app_task.abort();

    let (site_report, app_report) = match outcome {
        Ok(reports) => reports,
        Err(exit) => return Ok(exit),
    };
    let expected = site_report.verdict == Verdict::Pass && app_report.verdict == Verdict::Fail;

    // Each report is printed in full, as a single-name check prints it.
    let site_run = RunReport {
        version: 1,
        notes: Vec::new(),
        results: vec![site_report],
    };
    let app_run = RunReport {
        version: 1,
        notes: notes_for(ProfileName::Letsencrypt),
        results: vec![app_report],
    };
    print_report(&site_run, Format::Text, false);
    print_report(&app_run, Format::Text, false);

    if expected {
        Ok(Exit::Pass)
    } else {
        Err("the checks did not give the expected verdicts (pass, then fail)".to_string())
    }
}

async fn bind() -> Result<TcpListener, String> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))
}

fn port_of(listener: &TcpListener) -> Result<u16, String> {
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the listening port: {e}"))
}

/// Answers every request with the Dash page shell, status 200, as Werkzeug serves it.
async fn serve_stand_in(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_request: Request<hyper::body::Incoming>| async {
                let mut response = Response::new(Full::new(Bytes::from_static(DASH_SHELL.as_bytes())));
                let headers = response.headers_mut();
                headers.insert("content-type", "text/html; charset=utf-8".parse().expect("static header"));
                headers.insert("server", "Werkzeug/3.1.3 Python/3.11.2".parse().expect("static header"));
                Ok::<_, Infallible>(response)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
