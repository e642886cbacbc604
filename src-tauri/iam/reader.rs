//! "Create a dedicated reader for me": a user with the least-privilege CDN reader policy and
//! an access key whose secret goes straight to the keychain, optionally bound to a verified
//! source. Each step is recorded; a failure part-way removes what was created, in reverse.

use std::time::Duration;

use serde::Serialize;

use super::policy::{self, Template};
use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::{Keychain, SecretString};
use crate::sources::verify::{self, VerifyReport};
use crate::sources::{self, Credentials, SourceError, SourceInput, SourceSummary, Sources};

/// The default user name (the CDN's own suggestion).
pub const DEFAULT_USER: &str = "weekerp-cdn-reader";

#[derive(Debug, Clone)]
pub struct ReaderRequest {
    pub bucket: String,
    pub base_path: String,
    pub user: String,
    /// Bind the new key to a new source of this name (verified before it is saved).
    pub source: Option<String>,
    /// The endpoint the source will use (the admin's, for S3-compatible or local endpoints).
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    /// Attach the AWS managed `AmazonS3ReadOnlyAccess` (every bucket) instead of the
    /// least-privilege reader policy for this bucket.
    pub managed_read_only: bool,
}

/// The AWS managed policy offered instead of the least-privilege reader.
pub const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReaderCreated {
    pub user: String,
    pub access_key_id: String,
    pub policy_name: String,
    pub source: Option<SourceSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    #[error("invalid user name")]
    InvalidUser,
    #[error("{step}: {failure:?}")]
    Aws {
        step: &'static str,
        failure: AwsFailure,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl Described for ReaderError {
    fn code(&self) -> ErrorCode {
        match self {
            ReaderError::InvalidUser => ErrorCode::InvalidInput,
            ReaderError::Aws { failure, .. } => failure.code(),
            ReaderError::Source(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        let undone = lang.pick(
            " 만든 것은 모두 되돌렸습니다.",
            " Everything created was removed again.",
        );
        match self {
            ReaderError::InvalidUser => lang.pick(
                "사용자 이름: 1~64자의 영문, 숫자, +=,.@_- 만 쓸 수 있습니다.".into(),
                "User name: use 1 to 64 letters, digits and +=,.@_- only.".into(),
            ),
            ReaderError::Aws { step, failure } => {
                format!("{step}: {}{undone}", failure.describe(lang))
            }
            ReaderError::Source(e) => format!("{}{undone}", e.describe(lang)),
        }
    }
}

/// The reader's user name: the one given, or [`DEFAULT_USER`] when none (or only blanks)
/// was given. The CLI and the wizard both ask here.
pub fn user_or_default(user: Option<String>) -> String {
    user.filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_USER.to_owned())
}

/// IAM user names: 1–64 of letters, digits and `+=,.@_-`.
pub fn validate_user(name: &str) -> Result<(), ReaderError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ReaderError::InvalidUser)
    }
}

/// What has been created so far, to undo in reverse on failure.
#[derive(Default)]
struct Created {
    user: Option<String>,
    policy: Option<String>,
    /// `AmazonS3ReadOnlyAccess` was attached.
    managed: bool,
    key: Option<String>,
}

impl Created {
    async fn undo(&self, iam: &aws_sdk_iam::Client, keychain: &Keychain) {
        let Some(user) = &self.user else { return };
        if let Some(key) = &self.key {
            let _ = iam
                .delete_access_key()
                .user_name(user)
                .access_key_id(key)
                .send()
                .await;
            let _ = keychain.delete(key);
        }
        if let Some(policy) = &self.policy {
            let _ = iam
                .delete_user_policy()
                .user_name(user)
                .policy_name(policy)
                .send()
                .await;
        }
        let _ = iam.delete_user().user_name(user).send().await;
    }
}

/// Creates the reader; see the module docs.
pub async fn create(
    iam: &aws_sdk_iam::Client,
    keychain: &Keychain,
    sources: &Sources,
    request: &ReaderRequest,
    lang: Language,
) -> Result<ReaderCreated, ReaderError> {
    validate_user(&request.user)?;
    let document = policy::generate(Template::CdnReader, &request.bucket, &request.base_path)
        .map_err(ReaderError::Source)?;
    if let Some(name) = &request.source {
        sources::validate_name(name)?;
        if sources.list()?.iter().any(|s| &s.name == name) {
            return Err(SourceError::NameTaken(name.clone()).into());
        }
    }
    let mut created = Created::default();
    let result = steps(
        iam,
        keychain,
        sources,
        request,
        &document,
        &mut created,
        lang,
    )
    .await;
    if result.is_err() {
        created.undo(iam, keychain).await;
    }
    result
}

async fn steps(
    iam: &aws_sdk_iam::Client,
    keychain: &Keychain,
    sources: &Sources,
    request: &ReaderRequest,
    document: &serde_json::Value,
    created: &mut Created,
    lang: Language,
) -> Result<ReaderCreated, ReaderError> {
    let tag = aws_sdk_iam::types::Tag::builder()
        .key("managed-by")
        .value("bucketdesk")
        .build()
        .expect("tag has key and value");
    iam.create_user()
        .user_name(&request.user)
        .tags(tag)
        .send()
        .await
        .map_err(|e| ReaderError::Aws {
            step: "CreateUser",
            failure: AwsFailure::from_sdk(&e, "iam:CreateUser"),
        })?;
    created.user = Some(request.user.clone());

    let policy_name = if request.managed_read_only {
        iam.attach_user_policy()
            .user_name(&request.user)
            .policy_arn(S3_READ_ONLY)
            .send()
            .await
            .map_err(|e| ReaderError::Aws {
                step: "AttachUserPolicy",
                failure: AwsFailure::from_sdk(&e, "iam:AttachUserPolicy"),
            })?;
        created.managed = true;
        S3_READ_ONLY.to_owned()
    } else {
        let name = format!("bucketdesk-cdn-reader-{}", request.bucket);
        iam.put_user_policy()
            .user_name(&request.user)
            .policy_name(&name)
            .policy_document(document.to_string())
            .send()
            .await
            .map_err(|e| ReaderError::Aws {
                step: "PutUserPolicy",
                failure: AwsFailure::from_sdk(&e, "iam:PutUserPolicy"),
            })?;
        created.policy = Some(name.clone());
        name
    };

    let key = iam
        .create_access_key()
        .user_name(&request.user)
        .send()
        .await
        .map_err(|e| ReaderError::Aws {
            step: "CreateAccessKey",
            failure: AwsFailure::from_sdk(&e, "iam:CreateAccessKey"),
        })?;
    let key = key.access_key().ok_or(ReaderError::Aws {
        step: "CreateAccessKey",
        failure: AwsFailure::Other {
            code: "NoKey".into(),
            message: "no key in the answer".into(),
        },
    })?;
    let key_id = key.access_key_id().to_owned();
    let secret = SecretString::new(key.secret_access_key());
    created.key = Some(key_id.clone());
    // The secret is shown nowhere: straight into the keychain.
    keychain
        .store(&key_id, &secret)
        .map_err(|e| ReaderError::Source(e.into()))?;

    let source = match &request.source {
        None => None,
        Some(name) => {
            let input = SourceInput {
                name: name.clone(),
                endpoint_url: request.endpoint_url.clone(),
                region: request.region.clone(),
                bucket: request.bucket.clone(),
                base_path: request.base_path.clone(),
                access_key_id: key_id.clone(),
                secret_access_key: secret.clone(),
            };
            let input = sources.validate(&input)?;
            let report = verify_with_backoff(&input, lang).await;
            Some(sources.add(&input, &report)?)
        }
    };
    Ok(ReaderCreated {
        user: request.user.clone(),
        access_key_id: key_id,
        policy_name,
        source,
    })
}

/// A new key can take a few seconds to work everywhere (IAM is eventually consistent):
/// verify up to five times, waiting 1, 2, 4, 8 s in between.
async fn verify_with_backoff(input: &SourceInput, lang: Language) -> VerifyReport {
    let creds: Credentials = input.credentials();
    let mut wait = Duration::from_secs(1);
    let mut attempt = 1;
    loop {
        let report = verify::verify(
            &verify::Subject {
                credentials: &creds,
                bucket: &input.bucket,
                base_path: &input.base_path,
                name: Some(&input.name),
            },
            lang,
        )
        .await;
        // Only key errors can be propagation; a missing bucket will not appear by waiting.
        let propagating = report.checks.iter().any(|c| {
            matches!(
                c.code,
                Some(ErrorCode::UnknownKey | ErrorCode::WrongSecret | ErrorCode::AccessDenied)
            )
        });
        if report.ok || !propagating || attempt == 5 {
            return report;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}
