//! The `text` format: a verdict line per name, then the findings with cause and fix.
//!
//! Every string from a server was escaped when the report was built; this renderer only
//! lays it out.

use colored::Colorize;

use super::{DomainReport, RunReport, Verdict};
use crate::finding::Severity;

/// Renders the run for a terminal. One name gets its full report; several get a summary
/// line each, then the details of the failing ones. With `quiet`, passing names are left
/// out.
pub fn render(report: &RunReport, quiet: bool) -> String {
    let mut out = String::new();
    if report.results.len() > 1 {
        render_summary(&mut out, report, quiet);
    }
    for result in &report.results {
        let skip = result.verdict == Verdict::Pass && (quiet || report.results.len() > 1);
        if !skip {
            render_domain(&mut out, result);
        }
    }
    if !quiet && !report.notes.is_empty() {
        for note in &report.notes {
            out.push_str(&format!("{} {note}\n", "note:".dimmed()));
        }
    }
    out
}

fn render_summary(out: &mut String, report: &RunReport, quiet: bool) {
    let width = report.results.iter().map(|r| r.domain.len()).max().unwrap_or(0);
    for result in &report.results {
        let line = match result.verdict {
            Verdict::Pass if quiet => continue,
            Verdict::Pass => format!("{} {:width$}", "PASS ".green().bold(), result.domain),
            Verdict::Fail => format!(
                "{} {:width$}  {}",
                "FAIL ".red().bold(),
                result.domain,
                result.primary.map(|c| c.as_str()).unwrap_or("")
            ),
            Verdict::Error => format!("{} {:width$}  {}", "ERROR".yellow().bold(), result.domain, result.error.as_deref().unwrap_or("")),
        };
        out.push_str(&line);
        out.push('\n');
    }
    let passing = report.results.iter().filter(|r| r.verdict == Verdict::Pass).count();
    out.push_str(&format!("{passing} of {} names pass\n\n", report.results.len()));
}

fn render_domain(out: &mut String, result: &DomainReport) {
    let label = match result.verdict {
        Verdict::Pass => "PASS".green().bold(),
        Verdict::Fail => "FAIL".red().bold(),
        Verdict::Error => "ERROR".yellow().bold(),
    };
    let primary = result.primary.map(|c| format!("  [{c}]")).unwrap_or_default();
    out.push_str(&format!("{label} {}{primary}\n", result.domain.bold()));

    if let Some(error) = &result.error {
        out.push_str(&format!("  {error}\n"));
    }

    if result.verdict == Verdict::Pass {
        let fetched: usize = result.addresses.iter().map(|a| a.attempts).sum();
        let list: Vec<&str> = result.addresses.iter().map(|a| a.address.as_str()).collect();
        out.push_str(&format!(
            "  the token was served on all {fetched} fetches from {} ({} profile, {:.0} ms)\n",
            list.join(", "),
            result.profile,
            result.elapsed_ms
        ));
    }

    if let Some(caa) = &result.caa {
        let line = match caa {
            crate::caa::CaaOutcome::Allowed { detail, .. } => format!("CAA: {detail}"),
            crate::caa::CaaOutcome::NotChecked { detail } => format!("CAA: {detail}"),
            _ => String::new(),
        };
        if !line.is_empty() {
            out.push_str(&format!("  {}\n", line.dimmed()));
        }
    }

    for (i, finding) in result.findings.iter().enumerate() {
        let tag = match finding.severity {
            Severity::Error => "error".red(),
            Severity::Warning => "warning".yellow(),
            Severity::Info => "info".blue(),
        };
        let is_primary = i == 0 && Some(finding.code) == result.primary;
        if is_primary {
            out.push_str(&format!("  {tag} {}: {}\n", finding.code.to_string().bold(), finding.summary));
            if let Some(component) = &finding.component {
                out.push_str(&format!("    {} {component}\n", "answered by:".bold()));
            }
            if !finding.cause.is_empty() {
                out.push_str(&format!("    {} {}\n", "cause:".bold(), finding.cause));
            }
            if !finding.fix.is_empty() {
                out.push_str(&format!("    {} {}\n", "fix:".bold(), finding.fix));
            }
            if let Some(evidence) = &finding.evidence {
                if let (Some(url), Some(status)) = (&evidence.url, evidence.status) {
                    out.push_str(&format!("    {} {url} → {status}\n", "seen:".dimmed()));
                }
                if let Some(body) = &evidence.body {
                    let short: String = body.chars().take(120).collect();
                    let more = if body.chars().count() > 120 { "…" } else { "" };
                    out.push_str(&format!("    {} {short}{more}\n", "body:".dimmed()));
                }
            }
        } else {
            out.push_str(&format!("  {tag} {}: {}\n", finding.code, finding.summary));
            // A warning on a passing name has no primary finding to carry the fix.
            if finding.severity == Severity::Warning && !finding.fix.is_empty() {
                out.push_str(&format!("    {} {}\n", "fix:".bold(), finding.fix));
            }
        }
    }

    if let Some(message) = &result.ca_message {
        out.push_str(&format!("  {}\n", message.dimmed()));
    }
    out.push('\n');
}
