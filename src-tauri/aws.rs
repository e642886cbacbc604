//! AWS SDK configuration: one place that turns an endpoint, a region and credentials into
//! SDK clients, so a real account, an S3-compatible service and the local test endpoint all
//! go through the same code path.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::SecretString;

/// Where requests go and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// `None`: the AWS endpoint of the region. `Some`: an S3-compatible or local endpoint.
    pub endpoint_url: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret: SecretString,
}

/// An SDK config for a static key. Reads nothing from the environment that could redirect
/// the requests: endpoint, region and credentials are all explicit.
pub async fn sdk_config(target: &Target) -> SdkConfig {
    let credentials = Credentials::new(
        &target.access_key_id,
        target.secret.expose(),
        None,
        None,
        "bucketdesk",
    );
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        // An unreachable endpoint fails in seconds, not minutes; slow transfers still work
        // because only the wait for each read is bounded, not the whole operation.
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// Where admin credentials come from: the AWS credential chain (environment, a named
/// profile, SSO, the shared files), or profile files of Bucketdesk's own (the sandbox).
#[derive(Debug, Clone, Default)]
pub struct Admin {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// `(config, credentials)` files to read instead of `~/.aws`.
    pub files: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Admin {
    /// The admin of the AWS credential chain, with a named profile and an endpoint override
    /// (checked and normalized here, once, for the CLI and the GUI alike).
    pub fn chain(
        profile: Option<String>,
        endpoint_url: Option<&str>,
    ) -> Result<Admin, crate::sources::SourceError> {
        Ok(Admin {
            profile,
            endpoint_url: crate::sources::normalize_endpoint(endpoint_url)?,
            files: None,
        })
    }
}

/// The admin's SDK config, with an optional endpoint override. The region falls back to
/// us-east-1, where IAM and `GetBucketLocation` answer for every region.
pub async fn admin_config(admin: &Admin) -> SdkConfig {
    let region = aws_config::meta::region::RegionProviderChain::default_provider()
        .or_else(Region::new("us-east-1"));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some((config, credentials)) = &admin.files {
        use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
        let files = EnvConfigFiles::builder()
            .with_file(EnvConfigFileKind::Config, config)
            .with_file(EnvConfigFileKind::Credentials, credentials)
            .build();
        loader = loader.profile_files(files);
    }
    if let Some(profile) = &admin.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &admin.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// Profile names in AWS shared files: `[default]` and `[profile NAME]` in the config file,
/// `[NAME]` in the credentials file; sorted, without duplicates (SSO sessions are not
/// profiles).
pub fn profiles_in(config: &str, credentials: &str) -> Vec<String> {
    let section = |line: &str| {
        let line = line.trim();
        line.strip_prefix('[')?
            .strip_suffix(']')
            .map(str::trim)
            .map(str::to_owned)
    };
    let mut names: Vec<String> = config
        .lines()
        .filter_map(section)
        .filter_map(|s| {
            if s == "default" {
                Some(s)
            } else {
                s.strip_prefix("profile ").map(|n| n.trim().to_owned())
            }
        })
        .chain(credentials.lines().filter_map(section))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The profiles of the user's AWS shared files (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`).
pub fn local_profiles() -> Vec<String> {
    let home_aws = dirs::home_dir().map(|h| h.join(".aws"));
    let read = |env: &str, name: &str| {
        std::env::var_os(env)
            .map(std::path::PathBuf::from)
            .or_else(|| home_aws.as_ref().map(|d| d.join(name)))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    profiles_in(
        &read("AWS_CONFIG_FILE", "config"),
        &read("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    )
}

/// Who the admin credentials are (account and ARN), as STS says.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

pub async fn caller_identity(config: &SdkConfig) -> Result<Identity, AwsFailure> {
    let out = sts_client(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk(&e, "sts:GetCallerIdentity"))?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_owned(),
        arn: out.arn().unwrap_or_default().to_owned(),
    })
}

/// An S3 client; path-style addressing wherever a custom endpoint is used (local endpoints
/// and most S3-compatible services have no per-bucket DNS names).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

pub fn iam_client(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

pub fn sts_client(config: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(config)
}

/// Whether the AWS credential chain has anything to offer: keys in the environment, a
/// named profile, a web identity, or the shared config/credentials files.
pub fn credentials_configured() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID")
        || set("AWS_PROFILE")
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    {
        return true;
    }
    let home_aws = dirs::home_dir().map(|h| h.join(".aws"));
    let file = |env: &str, name: &str| {
        std::env::var_os(env)
            .map(std::path::PathBuf::from)
            .or_else(|| home_aws.as_ref().map(|d| d.join(name)))
    };
    [
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    ]
    .into_iter()
    .flatten()
    .any(|path| {
        std::fs::read_to_string(path)
            .map(|text| text.lines().any(|l| l.trim_start().starts_with('[')))
            .unwrap_or(false)
    })
}

/// What went wrong with an AWS call, in the terms a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsFailure {
    /// `InvalidAccessKeyId` (S3), `InvalidClientTokenId` (IAM, STS).
    UnknownKey,
    /// `SignatureDoesNotMatch`.
    WrongSecret,
    NoSuchBucket,
    /// `AccessDenied`; the action is named by the caller.
    AccessDenied {
        action: &'static str,
    },
    /// The bucket lives in another region (when the answer says which, `region`).
    WrongRegion {
        region: Option<String>,
    },
    /// Connection refused, DNS failure, timeout.
    Unreachable {
        detail: String,
    },
    /// `RequestTimeTooSkewed`.
    ClockSkew,
    /// `NoSuchKey`, `NotFound`, 404.
    NotFound,
    Throttled,
    /// Anything else, with the service's code and message.
    Other {
        code: String,
        message: String,
    },
}

impl AwsFailure {
    /// Classifies an SDK error; `action` (e.g. `s3:GetObject`) is named in access errors.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>, action: &'static str) -> AwsFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::DispatchFailure(_) => AwsFailure::Unreachable {
                // The innermost cause says it best ("Connection refused (os error 111)").
                detail: innermost_cause(err),
            },
            SdkError::TimeoutError(_) => AwsFailure::Unreachable {
                detail: "timed out".into(),
            },
            SdkError::ServiceError(service) => {
                let e = service.err();
                let raw = service.raw();
                let region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
                let status = Some(raw.status().as_u16());
                AwsFailure::from_code(e.code(), e.message(), status, region, action)
            }
            other => AwsFailure::Other {
                code: "ResponseError".into(),
                message: aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
            },
        }
    }

    fn from_code(
        code: Option<&str>,
        message: Option<&str>,
        status: Option<u16>,
        region: Option<String>,
        action: &'static str,
    ) -> AwsFailure {
        match code {
            Some("InvalidAccessKeyId" | "InvalidClientTokenId") => AwsFailure::UnknownKey,
            Some("SignatureDoesNotMatch" | "IncompleteSignature") => AwsFailure::WrongSecret,
            Some("NoSuchBucket") => AwsFailure::NoSuchBucket,
            Some("AccessDenied" | "AccessDeniedException" | "AllAccessDisabled") => {
                AwsFailure::AccessDenied { action }
            }
            Some("RequestTimeTooSkewed") => AwsFailure::ClockSkew,
            Some(
                "PermanentRedirect"
                | "AuthorizationHeaderMalformed"
                | "IllegalLocationConstraintException",
            ) => AwsFailure::WrongRegion { region },
            Some("NoSuchKey" | "NotFound" | "NoSuchEntity") => AwsFailure::NotFound,
            Some("Throttling" | "ThrottlingException" | "SlowDown" | "RequestLimitExceeded") => {
                AwsFailure::Throttled
            }
            _ => match status {
                Some(301) => AwsFailure::WrongRegion { region },
                Some(403) => AwsFailure::AccessDenied { action },
                Some(404) => AwsFailure::NotFound,
                _ => AwsFailure::Other {
                    code: code.unwrap_or("Unknown").to_owned(),
                    message: message.unwrap_or_default().to_owned(),
                },
            },
        }
    }

    /// A plain-words hint for fixing it.
    pub fn hint(&self, lang: Language) -> Option<String> {
        let text = match self {
            AwsFailure::UnknownKey => lang.pick(
                "AWS 콘솔 → IAM → 사용자 → 보안 자격 증명에서 키가 있는지, 활성 상태인지 확인하고 액세스 키 ID를 다시 복사하세요.",
                "In the AWS console → IAM → Users → Security credentials, check that the key exists and is active, and copy the Access Key ID again.",
            ),
            AwsFailure::WrongSecret => lang.pick(
                "비밀 액세스 키를 다시 붙여 넣으세요. 앞뒤 공백이 없는지 확인하세요. 잃어버렸다면 새 키를 만드세요.",
                "Paste the Secret Access Key again, without spaces around it. If it is lost, create a new key.",
            ),
            AwsFailure::NoSuchBucket => lang.pick(
                "버킷 이름의 철자를 확인하세요. 버킷 이름은 소문자입니다.",
                "Check the bucket name's spelling; bucket names are lowercase.",
            ),
            AwsFailure::AccessDenied { action } => {
                return Some(lang.pick(
                    format!("이 키의 IAM 정책에 {action} 권한을 추가하세요. (Bucketdesk의 CDN 리더 정책에는 필요한 권한만 들어 있습니다.)"),
                    format!("Add {action} to this key's IAM policy. (Bucketdesk's CDN reader policy grants exactly what is needed.)"),
                ));
            }
            AwsFailure::WrongRegion { .. } => lang.pick(
                "버킷이 있는 리전을 선택하세요. Bucketdesk는 가능하면 자동으로 고칩니다.",
                "Choose the region the bucket is in; Bucketdesk corrects it automatically when it can.",
            ),
            AwsFailure::Unreachable { .. } => lang.pick(
                "네트워크 연결과 엔드포인트 URL을 확인하세요. 프록시나 방화벽이 막고 있을 수 있습니다.",
                "Check the network connection and the endpoint URL; a proxy or firewall may be blocking it.",
            ),
            AwsFailure::ClockSkew => lang.pick(
                "이 컴퓨터의 시계를 자동 시간 동기화로 맞추세요. 서명된 요청은 15분 이상 어긋나면 거부됩니다.",
                "Set this computer's clock to synchronize automatically: signed requests are refused when it is off by more than 15 minutes.",
            ),
            AwsFailure::NotFound => return None,
            AwsFailure::Throttled => lang.pick(
                "잠시 후 다시 시도하세요.",
                "Wait a moment and try again.",
            ),
            AwsFailure::Other { .. } => return None,
        };
        Some(text.to_owned())
    }
}

fn innermost_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl Described for AwsFailure {
    fn code(&self) -> ErrorCode {
        match self {
            AwsFailure::UnknownKey => ErrorCode::UnknownKey,
            AwsFailure::WrongSecret => ErrorCode::WrongSecret,
            AwsFailure::NoSuchBucket => ErrorCode::NoSuchBucket,
            AwsFailure::AccessDenied { .. } => ErrorCode::AccessDenied,
            AwsFailure::WrongRegion { .. } => ErrorCode::WrongRegion,
            AwsFailure::Unreachable { .. } => ErrorCode::Unreachable,
            AwsFailure::ClockSkew => ErrorCode::ClockSkew,
            AwsFailure::NotFound => ErrorCode::NotFound,
            AwsFailure::Throttled => ErrorCode::Throttled,
            AwsFailure::Other { .. } => ErrorCode::Internal,
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            AwsFailure::UnknownKey => lang.pick(
                "이 액세스 키 ID는 존재하지 않습니다(삭제되었거나 잘못 복사됨).".into(),
                "This Access Key ID does not exist (deleted, or copied wrong).".into(),
            ),
            AwsFailure::WrongSecret => lang.pick(
                "비밀 액세스 키가 이 액세스 키 ID와 맞지 않습니다.".into(),
                "The Secret Access Key does not match this Access Key ID.".into(),
            ),
            AwsFailure::NoSuchBucket => lang.pick(
                "그런 버킷이 없습니다.".into(),
                "There is no such bucket.".into(),
            ),
            AwsFailure::AccessDenied { action } => lang.pick(
                format!("이 키에는 {action} 권한이 없습니다."),
                format!("This key is not allowed {action}."),
            ),
            AwsFailure::WrongRegion { region: Some(r) } => lang.pick(
                format!("버킷은 {r} 리전에 있습니다."),
                format!("The bucket is in region {r}."),
            ),
            AwsFailure::WrongRegion { region: None } => lang.pick(
                "버킷이 다른 리전에 있습니다.".into(),
                "The bucket is in another region.".into(),
            ),
            AwsFailure::Unreachable { detail } => lang.pick(
                format!("엔드포인트에 연결할 수 없습니다: {detail}"),
                format!("The endpoint cannot be reached: {detail}"),
            ),
            AwsFailure::ClockSkew => lang.pick(
                "이 컴퓨터의 시계가 너무 많이 어긋나 있습니다.".into(),
                "This computer's clock is too far off.".into(),
            ),
            AwsFailure::NotFound => lang.pick("찾을 수 없습니다.".into(), "Not found.".into()),
            AwsFailure::Throttled => lang.pick(
                "요청이 너무 많아 AWS가 속도를 제한했습니다.".into(),
                "AWS is throttling the requests.".into(),
            ),
            AwsFailure::Other { code, message } => lang.pick(
                format!("AWS 오류 {code}: {message}"),
                format!("AWS error {code}: {message}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_map_to_failures() {
        let f =
            |code: &str| AwsFailure::from_code(Some(code), None, Some(400), None, "s3:GetObject");
        assert_eq!(f("InvalidAccessKeyId"), AwsFailure::UnknownKey);
        assert_eq!(f("InvalidClientTokenId"), AwsFailure::UnknownKey);
        assert_eq!(f("SignatureDoesNotMatch"), AwsFailure::WrongSecret);
        assert_eq!(f("NoSuchBucket"), AwsFailure::NoSuchBucket);
        assert_eq!(
            f("AccessDenied"),
            AwsFailure::AccessDenied {
                action: "s3:GetObject"
            }
        );
        assert_eq!(f("RequestTimeTooSkewed"), AwsFailure::ClockSkew);
        assert!(matches!(
            f("PermanentRedirect"),
            AwsFailure::WrongRegion { .. }
        ));
        // HEAD answers carry no code: the status decides.
        assert_eq!(
            AwsFailure::from_code(None, None, Some(403), None, "s3:GetObject"),
            AwsFailure::AccessDenied {
                action: "s3:GetObject"
            }
        );
        assert_eq!(
            AwsFailure::from_code(None, None, Some(301), Some("eu-west-1".into()), "x"),
            AwsFailure::WrongRegion {
                region: Some("eu-west-1".into())
            }
        );
    }

    #[test]
    fn profiles_come_from_both_shared_files() {
        let config = "[default]\nregion = us-east-1\n[profile admin]\n[sso-session corp]\n[profile  shop ]\n";
        let credentials = "[default]\naws_access_key_id = x\n[ci]\n";
        assert_eq!(
            profiles_in(config, credentials),
            ["admin", "ci", "default", "shop"]
        );
        assert!(profiles_in("", "").is_empty());
    }

    #[test]
    fn access_denied_names_the_action_in_both_languages() {
        let f = AwsFailure::AccessDenied {
            action: "s3:ListBucket",
        };
        assert!(f.describe(Language::En).contains("s3:ListBucket"));
        assert!(f.describe(Language::Ko).contains("s3:ListBucket"));
        assert!(f.hint(Language::Ko).unwrap().contains("s3:ListBucket"));
    }
}
