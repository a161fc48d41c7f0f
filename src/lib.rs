//! acme-preflight: checks that an ACME HTTP-01 challenge will pass before the CA is asked.
//!
//! The data flows one way: a token is placed in the webroot ([`webroot`]), the name is
//! resolved ([`resolve`]), the challenge URL is fetched under a CA profile ([`fetch`],
//! [`profile`]), the answers are diagnosed ([`diagnose`], [`finding`]) and reported
//! ([`report`]). The binary is a thin driver over [`app::run`].

pub mod app;
pub mod batch;
pub mod caa;
pub mod check;
pub mod clean;
pub mod cli;
pub mod demo;
pub mod diagnose;
pub mod exit;
pub mod explain;
pub mod fetch;
pub mod finding;
pub mod fingerprint;
pub mod fixes;
pub mod hook;
pub mod log_buffer;
pub mod profile;
pub mod report;
pub mod reserved;
pub mod responder;
pub mod resolve;
pub mod sanitize;
pub mod standalone;
pub mod token;
pub mod url;
pub mod webroot;
