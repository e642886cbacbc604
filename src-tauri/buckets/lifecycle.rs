//! Lifecycle: whether the bucket has an "abort unfinished multipart uploads" rule, and
//! adding one on request. S3 replaces the whole lifecycle configuration on every write, so
//! the existing rules are read and written back with the new one: never overwritten.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter,
};
use serde::Serialize;

use super::{AdminS3, BucketError, aws, error_code};
use crate::aws::AwsFailure;

/// The ID of the rule Bucketdesk adds.
pub const ABORT_RULE_ID: &str = "bucketdesk-abort-incomplete-multipart";

/// One lifecycle rule, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    pub id: Option<String>,
    pub enabled: bool,
    /// `None`: the rule has a tag, size or combined filter (not a plain prefix).
    pub prefix: Option<String>,
    pub abort_incomplete_multipart_after_days: Option<i32>,
    pub expiration_days: Option<i32>,
    pub noncurrent_expiration_days: Option<i32>,
    pub transitions: u32,
}

/// The bucket's lifecycle rules and whether unfinished uploads are aborted bucket-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    pub rules: Vec<RuleSummary>,
    /// The days of an enabled abort rule that covers the whole bucket, if there is one.
    pub abort_incomplete_multipart_after_days: Option<i32>,
}

/// The rule's prefix when its filter is a plain prefix (or none: the whole bucket).
#[allow(deprecated)] // `LifecycleRule::prefix` is the legacy form some endpoints still return
fn plain_prefix(rule: &LifecycleRule) -> Option<String> {
    match rule.filter() {
        None => Some(rule.prefix().unwrap_or_default().to_owned()),
        Some(f) if f.tag().is_none() && f.and().is_none() => {
            let sized =
                f.object_size_greater_than().is_some() || f.object_size_less_than().is_some();
            (!sized).then(|| f.prefix().unwrap_or_default().to_owned())
        }
        Some(_) => None,
    }
}

fn summarize(rule: &LifecycleRule) -> RuleSummary {
    RuleSummary {
        id: rule.id().map(str::to_owned),
        enabled: rule.status() == &ExpirationStatus::Enabled,
        prefix: plain_prefix(rule),
        abort_incomplete_multipart_after_days: rule
            .abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        expiration_days: rule.expiration().and_then(|e| e.days()),
        noncurrent_expiration_days: rule
            .noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        transitions: (rule.transitions().len() + rule.noncurrent_version_transitions().len())
            as u32,
    }
}

fn view(rules: &[LifecycleRule]) -> Lifecycle {
    let rules: Vec<RuleSummary> = rules.iter().map(summarize).collect();
    let abort = rules
        .iter()
        .filter(|r| r.enabled && r.prefix.as_deref() == Some(""))
        .filter_map(|r| r.abort_incomplete_multipart_after_days)
        .min();
    Lifecycle {
        rules,
        abort_incomplete_multipart_after_days: abort,
    }
}

/// The current rules (none when the bucket has no lifecycle configuration).
async fn current(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<
    (
        Vec<LifecycleRule>,
        Option<aws_sdk_s3::types::TransitionDefaultMinimumObjectSize>,
    ),
    BucketError,
> {
    match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok((
            out.rules().to_vec(),
            out.transition_default_minimum_object_size().cloned(),
        )),
        Err(e) if error_code(&e) == Some("NoSuchLifecycleConfiguration") => Ok((Vec::new(), None)),
        Err(e) => Err(aws("s3:GetLifecycleConfiguration")(e)),
    }
}

/// The bucket's lifecycle rules.
pub async fn show(admin: &AdminS3, bucket: &str) -> Result<Lifecycle, BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    Ok(view(&current(&s3, bucket).await?.0))
}

/// The rule Bucketdesk adds: the whole bucket, abort after `days`.
pub fn abort_rule(days: u32) -> LifecycleRule {
    LifecycleRule::builder()
        .id(ABORT_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days as i32)
                .build(),
        )
        .build()
        .expect("status is set")
}

/// Adds the abort-incomplete-multipart rule next to the existing rules. Nothing is written
/// when an enabled bucket-wide abort rule is already there. Returns the rules afterwards.
pub async fn add_abort_rule(
    admin: &AdminS3,
    bucket: &str,
    days: u32,
) -> Result<Lifecycle, BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    let (mut rules, min_size) = current(&s3, bucket).await?;
    if view(&rules).abort_incomplete_multipart_after_days.is_some() {
        return Ok(view(&rules));
    }
    // A rule of another origin may already use our ID; S3 refuses duplicate IDs.
    let mut rule = abort_rule(days);
    if rules.iter().any(|r| r.id() == Some(ABORT_RULE_ID)) {
        rule.id = Some(format!("{ABORT_RULE_ID}-{}", rules.len() + 1));
    }
    rules.push(rule);
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| BucketError::Aws {
            action: "s3:PutLifecycleConfiguration",
            failure: AwsFailure::Other {
                code: "BuildError".into(),
                message: e.to_string(),
            },
        })?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .set_transition_default_minimum_object_size(min_size)
        .send()
        .await
        .map_err(aws("s3:PutLifecycleConfiguration"))?;
    show(admin, bucket).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_added_rule_covers_the_whole_bucket() {
        let v = view(&[abort_rule(7)]);
        assert_eq!(v.abort_incomplete_multipart_after_days, Some(7));
        assert_eq!(v.rules[0].id.as_deref(), Some(ABORT_RULE_ID));
    }

    #[test]
    fn an_abort_rule_on_a_prefix_does_not_count_for_the_bucket() {
        let prefixed = LifecycleRule::builder()
            .id("tmp-only")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(1)
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            view(&[prefixed]).abort_incomplete_multipart_after_days,
            None
        );
    }
}
