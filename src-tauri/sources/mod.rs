//! CDN sources: what the CDN's "Add Source → Amazon S3" form holds, validated, verified,
//! and kept with the secret in the OS keychain only.

pub mod browse;
pub mod handoff;
mod intake;
pub use intake::{FieldCheck, FormField};
pub mod production;
pub mod status;
pub mod verify;

use serde::{Deserialize, Serialize};

use crate::aws::Target;
use crate::config::{ConfigError, ConfigStore, LastVerified, SourceConfig};
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::{Keychain, SecretError, SecretString};

/// The production CDN's host; local preview URLs come with the local CDN.
pub const CDN_BASE: &str = crate::config::PRODUCTION_CDN_BASE;
/// The region assumed until the bucket says otherwise (where `GetBucketLocation` is answered
/// for buckets of every region).
pub const DEFAULT_REGION: &str = "us-east-1";

/// A key and where to use it, as typed in the wizard (the secret only on the way in).
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub access_key_id: String,
    #[specta(type = String)]
    pub secret_access_key: SecretString,
}

/// Everything needed to add a source.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceInput {
    pub name: String,
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub bucket: String,
    pub base_path: String,
    pub access_key_id: String,
    #[specta(type = String)]
    pub secret_access_key: SecretString,
}

impl SourceInput {
    pub fn credentials(&self) -> Credentials {
        Credentials {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
        }
    }
}

/// A new key for an existing source.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    pub access_key_id: String,
    #[specta(type = String)]
    pub secret_access_key: SecretString,
}

/// The editable, non-secret fields of a source, and optionally a replacement key.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceUpdate {
    pub bucket: String,
    pub region: Option<String>,
    pub base_path: String,
    pub endpoint_url: Option<String>,
    pub new_key: Option<NewKey>,
}

/// A row of the source list: never the secret; the key ID masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceSummary {
    pub name: String,
    pub bucket: String,
    pub region: String,
    pub base_path: String,
    pub key_id_masked: String,
    pub endpoint_url: Option<String>,
    pub added_at: String,
    pub last_verified: Option<LastVerified>,
}

impl From<&SourceConfig> for SourceSummary {
    fn from(s: &SourceConfig) -> Self {
        SourceSummary {
            name: s.name.clone(),
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            base_path: s.base_path.clone(),
            key_id_masked: crate::secrets::mask_key_id(&s.access_key_id),
            endpoint_url: s.endpoint_url.clone(),
            added_at: s.added_at.clone(),
            last_verified: s.last_verified.clone(),
        }
    }
}

/// A field the user typed, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Bucket,
    BasePath,
    EndpointUrl,
    Region,
    AccessKeyId,
    SecretAccessKey,
    Key,
    Expiry,
}

impl Field {
    fn label(self, lang: Language) -> &'static str {
        match self {
            Field::Name => lang.pick("고유 식별자", "Unique identifier"),
            Field::Bucket => lang.pick("버킷", "Bucket"),
            Field::BasePath => "BasePath",
            Field::EndpointUrl => lang.pick("엔드포인트 URL", "Endpoint URL"),
            Field::Region => lang.pick("리전", "Region"),
            Field::AccessKeyId => lang.pick("액세스 키 ID", "Access Key ID"),
            Field::SecretAccessKey => lang.pick("비밀 액세스 키", "Secret Access Key"),
            Field::Key => lang.pick("객체 키", "Object key"),
            Field::Expiry => lang.pick("만료", "Expiry"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("invalid {field:?}: {rule_en}")]
    Invalid {
        field: Field,
        rule_ko: &'static str,
        rule_en: &'static str,
    },
    #[error("a source named {0} already exists")]
    NameTaken(String),
    #[error("no source named {0}")]
    NoSuchSource(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{0:?}")]
    Aws(crate::aws::AwsFailure),
    #[error("verification failed")]
    NotVerified(Box<verify::VerifyReport>),
}

impl Described for SourceError {
    fn code(&self) -> ErrorCode {
        match self {
            SourceError::Invalid { .. } | SourceError::NotVerified(_) => ErrorCode::InvalidInput,
            SourceError::NameTaken(_) => ErrorCode::NameTaken,
            SourceError::NoSuchSource(_) => ErrorCode::NotFound,
            SourceError::Config(e) => e.code(),
            SourceError::Secret(e) => e.code(),
            SourceError::Aws(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            SourceError::Invalid {
                field,
                rule_ko,
                rule_en,
            } => format!("{}: {}", field.label(lang), lang.pick(*rule_ko, *rule_en)),
            SourceError::NameTaken(name) => lang.pick(
                format!("고유 식별자: '{name}'은(는) 이미 다른 소스가 쓰고 있습니다."),
                format!("Unique identifier: '{name}' is already used by another source."),
            ),
            SourceError::NoSuchSource(name) => lang.pick(
                format!("'{name}'라는 소스가 없습니다."),
                format!("There is no source named '{name}'."),
            ),
            SourceError::Config(e) => e.describe(lang),
            SourceError::Secret(e) => e.describe(lang),
            SourceError::Aws(e) => e.describe(lang),
            SourceError::NotVerified(report) => {
                let failed: Vec<String> = report
                    .checks
                    .iter()
                    .filter(|c| c.status == verify::CheckStatus::Failed)
                    .map(|c| c.message.clone())
                    .collect();
                lang.pick(
                    format!("검증에 실패해 저장하지 않았습니다: {}", failed.join(" ")),
                    format!("Not saved: verification failed. {}", failed.join(" ")),
                )
            }
        }
    }
}

fn invalid(field: Field, rule_ko: &'static str, rule_en: &'static str) -> SourceError {
    SourceError::Invalid {
        field,
        rule_ko,
        rule_en,
    }
}

/// The unique identifier: 3–63 lowercase letters, digits and hyphens, no hyphen at either end.
pub fn validate_name(name: &str) -> Result<(), SourceError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(3..=63).contains(&name.len()) || !ok_chars || name.starts_with('-') || name.ends_with('-')
    {
        return Err(invalid(
            Field::Name,
            "3~63자의 영문 소문자, 숫자, 하이픈(-)만 쓸 수 있고 하이픈으로 시작하거나 끝날 수 없습니다.",
            "use 3 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
        ));
    }
    Ok(())
}

/// S3 bucket naming rules (the general-purpose bucket subset that matters for typing).
pub fn validate_bucket(bucket: &str) -> Result<(), SourceError> {
    let bytes = bucket.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && !bucket.contains("..");
    if !ok {
        return Err(invalid(
            Field::Bucket,
            "3~63자의 영문 소문자, 숫자, 점, 하이픈으로 된 버킷 이름이어야 합니다.",
            "must be a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens.",
        ));
    }
    Ok(())
}

/// `/`, `/assets`, `assets/`, `//assets//img/` → `/`, `/assets`, `/assets`, `/assets/img`.
pub fn normalize_base_path(path: &str) -> Result<String, SourceError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(invalid(
            Field::BasePath,
            "'.'이나 '..' 경로 조각은 쓸 수 없습니다.",
            "'.' and '..' segments are not allowed.",
        ));
    }
    if path.chars().any(char::is_control) || path.len() > 512 {
        return Err(invalid(
            Field::BasePath,
            "제어 문자 없이 512자 이하여야 합니다.",
            "must be at most 512 characters without control characters.",
        ));
    }
    Ok(format!("/{}", segments.join("/")))
}

/// An endpoint URL: `http(s)://host[:port][/path]`, trailing slash removed. Empty → `None`.
pub fn normalize_endpoint(url: Option<&str>) -> Result<Option<String>, SourceError> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains('@')
    });
    if !host_ok {
        return Err(invalid(
            Field::EndpointUrl,
            "http:// 또는 https://로 시작하는 URL이어야 합니다(예: https://s3.example.com).",
            "must be a URL starting with http:// or https:// (e.g. https://s3.example.com).",
        ));
    }
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

pub fn validate_region(region: &str) -> Result<(), SourceError> {
    let ok = (2..=32).contains(&region.len())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(invalid(
            Field::Region,
            "ap-northeast-2 같은 리전 코드여야 합니다.",
            "must be a region code such as ap-northeast-2.",
        ));
    }
    Ok(())
}

/// Checks the key pair's shape (not whether it works).
pub fn validate_key(key_id: &str, secret: &SecretString) -> Result<(), SourceError> {
    if !(16..=128).contains(&key_id.len()) || !key_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            Field::AccessKeyId,
            "16~128자의 영문 대문자와 숫자여야 합니다(예: AKIA로 시작).",
            "must be 16 to 128 letters and digits (e.g. starting with AKIA).",
        ));
    }
    let s = secret.expose();
    if s.is_empty() || s.len() > 256 || s.chars().any(char::is_whitespace) {
        return Err(invalid(
            Field::SecretAccessKey,
            "비어 있지 않고 공백이 없어야 합니다.",
            "must not be empty or contain spaces.",
        ));
    }
    Ok(())
}

/// The object key in the bucket for a key relative to the BasePath.
pub fn full_key(base_path: &str, relative: &str) -> String {
    let base = base_path.trim_matches('/');
    let relative = relative.trim_start_matches('/');
    if base.is_empty() {
        relative.to_owned()
    } else {
        format!("{base}/{relative}")
    }
}

/// The key relative to the BasePath for an object key in the bucket.
pub fn relative_key<'a>(base_path: &str, full: &'a str) -> &'a str {
    let base = base_path.trim_matches('/');
    if base.is_empty() {
        full
    } else {
        full.strip_prefix(base)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(full)
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay as they are).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The production CDN URL of an object on Weekerp's default base:
/// `https://cdn.weekerp.com/image/{name}/{path}` (see [`cdn_url_at`]).
pub fn cdn_url(name: &str, relative: &str) -> String {
    cdn_url_at(CDN_BASE, name, relative)
}

/// The production CDN URL of an object, `{base}/image/{name}/{path}`, with the path
/// relative to the BasePath (the CDN prefixes the BasePath itself), each segment
/// percent-encoded. `base` is the settings' `productionCdnBase`.
pub fn cdn_url_at(base: &str, name: &str, relative: &str) -> String {
    let path: Vec<String> = relative
        .trim_start_matches('/')
        .split('/')
        .map(encode_segment)
        .collect();
    format!(
        "{}/image/{}/{}",
        base.trim_end_matches('/'),
        encode_segment(name),
        path.join("/")
    )
}

/// Now, as RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    aws_sdk_s3::primitives::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// The sources of one config and one keychain.
#[derive(Debug, Clone)]
pub struct Sources {
    store: ConfigStore,
    keychain: Keychain,
}

impl Sources {
    pub fn new(store: ConfigStore, keychain: Keychain) -> Self {
        Sources { store, keychain }
    }

    pub fn store(&self) -> &ConfigStore {
        &self.store
    }

    pub fn list(&self) -> Result<Vec<SourceSummary>, SourceError> {
        Ok(self.store.load()?.sources.iter().map(Into::into).collect())
    }

    /// Where production image URLs point: the settings' `productionCdnBase`.
    pub fn production_cdn_base(&self) -> Result<String, SourceError> {
        Ok(self.store.load()?.settings.production_cdn_base().to_owned())
    }

    pub fn get(&self, name: &str) -> Result<SourceConfig, SourceError> {
        self.store
            .load()?
            .sources
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| SourceError::NoSuchSource(name.to_owned()))
    }

    /// The endpoint, region and key of a saved source (the secret from the keychain).
    pub fn target(&self, source: &SourceConfig) -> Result<Target, SourceError> {
        Ok(Target {
            endpoint_url: source.endpoint_url.clone(),
            region: source.region.clone(),
            access_key_id: source.access_key_id.clone(),
            secret: self.keychain.get(&source.access_key_id)?,
        })
    }

    /// Checks and normalizes an input without any network call; the field is named.
    pub fn validate(&self, input: &SourceInput) -> Result<SourceInput, SourceError> {
        validate_name(&input.name)?;
        validate_bucket(&input.bucket)?;
        validate_key(&input.access_key_id, &input.secret_access_key)?;
        if let Some(r) = &input.region {
            validate_region(r)?;
        }
        let mut input = input.clone();
        input.base_path = normalize_base_path(&input.base_path)?;
        input.endpoint_url = normalize_endpoint(input.endpoint_url.as_deref())?;
        if self
            .store
            .load()?
            .sources
            .iter()
            .any(|s| s.name == input.name)
        {
            return Err(SourceError::NameTaken(input.name));
        }
        Ok(input)
    }

    /// Saves a verified source: the secret into the keychain first (nothing is saved when
    /// the keychain fails), then the config; if the config write fails the keychain entry
    /// is taken back out (unless another source uses the same key).
    pub fn add(
        &self,
        input: &SourceInput,
        report: &verify::VerifyReport,
    ) -> Result<SourceSummary, SourceError> {
        let input = self.validate(input)?;
        if !report.ok {
            return Err(SourceError::NotVerified(Box::new(report.clone())));
        }
        self.keychain
            .store(&input.access_key_id, &input.secret_access_key)?;
        let source = SourceConfig {
            name: input.name.clone(),
            bucket: input.bucket.clone(),
            region: report.region.clone(),
            base_path: input.base_path.clone(),
            access_key_id: input.access_key_id.clone(),
            endpoint_url: input.endpoint_url.clone(),
            added_at: now_rfc3339(),
            last_verified: Some(LastVerified {
                at: now_rfc3339(),
                ok: true,
            }),
            checksums_when_required: false,
        };
        let saved = self.store.update(|c| {
            if c.sources.iter().any(|s| s.name == source.name) {
                return Ok(false);
            }
            c.sources.push(source.clone());
            Ok(true)
        });
        match saved {
            Ok(true) => Ok((&source).into()),
            Ok(false) => Err(SourceError::NameTaken(source.name)),
            Err(e) => {
                self.forget_secret_unless_used(&input.access_key_id);
                Err(e.into())
            }
        }
    }

    /// Removes the source, then its keychain entry (kept while another source uses the key).
    pub fn remove(&self, name: &str) -> Result<(), SourceError> {
        let removed = self.store.update(|c| {
            let at = c.sources.iter().position(|s| s.name == name);
            if at.is_some() {
                c.weekerp.remove(name);
            }
            Ok(at.map(|i| c.sources.remove(i)))
        })?;
        let removed = removed.ok_or_else(|| SourceError::NoSuchSource(name.to_owned()))?;
        let still_used = self
            .store
            .load()?
            .sources
            .iter()
            .any(|s| s.access_key_id == removed.access_key_id);
        if !still_used {
            self.keychain.delete(&removed.access_key_id)?;
        }
        Ok(())
    }

    /// Changes the non-secret fields and, when given, the key. A new key is verified first
    /// (with the edited bucket, BasePath and endpoint); when it does not verify nothing
    /// changes, and the old key and its secret stay. Then the new secret is stored, the
    /// config points at the new key, and the old secret is removed.
    ///
    /// With a new key this blocks while verifying (on a thread of its own, so it may be
    /// called from async code too); async callers should prefer [`Sources::update_verified`].
    pub fn update(&self, name: &str, update: &SourceUpdate) -> Result<SourceSummary, SourceError> {
        if update.new_key.is_none() {
            return self.apply_update(name, update);
        }
        let lang = self
            .store
            .load()
            .ok()
            .and_then(|c| c.settings.language)
            .unwrap_or_else(Language::from_os);
        std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<SourceSummary, SourceError> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|source| ConfigError::Io {
                            action: "start a runtime for",
                            path: self.store.path(),
                            source,
                        })?;
                    runtime.block_on(self.update_verified(name, update, lang))
                })
                .join()
                .expect("the verification thread does not panic")
        })
    }

    /// [`Sources::update`], verifying a new key first without blocking.
    pub async fn update_verified(
        &self,
        name: &str,
        update: &SourceUpdate,
        lang: Language,
    ) -> Result<SourceSummary, SourceError> {
        if let Some(key) = &update.new_key {
            validate_bucket(&update.bucket)?;
            if let Some(r) = &update.region {
                validate_region(r)?;
            }
            validate_key(&key.access_key_id, &key.secret_access_key)?;
            let base_path = normalize_base_path(&update.base_path)?;
            let endpoint_url = normalize_endpoint(update.endpoint_url.as_deref())?;
            let old = self.get(name)?;
            let credentials = Credentials {
                endpoint_url,
                region: update.region.clone().or(Some(old.region.clone())),
                access_key_id: key.access_key_id.clone(),
                secret_access_key: key.secret_access_key.clone(),
            };
            let report = verify::verify(
                &verify::Subject {
                    credentials: &credentials,
                    bucket: &update.bucket,
                    base_path: &base_path,
                    name: Some(name),
                    production_base: &self.production_cdn_base()?,
                },
                lang,
            )
            .await;
            if !report.ok {
                return Err(SourceError::NotVerified(Box::new(report)));
            }
        }
        self.apply_update(name, update)
    }

    fn apply_update(
        &self,
        name: &str,
        update: &SourceUpdate,
    ) -> Result<SourceSummary, SourceError> {
        validate_bucket(&update.bucket)?;
        if let Some(r) = &update.region {
            validate_region(r)?;
        }
        let base_path = normalize_base_path(&update.base_path)?;
        let endpoint_url = normalize_endpoint(update.endpoint_url.as_deref())?;
        let old = self.get(name)?;
        if let Some(key) = &update.new_key {
            validate_key(&key.access_key_id, &key.secret_access_key)?;
            self.keychain
                .store(&key.access_key_id, &key.secret_access_key)?;
        }
        let result = self.store.update(|c| {
            let Some(s) = c.sources.iter_mut().find(|s| s.name == name) else {
                return Ok(None);
            };
            s.bucket = update.bucket.clone();
            if let Some(r) = &update.region {
                s.region = r.clone();
            }
            s.base_path = base_path.clone();
            s.endpoint_url = endpoint_url.clone();
            if let Some(key) = &update.new_key {
                s.access_key_id = key.access_key_id.clone();
                s.added_at = now_rfc3339();
            }
            s.last_verified = None;
            Ok(Some(SourceSummary::from(&*s)))
        });
        match result {
            Ok(Some(summary)) => {
                if update.new_key.is_some() {
                    self.forget_secret_unless_used(&old.access_key_id);
                }
                Ok(summary)
            }
            Ok(None) => Err(SourceError::NoSuchSource(name.to_owned())),
            Err(e) => {
                if let Some(key) = &update.new_key
                    && key.access_key_id != old.access_key_id
                {
                    self.forget_secret_unless_used(&key.access_key_id);
                }
                Err(e.into())
            }
        }
    }

    /// Verifies a saved source with its keychain secret and records the outcome.
    pub async fn verify_saved(
        &self,
        name: &str,
        lang: Language,
    ) -> Result<verify::VerifyReport, SourceError> {
        let source = self.get(name)?;
        let target = self.target(&source)?;
        let credentials = Credentials {
            endpoint_url: target.endpoint_url,
            region: Some(target.region),
            access_key_id: target.access_key_id,
            secret_access_key: target.secret,
        };
        let report = verify::verify(
            &verify::Subject {
                credentials: &credentials,
                bucket: &source.bucket,
                base_path: &source.base_path,
                name: Some(&source.name),
                production_base: &self.production_cdn_base()?,
            },
            lang,
        )
        .await;
        self.record_verification(name, report.ok)?;
        Ok(report)
    }

    /// Records the outcome of a verification of a saved source.
    pub fn record_verification(&self, name: &str, ok: bool) -> Result<(), SourceError> {
        self.store.update(|c| {
            if let Some(s) = c.sources.iter_mut().find(|s| s.name == name) {
                s.last_verified = Some(LastVerified {
                    at: now_rfc3339(),
                    ok,
                });
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Points a source at another key whose secret is already in the keychain (key
    /// rotation); the old key's secret stays until the rotation retires it.
    pub fn switch_key(&self, name: &str, new_key_id: &str) -> Result<(), SourceError> {
        self.keychain.get(new_key_id)?;
        let found = self.store.update(|c| {
            let Some(s) = c.sources.iter_mut().find(|s| s.name == name) else {
                return Ok(false);
            };
            s.access_key_id = new_key_id.to_owned();
            s.added_at = now_rfc3339();
            Ok(true)
        })?;
        if found {
            Ok(())
        } else {
            Err(SourceError::NoSuchSource(name.to_owned()))
        }
    }

    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    /// The sources that use `key_id`, by name.
    pub fn using_key(&self, key_id: &str) -> Result<Vec<String>, SourceError> {
        Ok(self
            .store
            .load()?
            .sources
            .into_iter()
            .filter(|s| s.access_key_id == key_id)
            .map(|s| s.name)
            .collect())
    }

    /// Verifies saved source `name` as it would be with another key whose secret is in the
    /// keychain (a key just created: retried while IAM propagates). Changes nothing.
    pub async fn verify_with_key(
        &self,
        name: &str,
        key_id: &str,
        lang: Language,
    ) -> Result<verify::VerifyReport, SourceError> {
        let config = self.get(name)?;
        let credentials = Credentials {
            endpoint_url: config.endpoint_url.clone(),
            region: Some(config.region.clone()),
            access_key_id: key_id.to_owned(),
            secret_access_key: self.keychain.get(key_id)?,
        };
        Ok(verify::until_propagated(
            &verify::Subject {
                credentials: &credentials,
                bucket: &config.bucket,
                base_path: &config.base_path,
                name: Some(name),
                production_base: &self.production_cdn_base()?,
            },
            lang,
        )
        .await)
    }

    pub(crate) fn forget_secret_unless_used(&self, key_id: &str) {
        let used = self
            .store
            .load()
            .map(|c| c.sources.iter().any(|s| s.access_key_id == key_id))
            .unwrap_or(true);
        if !used {
            let _ = self.keychain.delete(key_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_identifier_rules() {
        for ok in ["abc", "shop-images", "a1-b2", &"a".repeat(63)] {
            validate_name(ok).unwrap_or_else(|e| panic!("{ok} should pass: {e}"));
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "Abc",
            "ab_c",
            "한글이름",
            "a b c",
            &"a".repeat(64),
        ] {
            assert!(validate_name(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn base_paths_normalize() {
        for (input, want) in [
            ("", "/"),
            ("/", "/"),
            ("/assets", "/assets"),
            ("assets/", "/assets"),
            ("assets", "/assets"),
            ("//assets//img/", "/assets/img"),
            ("/제품 이미지/", "/제품 이미지"),
        ] {
            assert_eq!(normalize_base_path(input).unwrap(), want, "{input:?}");
        }
        assert!(normalize_base_path("/a/../b").is_err());
    }

    #[test]
    fn buckets_follow_s3_rules() {
        for ok in ["abc", "my.bucket-1", "bucketdesk-sandbox-photos"] {
            validate_bucket(ok).unwrap();
        }
        for bad in ["ab", "Bucket", "-abc", "abc.", "a..b", "a_b", "버킷"] {
            assert!(validate_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_normalize() {
        assert_eq!(normalize_endpoint(Some("")).unwrap(), None);
        assert_eq!(
            normalize_endpoint(Some("http://127.0.0.1:9000/"))
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert!(normalize_endpoint(Some("s3.example.com")).is_err());
        assert!(normalize_endpoint(Some("https://")).is_err());
    }

    #[test]
    fn keys_relate_to_the_base_path() {
        assert_eq!(full_key("/", "a/b.jpg"), "a/b.jpg");
        assert_eq!(full_key("/assets", "a/b.jpg"), "assets/a/b.jpg");
        assert_eq!(relative_key("/assets", "assets/a/b.jpg"), "a/b.jpg");
        assert_eq!(relative_key("/", "a/b.jpg"), "a/b.jpg");
    }

    #[test]
    fn cdn_urls_encode_korean_and_spaces_per_segment() {
        assert_eq!(
            cdn_url("shop", "제품 이미지/벚꽃 01.jpg"),
            "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg"
        );
        assert_eq!(
            cdn_url("shop", "a+b&c.png"),
            "https://cdn.weekerp.com/image/shop/a%2Bb%26c.png"
        );
    }

    #[test]
    fn field_errors_name_the_field() {
        let err = validate_name("X").unwrap_err();
        assert!(err.describe(Language::En).starts_with("Unique identifier:"));
        assert!(err.describe(Language::Ko).starts_with("고유 식별자:"));
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
}
