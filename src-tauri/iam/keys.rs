//! Access keys: list with age and last use, create, deactivate and activate, delete. A key
//! that a source uses is not deleted or deactivated without being told to, so a source is
//! never left without a working key by accident. Deleting a key also removes its secret from
//! the keychain: one function for the CLI and the GUI alike.

use serde::Serialize;

use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::SecretString;
use crate::sources::{SourceError, Sources};

/// IAM's limit of access keys per user, inactive ones included.
pub const KEYS_PER_USER: usize = 2;

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub access_key_id: String,
    /// The ID as lists show it (`AKIA…ABCD`, `secrets::mask_key_id`).
    pub masked_id: String,
    pub user: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Option<String>,
    pub age_days: Option<u32>,
    pub last_used: Option<String>,
    pub last_used_service: Option<String>,
    /// Sources of this config that use the key.
    pub sources: Vec<String>,
}

/// A key just created. The secret is shown once (and kept in the keychain).
#[derive(Debug)]
pub struct CreatedKey {
    pub access_key_id: String,
    pub user: String,
    pub secret: SecretString,
    /// The source now using the key, when asked to bind it.
    pub bound_source: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0:?}")]
    Aws(AwsFailure),
    #[error("key {key} is used by {sources:?}")]
    InUse { key: String, sources: Vec<String> },
    #[error("{user} already has two keys")]
    Limit { user: String, keys: Vec<String> },
    #[error("the new key did not verify for {source_name}: {why}")]
    NotVerified { source_name: String, why: String },
    #[error("{user} has no access key")]
    NoKey { user: String },
    #[error("key {key} was deleted but its secret could not be removed from the keychain")]
    SecretLeft { key: String, why: String },
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
}

impl Described for KeyError {
    fn code(&self) -> ErrorCode {
        match self {
            KeyError::Aws(f) => f.code(),
            KeyError::Limit { .. } => ErrorCode::KeyLimit,
            KeyError::InUse { .. } | KeyError::NoKey { .. } => ErrorCode::InvalidInput,
            KeyError::NotVerified { .. } => ErrorCode::AccessDenied,
            KeyError::SecretLeft { .. } => ErrorCode::KeychainUnavailable,
            KeyError::Source(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            KeyError::Aws(AwsFailure::NotFound) => lang.pick(
                "그런 액세스 키나 사용자가 없습니다.".into(),
                "There is no such access key or user.".into(),
            ),
            KeyError::Aws(f) => f.describe(lang),
            KeyError::InUse { key, sources } => lang.pick(
                format!(
                    "키 {key}는 소스 {}가 쓰고 있습니다. 먼저 그 소스의 키를 교체하세요. 그래도 진행하면 소스가 키를 잃습니다.",
                    sources.join(", ")
                ),
                format!(
                    "Key {key} is used by source {}. Rotate that source's key first; going ahead anyway leaves the source without its key.",
                    sources.join(", ")
                ),
            ),
            KeyError::Limit { user, keys } => lang.pick(
                format!(
                    "{user}에게 이미 키가 두 개 있습니다(IAM 한도): {}. 하나를 삭제한 뒤 다시 하세요. 아무것도 바꾸지 않았습니다.",
                    keys.join(", ")
                ),
                format!(
                    "{user} already has two keys (the IAM limit): {}. Delete one, then try again. Nothing was changed.",
                    keys.join(", ")
                ),
            ),
            KeyError::NotVerified { source_name, why } => lang.pick(
                format!(
                    "새 키로 소스 '{source_name}'을(를) 검증하지 못해 새 키를 지웠습니다. 소스는 그대로입니다: {why}"
                ),
                format!(
                    "The new key did not verify for source '{source_name}', so it was deleted; the source is unchanged: {why}"
                ),
            ),
            KeyError::NoKey { user } => lang.pick(
                format!("{user}에게 교체할 액세스 키가 없습니다. 먼저 키를 만드세요."),
                format!("{user} has no access key to rotate. Create a key for it first."),
            ),
            KeyError::SecretLeft { key, why } => lang.pick(
                format!("키 {key}는 삭제했지만 키체인에서 비밀 키를 지우지 못했습니다. 키체인 잠금을 풀고 항목 {key}를 지우세요: {why}"),
                format!("Key {key} was deleted, but its secret could not be removed from the keychain. Unlock the keychain and remove the entry {key}: {why}"),
            ),
            KeyError::Source(e) => e.describe(lang),
        }
    }
}

/// Maps an IAM SDK error to a [`KeyError`], naming the action.
pub(super) fn aws<E>(
    action: &'static str,
) -> impl Fn(aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> KeyError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| KeyError::Aws(AwsFailure::from_sdk(&e, action))
}

fn rfc3339(t: Option<&aws_sdk_iam::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| {
        t.fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
            .ok()
    })
}

fn sources_using(sources: &Sources, key: &str) -> Result<Vec<String>, KeyError> {
    Ok(sources
        .store()
        .load()
        .map_err(crate::sources::SourceError::from)?
        .sources
        .into_iter()
        .filter(|s| s.access_key_id == key)
        .map(|s| s.name)
        .collect())
}

/// The user's keys, oldest first.
pub async fn list(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    user: &str,
) -> Result<Vec<KeyInfo>, KeyError> {
    let out = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListAccessKeys"))?;
    let now = std::time::SystemTime::now();
    let mut keys = Vec::new();
    for meta in out.access_key_metadata() {
        let Some(id) = meta.access_key_id() else {
            continue;
        };
        let used = iam
            .get_access_key_last_used()
            .access_key_id(id)
            .send()
            .await
            .map_err(aws("iam:GetAccessKeyLastUsed"))?;
        let last = used.access_key_last_used();
        let age_days = meta.create_date().and_then(|c| {
            let created = std::time::SystemTime::try_from(*c).ok()?;
            Some((now.duration_since(created).ok()?.as_secs() / 86_400) as u32)
        });
        keys.push(KeyInfo {
            access_key_id: id.to_owned(),
            masked_id: crate::secrets::mask_key_id(id),
            user: user.to_owned(),
            status: meta
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            created: rfc3339(meta.create_date()),
            age_days,
            last_used: rfc3339(last.and_then(|l| l.last_used_date())),
            last_used_service: last
                .map(|l| l.service_name().to_owned())
                .filter(|s| !s.is_empty() && s != "N/A"),
            sources: sources_using(sources, id)?,
        });
    }
    keys.sort_by(|a, b| a.created.cmp(&b.created));
    Ok(keys)
}

/// The user a key belongs to.
pub async fn owner(iam: &aws_sdk_iam::Client, key: &str) -> Result<String, KeyError> {
    let out = iam
        .get_access_key_last_used()
        .access_key_id(key)
        .send()
        .await
        .map_err(aws("iam:GetAccessKeyLastUsed"))?;
    out.user_name()
        .map(str::to_owned)
        .ok_or(KeyError::Aws(AwsFailure::NotFound))
}

/// Sets a key `Active` or `Inactive`. Deactivating a key a source uses needs `force`.
pub async fn set_active(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    key: &str,
    active: bool,
    force: bool,
) -> Result<String, KeyError> {
    let used = sources_using(sources, key)?;
    if !active && !used.is_empty() && !force {
        return Err(KeyError::InUse {
            key: key.to_owned(),
            sources: used,
        });
    }
    let user = owner(iam, key).await?;
    let status = if active {
        aws_sdk_iam::types::StatusType::Active
    } else {
        aws_sdk_iam::types::StatusType::Inactive
    };
    iam.update_access_key()
        .user_name(&user)
        .access_key_id(key)
        .status(status)
        .send()
        .await
        .map_err(aws("iam:UpdateAccessKey"))?;
    Ok(user)
}

/// When the key was last used (RFC 3339), `None`: never.
pub async fn last_used(iam: &aws_sdk_iam::Client, key: &str) -> Result<Option<String>, KeyError> {
    let out = iam
        .get_access_key_last_used()
        .access_key_id(key)
        .send()
        .await
        .map_err(aws("iam:GetAccessKeyLastUsed"))?;
    Ok(rfc3339(
        out.access_key_last_used().and_then(|l| l.last_used_date()),
    ))
}

/// Deletes a key, then its secret from the keychain (IAM first: a secret without a key is
/// harmless, a key without its secret is not). A key a source uses needs `force`.
pub async fn delete(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    key: &str,
    force: bool,
) -> Result<String, KeyError> {
    let used = sources_using(sources, key)?;
    if !used.is_empty() && !force {
        return Err(KeyError::InUse {
            key: key.to_owned(),
            sources: used,
        });
    }
    let user = owner(iam, key).await?;
    iam.delete_access_key()
        .user_name(&user)
        .access_key_id(key)
        .send()
        .await
        .map_err(aws("iam:DeleteAccessKey"))?;
    sources
        .keychain()
        .delete(key)
        .map_err(|e| KeyError::SecretLeft {
            key: key.to_owned(),
            why: e.to_string(),
        })?;
    Ok(user)
}

/// Creates an access key for `user`: refused before anything is made when the user already
/// has two (the IAM limit); the secret goes into the keychain before the key is handed out
/// (the key is deleted again if that fails). With `bind`, the source is verified with the new
/// key (bounded backoff while IAM propagates) and then switched to it; when it does not
/// verify, the new key is deleted and the source keeps its key.
pub async fn create(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    user: &str,
    bind: Option<&str>,
    lang: Language,
) -> Result<CreatedKey, KeyError> {
    if let Some(source) = bind {
        sources.get(source)?;
    }
    let existing = list(iam, sources, user).await?;
    if existing.len() >= KEYS_PER_USER {
        return Err(KeyError::Limit {
            user: user.to_owned(),
            keys: existing.into_iter().map(|k| k.access_key_id).collect(),
        });
    }
    let created = iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:CreateAccessKey"))?;
    let key = created
        .access_key()
        .expect("CreateAccessKey answers with the key");
    let id = key.access_key_id().to_owned();
    let secret = SecretString::new(key.secret_access_key());
    let undo = |iam: aws_sdk_iam::Client, id: String| async move {
        let _ = iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(&id)
            .send()
            .await;
    };
    if let Err(e) = sources.keychain().store(&id, &secret) {
        undo(iam.clone(), id).await;
        return Err(SourceError::from(e).into());
    }
    if let Some(source) = bind {
        let bound = match sources.verify_with_key(source, &id, lang).await {
            Ok(report) if report.ok => sources.switch_key(source, &id).map_err(KeyError::from),
            Ok(report) => Err(KeyError::NotVerified {
                source_name: source.to_owned(),
                why: report.failure_summary(),
            }),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = bound {
            undo(iam.clone(), id.clone()).await;
            let _ = sources.keychain().delete(&id);
            return Err(e);
        }
    }
    Ok(CreatedKey {
        access_key_id: id,
        user: user.to_owned(),
        secret,
        bound_source: bind.map(str::to_owned),
    })
}
