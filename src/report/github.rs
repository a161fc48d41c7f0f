//! The `github` format: GitHub Actions workflow commands, one `::error` line per failing
//! name and a `::notice` summary, so failures show as annotations on the run.

use super::{RunReport, Verdict};

/// Renders the run as workflow commands.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for result in &report.results {
        let message = match result.verdict {
            Verdict::Pass => continue,
            Verdict::Fail => {
                let primary = result.primary.map(|c| c.as_str()).unwrap_or("fail");
                let finding = result.findings.iter().find(|f| Some(f.code) == result.primary);
                match finding {
                    Some(f) => format!("{primary}: {}. Fix: {}", f.summary, f.fix),
                    None => primary.to_string(),
                }
            }
            Verdict::Error => format!("could not check: {}", result.error.as_deref().unwrap_or("unknown error")),
        };
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_property(&format!("acme-preflight {}", result.domain)),
            escape_data(&message)
        ));
    }
    let failing = report.results.iter().filter(|r| r.verdict != Verdict::Pass).count();
    out.push_str(&format!(
        "::notice title=acme-preflight::{}\n",
        escape_data(&format!("{} of {} names pass", report.results.len() - failing, report.results.len()))
    ));
    out
}

/// Escapes a workflow command's message: `%`, CR and LF.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value: the message escapes plus `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_commands() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
