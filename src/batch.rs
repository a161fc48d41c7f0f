//! Many names in one run: the domains file, concurrency, and results in input order.
//!
//! Checks run concurrently up to `--concurrency`; fetches to one address are bounded
//! separately (see [`crate::check::AddressLimits`]) because many sites often share one
//! address. Files are removed as each check ends, and the folders the run created only at
//! the end of the run, after the last check that may use them.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;

use crate::check::Checker;
use crate::report::DomainReport;
use crate::webroot::Layout;

/// One name to check and where its token goes (`None` for a token held in memory).
#[derive(Clone, Debug)]
pub struct Job {
    pub domain: String,
    pub layout: Option<Layout>,
}

/// One line of a domains file: a name and, optionally, its webroot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub webroot: Option<PathBuf>,
    /// The line number in the file, for error messages.
    pub line: usize,
}

/// Reads a domains file (`-` for stdin).
pub fn read_domains_file(path: &Path) -> Result<Vec<Entry>, String> {
    let shown = path.display();
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read --domains-file {shown}: {e}; give a readable file, or - for stdin"))?;
        Box::new(std::io::BufReader::new(file))
    };

    let mut entries = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read --domains-file {shown}: {e}"))?;
        if let Some(entry) = parse_line(&line, index + 1) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Parses one line: `NAME [WEBROOT]`, where the webroot is the rest of the line after the
/// name (so it may contain spaces) and `#` starts a comment.
pub fn parse_line(line: &str, number: usize) -> Option<Entry> {
    let content = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    let content = content.trim();
    if content.is_empty() {
        return None;
    }
    let (name, rest) = match content.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (content, ""),
    };
    Some(Entry {
        name: name.to_string(),
        webroot: (!rest.is_empty()).then(|| PathBuf::from(rest)),
        line: number,
    })
}

/// Runs every job and calls `on_result` with each report as it finishes, with its index in
/// the input. Returns the reports in input order.
pub async fn run_jobs(
    checker: &Checker<'_>,
    jobs: &[Job],
    concurrency: usize,
    mut on_result: impl FnMut(usize, &DomainReport),
) -> Vec<DomainReport> {
    let mut slots: Vec<Option<DomainReport>> = vec![None; jobs.len()];
    let mut stream = futures_util::stream::iter(jobs.iter().enumerate())
        .map(|(index, job)| async move { (index, checker.check_with(&job.domain, job.layout.as_ref()).await) })
        .buffer_unordered(concurrency.max(1));

    while let Some((index, report)) = stream.next().await {
        on_result(index, &report);
        slots[index] = Some(report);
    }
    slots.into_iter().map(|r| r.expect("every job reports")).collect()
}

/// Writes one line of `ndjson`: the report with its input index.
pub fn write_ndjson_line(index: usize, report: &DomainReport) {
    let mut value = serde_json::to_value(report).expect("reports contain only serializable data");
    if let Some(object) = value.as_object_mut() {
        object.insert("index".to_string(), index.into());
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{value}");
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_and_without_webroot() {
        assert_eq!(
            parse_line("example.com /var/www/my site  # main", 3),
            Some(Entry {
                name: "example.com".into(),
                webroot: Some("/var/www/my site".into()),
                line: 3
            })
        );
        assert_eq!(parse_line("  www.example.com", 1).unwrap().webroot, None);
        assert_eq!(parse_line("# only a comment", 1), None);
        assert_eq!(parse_line("   ", 1), None);
    }
}
