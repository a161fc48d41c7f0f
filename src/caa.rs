//! CAA, checked after the HTTP fetch passes, as the CA checks it.
//!
//! RFC 8659: the relevant record set is the CAA set of the name itself, or else of the
//! nearest parent that has one, up to the top-level domain. An `issue` property naming the
//! CA permits it, and RFC 8657's `validationmethods` parameter, when present, must list
//! `http-01`. A set with no `issue` property permits every CA. An unknown property marked
//! critical forbids issuance. A lookup that fails (SERVFAIL, timeout) fails validation at
//! the CA, so it fails here too.

use serde::Serialize;

use crate::resolve::Resolver;

/// One CAA record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaaRecord {
    pub critical: bool,
    pub tag: String,
    pub value: String,
}

/// The outcome of the CAA check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum CaaOutcome {
    /// No CAA set, or a set that permits the CA for HTTP-01.
    Allowed { set_at: Option<String>, detail: String },
    Forbidden { set_at: String, detail: String },
    LookupFailed { name: String, detail: String },
    NotChecked { detail: String },
}

/// Tags that RFC 8659 and its extensions define; an unknown tag marked critical forbids issuance.
const KNOWN_TAGS: &[&str] = &["issue", "issuewild", "iodef", "issuemail", "issuevmc"];

/// Evaluates a relevant record set for a non-wildcard name.
pub fn evaluate(records: &[CaaRecord], ca_domain: &str, method: &str) -> Result<String, String> {
    if let Some(unknown) = records
        .iter()
        .find(|r| r.critical && !KNOWN_TAGS.contains(&r.tag.to_ascii_lowercase().as_str()))
    {
        return Err(format!("the set has a critical property {:?} that no CA may ignore", unknown.tag));
    }

    let issue: Vec<&CaaRecord> = records.iter().filter(|r| r.tag.eq_ignore_ascii_case("issue")).collect();
    if issue.is_empty() {
        return Ok("the CAA set has no issue property, so every CA may issue".to_string());
    }

    let mut reasons = Vec::new();
    for record in issue {
        let (domain, parameters) = parse_issue_value(&record.value);
        if !domain.eq_ignore_ascii_case(ca_domain) {
            reasons.push(format!("\"issue {}\" names {}", record.value, if domain.is_empty() { "no CA" } else { &domain }));
            continue;
        }
        if let Some((_, methods)) = parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case("validationmethods")) {
            let allowed = methods.split(',').any(|m| m.trim().eq_ignore_ascii_case(method));
            if !allowed {
                reasons.push(format!("\"issue {}\" allows {ca_domain} only for {methods}", record.value));
                continue;
            }
        }
        let mut detail = format!("\"issue {}\" permits {ca_domain}", record.value);
        if parameters.iter().any(|(k, _)| k.eq_ignore_ascii_case("accounturi")) {
            detail.push_str("; its accounturi limits issuance to one ACME account, which this check cannot see");
        }
        return Ok(detail);
    }
    Err(reasons.join("; "))
}

/// Splits an `issue` value into the issuer domain and its `key=value` parameters.
fn parse_issue_value(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = value.split(';');
    let domain = parts.next().unwrap_or("").trim().to_string();
    let parameters = parts
        .filter_map(|p| {
            let (key, val) = p.split_once('=')?;
            Some((key.trim().to_string(), val.trim().to_string()))
        })
        .collect();
    (domain, parameters)
}

/// Walks from `name` towards the top-level domain and evaluates the first CAA set found.
pub async fn check(resolver: &Resolver, name: &str, ca_domain: &str) -> CaaOutcome {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();

    for start in 0..labels.len() {
        let candidate = labels[start..].join(".");
        let records = match resolver.caa(&candidate).await {
            Ok(records) => records,
            Err(detail) => return CaaOutcome::LookupFailed { name: candidate, detail },
        };
        if records.is_empty() {
            continue;
        }
        return match evaluate(&records, ca_domain, "http-01") {
            Ok(detail) => CaaOutcome::Allowed {
                set_at: Some(candidate),
                detail,
            },
            Err(detail) => CaaOutcome::Forbidden { set_at: candidate, detail },
        };
    }
    CaaOutcome::Allowed {
        set_at: None,
        detail: "no CAA records on the name or its parents, so every CA may issue".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(value: &str) -> CaaRecord {
        CaaRecord {
            critical: false,
            tag: "issue".into(),
            value: value.into(),
        }
    }

    #[test]
    fn issue_for_the_ca_allows() {
        assert!(evaluate(&[issue("letsencrypt.org")], "letsencrypt.org", "http-01").is_ok());
        assert!(evaluate(&[issue("other.example"), issue("LetsEncrypt.org")], "letsencrypt.org", "http-01").is_ok());
    }

    #[test]
    fn issue_for_another_ca_forbids() {
        assert!(evaluate(&[issue("pki.goog")], "letsencrypt.org", "http-01").is_err());
        assert!(evaluate(&[issue(";")], "letsencrypt.org", "http-01").is_err());
    }

    #[test]
    fn validation_methods_are_checked() {
        let dns_only = issue("letsencrypt.org; validationmethods=dns-01");
        assert!(evaluate(&[dns_only], "letsencrypt.org", "http-01").is_err());
        let both = issue("letsencrypt.org; validationmethods=dns-01,http-01");
        assert!(evaluate(&[both], "letsencrypt.org", "http-01").is_ok());
    }

    #[test]
    fn no_issue_property_allows_and_critical_unknown_forbids() {
        let iodef = CaaRecord {
            critical: false,
            tag: "iodef".into(),
            value: "mailto:x@example.com".into(),
        };
        assert!(evaluate(&[iodef], "letsencrypt.org", "http-01").is_ok());
        let unknown = CaaRecord {
            critical: true,
            tag: "tbs".into(),
            value: "x".into(),
        };
        assert!(evaluate(&[issue("letsencrypt.org"), unknown], "letsencrypt.org", "http-01").is_err());
    }
}
