//! Verification of a key against a bucket, check by check, each with a plain-words result
//! and a fix hint. Verification only reads: it never writes to the bucket.
//!
//! [`until_propagated`] is the one check for a key just created (rotation, key creation,
//! the reader flow): IAM is eventually consistent, so it retries with one bounded backoff
//! while the failures are the kind propagation explains.

use std::time::Duration;

use serde::Serialize;

use super::{Credentials, DEFAULT_REGION, cdn_url_at, relative_key};
use crate::aws::{self, AwsFailure, Target};
use crate::error::{Described, ErrorCode};
use crate::locale::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// STS GetCallerIdentity: the key exists and the secret matches.
    Identity,
    GetBucketLocation,
    ListBucket,
    GetObject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    pub code: Option<ErrorCode>,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// No check failed.
    pub ok: bool,
    /// The bucket's region (detected; what the source will use).
    pub region: String,
    /// The region given was not the bucket's and was corrected.
    pub region_corrected: bool,
    pub checks: Vec<Check>,
    /// An object under the BasePath, relative to it (what `GetObject` was tried on).
    pub sample_key: Option<String>,
    /// The production CDN URL of the sample, when there is a name to build it with.
    pub cdn_url: Option<String>,
    pub warnings: Vec<String>,
}

impl VerifyReport {
    /// The failed checks' messages, joined (what a refusal says).
    pub fn failure_summary(&self) -> String {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
            .map(|c| c.message.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether waiting could change the answer: only key errors can be IAM propagation (a
    /// missing bucket will not appear by waiting).
    pub fn may_be_propagating(&self) -> bool {
        self.checks.iter().any(|c| {
            matches!(
                c.code,
                Some(ErrorCode::UnknownKey | ErrorCode::WrongSecret | ErrorCode::AccessDenied)
            )
        })
    }
}

/// A bounded exponential backoff: `attempts` tries, waiting `first_wait`, then twice as long
/// each time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub attempts: u32,
    pub first_wait: Duration,
}

impl Backoff {
    /// For a new IAM key: 5 tries, 1 + 2 + 4 + 8 = 15 s of waiting at most.
    pub const PROPAGATION: Backoff = Backoff {
        attempts: 5,
        first_wait: Duration::from_secs(1),
    };

    /// The waits between the tries.
    pub fn waits(self) -> impl Iterator<Item = Duration> {
        (0..self.attempts.saturating_sub(1)).map(move |i| self.first_wait * 2u32.pow(i))
    }
}

/// Verifies a key just created, retrying with [`Backoff::PROPAGATION`] while the failures
/// may be IAM propagation. Returns the last report.
pub async fn until_propagated(subject: &Subject<'_>, lang: Language) -> VerifyReport {
    with_backoff(subject, Backoff::PROPAGATION, lang).await
}

/// [`until_propagated`] with another backoff.
pub async fn with_backoff(subject: &Subject<'_>, backoff: Backoff, lang: Language) -> VerifyReport {
    let mut waits = backoff.waits();
    loop {
        let report = verify(subject, lang).await;
        if report.ok || !report.may_be_propagating() {
            return report;
        }
        match waits.next() {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return report,
        }
    }
}

/// What to verify.
pub struct Subject<'a> {
    pub credentials: &'a Credentials,
    pub bucket: &'a str,
    pub base_path: &'a str,
    /// The source's identifier, for the CDN URL of the sample.
    pub name: Option<&'a str>,
    /// Where that URL points: the settings' `productionCdnBase`.
    pub production_base: &'a str,
}

fn target(creds: &Credentials, region: &str) -> Target {
    Target {
        endpoint_url: creds.endpoint_url.clone(),
        region: region.to_owned(),
        access_key_id: creds.access_key_id.clone(),
        secret: creds.secret_access_key.clone(),
    }
}

fn failed(id: CheckId, failure: &AwsFailure, lang: Language) -> Check {
    Check {
        id,
        status: CheckStatus::Failed,
        code: Some(failure.code()),
        message: failure.describe(lang),
        hint: failure.hint(lang),
    }
}

fn passed(id: CheckId, message: String) -> Check {
    Check {
        id,
        status: CheckStatus::Passed,
        code: None,
        message,
        hint: None,
    }
}

fn skipped(id: CheckId, message: String) -> Check {
    Check {
        id,
        status: CheckStatus::Skipped,
        code: None,
        message,
        hint: None,
    }
}

/// The report when the key itself cannot be used: identity failed, the rest skipped.
fn key_unusable(
    mut checks: Vec<Check>,
    failure: &AwsFailure,
    region: String,
    lang: Language,
) -> VerifyReport {
    checks.push(failed(CheckId::Identity, failure, lang));
    let why = lang.pick(
        "키를 확인할 수 없어 건너뛰었습니다.".to_owned(),
        "Skipped: the key could not be checked.".to_owned(),
    );
    for id in [
        CheckId::GetBucketLocation,
        CheckId::ListBucket,
        CheckId::GetObject,
    ] {
        checks.push(skipped(id, why.clone()));
    }
    VerifyReport {
        ok: false,
        region,
        region_corrected: false,
        checks,
        sample_key: None,
        cdn_url: None,
        warnings: Vec::new(),
    }
}

/// A failure that means the key itself cannot be used: nothing else is worth checking.
fn is_key_failure(failure: &AwsFailure) -> bool {
    matches!(
        failure,
        AwsFailure::UnknownKey | AwsFailure::WrongSecret | AwsFailure::ClockSkew
    )
}

/// `GetBucketLocation`'s answer as a region name.
pub fn location_to_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => DEFAULT_REGION.to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(r) => r.to_owned(),
    }
}

/// Finds the bucket's region: `GetBucketLocation`, else the region a redirect names.
pub async fn detect_region(creds: &Credentials, bucket: &str) -> Result<String, AwsFailure> {
    let start = creds.region.as_deref().unwrap_or(DEFAULT_REGION);
    let s3 = aws::s3_client(&aws::sdk_config(&target(creds, start)).await);
    bucket_region(&s3, bucket).await
}

/// [`detect_region`] with a client of any credentials (the admin's, for the reader path).
pub async fn bucket_region(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, AwsFailure> {
    match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => Ok(location_to_region(
            out.location_constraint().map(|c| c.as_str()),
        )),
        Err(e) => match AwsFailure::from_sdk(&e, "s3:GetBucketLocation") {
            AwsFailure::WrongRegion { region: Some(r) } => Ok(r),
            other => Err(other),
        },
    }
}

/// Lists the buckets the key may see (`s3:ListAllMyBuckets`).
pub async fn list_buckets(creds: &Credentials) -> Result<Vec<String>, AwsFailure> {
    let region = creds.region.as_deref().unwrap_or(DEFAULT_REGION);
    let s3 = aws::s3_client(&aws::sdk_config(&target(creds, region)).await);
    bucket_names(&s3).await
}

/// [`list_buckets`] with a client of any credentials (the admin's, for the reader path).
pub async fn bucket_names(s3: &aws_sdk_s3::Client) -> Result<Vec<String>, AwsFailure> {
    let out = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk(&e, "s3:ListAllMyBuckets"))?;
    Ok(out
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect())
}

/// What the identity check found: a check to report, or a key that cannot be used at all.
enum Identity {
    Checked(Check),
    Unusable(AwsFailure),
}

/// Check 1, who is this key? (`sts:GetCallerIdentity`.) S3-compatible services often have no STS
/// (R2, MinIO, s3s-fs answer with an S3 error the STS client cannot read): then the check is
/// skipped, saying so in plain words, and the bucket checks tell whether the key works.
async fn check_identity(creds: &Credentials, region: &str, lang: Language) -> Identity {
    let sts = aws::sts_client(&aws::sdk_config(&target(creds, region)).await);
    let failure = match sts.get_caller_identity().send().await {
        Ok(id) => {
            let arn = id.arn().unwrap_or("?");
            return Identity::Checked(passed(
                CheckId::Identity,
                lang.pick(
                    format!("키가 유효합니다: {arn}"),
                    format!("The key is valid: {arn}"),
                ),
            ));
        }
        Err(e) => AwsFailure::from_sdk(&e, "sts:GetCallerIdentity"),
    };
    if is_key_failure(&failure) || matches!(failure, AwsFailure::Unreachable { .. }) {
        return Identity::Unusable(failure);
    }
    let message = if creds.endpoint_url.is_some() {
        no_identity_service(lang)
    } else {
        lang.pick(
            format!(
                "이 엔드포인트는 신원 확인(STS)에 답하지 않았습니다: {}",
                failure.describe(lang)
            ),
            format!(
                "This endpoint did not answer the identity check (STS): {}",
                failure.describe(lang)
            ),
        )
    };
    Identity::Checked(skipped(CheckId::Identity, message))
}

/// What the identity check says on an S3-compatible endpoint without an identity service.
pub fn no_identity_service(lang: Language) -> String {
    lang.pick(
        "이 엔드포인트에는 신원 확인 서비스(STS)가 없어, 키는 버킷으로 대신 확인했습니다.".to_owned(),
        "This endpoint has no identity service (STS); the key was checked through the bucket instead.".to_owned(),
    )
}

/// What the location check found.
enum Location {
    /// The bucket's region, and whether it differs from the one given.
    Found { region: String, corrected: bool },
    /// The check failed; `missing` when the bucket does not exist.
    Failed { check: Check, missing: bool },
    /// S3 says the key itself cannot be used.
    KeyUnusable(AwsFailure),
}

/// Check 2, where is the bucket? (Also tells whether it exists.)
async fn check_location(
    creds: &Credentials,
    bucket: &str,
    given: Option<&str>,
    lang: Language,
) -> Location {
    match detect_region(creds, bucket).await {
        Ok(found) => Location::Found {
            corrected: given.is_some_and(|g| g != found),
            region: found,
        },
        Err(failure) if is_key_failure(&failure) => Location::KeyUnusable(failure),
        Err(failure) => Location::Failed {
            missing: failure == AwsFailure::NoSuchBucket,
            check: failed(CheckId::GetBucketLocation, &failure, lang),
        },
    }
}

/// The report when the bucket does not exist: the object checks skipped.
fn bucket_missing(
    mut checks: Vec<Check>,
    region: String,
    region_corrected: bool,
    lang: Language,
) -> VerifyReport {
    let why = lang.pick(
        "버킷이 없어 건너뛰었습니다.".to_owned(),
        "Skipped: the bucket does not exist.".to_owned(),
    );
    checks.push(skipped(CheckId::ListBucket, why.clone()));
    checks.push(skipped(CheckId::GetObject, why));
    VerifyReport {
        ok: false,
        region,
        region_corrected,
        checks,
        sample_key: None,
        cdn_url: None,
        warnings: Vec::new(),
    }
}

/// Check 3, may it list the BasePath? Returns the check and a sample object found on the way.
async fn check_listing(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    base_path: &str,
    lang: Language,
) -> (Check, Option<String>) {
    let prefix = match base_path.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    };
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .max_keys(50)
        .send()
        .await;
    match listed {
        Ok(out) => {
            let sample = out
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .find(|k| !k.ends_with('/'))
                .map(str::to_owned);
            let check = passed(
                CheckId::ListBucket,
                lang.pick(
                    "객체 목록을 볼 수 있습니다.".to_owned(),
                    "The key can list objects.".to_owned(),
                ),
            );
            (check, sample)
        }
        Err(e) => (
            failed(
                CheckId::ListBucket,
                &AwsFailure::from_sdk(&e, "s3:ListBucket"),
                lang,
            ),
            None,
        ),
    }
}

/// Check 4, may it read an object? One byte of the sample is enough. Without a sample the check
/// is skipped, and when the listing worked a warning says the BasePath is empty.
async fn check_read(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    sample: Option<&str>,
    listed: bool,
    lang: Language,
) -> (Check, Option<String>) {
    let Some(key) = sample else {
        if !listed {
            let why = lang.pick(
                "목록을 볼 수 없어 읽어 볼 객체를 찾지 못했습니다.".to_owned(),
                "No object to try: the key cannot list.".to_owned(),
            );
            return (skipped(CheckId::GetObject, why), None);
        }
        let why = lang.pick(
            "BasePath 아래에 객체가 없어 읽기를 확인하지 못했습니다.".to_owned(),
            "No object under the BasePath to try reading.".to_owned(),
        );
        let warning = lang.pick(
            "BasePath 아래에 객체가 없습니다. 경로가 맞는지 확인하세요.".to_owned(),
            "There are no objects under the BasePath; check the path.".to_owned(),
        );
        return (skipped(CheckId::GetObject, why), Some(warning));
    };
    let read = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .range("bytes=0-0")
        .send()
        .await;
    let check = match read {
        Ok(_) => passed(
            CheckId::GetObject,
            lang.pick(
                format!("객체를 읽을 수 있습니다: {key}"),
                format!("The key can read objects: {key}"),
            ),
        ),
        Err(e) => failed(
            CheckId::GetObject,
            &AwsFailure::from_sdk(&e, "s3:GetObject"),
            lang,
        ),
    };
    (check, None)
}

/// More than a reader needs? Listing every bucket is the cheap, read-only tell.
async fn over_permission_warning(creds: &Credentials, lang: Language) -> Option<String> {
    list_buckets(creds).await.ok()?;
    Some(lang.pick(
        "이 키는 계정의 모든 버킷 목록을 볼 수 있습니다. CDN 리더에게는 필요 없는 권한입니다. 전용 리더 키를 쓰세요.".to_owned(),
        "This key can list every bucket in the account, which a CDN reader does not need. Prefer a dedicated reader key.".to_owned(),
    ))
}

/// Runs the checks in order. A key that does not exist or a wrong secret stops the rest;
/// a missing bucket stops the bucket checks; each permission is checked on its own.
pub async fn verify(subject: &Subject<'_>, lang: Language) -> VerifyReport {
    let creds = subject.credentials;
    let given_region = creds.region.clone();
    let mut region = given_region
        .clone()
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let mut checks = Vec::new();
    let mut warnings = Vec::new();

    match check_identity(creds, &region, lang).await {
        Identity::Checked(check) => checks.push(check),
        Identity::Unusable(failure) => return key_unusable(checks, &failure, region, lang),
    }

    let mut region_corrected = false;
    match check_location(creds, subject.bucket, given_region.as_deref(), lang).await {
        Location::Found {
            region: found,
            corrected,
        } => {
            region = found;
            region_corrected = corrected;
            checks.push(passed(
                CheckId::GetBucketLocation,
                lang.pick(
                    format!("버킷 리전: {region}"),
                    format!("Bucket region: {region}"),
                ),
            ));
        }
        Location::KeyUnusable(failure) => {
            // The identity check could not tell (no STS, or an answer without a code);
            // S3 just did: report it there and stop, as for a failed identity check.
            checks.retain(|c| c.id != CheckId::Identity);
            return key_unusable(checks, &failure, region, lang);
        }
        Location::Failed {
            check,
            missing: true,
        } => {
            checks.push(check);
            return bucket_missing(checks, region, region_corrected, lang);
        }
        Location::Failed { check, .. } => checks.push(check),
    }

    let s3 = aws::s3_client(&aws::sdk_config(&target(creds, &region)).await);
    let (listing, sample) = check_listing(&s3, subject.bucket, subject.base_path, lang).await;
    let listed = listing.status == CheckStatus::Passed;
    checks.push(listing);
    let (read, empty) = check_read(&s3, subject.bucket, sample.as_deref(), listed, lang).await;
    checks.push(read);
    warnings.extend(empty);

    warnings.extend(over_permission_warning(creds, lang).await);
    if region_corrected {
        warnings.push(lang.pick(
            format!("리전을 버킷의 실제 리전 {region}(으)로 고쳤습니다."),
            format!("The region was corrected to the bucket's region, {region}."),
        ));
    }

    let ok = checks.iter().all(|c| c.status != CheckStatus::Failed);
    let sample_key = sample.map(|k| relative_key(subject.base_path, &k).to_owned());
    let cdn = match (subject.name, &sample_key) {
        (Some(name), Some(key)) => Some(cdn_url_at(subject.production_base, name, key)),
        _ => None,
    };
    VerifyReport {
        ok,
        region,
        region_corrected,
        checks,
        sample_key,
        cdn_url: cdn,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_propagation_backoff_is_bounded() {
        let waits: Vec<u64> = Backoff::PROPAGATION.waits().map(|w| w.as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8], "five tries, 15 s of waiting at most");
        let one = Backoff {
            attempts: 1,
            first_wait: Duration::from_secs(1),
        };
        assert_eq!(one.waits().count(), 0);
    }

    #[test]
    fn locations_map_to_regions() {
        assert_eq!(location_to_region(None), "us-east-1");
        assert_eq!(location_to_region(Some("")), "us-east-1");
        assert_eq!(location_to_region(Some("EU")), "eu-west-1");
        assert_eq!(location_to_region(Some("ap-northeast-2")), "ap-northeast-2");
    }
}
