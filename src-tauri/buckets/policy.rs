//! Bucket policies: the current one pretty-printed, templates (public read of the bucket or
//! of one prefix, deny non-TLS access), the built-in lint ([`crate::iam::lint`]) plus the
//! checks only a bucket policy needs, a warning for every statement that lets anyone in
//! (`Principal: "*"`), save and delete. A public policy that Block Public Access would
//! reject is refused before the call, naming the setting; after saving, "is it public?" is
//! asked of S3 (policy status) and tried (an unsigned GET of one object).

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::public_access::{self, PublicAccess, Setting};
use super::{AdminS3, BucketError, aws, error_code, naming};
use crate::aws::AwsFailure;
use crate::iam::lint::{self, Finding};

/// The templates of the policy editor.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyTemplate {
    /// Anyone may read every object (`s3:GetObject` on `BUCKET/*`).
    PublicRead,
    /// Anyone may read the objects under one prefix (e.g. the CDN's BasePath).
    PublicReadPrefix,
    /// Every request over plain HTTP is refused.
    DenyInsecureTransport,
}

/// The policy document of a template. `prefix` is used by [`PolicyTemplate::PublicReadPrefix`]
/// (`/assets`, `assets/`, …; `/` means the whole bucket).
pub fn template(
    which: PolicyTemplate,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<Value, BucketError> {
    naming::check(bucket).map_err(BucketError::Naming)?;
    let objects = match which {
        PolicyTemplate::PublicReadPrefix => {
            let base = crate::sources::normalize_base_path(prefix.unwrap_or("/"))?;
            let base = base.trim_matches('/');
            if base.is_empty() {
                format!("arn:aws:s3:::{bucket}/*")
            } else {
                format!("arn:aws:s3:::{bucket}/{base}/*")
            }
        }
        _ => format!("arn:aws:s3:::{bucket}/*"),
    };
    let statement = match which {
        PolicyTemplate::PublicRead | PolicyTemplate::PublicReadPrefix => json!({
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects,
        }),
        PolicyTemplate::DenyInsecureTransport => json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }),
    };
    Ok(json!({"Version": "2012-10-17", "Statement": [statement]}))
}

/// Adds a template's statements to a policy being edited (statements with the same Sid are
/// replaced, so applying a template twice changes nothing).
pub fn merge(policy: &Value, addition: &Value) -> Value {
    let mut statements = statements(policy).into_iter().cloned().collect::<Vec<_>>();
    for st in statements_of(addition) {
        let sid = st.get("Sid");
        statements.retain(|s| sid.is_none() || s.get("Sid") != sid);
        statements.push(st.clone());
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn statements_of(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

fn statements(policy: &Value) -> Vec<&Value> {
    statements_of(policy)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `"*"`, `{"AWS": "*"}` or a list holding `"*"`: anyone at all.
fn anyone(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(map)) => map
            .get("AWS")
            .is_some_and(|aws| strings(Some(aws)).iter().any(|p| p == "*")),
        _ => false,
    }
}

/// Condition keys that, with fixed values, make a statement non-public in S3's own analysis
/// (the caller must come from a given network, account, organization or AWS resource).
const NARROWING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:userid",
    "aws:sourceorgid",
];

fn narrowed(condition: Option<&Value>) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return false;
    };
    operators.values().any(|keys| {
        keys.as_object().is_some_and(|k| {
            k.keys()
                .any(|key| NARROWING_KEYS.contains(&key.to_ascii_lowercase().as_str()))
        })
    })
}

/// A statement that lets anyone in: the editor's prominent warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AnyoneStatement {
    /// Position in the Statement list, from 0.
    pub index: u32,
    pub sid: Option<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Allowed to anyone with no narrowing condition: this statement makes the bucket public.
    pub public: bool,
}

/// What the editor shows while the policy is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReview {
    /// The built-in lint's findings plus the bucket policy's own (`NO_PRINCIPAL`,
    /// `RESOURCE_OTHER_BUCKET`).
    pub findings: Vec<Finding>,
    /// Every Allow statement with `Principal: "*"`.
    pub anyone: Vec<AnyoneStatement>,
    /// S3 would consider the policy public.
    pub public: bool,
}

/// Parses the editor's text.
pub fn parse(text: &str) -> Result<Value, BucketError> {
    serde_json::from_str(text).map_err(|e| BucketError::PolicyNotJson {
        detail: e.to_string(),
    })
}

/// Reviews a policy for `bucket` offline: lint, bucket-policy checks, `Principal: "*"`.
pub fn review(policy: &Value, bucket: &str) -> PolicyReview {
    let mut findings = lint::lint(policy);
    let mut anyone_statements = Vec::new();
    for (index, st) in statements(policy).into_iter().enumerate() {
        let Some(obj) = st.as_object() else { continue };
        if !obj.contains_key("Principal") && !obj.contains_key("NotPrincipal") {
            findings.push(Finding {
                issue: "NO_PRINCIPAL".into(),
                detail: format!(
                    "statement {index} has no Principal: a bucket policy must say who it is for"
                ),
            });
        }
        for resource in strings(obj.get("Resource")) {
            if let Some(rest) = resource.strip_prefix("arn:aws:s3:::") {
                let named = rest.split('/').next().unwrap_or_default();
                if named != bucket && named != "*" {
                    findings.push(Finding {
                        issue: "RESOURCE_OTHER_BUCKET".into(),
                        detail: format!(
                            "{resource} is not in {bucket}: S3 refuses a bucket policy about another bucket"
                        ),
                    });
                }
            }
        }
        let allow = obj.get("Effect").and_then(Value::as_str) == Some("Allow");
        if allow && anyone(obj.get("Principal")) {
            anyone_statements.push(AnyoneStatement {
                index: index as u32,
                sid: obj.get("Sid").and_then(Value::as_str).map(str::to_owned),
                actions: strings(obj.get("Action")),
                resources: strings(obj.get("Resource")),
                public: !narrowed(obj.get("Condition")),
            });
        }
    }
    PolicyReview {
        public: anyone_statements.iter().any(|s| s.public),
        anyone: anyone_statements,
        findings,
    }
}

/// The Block Public Access setting that would make S3 reject saving `review`'s policy.
pub fn blocking_setting(review: &PolicyReview, access: &PublicAccess) -> Option<Setting> {
    (review.public && access.block_public_policy).then_some(Setting::BlockPublicPolicy)
}

/// The setting that leaves a saved public policy without effect (it is accepted, but only
/// AWS services and the account's users get in).
pub fn neutralizing_setting(review: &PolicyReview, access: &PublicAccess) -> Option<Setting> {
    (review.public && access.restrict_public_buckets).then_some(Setting::RestrictPublicBuckets)
}

/// The current policy.
/// A template added to a policy being edited (or to none): its statements replace those of
/// the same `Sid`, every other statement is kept; pretty-printed as the editor shows it.
pub fn apply_template(
    current: Option<&str>,
    which: PolicyTemplate,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<String, BucketError> {
    let addition = template(which, bucket, prefix)?;
    let merged = match current.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => merge(&parse(text)?, &addition),
        None => addition,
    };
    Ok(serde_json::to_string_pretty(&merged).expect("a policy serializes"))
}

/// What the editor shows while a policy is typed: the review, and which Block Public Access
/// setting would refuse it (before any call) or leave it without effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftReview {
    pub review: PolicyReview,
    /// Saving is refused while this setting is on (see [`blocking_setting`]).
    pub blocked_by: Option<Setting>,
    /// Saved, the policy would change nothing while this setting is on.
    pub without_effect_because: Option<Setting>,
}

/// Reviews a draft against the bucket's Block Public Access settings (no network).
pub fn review_draft(
    text: &str,
    bucket: &str,
    access: &PublicAccess,
) -> Result<DraftReview, BucketError> {
    let review = review(&parse(text)?, bucket);
    Ok(DraftReview {
        blocked_by: blocking_setting(&review, access),
        without_effect_because: neutralizing_setting(&review, access),
        review,
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CurrentPolicy {
    /// Pretty-printed JSON.
    pub text: String,
    pub review: PolicyReview,
}

/// The bucket's policy, pretty-printed; `None` when it has none.
pub async fn get(admin: &AdminS3, bucket: &str) -> Result<Option<CurrentPolicy>, BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => {
            let raw = out.policy().unwrap_or_default();
            let parsed = parse(raw)?;
            Ok(Some(CurrentPolicy {
                text: serde_json::to_string_pretty(&parsed).unwrap_or_else(|_| raw.to_owned()),
                review: review(&parsed, bucket),
            }))
        }
        Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => Ok(None),
        Err(e) => Err(aws("s3:GetBucketPolicy")(e)),
    }
}

/// What an anonymous GET of one object gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum UnsignedGet {
    /// Anyone on the internet can read this object.
    Readable { key: String },
    /// Refused (403): not public.
    Denied { key: String },
    /// The bucket has no object to try.
    NoObject,
    /// Something else (the endpoint does not allow anonymous requests, a network error).
    Unknown { detail: String },
}

/// The answer to "is it public?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PublicCheck {
    /// S3's `GetBucketPolicyStatus`; `None` where the endpoint does not have it.
    pub policy_status_public: Option<bool>,
    pub unsigned_get: UnsignedGet,
}

/// Asks S3 and tries an anonymous GET.
pub async fn public_check(admin: &AdminS3, bucket: &str) -> Result<PublicCheck, BucketError> {
    let region = admin.region_of(bucket).await?;
    let s3 = admin.in_region(&region);
    let policy_status_public = match s3.get_bucket_policy_status().bucket(bucket).send().await {
        Ok(out) => out.policy_status().and_then(|s| s.is_public()),
        Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => Some(false),
        Err(_) => None,
    };
    let first = s3
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(1)
        .send()
        .await
        .map_err(aws("s3:ListBucket"))?;
    let Some(key) = first.contents().first().and_then(|o| o.key()) else {
        return Ok(PublicCheck {
            policy_status_public,
            unsigned_get: UnsignedGet::NoObject,
        });
    };
    let key = key.to_owned();
    let anonymous = anonymous_client(admin, &region).await;
    let unsigned_get = match anonymous
        .get_object()
        .bucket(bucket)
        .key(&key)
        .range("bytes=0-0")
        .send()
        .await
    {
        Ok(_) => UnsignedGet::Readable { key },
        Err(e) => {
            // A bare 403 (no error document, as some endpoints answer anonymous requests)
            // is a refusal too.
            let status = e.raw_response().map(|r| r.status().as_u16());
            match AwsFailure::from_sdk(&e, "s3:GetObject") {
                AwsFailure::AccessDenied { .. } => UnsignedGet::Denied { key },
                _ if status == Some(403) => UnsignedGet::Denied { key },
                // No error document (moto with IAM enforced answers unsigned requests 500).
                AwsFailure::Other { message, .. } if message.is_empty() && status.is_some() => {
                    UnsignedGet::Unknown {
                        detail: format!("HTTP {}", status.unwrap_or_default()),
                    }
                }
                AwsFailure::Other { code, message } if message.is_empty() => {
                    UnsignedGet::Unknown { detail: code }
                }
                AwsFailure::Other { code, message } => UnsignedGet::Unknown {
                    detail: format!("{code}: {message}"),
                },
                other => UnsignedGet::Unknown {
                    detail: format!("{other:?}"),
                },
            }
        }
    };
    Ok(PublicCheck {
        policy_status_public,
        unsigned_get,
    })
}

/// A client that signs nothing: what a stranger's browser does.
async fn anonymous_client(admin: &AdminS3, region: &str) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .no_credentials()
        .region(Region::new(region.to_owned()))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(15))
                .build(),
        );
    if let Some(url) = admin.endpoint_url() {
        loader = loader.endpoint_url(url);
    }
    crate::aws::s3_client(&loader.load().await)
}

/// What saving did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SavedPolicy {
    pub review: PolicyReview,
    /// A public policy saved while RestrictPublicBuckets keeps strangers out anyway.
    pub without_effect_because: Option<Setting>,
    pub check: PublicCheck,
}

/// Whether AWS refused a policy because of Block Public Access (the bucket's or, when the
/// bucket's own settings allow it, the account's). AWS says so only in the message.
pub fn refused_by_public_access(code: Option<&str>, message: Option<&str>) -> bool {
    let message = message.unwrap_or_default().to_ascii_lowercase();
    code == Some("AccessDenied")
        && (message.contains("blockpublicpolicy") || message.contains("public access"))
}

/// Saves the policy. Refused before the call when it is not JSON, or when it is public and
/// the bucket's BlockPublicPolicy is on (the error names the setting, for the offer to turn
/// it off); a refusal by the account-level setting is said as such. Then "is it public?".
pub async fn save(admin: &AdminS3, bucket: &str, text: &str) -> Result<SavedPolicy, BucketError> {
    let policy = parse(text)?;
    let review = review(&policy, bucket);
    let access = public_access::get(admin, bucket).await?;
    if let Some(setting) = blocking_setting(&review, &access) {
        return Err(BucketError::BlockedByPublicAccess {
            bucket: bucket.to_owned(),
            setting,
            account_level: false,
        });
    }
    let s3 = admin.for_bucket(bucket).await?;
    if let Err(e) = s3
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
    {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        if review.public && refused_by_public_access(e.code(), e.message()) {
            return Err(BucketError::BlockedByPublicAccess {
                bucket: bucket.to_owned(),
                setting: Setting::BlockPublicPolicy,
                account_level: true,
            });
        }
        return Err(aws("s3:PutBucketPolicy")(e));
    }
    Ok(SavedPolicy {
        without_effect_because: neutralizing_setting(&review, &access),
        check: public_check(admin, bucket).await?,
        review,
    })
}

/// Removes the bucket's policy (nothing to do when it has none).
pub async fn delete(admin: &AdminS3, bucket: &str) -> Result<(), BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    s3.delete_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(aws("s3:DeleteBucketPolicy"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(r: &PolicyReview) -> Vec<&str> {
        r.findings.iter().map(|f| f.issue.as_str()).collect()
    }

    #[test]
    fn the_templates_lint_clean_and_only_public_read_is_public() {
        for (which, public) in [
            (PolicyTemplate::PublicRead, true),
            (PolicyTemplate::PublicReadPrefix, true),
            (PolicyTemplate::DenyInsecureTransport, false),
        ] {
            let p = template(which, "my-images", Some("/assets")).unwrap();
            let r = review(&p, "my-images");
            assert!(r.findings.is_empty(), "{which:?}: {:?}", r.findings);
            assert_eq!(r.public, public, "{which:?}");
        }
        let prefixed = template(PolicyTemplate::PublicReadPrefix, "b-1", Some("assets/")).unwrap();
        assert_eq!(
            prefixed["Statement"][0]["Resource"],
            "arn:aws:s3:::b-1/assets/*"
        );
    }

    #[test]
    fn anyone_is_warned_about_and_narrowing_conditions_are_not_public() {
        let p = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b-1/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
        let r = review(&p, "b-1");
        assert_eq!(r.anyone.len(), 1, "Principal * is always warned about");
        assert!(!r.public, "a fixed source network is not public");
        let open = template(PolicyTemplate::PublicRead, "b-1", None).unwrap();
        assert!(review(&open, "b-1").anyone[0].public);
    }

    #[test]
    fn bucket_policy_mistakes_are_found() {
        let p = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]});
        let r = review(&p, "b-1");
        assert_eq!(issues(&r), ["NO_PRINCIPAL", "RESOURCE_OTHER_BUCKET"]);
        assert!(matches!(parse("{"), Err(BucketError::PolicyNotJson { .. })));
    }

    #[test]
    fn block_public_policy_is_what_rejects_and_restrict_what_neutralizes() {
        let open = review(
            &template(PolicyTemplate::PublicRead, "b-1", None).unwrap(),
            "b-1",
        );
        assert_eq!(
            blocking_setting(&open, &PublicAccess::ALL_ON),
            Some(Setting::BlockPublicPolicy)
        );
        assert_eq!(blocking_setting(&open, &PublicAccess::ALL_OFF), None);
        let only_restrict = PublicAccess::ALL_OFF.with(Setting::RestrictPublicBuckets, true);
        assert_eq!(blocking_setting(&open, &only_restrict), None);
        assert_eq!(
            neutralizing_setting(&open, &only_restrict),
            Some(Setting::RestrictPublicBuckets)
        );
        let tls = review(
            &template(PolicyTemplate::DenyInsecureTransport, "b-1", None).unwrap(),
            "b-1",
        );
        assert_eq!(blocking_setting(&tls, &PublicAccess::ALL_ON), None);
    }

    #[test]
    fn account_level_refusals_are_recognized_by_their_message() {
        assert!(refused_by_public_access(
            Some("AccessDenied"),
            Some(
                "User: arn:aws:iam::1:user/a is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting."
            )
        ));
        assert!(!refused_by_public_access(
            Some("AccessDenied"),
            Some("Access Denied")
        ));
        assert!(!refused_by_public_access(
            Some("MalformedPolicy"),
            Some("public access")
        ));
    }

    #[test]
    fn merging_a_template_twice_changes_nothing() {
        let tls = template(PolicyTemplate::DenyInsecureTransport, "b-1", None).unwrap();
        let read = template(PolicyTemplate::PublicRead, "b-1", None).unwrap();
        let once = merge(&tls, &read);
        assert_eq!(once["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(merge(&once, &read), once);
    }

    #[test]
    fn a_template_is_added_to_the_draft_and_the_draft_names_what_blocks_it() {
        let tls = apply_template(None, PolicyTemplate::DenyInsecureTransport, "b-1", None).unwrap();
        let both = apply_template(Some(&tls), PolicyTemplate::PublicRead, "b-1", None).unwrap();
        assert_eq!(
            parse(&both).unwrap()["Statement"].as_array().unwrap().len(),
            2
        );
        let draft = review_draft(&both, "b-1", &PublicAccess::ALL_ON).unwrap();
        assert_eq!(draft.blocked_by, Some(Setting::BlockPublicPolicy));
        assert!(draft.review.public);
        let open = review_draft(&both, "b-1", &PublicAccess::ALL_OFF).unwrap();
        assert_eq!((open.blocked_by, open.without_effect_because), (None, None));
        assert!(matches!(
            review_draft("{", "b-1", &PublicAccess::ALL_ON),
            Err(BucketError::PolicyNotJson { .. })
        ));
    }
}
