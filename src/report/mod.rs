//! Reports: the result types every renderer reads, and one renderer per format.
//!
//! The JSON shape is a documented contract (`version` 1): fields may be added, never
//! renamed or removed.

pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use serde::Serialize;

use crate::finding::{Code, Finding};
use crate::fetch::{Chain, Hop};
use crate::sanitize;

/// The outcome for one name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    #[default]
    Pass,
    Fail,
    /// The name could not be checked (the token could not be written, for example).
    Error,
}

/// One request as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct HopReport {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    /// The start of the body, escaped.
    pub body: String,
    pub body_bytes: usize,
    pub body_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::fetch::TlsInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_ms: Option<f64>,
    pub total_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Headers worth showing: the ones that identify the server or explain a redirect.
const SHOWN_HEADERS: &[&str] = &[
    "server", "x-powered-by", "via", "cf-ray", "content-type", "content-length", "content-encoding", "location",
    "set-cookie", "x-frame-options",
];

impl HopReport {
    pub fn from_hop(hop: &Hop) -> HopReport {
        HopReport {
            url: hop.url.to_string(),
            address: hop.address.map(|a| a.to_string()),
            status: hop.status,
            headers: hop
                .headers
                .iter()
                .filter(|(name, _)| SHOWN_HEADERS.contains(&name.as_str()))
                .cloned()
                .collect(),
            body: sanitize::excerpt(&hop.body, 200),
            body_bytes: hop.body.len(),
            body_truncated: hop.body_truncated,
            tls: hop.tls.clone(),
            connect_ms: hop.connect_ms,
            response_ms: hop.head_ms,
            total_ms: hop.total_ms,
            error: hop.error.as_ref().map(|e| format!("{e:?}")),
        }
    }

    pub fn from_chain(chain: &Chain) -> Vec<HopReport> {
        chain.hops.iter().map(HopReport::from_hop).collect()
    }
}

/// How each address fared over the attempts.
#[derive(Clone, Debug, Serialize)]
pub struct AddressReport {
    pub address: String,
    pub attempts: usize,
    pub passed: usize,
    /// The code of the first failing attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

/// One extra request the diagnosis made.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    /// What the probe tests: `missing-token`, `site-root`, `extension-file`, `top-level-file`.
    pub kind: &'static str,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Whether the probe's file came back (for probes of files the tool wrote).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served: Option<bool>,
}

/// The report for one name.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub verdict: Verdict,
    pub primary: Option<Code>,
    pub findings: Vec<Finding>,
    pub profile: &'static str,
    /// The failure in the CA's own words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_message: Option<String>,
    /// Why the name could not be checked, for the `error` verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub addresses: Vec<AddressReport>,
    /// The hops of the decisive fetch: the failing one, or the first one on a pass.
    pub hops: Vec<HopReport>,
    pub probes: Vec<ProbeReport>,
    /// Mode and owner of each folder from `/` to the token file, on a failure: the web
    /// server's workers need to pass through every folder and read the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub local_path: Vec<crate::webroot::PathStep>,
    /// The CAA check, made after the fetch passes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caa: Option<crate::caa::CaaOutcome>,
    pub elapsed_ms: f64,
}

impl DomainReport {
    pub fn error(domain: &str, profile: &'static str, message: String) -> DomainReport {
        DomainReport {
            domain: domain.to_string(),
            verdict: Verdict::Error,
            primary: None,
            findings: Vec::new(),
            profile,
            ca_message: None,
            error: Some(message),
            addresses: Vec::new(),
            hops: Vec::new(),
            probes: Vec::new(),
            local_path: Vec::new(),
            caa: None,
            elapsed_ms: 0.0,
        }
    }
}

/// The report for a whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub version: u32,
    pub results: Vec<DomainReport>,
    /// What the check cannot see from one place, and other run-wide remarks.
    pub notes: Vec<String>,
}
