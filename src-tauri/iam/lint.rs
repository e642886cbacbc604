//! An offline IAM policy lint: the findings that matter before attaching a policy, named as
//! parliament (duo-labs) names them, which the tests use as an independent oracle.
//!
//! - `MALFORMED`: not a policy (missing or unknown elements, a bad Effect).
//! - `NO_VERSION`: no `"Version": "2012-10-17"`.
//! - `UNKNOWN_ACTION`: an S3 action that does not exist (other services are not judged).
//! - `RESOURCE_MISMATCH`: no resource of the statement fits the action (object actions on a
//!   bucket ARN, bucket actions on object ARNs, an action on another service's ARN).
//! - `RESOURCE_STAR`: `Resource: "*"` for an action that can be granted on a resource.

use serde::Serialize;
use serde_json::Value;

/// Which resource an S3 action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Bucket,
    Object,
    /// Only `*` (account-level actions).
    Account,
}

/// S3 actions and the resource each applies to (the ones admins of an image bucket meet).
const S3_ACTIONS: &[(&str, Scope)] = &[
    ("AbortMultipartUpload", Scope::Object),
    ("CreateBucket", Scope::Bucket),
    ("DeleteBucket", Scope::Bucket),
    ("DeleteBucketPolicy", Scope::Bucket),
    ("DeleteBucketWebsite", Scope::Bucket),
    ("DeleteObject", Scope::Object),
    ("DeleteObjectTagging", Scope::Object),
    ("DeleteObjectVersion", Scope::Object),
    ("GetAccelerateConfiguration", Scope::Bucket),
    ("GetAccountPublicAccessBlock", Scope::Account),
    ("GetBucketAcl", Scope::Bucket),
    ("GetBucketCORS", Scope::Bucket),
    ("GetBucketLocation", Scope::Bucket),
    ("GetBucketLogging", Scope::Bucket),
    ("GetBucketNotification", Scope::Bucket),
    ("GetBucketOwnershipControls", Scope::Bucket),
    ("GetBucketPolicy", Scope::Bucket),
    ("GetBucketPolicyStatus", Scope::Bucket),
    ("GetBucketPublicAccessBlock", Scope::Bucket),
    ("GetBucketTagging", Scope::Bucket),
    ("GetBucketVersioning", Scope::Bucket),
    ("GetBucketWebsite", Scope::Bucket),
    ("GetEncryptionConfiguration", Scope::Bucket),
    ("GetLifecycleConfiguration", Scope::Bucket),
    ("GetObject", Scope::Object),
    ("GetObjectAcl", Scope::Object),
    ("GetObjectAttributes", Scope::Object),
    ("GetObjectTagging", Scope::Object),
    ("GetObjectVersion", Scope::Object),
    ("GetReplicationConfiguration", Scope::Bucket),
    ("ListAllMyBuckets", Scope::Account),
    ("ListBucket", Scope::Bucket),
    ("ListBucketMultipartUploads", Scope::Bucket),
    ("ListBucketVersions", Scope::Bucket),
    ("ListMultipartUploadParts", Scope::Object),
    ("PutAccountPublicAccessBlock", Scope::Account),
    ("PutBucketAcl", Scope::Bucket),
    ("PutBucketCORS", Scope::Bucket),
    ("PutBucketOwnershipControls", Scope::Bucket),
    ("PutBucketPolicy", Scope::Bucket),
    ("PutBucketPublicAccessBlock", Scope::Bucket),
    ("PutBucketTagging", Scope::Bucket),
    ("PutBucketVersioning", Scope::Bucket),
    ("PutBucketWebsite", Scope::Bucket),
    ("PutEncryptionConfiguration", Scope::Bucket),
    ("PutLifecycleConfiguration", Scope::Bucket),
    ("PutObject", Scope::Object),
    ("PutObjectAcl", Scope::Object),
    ("PutObjectTagging", Scope::Object),
    ("RestoreObject", Scope::Object),
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Finding {
    /// `MALFORMED`, `NO_VERSION`, `UNKNOWN_ACTION`, `RESOURCE_MISMATCH`, `RESOURCE_STAR`.
    pub issue: String,
    pub detail: String,
}

fn finding(issue: &str, detail: impl Into<String>) -> Finding {
    Finding {
        issue: issue.to_owned(),
        detail: detail.into(),
    }
}

const POLICY_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// `*` and `?` glob match, ASCII case-insensitive (IAM action names are).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_ascii_lowercase().chars().collect(),
        text.to_ascii_lowercase().chars().collect(),
    );
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether an ARN (pattern) can name a resource of the scope.
fn fits(resource: &str, scope: Scope) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(rest) = resource.strip_prefix("arn:aws:s3:::") else {
        return false;
    };
    match scope {
        Scope::Account => false,
        Scope::Bucket => !rest.contains('/') && !rest.is_empty(),
        Scope::Object => rest.contains('/') || rest.contains('*'),
    }
}

/// Lints a policy document (identity or bucket policy).
pub fn lint(policy: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(obj) = policy.as_object() else {
        return vec![finding("MALFORMED", "the policy is not a JSON object")];
    };
    for key in obj.keys() {
        if !POLICY_KEYS.contains(&key.as_str()) {
            out.push(finding("MALFORMED", format!("unknown element {key}")));
        }
    }
    match obj.get("Version").and_then(Value::as_str) {
        Some("2012-10-17") => {}
        Some(other) => out.push(finding("MALFORMED", format!("unknown Version {other}"))),
        None => out.push(finding("NO_VERSION", "no Version element")),
    }
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => {
            out.push(finding("MALFORMED", "no Statement element"));
            return out;
        }
    };
    for statement in statements {
        lint_statement(statement, &mut out);
    }
    out
}

fn lint_statement(statement: &Value, out: &mut Vec<Finding>) {
    let Some(st) = statement.as_object() else {
        out.push(finding("MALFORMED", "a statement is not an object"));
        return;
    };
    for key in st.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            out.push(finding(
                "MALFORMED",
                format!("unknown statement element {key}"),
            ));
        }
    }
    match st.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        Some(other) => out.push(finding(
            "MALFORMED",
            format!("Effect must be Allow or Deny, not {other}"),
        )),
        None => out.push(finding("MALFORMED", "a statement has no Effect")),
    }
    if !st.contains_key("Resource") && !st.contains_key("NotResource") {
        out.push(finding(
            "MALFORMED",
            "a statement has neither Resource nor NotResource",
        ));
    }
    let Some(actions) = st.get("Action").map(strings) else {
        if !st.contains_key("NotAction") {
            out.push(finding(
                "MALFORMED",
                "a statement has neither Action nor NotAction",
            ));
        }
        return;
    };
    let Some(actions) = actions else {
        out.push(finding(
            "MALFORMED",
            "Action must be a string or a list of strings",
        ));
        return;
    };
    let resources = match st.get("Resource").map(strings) {
        Some(Some(r)) => r,
        Some(None) => {
            out.push(finding(
                "MALFORMED",
                "Resource must be a string or a list of strings",
            ));
            return;
        }
        None => return, // NotResource: nothing to match against
    };
    let allow = st.get("Effect").and_then(Value::as_str) == Some("Allow");

    // Expand each action (wildcards included) to the known S3 actions it names.
    let mut starred = Vec::new();
    for action in actions {
        lint_action(action, &resources, allow, out, &mut starred);
    }
    if !starred.is_empty() {
        out.push(finding(
            "RESOURCE_STAR",
            format!("Resource \"*\" for {}", starred.join(", ")),
        ));
    }
}

/// One action of a statement against its resources: a missing service prefix, an unknown
/// S3 action, an action that does not apply to the resources, or (collected in `starred`)
/// an object or bucket action allowed on `Resource: "*"`.
fn lint_action(
    action: &str,
    resources: &[&str],
    allow: bool,
    out: &mut Vec<Finding>,
    starred: &mut Vec<String>,
) {
    if action == "*" {
        return;
    }
    let Some((service, name)) = action.split_once(':') else {
        out.push(finding(
            "MALFORMED",
            format!("action {action} has no service prefix"),
        ));
        return;
    };
    if !service.eq_ignore_ascii_case("s3") {
        // Another service: only an S3 ARN is surely wrong for it.
        if resources.iter().all(|r| r.starts_with("arn:aws:s3:::")) {
            out.push(finding(
                "RESOURCE_MISMATCH",
                format!("{action} does not apply to S3 resources"),
            ));
        }
        return;
    }
    let matched: Vec<(&str, Scope)> = S3_ACTIONS
        .iter()
        .copied()
        .filter(|(known, _)| glob(name, known))
        .collect();
    if matched.is_empty() {
        out.push(finding(
            "UNKNOWN_ACTION",
            format!("unknown action {action}"),
        ));
        return;
    }
    // A wildcard (`s3:*`, `s3:Get*`) is a mismatch only when none of the actions it names
    // applies to the resources, as parliament judges it: `s3:*` on a bucket and its
    // objects (the deny-non-TLS bucket policy) is fine although it also names
    // account-level actions.
    let wildcard = name.contains(['*', '?']);
    let any_fits = matched
        .iter()
        .any(|(_, scope)| resources.iter().any(|r| fits(r, *scope)));
    for (known, scope) in matched {
        let fits_here = resources.iter().any(|r| fits(r, scope));
        if wildcard && any_fits && !fits_here {
            continue;
        }
        if !fits_here {
            out.push(finding(
                "RESOURCE_MISMATCH",
                format!("s3:{known} does not apply to {}", resources.join(", ")),
            ));
        } else if allow && scope != Scope::Account && resources.contains(&"*") {
            starred.push(format!("s3:{known}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issues(policy: Value) -> Vec<String> {
        let mut v: Vec<String> = lint(&policy).into_iter().map(|f| f.issue).collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn globs_match_like_iam() {
        assert!(glob("Get*", "GetObject"));
        assert!(glob("get*", "GetObject"));
        assert!(glob("*Object", "PutObject"));
        assert!(glob("Get?bject", "GetObject"));
        assert!(!glob("Put*", "GetObject"));
    }

    #[test]
    fn finds_each_kind() {
        let ok = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
        assert!(issues(ok).is_empty());
        assert_eq!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]})),
            ["RESOURCE_MISMATCH"]
        );
        assert_eq!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:Fly", "Resource": "arn:aws:s3:::b"}]})),
            ["UNKNOWN_ACTION"]
        );
        assert_eq!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]})),
            ["RESOURCE_STAR"]
        );
        assert_eq!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})),
            ["MALFORMED"]
        );
        assert_eq!(
            issues(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})),
            ["NO_VERSION"]
        );
        assert!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
            .is_empty()
        );
    }

    #[test]
    fn a_wildcard_action_fits_when_some_of_its_actions_do() {
        assert!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
            .is_empty(),
            "the deny-non-TLS bucket policy is clean"
        );
        assert_eq!(
            issues(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::b"}]})),
            ["RESOURCE_MISMATCH"],
            "no object action applies to a bucket ARN"
        );
    }
}
