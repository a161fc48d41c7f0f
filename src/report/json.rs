//! The `json` format: one object, `{"version": 1, "results": [...], "notes": [...]}`.

use super::RunReport;

/// Renders the run as pretty-printed JSON with a trailing newline.
pub fn render(report: &RunReport) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("reports contain only serializable data");
    text.push('\n');
    text
}
