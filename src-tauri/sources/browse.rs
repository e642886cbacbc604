//! Browsing a source: folders by prefix, pages of objects, object details and presigned
//! URLs. Keys are relative to the source's BasePath on the way in and out.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;

use super::{Field, SourceError, cdn_url_at, full_key, relative_key};
use crate::aws::AwsFailure;
use crate::config::SourceConfig;

/// Most objects per page (S3's own maximum).
pub const PAGE_SIZE: i32 = 1000;
/// The longest a presigned URL may live (SigV4's limit).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ObjectEntry {
    /// Relative to the BasePath.
    pub key: String,
    /// The last path segment.
    pub name: String,
    pub size: f64,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPage {
    pub prefix: String,
    /// Relative to the BasePath, ending in `/`.
    pub folders: Vec<String>,
    pub objects: Vec<ObjectEntry>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDetails {
    pub key: String,
    pub size: f64,
    pub content_type: Option<String>,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub cdn_url: String,
}

fn rfc3339(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
}

/// How deep a listing goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// One folder: sub-folders (common prefixes) and the objects directly in it.
    Folder,
    /// Every key below the prefix, no folders (whole listings, exports, deletes).
    Recursive,
}

/// One page of a listing. `prefix` is relative to the BasePath: `""`, `"photos/"`, or a
/// search text such as `"photos/sun"` (a prefix search).
pub async fn list_page(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    prefix: &str,
    token: Option<&str>,
    page_size: i32,
    depth: Depth,
) -> Result<ObjectPage, SourceError> {
    // `""` → the BasePath folder itself (`assets/`), `"photos/"` → `assets/photos/`.
    let full_prefix = full_key(&source.base_path, prefix);
    let out = s3
        .list_objects_v2()
        .bucket(&source.bucket)
        .prefix(&full_prefix)
        .set_delimiter((depth == Depth::Folder).then(|| "/".to_owned()))
        .max_keys(page_size.clamp(1, PAGE_SIZE))
        .set_continuation_token(token.map(str::to_owned))
        .send()
        .await
        .map_err(|e| SourceError::Aws(AwsFailure::from_sdk(&e, "s3:ListBucket")))?;
    let folders = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(|p| relative_key(&source.base_path, p).to_owned())
        .collect();
    let objects = out
        .contents()
        .iter()
        .filter_map(|o| entry(source, o))
        .collect();
    Ok(ObjectPage {
        prefix: prefix.to_owned(),
        folders,
        objects,
        next_token: out.next_continuation_token().map(str::to_owned),
    })
}

/// Every page of a listing, gathered into one.
pub async fn list_all(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    prefix: &str,
    depth: Depth,
) -> Result<ObjectPage, SourceError> {
    let mut all = ObjectPage {
        prefix: prefix.to_owned(),
        folders: Vec::new(),
        objects: Vec::new(),
        next_token: None,
    };
    let mut token = None;
    loop {
        let page = list_page(s3, source, prefix, token.as_deref(), PAGE_SIZE, depth).await?;
        all.folders.extend(page.folders);
        all.objects.extend(page.objects);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
}

fn entry(source: &SourceConfig, o: &aws_sdk_s3::types::Object) -> Option<ObjectEntry> {
    let full = o.key()?;
    let key = relative_key(&source.base_path, full).to_owned();
    if key.is_empty() || key.ends_with('/') {
        return None; // a folder marker object
    }
    Some(ObjectEntry {
        name: key.rsplit('/').next().unwrap_or(&key).to_owned(),
        key,
        size: o.size().unwrap_or(0) as f64,
        last_modified: rfc3339(o.last_modified()),
        etag: o.e_tag().map(str::to_owned),
        storage_class: o.storage_class().map(|c| c.as_str().to_owned()),
    })
}

fn check_key(key: &str) -> Result<(), SourceError> {
    if key.is_empty() || key.len() > 1024 || key.chars().any(char::is_control) {
        return Err(SourceError::Invalid {
            field: Field::Key,
            rule_ko: "1~1024바이트의 제어 문자 없는 키여야 합니다.",
            rule_en: "must be 1 to 1024 bytes without control characters.",
        });
    }
    Ok(())
}

/// HEAD of one object (key relative to the BasePath).
pub async fn details(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    key: &str,
    production_base: &str,
) -> Result<ObjectDetails, SourceError> {
    check_key(key)?;
    let out = s3
        .head_object()
        .bucket(&source.bucket)
        .key(full_key(&source.base_path, key))
        .send()
        .await
        .map_err(|e| SourceError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject")))?;
    let mut metadata: Vec<(String, String)> = out
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    Ok(ObjectDetails {
        key: key.to_owned(),
        size: out.content_length().unwrap_or(0) as f64,
        content_type: out.content_type().map(str::to_owned),
        last_modified: rfc3339(out.last_modified()),
        etag: out.e_tag().map(str::to_owned),
        storage_class: out.storage_class().map(|c| c.as_str().to_owned()),
        metadata,
        cdn_url: cdn_url_at(production_base, &source.name, key),
    })
}

/// A presigned GET URL for an object (key relative to the BasePath).
pub async fn presign_get(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    key: &str,
    expires: Duration,
) -> Result<String, SourceError> {
    check_key(key)?;
    let config = PresigningConfig::expires_in(expires).map_err(|_| expiry_error())?;
    if expires > MAX_PRESIGN || expires.is_zero() {
        return Err(expiry_error());
    }
    let request = s3
        .get_object()
        .bucket(&source.bucket)
        .key(full_key(&source.base_path, key))
        .presigned(config)
        .await
        .map_err(|e| SourceError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject")))?;
    Ok(request.uri().to_owned())
}

fn expiry_error() -> SourceError {
    SourceError::Invalid {
        field: Field::Expiry,
        rule_ko: "1초에서 7일 사이여야 합니다(예: 1h, 24h, 7d).",
        rule_en: "must be between 1 second and 7 days (e.g. 1h, 24h, 7d).",
    }
}

/// `90s`, `15m`, `1h`, `24h`, `7d`, or plain seconds; at most 7 days.
pub fn parse_expiry(text: &str) -> Result<Duration, SourceError> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number.parse().map_err(|_| expiry_error())?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(expiry_error)?;
    let d = Duration::from_secs(secs);
    if d.is_zero() || d > MAX_PRESIGN {
        return Err(expiry_error());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_parse_and_are_bounded() {
        assert_eq!(parse_expiry("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_expiry("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_expiry("7d").unwrap(), MAX_PRESIGN);
        assert_eq!(parse_expiry("90").unwrap(), Duration::from_secs(90));
        for bad in ["8d", "0", "", "1w", "h", "-1h", "99999999999999999999d"] {
            assert!(parse_expiry(bad).is_err(), "{bad:?}");
        }
    }
}
