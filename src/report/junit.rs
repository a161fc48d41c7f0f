//! The `junit` format: JUnit XML with one test case per name, for CI systems.
//!
//! A failing name is a `<failure>` whose type is the primary code; a name that could not
//! be checked is an `<error>`. Text is XML-escaped, and characters that XML 1.0 cannot
//! carry were already escaped when the report was built.

use super::{DomainReport, RunReport, Verdict};

/// Renders the run as a JUnit XML document.
pub fn render(report: &RunReport) -> String {
    let total = report.results.len();
    let failures = report.results.iter().filter(|r| r.verdict == Verdict::Fail).count();
    let errors = report.results.iter().filter(|r| r.verdict == Verdict::Error).count();
    let seconds: f64 = report.results.iter().map(|r| r.elapsed_ms).sum::<f64>() / 1000.0;
    let profile = report.results.first().map(|r| r.profile).unwrap_or("letsencrypt");

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"acme-preflight\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"acme-preflight {profile}\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">\n"
    ));
    for result in &report.results {
        render_case(&mut out, result);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn render_case(out: &mut String, result: &DomainReport) {
    out.push_str(&format!(
        "    <testcase name=\"{}\" classname=\"acme-preflight.{}\" time=\"{:.3}\"",
        escape(&result.domain),
        result.profile,
        result.elapsed_ms / 1000.0
    ));
    match result.verdict {
        Verdict::Pass => out.push_str("/>\n"),
        Verdict::Fail => {
            let primary = result.primary.map(|c| c.as_str()).unwrap_or("fail");
            let finding = result.findings.iter().find(|f| Some(f.code) == result.primary);
            let message = finding.map(|f| f.summary.as_str()).unwrap_or("validation would fail");
            out.push_str(">\n");
            out.push_str(&format!(
                "      <failure type=\"{primary}\" message=\"{}\">{}</failure>\n",
                escape(message),
                escape(&details(result))
            ));
            out.push_str("    </testcase>\n");
        }
        Verdict::Error => {
            let message = result.error.as_deref().unwrap_or("the name could not be checked");
            out.push_str(">\n");
            out.push_str(&format!("      <error type=\"error\" message=\"{}\"/>\n", escape(message)));
            out.push_str("    </testcase>\n");
        }
    }
}

fn details(result: &DomainReport) -> String {
    let mut text = String::new();
    for finding in &result.findings {
        text.push_str(&format!("{}: {}\n", finding.code, finding.summary));
        if !finding.cause.is_empty() {
            text.push_str(&format!("  cause: {}\n", finding.cause));
        }
        if !finding.fix.is_empty() {
            text.push_str(&format!("  fix: {}\n", finding.fix));
        }
    }
    if let Some(message) = &result.ca_message {
        text.push_str(&format!("{message}\n"));
    }
    text
}

/// Escapes text for XML attributes and content, dropping characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control() {
        assert_eq!(escape("<a href=\"x\">&'\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{fffd}");
    }
}
