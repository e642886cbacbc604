//! A bucket's unfinished multipart uploads: the parts S3 keeps, and bills, until the
//! upload is completed or aborted. Listed with their age, part bytes and an estimated
//! monthly cost at S3 Standard prices; aborted one by one or all at once, each abort
//! confirmed with `ListParts`.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::error::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};

use super::TransferError;
use super::upload::server_parts;
use crate::error::ApiError;
use crate::locale::Language;

/// S3 Standard storage in us-east-1, first 50 TB, USD per GB-month (billing GB = 2^30
/// bytes). Parts of unfinished uploads are billed as Standard storage.
pub const STANDARD_USD_PER_GB_MONTH: f64 = 0.023;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// How many times an abort is repeated while `ListParts` still shows the upload (parts in
/// flight during an abort may land after it, as S3's documentation warns).
const ABORT_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UnfinishedUpload {
    /// The full object key.
    pub key: String,
    pub upload_id: String,
    /// RFC 3339.
    pub initiated: Option<String>,
    pub age_days: f64,
    pub parts: u32,
    pub bytes: f64,
    pub monthly_cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UnfinishedUploads {
    pub bucket: String,
    pub uploads: Vec<UnfinishedUpload>,
    pub bytes: f64,
    pub monthly_cost_usd: f64,
    pub usd_per_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AbortFailure {
    pub key: String,
    pub upload_id: String,
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AbortReport {
    /// Aborted and confirmed gone.
    pub aborted: Vec<UnfinishedUpload>,
    pub failed: Vec<AbortFailure>,
}

pub fn monthly_cost(bytes: u64) -> f64 {
    bytes as f64 / GIB * STANDARD_USD_PER_GB_MONTH
}

fn list_error<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    bucket: &str,
) -> TransferError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    TransferError::from_sdk(err, "s3:ListBucketMultipartUploads", bucket)
}

/// `(key, upload_id, initiated)` of every unfinished upload (below `prefix`, if given).
async fn upload_ids(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<Vec<(String, String, Option<SystemTime>)>, TransferError> {
    let mut out = Vec::new();
    let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .set_prefix(prefix.map(str::to_owned))
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(id_marker.take())
            .send()
            .await
            .map_err(|e| list_error(&e, bucket))?;
        for u in page.uploads() {
            if let (Some(key), Some(id)) = (u.key(), u.upload_id()) {
                let initiated = u.initiated().and_then(|t| SystemTime::try_from(*t).ok());
                out.push((key.to_owned(), id.to_owned(), initiated));
            }
        }
        if page.is_truncated() == Some(true) {
            key_marker = page.next_key_marker().map(str::to_owned);
            id_marker = page.next_upload_id_marker().map(str::to_owned);
            if key_marker.is_none() && id_marker.is_none() {
                break;
            }
        } else {
            break;
        }
    }
    Ok(out)
}

/// The bucket's unfinished uploads (below `prefix`, if given), oldest first.
pub async fn list_unfinished(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<UnfinishedUploads, TransferError> {
    let now = SystemTime::now();
    let mut uploads = Vec::new();
    for (key, upload_id, initiated) in upload_ids(s3, bucket, prefix).await? {
        // An upload aborted between the two calls has no parts left to bill.
        let parts = server_parts(s3, bucket, &key, &upload_id)
            .await?
            .unwrap_or_default();
        let bytes: u64 = parts
            .iter()
            .filter_map(|p| p.size())
            .map(|s| s as u64)
            .sum();
        let age = initiated
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or(Duration::ZERO);
        uploads.push(UnfinishedUpload {
            key,
            upload_id,
            initiated: initiated.map(|t| {
                aws_sdk_s3::primitives::DateTime::from(t)
                    .fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
                    .unwrap_or_default()
            }),
            age_days: age.as_secs_f64() / 86_400.0,
            parts: parts.len() as u32,
            bytes: bytes as f64,
            monthly_cost_usd: monthly_cost(bytes),
        });
    }
    uploads.sort_by(|a, b| b.age_days.total_cmp(&a.age_days));
    let bytes: f64 = uploads.iter().map(|u| u.bytes).sum();
    Ok(UnfinishedUploads {
        bucket: bucket.to_owned(),
        monthly_cost_usd: monthly_cost(bytes as u64),
        bytes,
        uploads,
        usd_per_gb_month: STANDARD_USD_PER_GB_MONTH,
    })
}

/// Whether the bucket has any unfinished upload (the browser's notice): one short call.
pub async fn has_unfinished(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, TransferError> {
    let page = s3
        .list_multipart_uploads()
        .bucket(bucket)
        .max_uploads(1)
        .send()
        .await
        .map_err(|e| list_error(&e, bucket))?;
    Ok(!page.uploads().is_empty())
}

/// Aborts one upload and confirms it is gone: `ListParts` answers `NoSuchUpload`. Repeated
/// while parts are still there; an upload that was already gone is fine.
pub async fn abort_and_confirm(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(), TransferError> {
    for attempt in 0..ABORT_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        match s3
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if matches!(e.code(), Some("NoSuchUpload" | "NotFound")) => {}
            Err(e) => {
                return Err(TransferError::from_sdk(
                    &e,
                    "s3:AbortMultipartUpload",
                    bucket,
                ));
            }
        }
        if server_parts(s3, bucket, key, upload_id).await?.is_none() {
            return Ok(());
        }
    }
    Err(TransferError::AbortUnconfirmed {
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
    })
}

/// Aborts the chosen uploads; each is confirmed gone or listed as failed.
pub async fn abort(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    chosen: &[UnfinishedUpload],
    lang: Language,
) -> AbortReport {
    let mut report = AbortReport {
        aborted: Vec::new(),
        failed: Vec::new(),
    };
    for upload in chosen {
        match abort_and_confirm(s3, bucket, &upload.key, &upload.upload_id).await {
            Ok(()) => report.aborted.push(upload.clone()),
            Err(e) => report.failed.push(AbortFailure {
                key: upload.key.clone(),
                upload_id: upload.upload_id.clone(),
                error: ApiError::from_err(&e, lang),
            }),
        }
    }
    report
}

/// Aborts every unfinished upload of the bucket (below `prefix`, if given).
pub async fn abort_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
    lang: Language,
) -> Result<AbortReport, TransferError> {
    let all = list_unfinished(s3, bucket, prefix).await?;
    Ok(abort(s3, bucket, &all.uploads, lang).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gib_of_parts_costs_the_standard_price_a_month() {
        assert!((monthly_cost(1 << 30) - 0.023).abs() < 1e-12);
        assert!((monthly_cost(10 << 30) - 0.23).abs() < 1e-12);
        assert_eq!(monthly_cost(0), 0.0);
    }
}
