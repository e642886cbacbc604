//! Object transfers: upload, download and delete, and the bucket's unfinished multipart
//! uploads (doc/TRANSFERS.md). One file per stage of the work:
//!
//! - [`plan`]: the keys an upload will make, before anything is sent (NFC names, collisions,
//!   the 1,024-byte limit, Content-Type);
//! - [`upload`]: single PUT under a threshold, parallel multipart above it, resumable;
//! - [`journal`]: the crash-safe record of each multipart upload in the config dir;
//! - [`download`]: temp file then rename, resumed with `Range`, never overwriting unasked;
//! - [`delete`]: `DeleteObjects` in batches of 1,000, every failed key listed;
//! - [`uploads`]: a bucket's unfinished multipart uploads with their monthly cost, aborted;
//! - [`progress`]: bytes, rate and ETA per file and in total, and the cancel token.
//!
//! Writes never use the source's reader key: [`WriteCredentials`] is the admin profile or an
//! uploader key chosen explicitly.

pub mod delete;
pub mod download;
pub mod journal;
pub mod plan;
pub mod progress;
pub mod upload;
pub mod uploads;

use std::path::PathBuf;

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use serde::{Deserialize, Serialize};

use crate::aws::{Admin, AwsFailure, Target};
use crate::config::{ConfigStore, SourceConfig};
use crate::error::{ApiError, Described, ErrorCode, InLanguage};
use crate::locale::Language;
use crate::sources::{SourceError, Sources};

pub const MIB: u64 = 1024 * 1024;

/// Which checksums uploads send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ChecksumMode {
    /// A CRC32C on every part and single PUT, checked by S3 on arrival.
    #[default]
    Crc32c,
    /// Only where S3 requires one (e.g. `DeleteObjects`): for S3-compatible endpoints
    /// that reject the flexible checksum headers.
    WhenRequired,
}

impl ChecksumMode {
    /// The source's "checksums only when required" switch.
    pub fn of(source: &SourceConfig) -> ChecksumMode {
        if source.checksums_when_required {
            ChecksumMode::WhenRequired
        } else {
            ChecksumMode::Crc32c
        }
    }
}

/// Turns a source's "checksums only when required" switch on or off.
pub fn set_checksum_mode(
    store: &ConfigStore,
    name: &str,
    mode: ChecksumMode,
) -> Result<(), SourceError> {
    let found = store.update(|c| {
        let Some(s) = c.sources.iter_mut().find(|s| s.name == name) else {
            return Ok(false);
        };
        s.checksums_when_required = mode == ChecksumMode::WhenRequired;
        Ok(true)
    })?;
    if found {
        Ok(())
    } else {
        Err(SourceError::NoSuchSource(name.to_owned()))
    }
}

/// Who writes. The source's own key is a reader and is never used for writing.
#[derive(Debug, Clone)]
pub enum WriteCredentials {
    /// The admin's AWS credential chain (profile, env, SSO; the sandbox's admin profile).
    Admin(Admin),
    /// A key made with the `uploader` template (or any key the admin chose), explicitly.
    Key(Target),
}

/// What a write is, for messages and the reader-key refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAction {
    Put,
    Delete,
}

impl WriteAction {
    pub fn iam_action(self) -> &'static str {
        match self {
            WriteAction::Put => "s3:PutObject",
            WriteAction::Delete => "s3:DeleteObject",
        }
    }
}

/// Who a write runs as, to show before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Writer {
    /// `admin` or `key`.
    pub kind: String,
    /// The admin profile's name (`None`: the default chain), or the masked key ID.
    pub label: Option<String>,
}

/// Who should write, as the user chose it (the GUI's writer picker, the CLI's
/// `--uploader-key`): never implied, always shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum WriterChoice {
    /// The admin profile (the sandbox's while it runs).
    Admin,
    /// An uploader key; its secret comes from the OS keychain.
    #[serde(rename_all = "camelCase")]
    Key { access_key_id: String },
}

impl WriteCredentials {
    /// The credentials of `choice`; `admin` is asked only when the choice is the admin.
    /// The source's own reader key is refused here, before the keychain or the network.
    pub fn choose(
        sources: &Sources,
        source: &SourceConfig,
        choice: &WriterChoice,
        action: WriteAction,
        admin: impl FnOnce() -> Result<Admin, ApiError>,
        lang: Language,
    ) -> Result<WriteCredentials, ApiError> {
        match choice {
            WriterChoice::Admin => admin().map(WriteCredentials::Admin),
            WriterChoice::Key { access_key_id } => {
                let key_id = access_key_id.trim();
                if key_id == source.access_key_id {
                    return Err(ApiError::from_err(
                        &TransferError::ReaderKey {
                            action: action.iam_action(),
                            bucket: source.bucket.clone(),
                        },
                        lang,
                    ));
                }
                let secret = sources.keychain().get(key_id).in_language(lang)?;
                Ok(WriteCredentials::Key(Target {
                    endpoint_url: source.endpoint_url.clone(),
                    region: source.region.clone(),
                    access_key_id: key_id.to_owned(),
                    secret,
                }))
            }
        }
    }

    pub fn writer(&self) -> Writer {
        match self {
            WriteCredentials::Admin(admin) => Writer {
                kind: "admin".into(),
                label: admin.profile.clone(),
            },
            WriteCredentials::Key(target) => Writer {
                kind: "key".into(),
                label: Some(crate::secrets::mask_key_id(&target.access_key_id)),
            },
        }
    }
}

/// The S3 client for writing to `source`, refusing the source's own reader key before any
/// request. The client talks to the source's region and endpoint (the admin profile's
/// endpoint wins where it has one) and sends checksums as the source says.
pub async fn write_client(
    source: &SourceConfig,
    credentials: &WriteCredentials,
    action: WriteAction,
) -> Result<aws_sdk_s3::Client, TransferError> {
    let config = match credentials {
        WriteCredentials::Key(target) => {
            if target.access_key_id == source.access_key_id {
                return Err(TransferError::ReaderKey {
                    action: action.iam_action(),
                    bucket: source.bucket.clone(),
                });
            }
            crate::aws::sdk_config(target).await
        }
        WriteCredentials::Admin(admin) => crate::aws::admin_config(admin).await,
    };
    Ok(client_for(&config, source))
}

/// The S3 client for reading `source` with its own key (downloads, listings, plans).
pub async fn read_client(target: &Target, source: &SourceConfig) -> aws_sdk_s3::Client {
    client_for(&crate::aws::sdk_config(target).await, source)
}

fn client_for(config: &SdkConfig, source: &SourceConfig) -> aws_sdk_s3::Client {
    let endpoint = config
        .endpoint_url()
        .map(str::to_owned)
        .or_else(|| source.endpoint_url.clone());
    let mut builder = aws_sdk_s3::config::Builder::from(config)
        .region(Region::new(source.region.clone()))
        .force_path_style(endpoint.is_some());
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    if ChecksumMode::of(source) == ChecksumMode::WhenRequired {
        builder = builder
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The CRC32C of `data`, as S3 writes it (base64 of the big-endian bytes).
pub fn crc32c_base64(crc: u32) -> String {
    aws_smithy_types::base64::encode(crc.to_be_bytes())
}

/// A multipart object's composite CRC32C: the CRC32C of the parts' CRC32Cs, with `-N`.
pub fn composite_crc32c(part_crcs: &[u32]) -> String {
    let mut joined = Vec::with_capacity(part_crcs.len() * 4);
    for crc in part_crcs {
        joined.extend_from_slice(&crc.to_be_bytes());
    }
    format!(
        "{}-{}",
        crc32c_base64(crc_fast::crc32_iscsi(&joined)),
        part_crcs.len()
    )
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The source's reader key was offered for a write: refused before any request.
    #[error("the source's reader key cannot {action} on {bucket}")]
    ReaderKey {
        action: &'static str,
        bucket: String,
    },
    /// The service refused a write for lack of the permission.
    #[error("{action} denied on {bucket}")]
    WriteDenied {
        action: &'static str,
        bucket: String,
    },
    #[error("{0:?}")]
    Aws(AwsFailure),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is a folder")]
    IsFolder { path: PathBuf },
    #[error("{path} exists")]
    Exists { path: PathBuf },
    #[error("key {key:?}: {problem:?}")]
    BadKey {
        key: String,
        problem: plan::KeyProblem,
    },
    #[error("{key} already exists")]
    KeyExists { key: String },
    #[error("{key} is larger than S3's 5 TiB object limit")]
    TooLarge { key: String },
    #[error("{what} changed while it was transferred")]
    Changed { what: String },
    #[error("checksum of {what}: expected {expected}, got {actual}")]
    ChecksumMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("the upload {upload_id} of {key} still has parts after aborting")]
    AbortUnconfirmed { key: String, upload_id: String },
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl TransferError {
    /// Classifies an SDK error of a call that needs `action`; a denied write names the
    /// permission and the uploader policy.
    pub(crate) fn from_sdk<E>(
        err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
        action: &'static str,
        bucket: &str,
    ) -> TransferError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match AwsFailure::from_sdk(err, action) {
            AwsFailure::AccessDenied { action }
                if matches!(
                    action,
                    "s3:PutObject" | "s3:DeleteObject" | "s3:AbortMultipartUpload"
                ) =>
            {
                TransferError::WriteDenied {
                    action,
                    bucket: bucket.to_owned(),
                }
            }
            other => TransferError::Aws(other),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> TransferError {
        let path = path.into();
        move |source| TransferError::Io {
            action,
            path,
            source,
        }
    }
}

/// How to get a key that may write: the admin profile, or the uploader template.
fn uploader_hint(bucket: &str, lang: Language) -> String {
    lang.pick(
        format!(
            "관리자 프로필로 쓰거나, uploader 템플릿으로 만든 업로더 키를 골라 쓰세요 \
             (정책: bucketdesk iam policy uploader --bucket {bucket}). 소스의 리더 키는 \
             설계상 읽기 전용입니다."
        ),
        format!(
            "Write with the admin profile, or choose an uploader key made with the uploader \
             template (policy: bucketdesk iam policy uploader --bucket {bucket}). The source's \
             reader key is read-only by design."
        ),
    )
}

impl Described for TransferError {
    fn code(&self) -> ErrorCode {
        match self {
            TransferError::ReaderKey { .. } | TransferError::WriteDenied { .. } => {
                ErrorCode::AccessDenied
            }
            TransferError::Aws(e) => e.code(),
            TransferError::Io { .. } => ErrorCode::Io,
            TransferError::IsFolder { .. }
            | TransferError::BadKey { .. }
            | TransferError::TooLarge { .. } => ErrorCode::InvalidInput,
            TransferError::Exists { .. } | TransferError::KeyExists { .. } => ErrorCode::NameTaken,
            TransferError::Changed { .. }
            | TransferError::ChecksumMismatch { .. }
            | TransferError::AbortUnconfirmed { .. }
            | TransferError::Cancelled => ErrorCode::Internal,
            TransferError::Source(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            TransferError::ReaderKey { action, bucket } => lang.pick(
                format!(
                    "소스의 리더 키로는 {bucket}에 쓸 수 없습니다({action} 권한 없음). {}",
                    uploader_hint(bucket, lang)
                ),
                format!(
                    "The source's reader key cannot write to {bucket} (it is not allowed {action}). {}",
                    uploader_hint(bucket, lang)
                ),
            ),
            TransferError::WriteDenied { action, bucket } => lang.pick(
                format!(
                    "이 키에는 {bucket}에 대한 {action} 권한이 없습니다. {}",
                    uploader_hint(bucket, lang)
                ),
                format!(
                    "This key is not allowed {action} on {bucket}. {}",
                    uploader_hint(bucket, lang)
                ),
            ),
            TransferError::Aws(e) => match e.hint(lang) {
                Some(hint) => format!("{} {hint}", e.describe(lang)),
                None => e.describe(lang),
            },
            TransferError::Io {
                action,
                path,
                source,
            } => lang.pick(
                format!("파일 작업({action}) 실패: {}: {source}", path.display()),
                format!("Cannot {action} {}: {source}", path.display()),
            ),
            TransferError::IsFolder { path } => lang.pick(
                format!(
                    "{}은(는) 폴더입니다. 폴더째 올리려면 --recursive를 쓰세요.",
                    path.display()
                ),
                format!(
                    "{} is a folder: use --recursive to upload a whole folder.",
                    path.display()
                ),
            ),
            TransferError::Exists { path } => lang.pick(
                format!(
                    "{}이(가) 이미 있습니다. 덮어쓰려면 덮어쓰기를 고르세요.",
                    path.display()
                ),
                format!(
                    "{} already exists; choose overwrite to replace it.",
                    path.display()
                ),
            ),
            TransferError::BadKey { key, problem } => {
                format!("{}: {}", key, problem.describe(lang))
            }
            TransferError::KeyExists { key } => lang.pick(
                format!("{key}이(가) 방금 다른 곳에서 만들어져 덮어쓰지 않았습니다."),
                format!("{key} was created meanwhile; it was not overwritten."),
            ),
            TransferError::TooLarge { key } => lang.pick(
                format!("{key}: S3 객체는 5TiB를 넘을 수 없습니다."),
                format!("{key}: an S3 object cannot be larger than 5 TiB."),
            ),
            TransferError::Changed { what } => lang.pick(
                format!("{what}이(가) 전송 도중 바뀌었습니다. 다시 시도하세요."),
                format!("{what} changed during the transfer; try again."),
            ),
            TransferError::ChecksumMismatch {
                what,
                expected,
                actual,
            } => lang.pick(
                format!("{what}의 체크섬이 맞지 않습니다(기대 {expected}, 실제 {actual})."),
                format!("The checksum of {what} does not match (expected {expected}, got {actual})."),
            ),
            TransferError::AbortUnconfirmed { key, upload_id } => lang.pick(
                format!(
                    "{key}의 멀티파트 업로드({upload_id})를 중단했지만 파트가 아직 남아 있습니다. \
                     '미완료 업로드'에서 다시 중단하세요."
                ),
                format!(
                    "The multipart upload {upload_id} of {key} was aborted but still has parts; \
                     abort it again from Unfinished uploads."
                ),
            ),
            TransferError::Cancelled => lang.pick("취소했습니다.".into(), "Cancelled.".into()),
            TransferError::Source(e) => e.describe(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // The CRC-32C (Castagnoli) check value of "123456789" is 0xE3069283.
        assert_eq!(crc_fast::crc32_iscsi(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c_base64(0xE306_9283), "4waSgw==");
    }

    #[test]
    fn composite_checksums_are_the_crc_of_the_part_crcs() {
        let a = crc_fast::crc32_iscsi(b"part one");
        let b = crc_fast::crc32_iscsi(b"part two");
        let mut joined = a.to_be_bytes().to_vec();
        joined.extend_from_slice(&b.to_be_bytes());
        assert_eq!(
            composite_crc32c(&[a, b]),
            format!("{}-2", crc32c_base64(crc_fast::crc32_iscsi(&joined)))
        );
    }

    #[test]
    fn write_refusals_name_the_permission_and_the_uploader_policy() {
        for err in [
            TransferError::ReaderKey {
                action: "s3:PutObject",
                bucket: "shop".into(),
            },
            TransferError::WriteDenied {
                action: "s3:DeleteObject",
                bucket: "shop".into(),
            },
        ] {
            assert_eq!(err.code(), ErrorCode::AccessDenied);
            for lang in [Language::En, Language::Ko] {
                let text = err.describe(lang);
                assert!(
                    text.contains("s3:PutObject") || text.contains("s3:DeleteObject"),
                    "{text}"
                );
                assert!(
                    text.contains("bucketdesk iam policy uploader --bucket shop"),
                    "the message offers the uploader policy: {text}"
                );
            }
        }
    }
}
