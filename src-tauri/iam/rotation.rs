//! Access key rotation for a source (DESIGN §4), as a persisted state machine: each step is
//! recorded (atomically) before the next begins, so a crash or a fault at any point leaves a
//! state that the next `rotate` finishes or rolls back. Never zero working keys for the
//! source, never a secret lost, never a third key.
//!
//! Steps: check the key count → create the new key (secret into the keychain first) →
//! verify it (bounded backoff while IAM propagates) → point the source at it → deactivate
//! the old key → delete it (when asked).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keys::{self, KeyError};
use crate::aws::AwsFailure;
use crate::config::ConfigError;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::SecretString;
use crate::sources::{SourceError, Sources};

/// Where a rotation is. Each value means "this has been done".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Started,
    NewKeyStored,
    Verified,
    SourceSwitched,
    OldDeactivated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub source: String,
    pub user: String,
    pub old_key: String,
    pub new_key: Option<String>,
    pub delete_old: bool,
    pub step: Step,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub source: String,
    pub user: String,
    pub old_key: String,
    pub new_key: String,
    /// `deleted` or `inactive`.
    pub old_key_state: String,
    /// Whether an interrupted rotation was finished first.
    pub resumed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("the user already has two keys")]
    TwoKeys { user: String, other: String },
    #[error("the new key did not verify")]
    NewKeyFailed(String),
    #[error("rolled back an interrupted rotation")]
    RolledBack,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl From<ConfigError> for RotationError {
    fn from(e: ConfigError) -> Self {
        RotationError::Source(e.into())
    }
}

impl Described for RotationError {
    fn code(&self) -> ErrorCode {
        match self {
            RotationError::TwoKeys { .. } => ErrorCode::InvalidInput,
            RotationError::NewKeyFailed(_) | RotationError::RolledBack => ErrorCode::Internal,
            RotationError::Key(e) => e.code(),
            RotationError::Source(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            RotationError::TwoKeys { user, other } => lang.pick(
                format!("{user}에게 이미 키가 두 개 있습니다(IAM 한도). 먼저 다른 키 {other}를 삭제하거나 --retire-older로 자동 정리하세요. 아무것도 바꾸지 않았습니다."),
                format!("{user} already has two keys (the IAM limit). Delete the other key {other} first, or pass --retire-older. Nothing was changed."),
            ),
            RotationError::NewKeyFailed(why) => lang.pick(
                format!("새 키가 검증되지 않아 삭제하고 원래 키를 유지했습니다: {why}"),
                format!("The new key did not verify, so it was deleted and the old key kept: {why}"),
            ),
            RotationError::RolledBack => lang.pick(
                "중단된 교체를 되돌렸습니다. 원래 키를 그대로 씁니다. 다시 실행하세요.".into(),
                "An interrupted rotation was rolled back; the source keeps its old key. Run it again.".into(),
            ),
            RotationError::Key(e) => e.describe(lang),
            RotationError::Source(e) => e.describe(lang),
        }
    }
}

/// Tests set `BUCKETDESK_FAULT_AFTER=<step>` to stop the process right after that step is
/// recorded, as a crash would.
const FAULT_ENV: &str = "BUCKETDESK_FAULT_AFTER";

fn record_path(sources: &Sources, source: &str) -> PathBuf {
    sources
        .store()
        .dir()
        .join(format!("rotation-{source}.json"))
}

fn save(sources: &Sources, record: &Record) -> Result<(), RotationError> {
    let path = record_path(sources, &record.source);
    std::fs::create_dir_all(sources.store().dir()).map_err(|source| ConfigError::Io {
        action: "create",
        path: sources.store().dir().to_owned(),
        source,
    })?;
    let json = serde_json::to_vec_pretty(record).expect("record serializes");
    crate::config::write_atomically(&path, &json)?;
    let step = serde_json::to_value(record.step).expect("step serializes");
    fault_point(step.as_str().unwrap_or_default());
    Ok(())
}

/// Ends the process here when the tests ask for a crash at this point.
fn fault_point(name: &str) {
    if std::env::var(FAULT_ENV).is_ok_and(|want| want == name) {
        std::process::exit(70);
    }
}

fn load(sources: &Sources, source: &str) -> Result<Option<Record>, RotationError> {
    let path = record_path(sources, source);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            ConfigError::Corrupt {
                path,
                detail: e.to_string(),
            }
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Io {
            action: "read",
            path,
            source,
        }
        .into()),
    }
}

fn finish(sources: &Sources, source: &str) {
    let _ = std::fs::remove_file(record_path(sources, source));
}

fn aws_err<E>(
    action: &'static str,
) -> impl Fn(aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> RotationError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| RotationError::Key(KeyError::Aws(AwsFailure::from_sdk(&e, action)))
}

/// Rotates the key of `source`, finishing or rolling back an interrupted rotation first.
/// With two keys already, refuses unless `retire_older`, which deletes the user's other key
/// (never one a source uses) before anything is created.
pub async fn rotate(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    retire_older: bool,
    delete_old: bool,
    lang: Language,
) -> Result<Outcome, RotationError> {
    if let Some(record) = load(sources, source)? {
        return resume(iam, sources, record, lang).await;
    }
    let config = sources.get(source)?;
    let old_key = config.access_key_id.clone();
    let user = keys::owner(iam, &old_key).await?;
    let existing = keys::list(iam, sources, &user).await?;
    if let Some(other) = existing.iter().find(|k| k.access_key_id != old_key) {
        if !retire_older || !other.sources.is_empty() {
            return Err(RotationError::TwoKeys {
                user,
                other: other.access_key_id.clone(),
            });
        }
        keys::delete(iam, sources, &other.access_key_id, false).await?;
        let _ = sources.keychain().delete(&other.access_key_id);
    }
    let record = Record {
        source: source.to_owned(),
        user,
        old_key,
        new_key: None,
        delete_old,
        step: Step::Started,
    };
    save(sources, &record)?;
    forward(iam, sources, record, false, lang).await
}

/// Finishes or rolls back every interrupted rotation of this config (what the app does at
/// start). Returns each source's result.
pub async fn resume_all(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    lang: Language,
) -> Vec<(String, Result<Outcome, RotationError>)> {
    let Ok(entries) = std::fs::read_dir(sources.store().dir()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("rotation-")?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    let mut results = Vec::new();
    for name in names {
        let result = match load(sources, &name) {
            Ok(Some(record)) => resume(iam, sources, record, lang).await,
            Ok(None) => continue,
            Err(e) => Err(e),
        };
        results.push((name, result));
    }
    results
}

/// Carries a recorded rotation on from where it stopped, or rolls it back when the new key
/// never became usable.
async fn resume(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: Record,
    lang: Language,
) -> Result<Outcome, RotationError> {
    match record.step {
        Step::Started => {
            // Stopped between creating the key and keeping its secret: that key is useless
            // (its secret is gone). Delete any key of the user that is neither the old one
            // nor in the keychain, so the count is back to one.
            let keys = keys::list(iam, sources, &record.user).await?;
            for k in keys.iter().filter(|k| k.access_key_id != record.old_key) {
                if k.sources.is_empty() && sources.keychain().get(&k.access_key_id).is_err() {
                    keys::delete(iam, sources, &k.access_key_id, false).await?;
                }
            }
            finish(sources, &record.source);
            Err(RotationError::RolledBack)
        }
        _ => forward(iam, sources, record, true, lang).await,
    }
}

async fn forward(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    mut record: Record,
    resumed: bool,
    lang: Language,
) -> Result<Outcome, RotationError> {
    if record.step == Step::Started {
        let created = iam
            .create_access_key()
            .user_name(&record.user)
            .send()
            .await
            .map_err(aws_err("iam:CreateAccessKey"))?;
        let key = created
            .access_key()
            .expect("CreateAccessKey answers with the key");
        // The worst moment to crash: the key exists and its secret is only in memory.
        fault_point("key_created");
        let secret = SecretString::new(key.secret_access_key());
        // The secret is kept before anything else happens.
        sources
            .keychain()
            .store(key.access_key_id(), &secret)
            .map_err(SourceError::from)?;
        record.new_key = Some(key.access_key_id().to_owned());
        record.step = Step::NewKeyStored;
        save(sources, &record)?;
    }
    let new_key = record.new_key.clone().expect("recorded with the step");

    if record.step == Step::NewKeyStored {
        if let Err(why) = verify_new_key(sources, &record.source, &new_key, lang).await {
            let _ = iam
                .delete_access_key()
                .user_name(&record.user)
                .access_key_id(&new_key)
                .send()
                .await;
            let _ = sources.keychain().delete(&new_key);
            finish(sources, &record.source);
            return Err(RotationError::NewKeyFailed(why));
        }
        record.step = Step::Verified;
        save(sources, &record)?;
    }

    if record.step == Step::Verified {
        sources.switch_key(&record.source, &new_key)?;
        record.step = Step::SourceSwitched;
        save(sources, &record)?;
    }

    if record.step == Step::SourceSwitched {
        keys::set_active(iam, sources, &record.old_key, false, true).await?;
        record.step = Step::OldDeactivated;
        save(sources, &record)?;
    }

    if record.delete_old {
        match keys::delete(iam, sources, &record.old_key, true).await {
            Ok(_) | Err(KeyError::Aws(AwsFailure::NotFound)) => {}
            Err(e) => return Err(e.into()),
        }
        sources.forget_secret_unless_used(&record.old_key);
    }
    finish(sources, &record.source);
    Ok(Outcome {
        source: record.source,
        user: record.user,
        old_key: record.old_key,
        new_key,
        old_key_state: if record.delete_old {
            "deleted"
        } else {
            "inactive"
        }
        .into(),
        resumed,
    })
}

/// Verifies the source as it would be with the new key, up to 5 times 1–8 s apart.
pub(crate) async fn verify_new_key(
    sources: &Sources,
    source: &str,
    new_key: &str,
    lang: Language,
) -> Result<(), String> {
    let config = sources.get(source).map_err(|e| e.describe(lang))?;
    let secret = sources
        .keychain()
        .get(new_key)
        .map_err(|e| e.describe(lang))?;
    let credentials = crate::sources::Credentials {
        endpoint_url: config.endpoint_url.clone(),
        region: Some(config.region.clone()),
        access_key_id: new_key.to_owned(),
        secret_access_key: secret,
    };
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=5 {
        let report = crate::sources::verify::verify(
            &crate::sources::verify::Subject {
                credentials: &credentials,
                bucket: &config.bucket,
                base_path: &config.base_path,
                name: Some(source),
            },
            lang,
        )
        .await;
        if report.ok {
            return Ok(());
        }
        if attempt == 5 {
            return Err(report
                .checks
                .iter()
                .filter(|c| c.status == crate::sources::verify::CheckStatus::Failed)
                .map(|c| c.message.clone())
                .collect::<Vec<_>>()
                .join(" "));
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    unreachable!("the loop returns on its last attempt")
}

/// The result of rotating a key no source uses.
#[derive(Debug)]
pub struct UserRotation {
    pub user: String,
    pub old_key: String,
    pub new_key: String,
    pub secret: SecretString,
    /// The user's older key deleted first (`--retire-older`).
    pub retired: Option<String>,
    /// `deleted` or `inactive`.
    pub old_key_state: String,
}

/// Rotates the key of a user that no source uses (an uploader's, say): a new key (secret
/// into the keychain first), then the old one deactivated, or deleted with `delete_old`.
/// Keys a source uses are refused (rotate the source instead). With two keys, refuses unless
/// `retire_older`, which deletes the older one first and rotates the newer; never a third key.
pub async fn rotate_user(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    user: &str,
    retire_older: bool,
    delete_old: bool,
    lang: Language,
) -> Result<UserRotation, RotationError> {
    let existing = keys::list(iam, sources, user).await?;
    if let Some(used) = existing.iter().find(|k| !k.sources.is_empty()) {
        return Err(KeyError::InUse {
            key: used.access_key_id.clone(),
            sources: used.sources.clone(),
        }
        .into());
    }
    let (retired, old) = match existing.as_slice() {
        [] => {
            return Err(KeyError::NoKey {
                user: user.to_owned(),
            }
            .into());
        }
        [only] => (None, only.access_key_id.clone()),
        [older, newer, ..] => {
            if !retire_older {
                return Err(RotationError::TwoKeys {
                    user: user.to_owned(),
                    other: older.access_key_id.clone(),
                });
            }
            keys::delete(iam, sources, &older.access_key_id, false).await?;
            let _ = sources.keychain().delete(&older.access_key_id);
            (
                Some(older.access_key_id.clone()),
                newer.access_key_id.clone(),
            )
        }
    };
    // Keychain first, the key deleted again if that fails (no source to bind here).
    let created = keys::create(iam, sources, user, None, lang).await?;
    keys::set_active(iam, sources, &old, false, false).await?;
    if delete_old {
        keys::delete(iam, sources, &old, false).await?;
        let _ = sources.keychain().delete(&old);
    }
    Ok(UserRotation {
        user: user.to_owned(),
        old_key: old,
        new_key: created.access_key_id,
        secret: created.secret,
        retired,
        old_key_state: if delete_old { "deleted" } else { "inactive" }.into(),
    })
}
