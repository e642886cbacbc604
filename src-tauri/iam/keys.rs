//! Access keys: list with age and last use, deactivate and activate, delete. A key that a
//! source uses is not deleted or deactivated without being told to, so a source is never
//! left without a working key by accident.

use serde::Serialize;

use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::sources::Sources;

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub access_key_id: String,
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

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0:?}")]
    Aws(AwsFailure),
    #[error("key {key} is used by {sources:?}")]
    InUse { key: String, sources: Vec<String> },
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
}

impl Described for KeyError {
    fn code(&self) -> ErrorCode {
        match self {
            KeyError::Aws(f) => f.code(),
            KeyError::InUse { .. } => ErrorCode::InvalidInput,
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
                    "키 {key}는 소스 {}가 쓰고 있습니다. 먼저 키를 교체하거나(keys rotate) --force로 진행하세요.",
                    sources.join(", ")
                ),
                format!(
                    "Key {key} is used by source {}. Rotate it first (keys rotate), or pass --force.",
                    sources.join(", ")
                ),
            ),
            KeyError::Source(e) => e.describe(lang),
        }
    }
}

fn aws<E>(
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

/// Deletes a key. A key a source uses needs `force`.
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
    Ok(user)
}
