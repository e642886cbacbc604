//! "Create a dedicated reader for me": a user with the least-privilege CDN reader policy (or
//! `AmazonS3ReadOnlyAccess`) and an access key whose secret goes straight to the keychain,
//! optionally bound to a verified source. It is built from the same core steps as the IAM
//! screen ([`users::create`], [`keys::create`]) and verified with the one propagation-aware
//! check ([`verify::until_propagated`]). A failure part-way removes what was created, in
//! reverse, and reports each undo step that failed and what was left behind.

use serde::Serialize;

use super::keys::{self, KeyError};
use super::policy::{self, Template};
use super::users::{self, PolicyAttachment};
use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::Keychain;
use crate::sources::verify;
use crate::sources::{self, SourceError, SourceInput, SourceSummary, Sources};

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

impl ReaderRequest {
    /// A request with the defaults the CLI and the GUI share: the user `weekerp-cdn-reader`
    /// when none (or a blank one) is given, the least-privilege policy, the endpoint and
    /// region of the admin's chain.
    pub fn new(
        bucket: impl Into<String>,
        base_path: impl Into<String>,
        user: Option<String>,
        source: Option<String>,
    ) -> ReaderRequest {
        ReaderRequest {
            bucket: bucket.into(),
            base_path: base_path.into(),
            user: user
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| DEFAULT_USER.to_owned()),
            source,
            endpoint_url: None,
            region: None,
            managed_read_only: false,
        }
    }
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

/// One undo step that failed, and what it left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoFailure {
    /// The IAM action or keychain operation (e.g. `iam:DetachUserPolicy`).
    pub step: String,
    /// What is left behind because of it.
    pub left_behind: String,
    pub detail: String,
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
    Key(KeyError),
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A step failed after something was created; the undo ran.
    #[error("{cause}; undo failures: {failed:?}")]
    Undone {
        cause: Box<ReaderError>,
        failed: Vec<UndoFailure>,
    },
}

impl Described for ReaderError {
    fn code(&self) -> ErrorCode {
        match self {
            ReaderError::InvalidUser => ErrorCode::InvalidInput,
            ReaderError::Aws { failure, .. } => failure.code(),
            ReaderError::Key(e) => e.code(),
            ReaderError::Source(e) => e.code(),
            ReaderError::Undone { cause, .. } => cause.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            ReaderError::InvalidUser => lang.pick(
                "사용자 이름: 1~64자의 영문, 숫자, +=,.@_- 만 쓸 수 있습니다.".into(),
                "User name: use 1 to 64 letters, digits and +=,.@_- only.".into(),
            ),
            ReaderError::Aws { step, failure } => format!("{step}: {}", failure.describe(lang)),
            ReaderError::Key(e) => e.describe(lang),
            ReaderError::Source(e) => e.describe(lang),
            ReaderError::Undone { cause, failed } if failed.is_empty() => lang.pick(
                format!("{} 만든 것은 모두 되돌렸습니다.", cause.describe(lang)),
                format!(
                    "{} Everything created was removed again.",
                    cause.describe(lang)
                ),
            ),
            ReaderError::Undone { cause, failed } => {
                let steps: Vec<String> = failed
                    .iter()
                    .map(|f| format!("{} ({}): {}", f.step, f.left_behind, f.detail))
                    .collect();
                lang.pick(
                    format!(
                        "{} 되돌리기 중 실패한 단계가 있어 다음이 남아 있습니다. 직접 지우세요: {}",
                        cause.describe(lang),
                        steps.join("; ")
                    ),
                    format!(
                        "{} Some undo steps failed, so this is left behind; remove it by hand: {}",
                        cause.describe(lang),
                        steps.join("; ")
                    ),
                )
            }
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
    if users::is_valid_user_name(name) {
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
    /// Removes what was created, in reverse: the key and its secret, the policy (inline
    /// deleted, managed detached: IAM refuses to delete a user with either), the user.
    /// Returns each step that failed, with what it leaves behind.
    async fn undo(&self, iam: &aws_sdk_iam::Client, keychain: &Keychain) -> Vec<UndoFailure> {
        let mut failed = Vec::new();
        let Some(user) = &self.user else {
            return failed;
        };
        let mut fail = |step: &str, left: String, detail: String| {
            failed.push(UndoFailure {
                step: step.to_owned(),
                left_behind: left,
                detail,
            })
        };
        if let Some(key) = &self.key {
            if let Err(e) = iam
                .delete_access_key()
                .user_name(user)
                .access_key_id(key)
                .send()
                .await
            {
                let f = AwsFailure::from_sdk(&e, "iam:DeleteAccessKey");
                if f != AwsFailure::NotFound {
                    fail(
                        "iam:DeleteAccessKey",
                        format!("access key {key} of {user}"),
                        f.describe(Language::En),
                    );
                }
            }
            if let Err(e) = keychain.delete(key) {
                fail(
                    "keychain",
                    format!("keychain entry {key}"),
                    e.describe(Language::En),
                );
            }
        }
        if let Some(policy) = &self.policy
            && let Err(e) = iam
                .delete_user_policy()
                .user_name(user)
                .policy_name(policy)
                .send()
                .await
        {
            fail(
                "iam:DeleteUserPolicy",
                format!("inline policy {policy} of {user}"),
                AwsFailure::from_sdk(&e, "iam:DeleteUserPolicy").describe(Language::En),
            );
        }
        if self.managed
            && let Err(e) = iam
                .detach_user_policy()
                .user_name(user)
                .policy_arn(S3_READ_ONLY)
                .send()
                .await
        {
            fail(
                "iam:DetachUserPolicy",
                format!("{S3_READ_ONLY} attached to {user}"),
                AwsFailure::from_sdk(&e, "iam:DetachUserPolicy").describe(Language::En),
            );
        }
        if let Err(e) = iam.delete_user().user_name(user).send().await {
            fail(
                "iam:DeleteUser",
                format!("user {user}"),
                AwsFailure::from_sdk(&e, "iam:DeleteUser").describe(Language::En),
            );
        }
        failed
    }
}

/// Creates the reader; see the module docs. The key's secret goes into `sources`'
/// keychain (`keychain` must be that keychain: it is where the undo looks).
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
    let result = steps(iam, sources, request, &document, &mut created, lang).await;
    match result {
        Ok(done) => Ok(done),
        Err(cause) if created.user.is_some() => {
            let failed = created.undo(iam, keychain).await;
            Err(ReaderError::Undone {
                cause: Box::new(cause),
                failed,
            })
        }
        Err(cause) => Err(cause),
    }
}

async fn steps(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    request: &ReaderRequest,
    document: &serde_json::Value,
    created: &mut Created,
    lang: Language,
) -> Result<ReaderCreated, ReaderError> {
    let (attachment, policy_name) = if request.managed_read_only {
        (
            PolicyAttachment::Managed {
                arn: S3_READ_ONLY.to_owned(),
            },
            S3_READ_ONLY.to_owned(),
        )
    } else {
        let name = inline_policy_name(&request.bucket);
        (
            PolicyAttachment::Inline {
                name: name.clone(),
                document: document.to_string(),
            },
            name,
        )
    };
    // The user and its policy together (the user is removed again if attaching fails).
    users::create(iam, &request.user, Some(&attachment))
        .await
        .map_err(ReaderError::Key)?;
    created.user = Some(request.user.clone());
    if request.managed_read_only {
        created.managed = true;
    } else {
        created.policy = Some(policy_name.clone());
    }

    // The secret is shown nowhere here: straight into the keychain.
    let key = keys::create(iam, sources, &request.user, None, lang)
        .await
        .map_err(ReaderError::Key)?;
    created.key = Some(key.access_key_id.clone());

    let source = match &request.source {
        None => None,
        Some(name) => {
            let input = SourceInput {
                name: name.clone(),
                endpoint_url: request.endpoint_url.clone(),
                region: request.region.clone(),
                bucket: request.bucket.clone(),
                base_path: request.base_path.clone(),
                access_key_id: key.access_key_id.clone(),
                secret_access_key: key.secret.clone(),
            };
            let input = sources.validate(&input)?;
            let report = verify::until_propagated(
                &verify::Subject {
                    credentials: &input.credentials(),
                    bucket: &input.bucket,
                    base_path: &input.base_path,
                    name: Some(&input.name),
                    production_base: &sources.production_cdn_base()?,
                },
                lang,
            )
            .await;
            Some(sources.add(&input, &report)?)
        }
    };
    Ok(ReaderCreated {
        user: request.user.clone(),
        access_key_id: key.access_key_id,
        policy_name,
        source,
    })
}

/// The buckets the admin may list: the wizard's bucket picker on the reader path.
pub async fn admin_buckets(config: &aws_config::SdkConfig) -> Result<Vec<String>, ReaderError> {
    verify::bucket_names(&crate::aws::s3_client(config))
        .await
        .map_err(|failure| ReaderError::Aws {
            step: "s3:ListAllMyBuckets",
            failure,
        })
}

/// The bucket's region as the admin sees it (the wizard shows it on the reader path).
pub async fn admin_bucket_region(
    config: &aws_config::SdkConfig,
    bucket: &str,
) -> Result<String, ReaderError> {
    sources::validate_bucket(bucket)?;
    verify::bucket_region(&crate::aws::s3_client(config), bucket)
        .await
        .map_err(|failure| ReaderError::Aws {
            step: "s3:GetBucketLocation",
            failure,
        })
}

/// The name of the reader's inline policy for `bucket`.
fn inline_policy_name(bucket: &str) -> String {
    format!("bucketdesk-cdn-reader-{bucket}")
}

/// What "Create the reader" will attach, shown before it runs: the user, the policy's name
/// (the inline policy's, or the managed policy's ARN) and its document as IAM will hold it,
/// pretty-printed, with what the lint finds in it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReaderPlan {
    pub user: String,
    pub policy_name: String,
    /// `AmazonS3ReadOnlyAccess` (AWS's document) instead of the inline reader policy.
    pub managed: bool,
    pub document: String,
    pub findings: Vec<crate::iam::lint::Finding>,
}

impl ReaderPlan {
    fn new(request: &ReaderRequest, policy_name: String, document: &serde_json::Value) -> Self {
        ReaderPlan {
            user: request.user.clone(),
            policy_name,
            managed: request.managed_read_only,
            document: serde_json::to_string_pretty(document).expect("policy serializes"),
            findings: crate::iam::lint::lint(document),
        }
    }
}

/// The plan of the least-privilege reader: the document [`create`] attaches (no network).
pub fn inline_plan(request: &ReaderRequest) -> Result<ReaderPlan, ReaderError> {
    validate_user(&request.user)?;
    let document = policy::generate(Template::CdnReader, &request.bucket, &request.base_path)
        .map_err(ReaderError::Source)?;
    Ok(ReaderPlan::new(
        request,
        inline_policy_name(&request.bucket),
        &document,
    ))
}

/// What [`create`] will attach for `request`. For `AmazonS3ReadOnlyAccess` the document is
/// AWS's own, read from IAM (its default version), so what is shown is what is attached.
pub async fn plan(
    iam: &aws_sdk_iam::Client,
    request: &ReaderRequest,
) -> Result<ReaderPlan, ReaderError> {
    if !request.managed_read_only {
        return inline_plan(request);
    }
    validate_user(&request.user)?;
    sources::validate_bucket(&request.bucket)?;
    let document = managed_document(iam, S3_READ_ONLY).await?;
    Ok(ReaderPlan::new(request, S3_READ_ONLY.to_owned(), &document))
}

/// A managed policy's default version, as JSON (IAM returns it percent-encoded).
async fn managed_document(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<serde_json::Value, ReaderError> {
    let aws = |step: &'static str| move |failure| ReaderError::Aws { step, failure };
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk(&e, "iam:GetPolicy"))
        .map_err(aws("iam:GetPolicy"))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk(&e, "iam:GetPolicyVersion"))
        .map_err(aws("iam:GetPolicyVersion"))?;
    let text = out
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or_default();
    parse_policy_document(text).ok_or_else(|| ReaderError::Aws {
        step: "iam:GetPolicyVersion",
        failure: AwsFailure::Other {
            code: "MalformedPolicyDocument".into(),
            message: format!("{arn} {version}: not a JSON policy document"),
        },
    })
}

/// A policy document as IAM returns it: percent-encoded JSON (some endpoints send it plain).
fn parse_policy_document(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text).ok().or_else(|| {
        let decoded = crate::cdn::options::percent_decode(text, false)?;
        serde_json::from_str(&decoded).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_user_is_applied_by_the_core() {
        for given in [None, Some(String::new()), Some("   ".to_owned())] {
            let r = ReaderRequest::new("b", "/", given.clone(), None);
            assert_eq!(r.user, DEFAULT_USER, "{given:?}");
        }
        let r = ReaderRequest::new("b", "/", Some(" shop-reader ".into()), Some("s".into()));
        assert_eq!(r.user, "shop-reader");
        assert!(!r.managed_read_only);
    }

    #[test]
    fn a_partial_undo_names_what_is_left_behind() {
        let err = ReaderError::Undone {
            cause: Box::new(ReaderError::InvalidUser),
            failed: vec![UndoFailure {
                step: "iam:DeleteUser".into(),
                left_behind: "user weekerp-cdn-reader".into(),
                detail: "DeleteConflict".into(),
            }],
        };
        let text = err.describe(Language::En);
        assert!(text.contains("user weekerp-cdn-reader"), "{text}");
        assert!(!text.contains("removed again"), "{text}");
        let all_undone = ReaderError::Undone {
            cause: Box::new(ReaderError::InvalidUser),
            failed: vec![],
        };
        assert!(all_undone.describe(Language::En).contains("removed again"));
    }

    #[test]
    fn the_inline_plan_is_the_document_create_attaches() {
        let request = ReaderRequest::new("acme-photos", "/assets", None, Some("shop".into()));
        let plan = inline_plan(&request).unwrap();
        assert_eq!(plan.user, DEFAULT_USER);
        assert_eq!(plan.policy_name, "bucketdesk-cdn-reader-acme-photos");
        assert!(!plan.managed);
        let shown: serde_json::Value = serde_json::from_str(&plan.document).unwrap();
        let attached = policy::generate(Template::CdnReader, "acme-photos", "/assets").unwrap();
        assert_eq!(shown, attached);
        assert!(plan.findings.is_empty(), "{:?}", plan.findings);
        let bad = ReaderRequest::new("acme-photos", "/", Some("two words".into()), None);
        assert!(matches!(inline_plan(&bad), Err(ReaderError::InvalidUser)));
    }

    #[test]
    fn policy_documents_are_read_encoded_or_plain() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(parse_policy_document(plain), parse_policy_document(encoded));
        assert!(parse_policy_document(plain).is_some());
        assert_eq!(parse_policy_document("%7Bnot json"), None);
    }
}
