//! Deleting objects: chosen keys, or everything below a prefix, in `DeleteObjects` batches
//! of up to 1,000 keys. The caller confirms with the count first ([`plan_delete`]), and
//! every key that failed is listed with the reason.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde::Serialize;

use super::progress::{FileState, Progress};
use super::{TransferError, WriteAction};
use crate::aws::AwsFailure;
use crate::config::SourceConfig;
use crate::error::{ApiError, ErrorCode};
use crate::locale::Language;
use crate::sources::{full_key, relative_key};

/// S3's most keys per `DeleteObjects` call.
pub const BATCH: usize = 1000;
/// Batches in flight at once.
const BATCHES_IN_FLIGHT: usize = 4;

/// What a delete will remove, for the confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeletePlan {
    /// Keys relative to the BasePath.
    pub keys: Vec<String>,
    pub count: u32,
    pub bytes: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyNotDeleted {
    /// Relative to the BasePath.
    pub key: String,
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeleteReport {
    pub deleted: u32,
    pub failed: Vec<KeyNotDeleted>,
    pub batches: u32,
}

/// A delete prefix is a folder: `photos` means `photos/`, never `photos2/…` too.
pub fn folder_prefix(prefix: &str) -> String {
    let p = prefix.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

/// Every key below `prefix` (a folder relative to the BasePath), with the total size.
pub async fn plan_delete(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    prefix: &str,
) -> Result<DeletePlan, TransferError> {
    let full_prefix = full_key(&source.base_path, &folder_prefix(prefix));
    let mut keys = Vec::new();
    let mut bytes = 0u64;
    let mut token = None;
    loop {
        let out = s3
            .list_objects_v2()
            .bucket(&source.bucket)
            .prefix(&full_prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| TransferError::Aws(AwsFailure::from_sdk(&e, "s3:ListBucket")))?;
        for o in out.contents() {
            if let Some(k) = o.key() {
                keys.push(relative_key(&source.base_path, k).to_owned());
                bytes += o.size().unwrap_or(0) as u64;
            }
        }
        token = out.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(DeletePlan {
        count: keys.len() as u32,
        keys,
        bytes: bytes as f64,
    })
}

/// What deleting a selection removes: `keys` (relative to the BasePath) and everything
/// below each folder of `prefixes`, each key once, for the confirmation with the count.
pub async fn plan_selection(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    keys: &[String],
    prefixes: &[String],
) -> Result<DeletePlan, TransferError> {
    let mut seen = std::collections::HashSet::new();
    let mut plan = DeletePlan {
        keys: Vec::new(),
        count: 0,
        bytes: 0.0,
    };
    for prefix in prefixes {
        let below = plan_delete(s3, source, prefix).await?;
        plan.bytes += below.bytes;
        plan.keys
            .extend(below.keys.into_iter().filter(|k| seen.insert(k.clone())));
    }
    let chosen: Vec<String> = keys
        .iter()
        .filter(|k| seen.insert((*k).clone()))
        .cloned()
        .collect();
    plan.bytes += sizes_of(s3, source, &chosen).await? as f64;
    plan.keys.extend(chosen);
    plan.count = plan.keys.len() as u32;
    Ok(plan)
}

/// The total size of `keys` (relative to the BasePath), one HEAD each, 16 at a time; a key
/// that is gone already counts nothing.
async fn sizes_of(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    keys: &[String],
) -> Result<u64, TransferError> {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (s3, bucket, full, limit) = (
            s3.clone(),
            source.bucket.clone(),
            full_key(&source.base_path, key),
            limit.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            s3.head_object().bucket(bucket).key(full).send().await
        });
    }
    let mut total = 0u64;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("HEAD task panicked") {
            Ok(head) => total += head.content_length().unwrap_or(0).max(0) as u64,
            Err(e) => match AwsFailure::from_sdk(&e, "s3:GetObject") {
                AwsFailure::NotFound => {}
                other => return Err(TransferError::Aws(other)),
            },
        }
    }
    Ok(total)
}

/// Deletes `keys` (relative to the BasePath) in batches of 1,000. A key S3 would not
/// delete is listed in the report; a write key without `s3:DeleteObject` is refused with
/// the permission named (when the first batch is denied, nothing else is tried).
pub async fn delete_keys(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    keys: &[String],
    progress: &Progress,
    lang: Language,
) -> Result<DeleteReport, TransferError> {
    let mut report = DeleteReport {
        deleted: 0,
        failed: Vec::new(),
        batches: 0,
    };
    let mut chunks = keys.chunks(BATCH);
    // The first batch alone: a denied key is refused once, not once per batch.
    if let Some(first) = chunks.next() {
        let handle = progress.add_file("", first.len() as u64);
        handle.start();
        let outcome = delete_batch(s3, source, first).await;
        // S3 answers a key without s3:DeleteObject with 200 and an AccessDenied per key.
        let all_denied = matches!(&outcome, Ok(errors)
            if errors.len() == first.len() && errors.iter().all(|(_, code, _)| code == "AccessDenied"));
        if all_denied {
            handle.finish(FileState::Failed);
            return Err(TransferError::WriteDenied {
                action: WriteAction::Delete.iam_action(),
                bucket: source.bucket.clone(),
            });
        }
        if let Err(denied @ TransferError::WriteDenied { .. }) = outcome {
            handle.finish(FileState::Failed);
            return Err(denied);
        }
        report.batches += 1;
        merge(&mut report, &source.bucket, first, outcome, lang);
        handle.acknowledge(first.len() as u64);
        handle.finish(FileState::Done);
    }
    let rest: Vec<Vec<String>> = chunks.map(<[String]>::to_vec).collect();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in rest {
        let (s3, source, limit) = (s3.clone(), source.clone(), limit.clone());
        let handle = progress.add_file("", chunk.len() as u64);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            if handle.is_cancelled() {
                handle.finish(FileState::Cancelled);
                return (chunk, Err(TransferError::Cancelled));
            }
            handle.start();
            let outcome = delete_batch(&s3, &source, &chunk).await;
            handle.acknowledge(chunk.len() as u64);
            handle.finish(if outcome.is_ok() {
                FileState::Done
            } else {
                FileState::Failed
            });
            (chunk, outcome)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (chunk, outcome) = joined.expect("delete task panicked");
        if !matches!(outcome, Err(TransferError::Cancelled)) {
            report.batches += 1;
        }
        merge(&mut report, &source.bucket, &chunk, outcome, lang);
    }
    report.failed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(report)
}

/// The failed keys of one batch (relative to the BasePath, with S3's reason), or the
/// error of the whole call.
async fn delete_batch(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    keys: &[String],
) -> Result<Vec<(String, String, String)>, TransferError> {
    let objects: Vec<ObjectIdentifier> = keys
        .iter()
        .map(|k| {
            ObjectIdentifier::builder()
                .key(full_key(&source.base_path, k))
                .build()
                .expect("a key is set")
        })
        .collect();
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .expect("objects are set");
    let out = s3
        .delete_objects()
        .bucket(&source.bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| {
            TransferError::from_sdk(&e, WriteAction::Delete.iam_action(), &source.bucket)
        })?;
    Ok(out
        .errors()
        .iter()
        .map(|e| {
            (
                relative_key(&source.base_path, e.key().unwrap_or_default()).to_owned(),
                e.code().unwrap_or("Unknown").to_owned(),
                e.message().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

fn merge(
    report: &mut DeleteReport,
    bucket: &str,
    chunk: &[String],
    outcome: Result<Vec<(String, String, String)>, TransferError>,
    lang: Language,
) {
    match outcome {
        Ok(errors) => {
            report.deleted += (chunk.len() - errors.len()) as u32;
            for (key, code, message) in errors {
                let failure = if code == "AccessDenied" {
                    TransferError::WriteDenied {
                        action: WriteAction::Delete.iam_action(),
                        bucket: bucket.to_owned(),
                    }
                } else {
                    TransferError::Aws(AwsFailure::Other { code, message })
                };
                report.failed.push(KeyNotDeleted {
                    key,
                    error: ApiError::from_err(&failure, lang),
                });
            }
        }
        Err(e) => {
            let error = ApiError::from_err(&e, lang);
            report.failed.extend(chunk.iter().map(|k| KeyNotDeleted {
                key: k.clone(),
                error: error.clone(),
            }));
        }
    }
}

impl DeleteReport {
    /// The error a caller reports when anything failed (the CLI's exit status).
    pub fn failure(&self, lang: Language) -> Option<ApiError> {
        let first = self.failed.first()?;
        Some(ApiError::new(
            match first.error.code {
                ErrorCode::AccessDenied => ErrorCode::AccessDenied,
                _ => ErrorCode::Internal,
            },
            lang.pick(
                format!(
                    "{}개 키를 지우지 못했습니다(예: {}: {}).",
                    self.failed.len(),
                    first.key,
                    first.error.message
                ),
                format!(
                    "{} keys were not deleted (e.g. {}: {}).",
                    self.failed.len(),
                    first.key,
                    first.error.message
                ),
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_prefixes_are_folders() {
        assert_eq!(folder_prefix("photos"), "photos/");
        assert_eq!(folder_prefix("/photos/"), "photos/");
        assert_eq!(folder_prefix(""), "");
    }

    #[test]
    fn a_failed_batch_lists_every_key_of_it() {
        let mut report = DeleteReport {
            deleted: 0,
            failed: Vec::new(),
            batches: 1,
        };
        let chunk = vec!["a".to_owned(), "b".to_owned()];
        merge(
            &mut report,
            "shop",
            &chunk,
            Err(TransferError::WriteDenied {
                action: "s3:DeleteObject",
                bucket: "shop".into(),
            }),
            Language::En,
        );
        assert_eq!(report.failed.len(), 2);
        assert!(report.failed[0].error.message.contains("s3:DeleteObject"));
        merge(
            &mut report,
            "shop",
            &chunk,
            Ok(vec![("b".into(), "InternalError".into(), "boom".into())]),
            Language::En,
        );
        assert_eq!(report.deleted, 1);
        assert_eq!(report.failed.len(), 3);
        let failure = report.failure(Language::En).unwrap();
        assert!(failure.message.starts_with("3 keys were not deleted"));
    }
}
