//! Buckets: the tutorial's bucket lifecycle with admin credentials (doc/BUCKETS.md).
//!
//! One file per stage of the work: [`naming`] (rules checked before any call), [`list`]
//! (the list with badges, and one bucket's settings), [`create`], [`public_access`] (the
//! four Block Public Access settings), [`policy`] (templates, lint, save, "is it public?"),
//! [`lifecycle`] (the abort-incomplete-multipart rule, existing rules kept), [`empty`]
//! (plan, then batches with progress, cancel and resume), [`delete`], and [`teardown`]
//! ("stop the costs": empty, delete, sources, keys, as one planned flow).
//!
//! Every function takes an [`AdminS3`]: the admin's SDK config (from
//! [`crate::aws::admin_config`]) and the region of each bucket, found once and remembered,
//! because S3 answers a bucket's calls only in its own region.

pub mod create;
pub mod delete;
pub mod empty;
pub mod lifecycle;
pub mod list;
pub mod naming;
pub mod policy;
pub mod public_access;
pub mod teardown;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::iam::keys::KeyError;
use crate::locale::Language;
use crate::sources::{SourceError, Sources};

pub use naming::NamingRule;
pub use public_access::Setting;

/// The admin's S3 access: one SDK config, a client per region, and each bucket's region.
#[derive(Debug, Clone)]
pub struct AdminS3 {
    config: SdkConfig,
    regions: Arc<Mutex<HashMap<String, String>>>,
}

impl AdminS3 {
    /// From the admin's SDK config (`aws::admin_config`, or `aws::sdk_config` in tests).
    pub fn new(config: SdkConfig) -> Self {
        AdminS3 {
            config,
            regions: Arc::default(),
        }
    }

    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// The region of the admin's config (us-east-1 unless the chain says otherwise).
    pub fn default_region(&self) -> String {
        self.config
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_else(|| crate::sources::DEFAULT_REGION.to_owned())
    }

    /// A client in the admin's own region (ListBuckets, GetBucketLocation).
    pub fn client(&self) -> aws_sdk_s3::Client {
        crate::aws::s3_client(&self.config)
    }

    /// A client that signs for `region`; path-style on custom endpoints, as everywhere.
    pub fn in_region(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .force_path_style(self.config.endpoint_url().is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Whether the requests go to a custom endpoint (S3-compatible, the sandbox).
    pub fn endpoint_url(&self) -> Option<&str> {
        self.config.endpoint_url()
    }

    pub(crate) fn remember_region(&self, bucket: &str, region: &str) {
        self.regions
            .lock()
            .expect("region cache lock")
            .insert(bucket.to_owned(), region.to_owned());
    }

    pub(crate) fn forget_region(&self, bucket: &str) {
        self.regions
            .lock()
            .expect("region cache lock")
            .remove(bucket);
    }

    /// The bucket's region (`GetBucketLocation`, remembered).
    pub async fn region_of(&self, bucket: &str) -> Result<String, BucketError> {
        if let Some(r) = self.regions.lock().expect("region cache lock").get(bucket) {
            return Ok(r.clone());
        }
        let out = self
            .client()
            .get_bucket_location()
            .bucket(bucket)
            .send()
            .await
            .map_err(aws("s3:GetBucketLocation"))?;
        let region = match out.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1".to_owned(),
            // The legacy name of eu-west-1.
            Some("EU") => "eu-west-1".to_owned(),
            Some(r) => r.to_owned(),
        };
        self.remember_region(bucket, &region);
        Ok(region)
    }

    /// A client for the bucket's own region.
    pub async fn for_bucket(&self, bucket: &str) -> Result<aws_sdk_s3::Client, BucketError> {
        let region = self.region_of(bucket).await?;
        Ok(self.in_region(&region))
    }
}

/// What went wrong with bucket work, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("bucket name: {0:?}")]
    Naming(NamingRule),
    #[error("{bucket} belongs to another AWS account")]
    AlreadyExists { bucket: String },
    #[error("{bucket} is already yours")]
    AlreadyOwnedByYou { bucket: String },
    #[error("turning off {settings:?} on {bucket} needs the typed acknowledgement")]
    AcknowledgementNeeded {
        bucket: String,
        settings: Vec<Setting>,
    },
    #[error("{setting:?} blocks public policies on {bucket} (account level: {account_level})")]
    BlockedByPublicAccess {
        bucket: String,
        setting: Setting,
        account_level: bool,
    },
    #[error("the policy is not JSON: {detail}")]
    PolicyNotJson { detail: String },
    #[error("{bucket} has {versions} versions under compliance-mode Object Lock")]
    ObjectLocked {
        bucket: String,
        versions: u64,
        retain_until: Option<String>,
    },
    #[error("{bucket} is not empty")]
    NotEmpty {
        bucket: String,
        versions: u64,
        uploads: u64,
    },
    #[error("typed {typed:?}, not the bucket's name {bucket:?}")]
    NameMismatch { bucket: String, typed: String },
    #[error("{step} failed after the bucket was created; the bucket was removed again")]
    CreateUndone {
        bucket: String,
        step: &'static str,
        failure: AwsFailure,
    },
    #[error("{action}: {failure:?}")]
    Aws {
        action: &'static str,
        failure: AwsFailure,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl Described for BucketError {
    fn code(&self) -> ErrorCode {
        match self {
            BucketError::Naming(_)
            | BucketError::AcknowledgementNeeded { .. }
            | BucketError::PolicyNotJson { .. }
            | BucketError::ObjectLocked { .. }
            | BucketError::NameMismatch { .. } => ErrorCode::InvalidInput,
            BucketError::NotEmpty { .. } => ErrorCode::BucketNotEmpty,
            BucketError::BlockedByPublicAccess { account_level, .. } => {
                if *account_level {
                    ErrorCode::AccessDenied
                } else {
                    ErrorCode::InvalidInput
                }
            }
            BucketError::AlreadyExists { .. } | BucketError::AlreadyOwnedByYou { .. } => {
                ErrorCode::NameTaken
            }
            BucketError::CreateUndone { failure, .. } | BucketError::Aws { failure, .. } => {
                failure.code()
            }
            BucketError::Source(e) => e.code(),
            BucketError::Key(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            BucketError::Naming(rule) => rule.describe(lang),
            BucketError::AlreadyExists { bucket } => lang.pick(
                format!(
                    "'{bucket}'은(는) 다른 AWS 계정이 이미 쓰고 있습니다. 버킷 이름은 전 세계에서 하나뿐이므로 다른 이름을 고르세요."
                ),
                format!(
                    "'{bucket}' is taken by another AWS account. Bucket names are global: choose another name."
                ),
            ),
            BucketError::AlreadyOwnedByYou { bucket } => lang.pick(
                format!("'{bucket}' 버킷은 이미 이 계정에 있습니다. 새로 만들지 않고 그 버킷을 쓰면 됩니다."),
                format!("You already own the bucket '{bucket}': use it instead of creating it again."),
            ),
            BucketError::AcknowledgementNeeded { bucket, settings } => {
                let names: Vec<&str> = settings.iter().map(|s| s.name()).collect();
                lang.pick(
                    format!(
                        "{}을(를) 끄면 '{bucket}' 버킷이 공개될 수 있습니다. 확인하려면 버킷 이름 '{bucket}'을(를) 입력하세요.",
                        names.join(", ")
                    ),
                    format!(
                        "Turning off {} may make '{bucket}' public. To acknowledge, type the bucket's name '{bucket}'.",
                        names.join(", ")
                    ),
                )
            }
            BucketError::BlockedByPublicAccess {
                bucket,
                setting,
                account_level: false,
            } => lang.pick(
                format!(
                    "이 정책은 공개 접근을 허용하는데, '{bucket}' 버킷의 퍼블릭 액세스 차단 설정 {}이(가) 켜져 있어 거부됩니다. 그 설정을 끄고 다시 저장하세요.",
                    setting.name()
                ),
                format!(
                    "This policy grants public access, and the Block Public Access setting {} of '{bucket}' is on, so it would be refused. Turn that setting off, then save again.",
                    setting.name()
                ),
            ),
            BucketError::BlockedByPublicAccess {
                bucket,
                setting,
                account_level: true,
            } => lang.pick(
                format!(
                    "AWS가 '{bucket}'의 요청을 거부했습니다: 계정 수준의 퍼블릭 액세스 차단 설정 {}이(가) 켜져 있습니다. 버킷 설정이 아니라 계정 설정(S3 → 이 계정의 퍼블릭 액세스 차단)에서 꺼야 합니다.",
                    setting.name()
                ),
                format!(
                    "AWS refused the request for '{bucket}': the account-level Block Public Access setting {} is on. It is changed in the account's settings (S3 → Block Public Access settings for this account), not the bucket's.",
                    setting.name()
                ),
            ),
            BucketError::PolicyNotJson { detail } => lang.pick(
                format!("버킷 정책이 올바른 JSON이 아닙니다: {detail}"),
                format!("The bucket policy is not valid JSON: {detail}"),
            ),
            BucketError::ObjectLocked {
                bucket,
                versions,
                retain_until,
            } => {
                let until = retain_until.as_deref().unwrap_or("?");
                lang.pick(
                    format!(
                        "'{bucket}'에는 규정 준수(Compliance) 모드 객체 잠금이 걸린 버전이 {versions}개 있습니다(가장 늦게 풀리는 때: {until}). 이 모드는 루트 사용자도 풀 수 없으므로 비울 수 없습니다. 보존 기간이 끝난 뒤 다시 하세요."
                    ),
                    format!(
                        "'{bucket}' holds {versions} versions under compliance-mode Object Lock (the last is retained until {until}). Nobody, not even the root user, can delete them before then, so the bucket cannot be emptied: try again after the retention ends."
                    ),
                )
            }
            BucketError::NotEmpty {
                bucket,
                versions,
                uploads,
            } => lang.pick(
                format!(
                    "'{bucket}' 버킷이 비어 있지 않습니다(객체 버전·삭제 마커 {versions}개, 미완료 멀티파트 업로드 {uploads}개). 먼저 비우세요(bucket empty)."
                ),
                format!(
                    "'{bucket}' is not empty ({versions} object versions and delete markers, {uploads} unfinished multipart uploads). Empty it first (bucket empty)."
                ),
            ),
            BucketError::NameMismatch { bucket, typed } => lang.pick(
                format!("입력한 '{typed}'이(가) 버킷 이름 '{bucket}'과(와) 다릅니다. 아무것도 바꾸지 않았습니다."),
                format!("You typed '{typed}', which is not the bucket's name '{bucket}'. Nothing was changed."),
            ),
            BucketError::CreateUndone {
                bucket,
                step,
                failure,
            } => lang.pick(
                format!(
                    "'{bucket}' 버킷을 만든 뒤 {step} 단계가 실패해 버킷을 다시 지웠습니다: {}",
                    failure.describe(lang)
                ),
                format!(
                    "'{bucket}' was created, then {step} failed, so the bucket was removed again: {}",
                    failure.describe(lang)
                ),
            ),
            BucketError::Aws { action, failure } => match failure {
                AwsFailure::AccessDenied { .. } | AwsFailure::Other { .. } => {
                    failure.describe(lang)
                }
                _ => format!("{action}: {}", failure.describe(lang)),
            },
            BucketError::Source(e) => e.describe(lang),
            BucketError::Key(e) => e.describe(lang),
        }
    }
}

/// Maps an S3 SDK error to a [`BucketError`], naming the action.
pub(crate) fn aws<E>(action: &'static str) -> impl Fn(SdkError<E, HttpResponse>) -> BucketError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| BucketError::Aws {
        action,
        failure: AwsFailure::from_sdk(&e, action),
    }
}

/// The service's error code of an SDK error, for the answers that are not failures
/// (`NoSuchBucketPolicy`, `NoSuchLifecycleConfiguration`, …).
pub(crate) fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// The sources of this config that use the bucket, by name.
pub fn sources_using(sources: &Sources, bucket: &str) -> Result<Vec<String>, BucketError> {
    Ok(sources
        .list()?
        .into_iter()
        .filter(|s| s.bucket == bucket)
        .map(|s| s.name)
        .collect())
}

/// An RFC 3339 time from an S3 timestamp.
pub(crate) fn rfc3339(t: &aws_sdk_s3::primitives::DateTime) -> Option<String> {
    t.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok()
}

/// A cancel signal shared between the caller (a Cancel button, Ctrl-C) and a running job.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<std::sync::atomic::AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        CancelToken::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_what_to_do_in_both_languages() {
        let blocked = BucketError::BlockedByPublicAccess {
            bucket: "b-1".into(),
            setting: Setting::BlockPublicPolicy,
            account_level: false,
        };
        for lang in [Language::Ko, Language::En] {
            assert!(blocked.describe(lang).contains("BlockPublicPolicy"));
        }
        assert_eq!(blocked.code(), ErrorCode::InvalidInput);
        let account = BucketError::BlockedByPublicAccess {
            bucket: "b-1".into(),
            setting: Setting::BlockPublicPolicy,
            account_level: true,
        };
        assert!(account.describe(Language::En).contains("account-level"));
        assert!(account.describe(Language::Ko).contains("계정 수준"));
        assert_ne!(
            BucketError::AlreadyExists { bucket: "x".into() }.describe(Language::En),
            BucketError::AlreadyOwnedByYou { bucket: "x".into() }.describe(Language::En),
            "someone else's bucket and one's own are told apart"
        );
    }

    #[test]
    fn cancel_is_seen_by_every_clone() {
        let token = CancelToken::new();
        let seen_by_job = token.clone();
        assert!(!seen_by_job.is_cancelled());
        token.cancel();
        assert!(seen_by_job.is_cancelled());
    }
}
