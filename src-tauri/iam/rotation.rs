//! Access key rotation for a source (DESIGN §4) in two phases, as a persisted state machine.
//!
//! Weekerp reads the bucket with the source's key from its own servers, so production must
//! keep a working key until Weekerp has the new one:
//!
//! - **Phase 1** ([`begin`]): create the new key (its secret into the keychain before
//!   anything else), verify it for every source that uses the old key, switch them all to
//!   it, and stop. The old key stays **Active**; the record says "rotation in progress" with
//!   the old key's last use (`GetAccessKeyLastUsed`) and when that was read.
//! - **Finish** ([`finish`]): deactivate the old key (refused first when it was used after
//!   the switch, unless the admin confirms), then delete it now, keep it inactive, or delete
//!   it after a grace period.
//! - **Cancel** ([`cancel`]): point the sources back at the old key and delete the new one.
//!
//! [`rotate`] is both phases at once (for keys no production system holds yet).
//!
//! Each step is recorded atomically (`rotation-{source}.json`) before the next begins, so a
//! crash at any point leaves a state that the next run finishes or rolls back, after
//! re-verifying the new key: never zero working keys, never a secret lost, never a third
//! key. A resume deletes only the key its record says it created, and stops (deleting
//! nothing) when the keychain cannot be read. One rotation per source at a time, across
//! processes: each source's `rotation-{source}.lock` is held for the whole run.

use std::fs::File;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::keys::{self, KeyError};
use crate::aws::AwsFailure;
use crate::config::ConfigError;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::{SecretError, SecretString, mask_key_id};
use crate::sources::{SourceError, Sources, now_rfc3339};

/// Where a rotation is. Each value means "this has been done".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The user's keys before the rotation are recorded; a new key may have been created.
    Started,
    NewKeyStored,
    Verified,
    /// Every source of the record uses the new key (phase 1 is done).
    SourceSwitched,
    OldDeactivated,
}

/// What happens to the old key when the rotation finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum OldKeyFate {
    /// Deactivated and kept (it can be activated again).
    KeepInactive,
    /// Deactivated, then deleted with its keychain entry.
    DeleteNow,
    /// Deactivated now, deleted once this many hours have passed (by a later finish or the
    /// next start of the app).
    DeleteAfter { hours: u32 },
}

/// The persisted state of one rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The source the rotation was asked for.
    pub source: String,
    /// Every source that used the old key (switched together), `source` first.
    #[serde(default)]
    pub sources: Vec<String>,
    pub user: String,
    pub old_key: String,
    /// The key this rotation created: the only key it will ever delete.
    pub new_key: Option<String>,
    /// One-shot rotations recorded from the start whether to delete the old key.
    pub delete_old: bool,
    pub step: Step,
    /// The user's keys when the rotation started: a key that is not among them, created
    /// after `started_at`, was created by this rotation even if a crash came before its ID
    /// was recorded.
    #[serde(default)]
    pub keys_before: Vec<String>,
    #[serde(default)]
    pub started_at: String,
    /// Stops after phase 1 and waits for Finish or Cancel.
    #[serde(default)]
    pub two_phase: bool,
    /// Set once finishing was asked for (one-shot rotations: from the start).
    #[serde(default)]
    pub finish: Option<OldKeyFate>,
    #[serde(default)]
    pub cancelling: bool,
    #[serde(default)]
    pub switched_at: Option<String>,
    #[serde(default)]
    pub old_key_last_used: Option<String>,
    #[serde(default)]
    pub last_used_read_at: Option<String>,
    /// When the old key is deleted (a grace period was chosen).
    #[serde(default)]
    pub delete_after: Option<String>,
}

/// Where a rotation stands, as the source list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RotationState {
    /// Interrupted before phase 1 was done; the next run finishes or rolls it back.
    Interrupted,
    /// Phase 1 done: the sources use the new key, the old one is still Active. Weekerp
    /// still needs the new key.
    AwaitingWeekerp,
    /// Finishing was asked for and is not done yet (interrupted).
    Finishing,
    /// The old key is inactive and will be deleted at `deleteAfter`.
    GracePeriod,
    /// Cancel was asked for and is not done yet (interrupted).
    Cancelling,
}

/// A rotation in progress, for the source list's badge and the hand-off panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RotationStatus {
    pub source: String,
    pub sources: Vec<String>,
    pub user: String,
    pub old_key: String,
    pub new_key: Option<String>,
    /// Both keys as lists show them (`AKIA…ABCD`).
    pub old_key_masked: String,
    pub new_key_masked: Option<String>,
    pub state: RotationState,
    /// The old key's last use as IAM reported it (RFC 3339), `None`: never used.
    pub old_key_last_used: Option<String>,
    /// When that was read (RFC 3339).
    pub last_used_read_at: Option<String>,
    pub switched_at: Option<String>,
    pub delete_after: Option<String>,
}

impl From<&Record> for RotationStatus {
    fn from(r: &Record) -> Self {
        let state = if r.cancelling {
            RotationState::Cancelling
        } else if r.step < Step::SourceSwitched {
            RotationState::Interrupted
        } else if r.step == Step::OldDeactivated && r.delete_after.is_some() {
            RotationState::GracePeriod
        } else if r.finish.is_some() {
            RotationState::Finishing
        } else {
            RotationState::AwaitingWeekerp
        };
        RotationStatus {
            source: r.source.clone(),
            sources: r.sources.clone(),
            user: r.user.clone(),
            old_key: r.old_key.clone(),
            new_key: r.new_key.clone(),
            old_key_masked: mask_key_id(&r.old_key),
            new_key_masked: r.new_key.as_deref().map(mask_key_id),
            state,
            old_key_last_used: r.old_key_last_used.clone(),
            last_used_read_at: r.last_used_read_at.clone(),
            switched_at: r.switched_at.clone(),
            delete_after: r.delete_after.clone(),
        }
    }
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

/// What a finish did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    pub source: String,
    pub sources: Vec<String>,
    pub old_key: String,
    pub new_key: String,
    /// `deleted`, `inactive`, or `inactive_until_deleted` (a grace period runs).
    pub old_key_state: String,
    pub delete_after: Option<String>,
}

/// What a cancel did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Cancelled {
    pub source: String,
    pub sources: Vec<String>,
    /// The key the sources use again.
    pub old_key: String,
    pub old_key_masked: String,
    /// The key that was deleted (`None` when the rotation had not created one yet).
    pub deleted_key: Option<String>,
}

impl Cancelled {
    fn of(record: &Record, deleted_key: Option<String>) -> Self {
        Cancelled {
            source: record.source.clone(),
            sources: record.sources.clone(),
            old_key: record.old_key.clone(),
            old_key_masked: mask_key_id(&record.old_key),
            deleted_key,
        }
    }
}

/// Which of the user's other key may be deleted to make room for the new one (IAM allows
/// two keys per user, inactive ones count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retire {
    /// None: with two keys, the rotation is refused.
    Nothing,
    /// The other key, only if it is Inactive and no source uses it.
    Inactive,
    /// The other key, only if it is this one (the admin named it) and no source uses it.
    Named(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("the user already has two keys")]
    TwoKeys {
        user: String,
        other: String,
        other_active: bool,
        used_by: Vec<String>,
    },
    #[error("the new key did not verify for {source_name}")]
    NewKeyFailed { source_name: String, why: String },
    #[error("the new key did not verify for {source_name}; nothing was changed")]
    NotVerifiedKept { source_name: String, why: String },
    #[error("rolled back an interrupted rotation")]
    RolledBack,
    #[error("a rotation of {0} is in progress")]
    InProgress(String),
    #[error("no rotation of {0} is in progress")]
    NoRotation(String),
    #[error("the old key was used after the switch")]
    OldKeyStillUsed {
        key: String,
        last_used: String,
        switched_at: String,
    },
    #[error("the keychain cannot be read: {0}")]
    KeychainUnavailable(SecretError),
    #[error("key {key} is still used by {sources:?}")]
    StillUsed { key: String, sources: Vec<String> },
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
            RotationError::TwoKeys { .. } => ErrorCode::KeyLimit,
            RotationError::NewKeyFailed { .. } | RotationError::NotVerifiedKept { .. } => {
                ErrorCode::AccessDenied
            }
            RotationError::RolledBack => ErrorCode::Internal,
            RotationError::InProgress(_) => ErrorCode::RotationInProgress,
            RotationError::NoRotation(_) => ErrorCode::NotFound,
            RotationError::OldKeyStillUsed { .. } => ErrorCode::OldKeyStillUsed,
            RotationError::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            RotationError::StillUsed { .. } => ErrorCode::InvalidInput,
            RotationError::Key(e) => e.code(),
            RotationError::Source(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            RotationError::TwoKeys {
                user,
                other,
                other_active,
                used_by,
            } => {
                let (ko, en) = if !used_by.is_empty() {
                    (
                        format!("다른 키 {other}는 소스 {}가 쓰고 있어 지울 수 없습니다.", used_by.join(", ")),
                        format!("The other key {other} is used by source {}, so it cannot be deleted.", used_by.join(", ")),
                    )
                } else if *other_active {
                    (
                        format!("다른 키 {other}는 활성 상태라 운영 환경이 쓰고 있을 수 있습니다. 먼저 비활성화하거나, 지워도 된다면 그 키를 직접 지정해 삭제하세요."),
                        format!("The other key {other} is Active, so production may be using it. Deactivate it first, or name that key explicitly to delete it."),
                    )
                } else {
                    (
                        format!("비활성 키 {other}를 먼저 삭제하세요(교체하면서 삭제하도록 선택할 수도 있습니다)."),
                        format!("Delete the inactive key {other} first (the rotation can delete it for you)."),
                    )
                };
                lang.pick(
                    format!("{user}에게 이미 키가 두 개 있습니다(IAM 한도). {ko} 아무것도 바꾸지 않았습니다."),
                    format!("{user} already has two keys (the IAM limit). {en} Nothing was changed."),
                )
            }
            RotationError::NewKeyFailed { source_name, why } => lang.pick(
                format!("새 키가 소스 '{source_name}'에서 검증되지 않아 새 키를 삭제하고 원래 키를 유지했습니다: {why}"),
                format!("The new key did not verify for source '{source_name}', so it was deleted and the old key kept: {why}"),
            ),
            RotationError::NotVerifiedKept { source_name, why } => lang.pick(
                format!("새 키가 소스 '{source_name}'에서 지금 검증되지 않아 아무것도 바꾸지 않았습니다. 소스는 새 키를, 이전 키는 활성 상태를 유지합니다. 잠시 후 다시 하거나 교체를 취소하세요: {why}"),
                format!("The new key does not verify for source '{source_name}' right now, so nothing was changed: the source keeps the new key and the old key stays Active. Try again in a moment, or cancel the rotation: {why}"),
            ),
            RotationError::RolledBack => lang.pick(
                "중단된 교체를 되돌렸습니다(rolled back). 원래 키를 그대로 씁니다. 다시 실행하세요.".into(),
                "An interrupted rotation was rolled back; the source keeps its old key. Run it again.".into(),
            ),
            RotationError::InProgress(source) => lang.pick(
                format!("소스 '{source}'의 키 교체가 진행 중입니다(a rotation of this source is in progress). 그 교체를 마치거나 취소한 뒤 다시 하세요."),
                format!("A rotation of this source ('{source}') is in progress. Finish or cancel it, then try again."),
            ),
            RotationError::NoRotation(source) => lang.pick(
                format!("소스 '{source}'에 진행 중인 키 교체가 없습니다."),
                format!("No key rotation of source '{source}' is in progress."),
            ),
            RotationError::OldKeyStillUsed {
                key,
                last_used,
                switched_at,
            } => lang.pick(
                format!("이전 키 {key}가 전환({switched_at}) 뒤인 {last_used}에 사용되었습니다. Weekerp가 아직 이전 키를 쓰고 있을 수 있습니다. Weekerp에 새 키를 등록했는지 확인한 뒤, 그래도 마치려면 확인하고 다시 하세요. 아무것도 바꾸지 않았습니다."),
                format!("The old key {key} was used at {last_used}, after the switch ({switched_at}): Weekerp may still be on it. Check that Weekerp has the new key; to finish anyway, confirm and finish again. Nothing was changed."),
            ),
            RotationError::KeychainUnavailable(e) => lang.pick(
                format!("키체인을 읽을 수 없어 중단된 교체를 그대로 두었습니다. 아무것도 삭제하지 않았습니다. 키체인 잠금을 풀고 다시 하세요. ({})", e.describe(lang)),
                format!("The keychain cannot be read, so the interrupted rotation was left as it is and nothing was deleted. Unlock the keychain and try again. ({})", e.describe(lang)),
            ),
            RotationError::StillUsed { key, sources } => lang.pick(
                format!("이전 키 {key}를 소스 {}가 아직 쓰고 있어 비활성화하지 않았습니다. 그 소스도 새 키로 바꾸세요.", sources.join(", ")),
                format!("The old key {key} is still used by source {}, so it was not deactivated. Switch that source to the new key too.", sources.join(", ")),
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

fn clear(sources: &Sources, source: &str) -> Result<(), RotationError> {
    match std::fs::remove_file(record_path(sources, source)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ConfigError::Io {
            action: "remove",
            path: record_path(sources, source),
            source: e,
        }
        .into()),
    }
}

/// The names of the sources that have a record (sorted).
fn recorded(sources: &Sources) -> Vec<String> {
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
    names
}

/// The record of another source's rotation that also switches `source` (a shared key).
fn covering(sources: &Sources, source: &str) -> Result<Option<Record>, RotationError> {
    for name in recorded(sources) {
        if name == source {
            continue;
        }
        if let Some(r) = load(sources, &name)?
            && r.sources.iter().any(|s| s == source)
        {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// The advisory locks of the sources a rotation works on, held until dropped (or the
/// process dies). Taken without waiting: a second rotation is refused, not queued.
struct Held {
    _files: Vec<File>,
}

fn lock(sources: &Sources, names: &[String]) -> Result<Held, RotationError> {
    let dir = sources.store().dir();
    std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io {
        action: "create",
        path: dir.to_owned(),
        source,
    })?;
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut files = Vec::new();
    for name in sorted {
        let path = dir.join(format!("rotation-{name}.lock"));
        let file = crate::config::lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => files.push(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(RotationError::InProgress(name.clone()));
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(ConfigError::Io {
                    action: "lock",
                    path,
                    source,
                }
                .into());
            }
        }
    }
    Ok(Held { _files: files })
}

/// Locks `source` and the sources sharing its key, and reads where its rotation is.
fn lock_with_record(
    sources: &Sources,
    source: &str,
) -> Result<(Held, Option<Record>), RotationError> {
    let held = lock(sources, &[source.to_owned()])?;
    if covering(sources, source)?.is_some() {
        // Another source's rotation switches this one too (they share the key).
        return Err(RotationError::InProgress(source.to_owned()));
    }
    let record = load(sources, source)?;
    let sharing: Vec<String> = match &record {
        Some(r) => r.sources.clone(),
        None => sharing_sources(sources, source)?,
    };
    let others: Vec<String> = sharing.into_iter().filter(|s| s != source).collect();
    let more = lock(sources, &others)?;
    let mut files = held._files;
    files.extend(more._files);
    Ok((Held { _files: files }, record))
}

/// `source` first, then every other source using the same key.
fn sharing_sources(sources: &Sources, source: &str) -> Result<Vec<String>, RotationError> {
    let config = sources.get(source)?;
    let mut names = vec![source.to_owned()];
    names.extend(
        sources
            .using_key(&config.access_key_id)?
            .into_iter()
            .filter(|s| s != source),
    );
    Ok(names)
}

fn iam_err<E>(
    action: &'static str,
) -> impl Fn(aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> RotationError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| RotationError::Key(KeyError::Aws(AwsFailure::from_sdk(&e, action)))
}

fn seconds(rfc3339: &str) -> Option<f64> {
    aws_sdk_iam::primitives::DateTime::from_str(
        rfc3339,
        aws_sdk_iam::primitives::DateTimeFormat::DateTime,
    )
    .ok()
    .map(|t| t.as_secs_f64())
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

fn rfc3339_at(secs: f64) -> String {
    aws_sdk_iam::primitives::DateTime::from_secs(secs as i64)
        .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// Makes room for the new key when the user has two, as `retire` allows, before anything
/// is created. Never an Active key the admin did not name, never one a source uses.
async fn make_room(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    user: &str,
    keep: &str,
    retire: &Retire,
) -> Result<Option<String>, RotationError> {
    let existing = keys::list(iam, sources, user).await?;
    let Some(other) = existing.iter().find(|k| k.access_key_id != keep) else {
        return Ok(None);
    };
    let active = other.status == "Active";
    let allowed = other.sources.is_empty()
        && match retire {
            Retire::Nothing => false,
            Retire::Inactive => !active,
            Retire::Named(id) => id == &other.access_key_id,
        };
    if !allowed {
        return Err(RotationError::TwoKeys {
            user: user.to_owned(),
            other: other.access_key_id.clone(),
            other_active: active,
            used_by: other.sources.clone(),
        });
    }
    keys::delete(iam, sources, &other.access_key_id, false).await?;
    Ok(Some(other.access_key_id.clone()))
}

/// Starts a rotation: checks, makes room, records `Started`.
async fn start(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    retire: &Retire,
    two_phase: bool,
    finish: Option<OldKeyFate>,
) -> Result<Record, RotationError> {
    let config = sources.get(source)?;
    let old_key = config.access_key_id.clone();
    let user = keys::owner(iam, &old_key).await?;
    make_room(iam, sources, &user, &old_key, retire).await?;
    let keys_before = keys::list(iam, sources, &user)
        .await?
        .into_iter()
        .map(|k| k.access_key_id)
        .collect();
    let record = Record {
        source: source.to_owned(),
        sources: sharing_sources(sources, source)?,
        user,
        old_key,
        new_key: None,
        delete_old: finish == Some(OldKeyFate::DeleteNow),
        step: Step::Started,
        keys_before,
        started_at: now_rfc3339(),
        two_phase,
        finish,
        cancelling: false,
        switched_at: None,
        old_key_last_used: None,
        last_used_read_at: None,
        delete_after: None,
    };
    save(sources, &record)?;
    Ok(record)
}

/// Phase 1: a new key, verified and switched to for every source that used the old key;
/// the old key stays Active. Returns the rotation's status ("awaiting Weekerp"). Resumes an
/// interrupted phase 1 first; for a rotation already waiting it re-verifies and returns it.
pub async fn begin(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    retire: Retire,
    lang: Language,
) -> Result<RotationStatus, RotationError> {
    let (_held, record) = lock_with_record(sources, source)?;
    let (record, resumed) = match record {
        Some(r) if r.finish.is_some() || r.cancelling => {
            return Err(RotationError::InProgress(source.to_owned()));
        }
        Some(r) => (r, true),
        None => (
            start(iam, sources, source, &retire, true, None).await?,
            false,
        ),
    };
    match drive(iam, sources, record, resumed, lang).await? {
        Driven::Waiting(r) => Ok((&r).into()),
        Driven::Finished(_) | Driven::Cancelled(_) => {
            unreachable!("a phase-1 record stops when the sources are switched")
        }
    }
}

/// Finishes a rotation waiting in phase 1 (or an interrupted finish): re-verifies the new
/// key, deactivates the old key, then deletes it as `fate` says. When the old key was used
/// after the switch, refuses with [`RotationError::OldKeyStillUsed`] unless
/// `confirmed_used`.
pub async fn finish(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    fate: OldKeyFate,
    confirmed_used: bool,
    lang: Language,
) -> Result<Finished, RotationError> {
    let (_held, record) = lock_with_record(sources, source)?;
    let Some(mut record) = record else {
        return Err(RotationError::NoRotation(source.to_owned()));
    };
    if record.cancelling {
        return Err(RotationError::InProgress(source.to_owned()));
    }
    if record.step < Step::SourceSwitched {
        // An interrupted phase 1: bring it to "switched" first (or roll it back).
        record = match drive(iam, sources, record, true, lang).await? {
            Driven::Waiting(r) => r,
            Driven::Finished(f) => return Ok(f),
            Driven::Cancelled(_) => unreachable!("not cancelling"),
        };
    }
    if record.step == Step::OldDeactivated
        && fate == OldKeyFate::DeleteNow
        && record.finish != Some(OldKeyFate::DeleteNow)
    {
        // A grace period runs and the admin asks to delete now.
        record.finish = Some(fate);
        record.delete_old = true;
        record.delete_after = None;
        save(sources, &record)?;
    }
    if record.finish.is_none() {
        let last_used = keys::last_used(iam, &record.old_key).await?;
        record.last_used_read_at = Some(now_rfc3339());
        record.old_key_last_used = last_used.clone();
        if let (Some(used), Some(switched)) = (&last_used, &record.switched_at)
            && seconds(used) > seconds(switched)
            && !confirmed_used
        {
            save(sources, &record)?;
            return Err(RotationError::OldKeyStillUsed {
                key: record.old_key.clone(),
                last_used: used.clone(),
                switched_at: switched.clone(),
            });
        }
        record.finish = Some(fate);
        record.delete_old = fate == OldKeyFate::DeleteNow;
        save(sources, &record)?;
    }
    match drive(iam, sources, record, true, lang).await? {
        Driven::Finished(f) => Ok(f),
        Driven::Waiting(r) => Ok(finished(&r, "inactive_until_deleted")),
        Driven::Cancelled(_) => unreachable!("not cancelling"),
    }
}

/// Cancels a rotation before it finished: the sources point at the old key again (after
/// checking that it still verifies), then the new key is deleted with its secret.
pub async fn cancel(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    lang: Language,
) -> Result<Cancelled, RotationError> {
    let (_held, record) = lock_with_record(sources, source)?;
    let Some(mut record) = record else {
        return Err(RotationError::NoRotation(source.to_owned()));
    };
    if record.step >= Step::OldDeactivated {
        // The old key is already deactivated: finishing is under way, not cancelling.
        return Err(RotationError::InProgress(source.to_owned()));
    }
    if !record.cancelling {
        record.cancelling = true;
        save(sources, &record)?;
    }
    match drive(iam, sources, record, true, lang).await? {
        Driven::Cancelled(c) => Ok(c),
        _ => unreachable!("a cancelling record ends cancelled"),
    }
}

/// The rotation in progress for `source` (its own or one of a source sharing its key), read
/// from the record only (no network).
pub fn status(sources: &Sources, source: &str) -> Result<Option<RotationStatus>, RotationError> {
    if let Some(r) = load(sources, source)? {
        return Ok(Some((&r).into()));
    }
    Ok(covering(sources, source)?.as_ref().map(Into::into))
}

/// The status with the old key's last use read again from IAM (and recorded).
pub async fn refresh_status(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
) -> Result<Option<RotationStatus>, RotationError> {
    let (_held, record) = lock_with_record(sources, source)?;
    let Some(mut record) = record else {
        return Ok(None);
    };
    record.old_key_last_used = keys::last_used(iam, &record.old_key).await?;
    record.last_used_read_at = Some(now_rfc3339());
    save(sources, &record)?;
    Ok(Some((&record).into()))
}

/// Rotates the key of `source` in one go (phase 1 and finish): for keys no production
/// system holds. Finishes or rolls back an interrupted one-shot rotation first; a two-phase
/// rotation in progress is refused (finish or cancel it). With two keys already, refuses
/// unless `retire_older` and the other key is Inactive and unused.
pub async fn rotate(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    source: &str,
    retire_older: bool,
    delete_old: bool,
    lang: Language,
) -> Result<Outcome, RotationError> {
    let (_held, record) = lock_with_record(sources, source)?;
    let (record, resumed) = match record {
        Some(r) if r.two_phase => return Err(RotationError::InProgress(source.to_owned())),
        Some(r) => (r, true),
        None => {
            let retire = if retire_older {
                Retire::Inactive
            } else {
                Retire::Nothing
            };
            let fate = if delete_old {
                OldKeyFate::DeleteNow
            } else {
                OldKeyFate::KeepInactive
            };
            (
                start(iam, sources, source, &retire, false, Some(fate)).await?,
                false,
            )
        }
    };
    let user = record.user.clone();
    match drive(iam, sources, record, resumed, lang).await? {
        Driven::Finished(f) => Ok(Outcome {
            source: f.source,
            user,
            old_key: f.old_key,
            new_key: f.new_key,
            old_key_state: f.old_key_state,
            resumed,
        }),
        _ => Err(RotationError::InProgress(source.to_owned())),
    }
}

/// Finishes or rolls back every interrupted rotation of this config (what the app does at
/// start), and deletes old keys whose grace period is over. Rotations waiting for the
/// admin (phase 1 done) are left waiting. Returns each source's result.
pub async fn resume_all(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    lang: Language,
) -> Vec<(String, Result<Outcome, RotationError>)> {
    let mut results = Vec::new();
    for name in recorded(sources) {
        match resume_one(iam, sources, &name, lang).await {
            Ok(None) => {}
            Ok(Some(outcome)) => results.push((name, Ok(outcome))),
            Err(e) => results.push((name, Err(e))),
        }
    }
    results
}

async fn resume_one(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    name: &str,
    lang: Language,
) -> Result<Option<Outcome>, RotationError> {
    let (_held, record) = lock_with_record(sources, name)?;
    let Some(record) = record else {
        return Ok(None);
    };
    let waiting = record.two_phase
        && record.step == Step::SourceSwitched
        && record.finish.is_none()
        && !record.cancelling;
    let grace_running = record
        .delete_after
        .as_deref()
        .and_then(seconds)
        .is_some_and(|t| t > now_secs());
    if waiting || grace_running {
        return Ok(None);
    }
    let user = record.user.clone();
    let old = record.old_key.clone();
    Ok(match drive(iam, sources, record, true, lang).await? {
        Driven::Finished(f) => Some(Outcome {
            source: f.source,
            user,
            old_key: f.old_key,
            new_key: f.new_key,
            old_key_state: f.old_key_state,
            resumed: true,
        }),
        Driven::Cancelled(c) => Some(Outcome {
            source: c.source,
            user,
            new_key: old.clone(),
            old_key: old,
            old_key_state: "kept".into(),
            resumed: true,
        }),
        Driven::Waiting(_) => None,
    })
}

enum Driven {
    /// Stopped with the record kept: phase 1 done, or a grace period running.
    Waiting(Record),
    Finished(Finished),
    Cancelled(Cancelled),
}

fn finished(r: &Record, state: &str) -> Finished {
    Finished {
        source: r.source.clone(),
        sources: r.sources.clone(),
        old_key: r.old_key.clone(),
        new_key: r.new_key.clone().unwrap_or_default(),
        old_key_state: state.to_owned(),
        delete_after: r.delete_after.clone(),
    }
}

/// A stopped rotation that never got to a usable key: the key it created (if any, and only
/// that one) is deleted, and the record cleared.
async fn recover_started(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &mut Record,
) -> Result<bool, RotationError> {
    let started = seconds(&record.started_at).unwrap_or_default();
    let keys = keys::list(iam, sources, &record.user).await?;
    // Created by this rotation: not there before, created after it started (a few minutes
    // of slack for a clock that is off).
    let created: Vec<&keys::KeyInfo> = keys
        .iter()
        .filter(|k| !record.keys_before.contains(&k.access_key_id))
        .filter(|k| {
            k.created
                .as_deref()
                .and_then(seconds)
                .is_none_or(|c| c + 300.0 >= started)
        })
        .collect();
    let [new] = created.as_slice() else {
        return Ok(false);
    };
    match sources.keychain().lookup(&new.access_key_id) {
        Err(e) => Err(RotationError::KeychainUnavailable(e)),
        Ok(Some(_)) => {
            record.new_key = Some(new.access_key_id.clone());
            record.step = Step::NewKeyStored;
            save(sources, record)?;
            Ok(true)
        }
        Ok(None) => {
            // Its secret is gone with the crashed process: the key is useless.
            keys::delete(iam, sources, &new.access_key_id, false).await?;
            Ok(false)
        }
    }
}

/// Verifies every source of the record with the new key (bounded backoff while IAM
/// propagates). `Err((source, why))` names the first that failed.
async fn verify_all(
    sources: &Sources,
    record: &Record,
    new_key: &str,
    lang: Language,
) -> Result<(), RotationError> {
    for name in &record.sources {
        let report = sources.verify_with_key(name, new_key, lang).await?;
        if !report.ok {
            return Err(RotationError::NewKeyFailed {
                source_name: name.clone(),
                why: report.failure_summary(),
            });
        }
    }
    Ok(())
}

/// Points every source of the record at `key` (those that still exist).
fn switch_all(sources: &Sources, record: &Record, key: &str) -> Result<(), RotationError> {
    for name in &record.sources {
        match sources.switch_key(name, key) {
            Ok(()) | Err(SourceError::NoSuchSource(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Undoes a rotation whose new key cannot be used: the sources back on the old key (still
/// Active), then the new key (the recorded one) deleted with its secret, record cleared.
async fn roll_back(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &Record,
) -> Result<Option<String>, RotationError> {
    if record.step >= Step::SourceSwitched || record.cancelling {
        switch_all(sources, record, &record.old_key)?;
    }
    if let Some(new) = &record.new_key {
        match keys::delete(iam, sources, new, false).await {
            Ok(_) | Err(KeyError::Aws(AwsFailure::NotFound)) => {
                sources.keychain().delete(new).map_err(SourceError::from)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    clear(sources, &record.source)?;
    Ok(record.new_key.clone())
}

/// Runs a rotation from wherever its record stands to where it waits or ends. Each stage
/// below starts from the record's step, so a rerun after a crash takes up where it stopped.
async fn drive(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    mut record: Record,
    resumed: bool,
    lang: Language,
) -> Result<Driven, RotationError> {
    if record.step == Step::Started
        && let Some(done) = create_or_recover_new_key(iam, sources, &mut record, resumed).await?
    {
        return Ok(done);
    }
    let new_key = record.new_key.clone().expect("recorded with the step");
    if resumed {
        check_secrets_after_restart(iam, sources, &record, &new_key).await?;
    }
    if record.cancelling {
        return cancel_now(iam, sources, &record).await;
    }
    verify_before_acting(iam, sources, &mut record, &new_key, resumed, lang).await?;
    if record.step == Step::Verified {
        switch_all(sources, &record, &new_key)?;
        record.switched_at = Some(now_rfc3339());
        record.old_key_last_used = keys::last_used(iam, &record.old_key).await?;
        record.last_used_read_at = Some(now_rfc3339());
        record.step = Step::SourceSwitched;
        save(sources, &record)?;
    }
    let Some(fate) = record.finish else {
        return Ok(Driven::Waiting(record));
    };
    retire_old_key(iam, sources, record, fate).await
}

/// Stage 1: the new key created and its secret stored (or, after a restart, what became of
/// that step found out). `Some` when the rotation ends here.
async fn create_or_recover_new_key(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &mut Record,
    resumed: bool,
) -> Result<Option<Driven>, RotationError> {
    if resumed {
        if recover_started(iam, sources, record).await? {
            return Ok(None);
        }
        clear(sources, &record.source)?;
        if record.cancelling {
            return Ok(Some(Driven::Cancelled(Cancelled::of(record, None))));
        }
        return Err(RotationError::RolledBack);
    }
    let created = iam
        .create_access_key()
        .user_name(&record.user)
        .send()
        .await
        .map_err(iam_err("iam:CreateAccessKey"))?;
    let key = created
        .access_key()
        .expect("CreateAccessKey answers with the key");
    // The worst moment to crash: the key exists and its secret is only in memory.
    fault_point("key_created");
    let id = key.access_key_id().to_owned();
    let secret = SecretString::new(key.secret_access_key());
    // The secret is kept before anything else happens.
    if let Err(e) = sources.keychain().store(&id, &secret) {
        let _ = keys::delete(iam, sources, &id, false).await;
        clear(sources, &record.source)?;
        return Err(SourceError::from(e).into());
    }
    record.new_key = Some(id);
    record.step = Step::NewKeyStored;
    save(sources, record)?;
    Ok(None)
}

/// After a restart both secrets must be readable before anything is switched or deleted: a
/// locked or missing keychain stops here and leaves everything as it is. A new key whose
/// secret is gone is useless: the rotation is rolled back.
async fn check_secrets_after_restart(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &Record,
    new_key: &str,
) -> Result<(), RotationError> {
    for key in [record.old_key.as_str(), new_key] {
        match sources.keychain().lookup(key) {
            Err(e) => return Err(RotationError::KeychainUnavailable(e)),
            Ok(Some(_)) => {}
            Ok(None) if key == new_key && record.step < Step::OldDeactivated => {
                roll_back(iam, sources, record).await?;
                return Err(RotationError::RolledBack);
            }
            Ok(None) => {}
        }
    }
    Ok(())
}

/// A cancel asked for: back to the old key, which must still have its secret.
async fn cancel_now(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &Record,
) -> Result<Driven, RotationError> {
    if sources.keychain().get(&record.old_key).is_err() {
        return Err(SourceError::Secret(SecretError::NotFound {
            account: record.old_key.clone(),
        })
        .into());
    }
    let deleted = roll_back(iam, sources, record).await?;
    Ok(Driven::Cancelled(Cancelled::of(record, deleted)))
}

/// Stage 2: the new key verified on every source before anything is switched or
/// deactivated, on every run that is about to do either.
async fn verify_before_acting(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    record: &mut Record,
    new_key: &str,
    resumed: bool,
    lang: Language,
) -> Result<(), RotationError> {
    let about_to_act = record.step < Step::OldDeactivated
        && (record.step <= Step::Verified || record.finish.is_some() || resumed);
    if record.step != Step::NewKeyStored && !(resumed && about_to_act) {
        return Ok(());
    }
    if let Err(e) = verify_all(sources, record, new_key, lang).await {
        // Before the switch nobody has the new key: it goes. After a two-phase switch
        // Weekerp may already have it, so nothing is undone on a failed check (it may be
        // the network); the admin can cancel.
        let nobody_has_it = record.step < Step::SourceSwitched || !record.two_phase;
        if matches!(e, RotationError::NewKeyFailed { .. }) && nobody_has_it {
            roll_back(iam, sources, record).await?;
            return Err(e);
        }
        if let RotationError::NewKeyFailed { source_name, why } = e {
            return Err(RotationError::NotVerifiedKept { source_name, why });
        }
        return Err(e);
    }
    if record.step == Step::NewKeyStored {
        record.step = Step::Verified;
        save(sources, record)?;
    }
    Ok(())
}

/// Stage 3 (finish): the old key deactivated once no source uses it, then deleted now,
/// kept inactive, or deleted when its grace period is over.
async fn retire_old_key(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    mut record: Record,
    fate: OldKeyFate,
) -> Result<Driven, RotationError> {
    if record.step == Step::SourceSwitched {
        let still = sources.using_key(&record.old_key)?;
        if !still.is_empty() {
            return Err(RotationError::StillUsed {
                key: record.old_key.clone(),
                sources: still,
            });
        }
        keys::set_active(iam, sources, &record.old_key, false, false).await?;
        if let OldKeyFate::DeleteAfter { hours } = fate {
            record.delete_after = Some(rfc3339_at(now_secs() + f64::from(hours) * 3600.0));
        }
        record.step = Step::OldDeactivated;
        save(sources, &record)?;
    }
    let delete = match fate {
        OldKeyFate::KeepInactive => false,
        OldKeyFate::DeleteNow => true,
        OldKeyFate::DeleteAfter { .. } => {
            let due = record.delete_after.as_deref().and_then(seconds);
            if due.is_some_and(|t| t > now_secs()) {
                return Ok(Driven::Waiting(record));
            }
            true
        }
    };
    if delete {
        match keys::delete(iam, sources, &record.old_key, false).await {
            Ok(_) | Err(KeyError::Aws(AwsFailure::NotFound)) => {}
            Err(e) => return Err(e.into()),
        }
        sources.forget_secret_unless_used(&record.old_key);
    }
    clear(sources, &record.source)?;
    Ok(Driven::Finished(finished(
        &record,
        if delete { "deleted" } else { "inactive" },
    )))
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
/// `retire_older` and the older key is Inactive: that one is deleted first and the newer
/// rotated; never a third key, never an Active key deleted unasked.
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
            let retire = if retire_older {
                Retire::Inactive
            } else {
                Retire::Nothing
            };
            let retired = make_room(iam, sources, user, &newer.access_key_id, &retire).await?;
            debug_assert_eq!(retired.as_deref(), Some(older.access_key_id.as_str()));
            (retired, newer.access_key_id.clone())
        }
    };
    // Keychain first, the key deleted again if that fails (no source to bind here).
    let created = keys::create(iam, sources, user, None, lang).await?;
    keys::set_active(iam, sources, &old, false, false).await?;
    if delete_old {
        keys::delete(iam, sources, &old, false).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: Step) -> Record {
        Record {
            source: "shop".into(),
            sources: vec!["shop".into()],
            user: "u".into(),
            old_key: "AKIAOLD".into(),
            new_key: Some("AKIANEW".into()),
            delete_old: false,
            step,
            keys_before: vec!["AKIAOLD".into()],
            started_at: "2026-12-01T00:00:00Z".into(),
            two_phase: true,
            finish: None,
            cancelling: false,
            switched_at: None,
            old_key_last_used: None,
            last_used_read_at: None,
            delete_after: None,
        }
    }

    #[test]
    fn the_status_says_where_a_rotation_stands() {
        let state = |r: &Record| RotationStatus::from(r).state;
        assert_eq!(state(&record(Step::Verified)), RotationState::Interrupted);
        assert_eq!(
            state(&record(Step::SourceSwitched)),
            RotationState::AwaitingWeekerp
        );
        let mut r = record(Step::SourceSwitched);
        r.finish = Some(OldKeyFate::DeleteNow);
        assert_eq!(state(&r), RotationState::Finishing);
        r.step = Step::OldDeactivated;
        r.delete_after = Some("2026-12-02T00:00:00Z".into());
        assert_eq!(state(&r), RotationState::GracePeriod);
        r.cancelling = true;
        assert_eq!(state(&r), RotationState::Cancelling);
    }

    #[test]
    fn an_old_record_without_the_new_fields_still_reads() {
        let old = r#"{"source":"shop","user":"u","oldKey":"A","newKey":null,
                      "deleteOld":true,"step":"started"}"#;
        let r: Record = serde_json::from_str(old).unwrap();
        assert_eq!(r.step, Step::Started);
        assert!(r.keys_before.is_empty() && !r.two_phase && r.finish.is_none());
    }

    #[test]
    fn messages_shown_in_the_gui_name_no_cli_flags() {
        let errors = [
            RotationError::TwoKeys {
                user: "u".into(),
                other: "AKIAOTHER".into(),
                other_active: false,
                used_by: vec![],
            },
            RotationError::TwoKeys {
                user: "u".into(),
                other: "AKIAOTHER".into(),
                other_active: true,
                used_by: vec![],
            },
            RotationError::InProgress("shop".into()),
            RotationError::OldKeyStillUsed {
                key: "AKIAOLD".into(),
                last_used: "x".into(),
                switched_at: "y".into(),
            },
        ];
        for e in &errors {
            for lang in [Language::En, Language::Ko] {
                let text = e.describe(lang);
                assert!(!text.contains("--"), "no CLI flag in {text}");
            }
        }
        assert_eq!(errors[0].code(), ErrorCode::KeyLimit);
        assert!(
            errors[2]
                .describe(Language::En)
                .contains("rotation of this source")
        );
    }

    #[test]
    fn grace_periods_are_written_as_rfc3339() {
        let at = rfc3339_at(1_764_547_200.0);
        assert_eq!(at, "2025-12-01T00:00:00Z");
        assert_eq!(seconds(&at), Some(1_764_547_200.0));
    }
}
