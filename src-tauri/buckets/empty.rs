//! Empty a bucket, plan first.
//!
//! The plan counts what emptying deletes: current objects, older versions, delete markers,
//! unfinished multipart uploads, and the bytes; and it looks for Object Lock. Versions under
//! compliance-mode retention cannot be deleted by anyone before their date, so a bucket that
//! has them is refused, with the reason, instead of failing part-way.
//!
//! The run pages through `ListObjectVersions` and sends each page as one `DeleteObjects`
//! batch (up to 1000 keys, quiet mode), several batches in flight while the next page is
//! listed; then `ListMultipartUploads` and `AbortMultipartUpload` for each; then it checks
//! that nothing is left. Keys S3 would not delete are listed with S3's reason, never
//! swallowed. There is no journal to trust: a cancelled or crashed run, run again, asks S3
//! what is left and continues from there.

use std::sync::Arc;

use aws_sdk_s3::types::{
    Delete, ObjectIdentifier, ObjectLockEnabled, ObjectLockMode, ObjectLockRetentionMode,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{AdminS3, BucketError, CancelToken, aws, error_code, rfc3339};
use crate::aws::AwsFailure;

/// The bucket's Object Lock configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLock {
    pub enabled: bool,
    /// `COMPLIANCE` or `GOVERNANCE`: the retention new objects get by default.
    pub default_mode: Option<String>,
    pub default_days: Option<i32>,
    pub default_years: Option<i32>,
}

/// Whether Object Lock is on, and its default retention.
pub async fn object_lock(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<ObjectLock, BucketError> {
    match s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            let c = out.object_lock_configuration();
            let retention = c.and_then(|c| c.rule()).and_then(|r| r.default_retention());
            Ok(ObjectLock {
                enabled: c.and_then(|c| c.object_lock_enabled())
                    == Some(&ObjectLockEnabled::Enabled),
                default_mode: retention
                    .and_then(|r| r.mode())
                    .map(|m: &ObjectLockRetentionMode| m.as_str().to_owned()),
                default_days: retention.and_then(|r| r.days()),
                default_years: retention.and_then(|r| r.years()),
            })
        }
        Err(e) if error_code(&e) == Some("ObjectLockConfigurationNotFoundError") => {
            Ok(ObjectLock::default())
        }
        Err(e) => Err(aws("s3:GetBucketObjectLockConfiguration")(e)),
    }
}

/// Versions that Object Lock keeps, found by asking each version (only when Lock is on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LockedVersions {
    /// Compliance-mode retention still running: nobody can delete these.
    #[specta(type = f64)]
    pub compliance: u64,
    /// Governance-mode retention still running: only with `s3:BypassGovernanceRetention`.
    #[specta(type = f64)]
    pub governance: u64,
    /// Legal holds on.
    #[specta(type = f64)]
    pub legal_holds: u64,
    /// The latest compliance retain-until date.
    pub compliance_until: Option<String>,
}

/// What emptying will delete.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EmptyPlan {
    pub bucket: String,
    pub region: String,
    /// Current versions (what a plain listing shows).
    #[specta(type = f64)]
    pub objects: u64,
    /// Noncurrent versions.
    #[specta(type = f64)]
    pub older_versions: u64,
    #[specta(type = f64)]
    pub delete_markers: u64,
    #[specta(type = f64)]
    pub unfinished_uploads: u64,
    /// Bytes of every version.
    #[specta(type = f64)]
    pub bytes: u64,
    pub object_lock: ObjectLock,
    pub locked: LockedVersions,
    /// `false` when compliance-mode versions make emptying impossible (see `locked`).
    pub can_run: bool,
}

impl EmptyPlan {
    /// Every version and delete marker: what the run's `DeleteObjects` batches delete.
    pub fn versions_total(&self) -> u64 {
        self.objects + self.older_versions + self.delete_markers
    }

    pub fn is_empty(&self) -> bool {
        self.versions_total() == 0 && self.unfinished_uploads == 0
    }
}

/// How the run goes.
#[derive(Debug, Clone, Copy)]
pub struct EmptyOptions {
    /// Keys per `DeleteObjects` (1–1000; S3's maximum is the default).
    pub batch_size: u16,
    /// Batches (and aborts) in flight at once.
    pub in_flight: usize,
}

impl Default for EmptyOptions {
    fn default() -> Self {
        EmptyOptions {
            batch_size: 1000,
            in_flight: 8,
        }
    }
}

/// Where the run is, reported after every batch and every abort.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EmptyProgress {
    /// Versions and delete markers deleted.
    #[specta(type = f64)]
    pub deleted: u64,
    #[specta(type = f64)]
    pub bytes_deleted: u64,
    #[specta(type = f64)]
    pub uploads_aborted: u64,
    /// Keys S3 refused to delete so far.
    #[specta(type = f64)]
    pub failed: u64,
}

/// A key S3 would not delete, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailedKey {
    pub key: String,
    pub version_id: Option<String>,
    /// An unfinished upload's ID, when it is the abort that failed.
    pub upload_id: Option<String>,
    pub code: String,
    pub message: String,
}

/// What the run did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EmptyReport {
    pub bucket: String,
    #[specta(type = f64)]
    pub deleted: u64,
    #[specta(type = f64)]
    pub bytes_deleted: u64,
    #[specta(type = f64)]
    pub uploads_aborted: u64,
    pub failed: Vec<FailedKey>,
    /// Stopped by the cancel token; run again to continue.
    pub cancelled: bool,
    /// Checked at the end: no version, delete marker or unfinished upload is left.
    pub verified_empty: bool,
}

/// One version or delete marker to delete.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    version_id: Option<String>,
    size: u64,
}

/// One page of `ListObjectVersions`.
struct Page {
    versions: Vec<Entry>,
    delete_markers: Vec<Entry>,
    current: u64,
    next: Option<(Option<String>, Option<String>)>,
}

/// How to list what is to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// `ListObjectVersions`: every version and delete marker.
    Versions,
    /// `ListObjectsV2`: enough, and much cheaper, for a bucket whose versioning was never
    /// turned on (it has exactly one version of each key, the "null" one).
    Current,
}

/// The listing that finds everything in the bucket (versions, unless versioning is surely
/// off; when it cannot be read, versions, which is never wrong).
async fn listing_for(s3: &aws_sdk_s3::Client, bucket: &str) -> Listing {
    match super::list::versioning(s3, bucket).await {
        Ok(super::list::Versioning::Off) => Listing::Current,
        _ => Listing::Versions,
    }
}

async fn list_page(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listing: Listing,
    marker: &(Option<String>, Option<String>),
    max_keys: i32,
) -> Result<Page, BucketError> {
    if listing == Listing::Current {
        // StartAfter is a position, whatever has been deleted before it.
        let out = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_start_after(marker.0.clone())
            .max_keys(max_keys)
            .send()
            .await
            .map_err(aws("s3:ListBucket"))?;
        let versions: Vec<Entry> = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(Entry {
                    key: o.key()?.to_owned(),
                    version_id: None,
                    size: o.size().unwrap_or_default().max(0) as u64,
                })
            })
            .collect();
        let next = (out.is_truncated() == Some(true))
            .then(|| versions.last().map(|e| (Some(e.key.clone()), None)))
            .flatten();
        return Ok(Page {
            current: versions.len() as u64,
            versions,
            delete_markers: Vec::new(),
            next,
        });
    }
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .set_key_marker(marker.0.clone())
        .set_version_id_marker(marker.1.clone())
        .max_keys(max_keys)
        .send()
        .await
        .map_err(aws("s3:ListBucketVersions"))?;
    let mut current = 0;
    let versions = out
        .versions()
        .iter()
        .filter_map(|v| {
            if v.is_latest() == Some(true) {
                current += 1;
            }
            Some(Entry {
                key: v.key()?.to_owned(),
                version_id: v.version_id().map(str::to_owned),
                size: v.size().unwrap_or_default().max(0) as u64,
            })
        })
        .collect();
    let delete_markers = out
        .delete_markers()
        .iter()
        .filter_map(|m| {
            Some(Entry {
                key: m.key()?.to_owned(),
                version_id: m.version_id().map(str::to_owned),
                size: 0,
            })
        })
        .collect();
    let next = (out.is_truncated() == Some(true)).then(|| {
        (
            out.next_key_marker().map(str::to_owned),
            out.next_version_id_marker().map(str::to_owned),
        )
    });
    Ok(Page {
        versions,
        delete_markers,
        current,
        next,
    })
}

/// Every unfinished multipart upload, as (key, upload ID), page by page.
async fn list_uploads(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<(String, String)>, BucketError> {
    let mut uploads = Vec::new();
    let (mut key_marker, mut id_marker) = (None, None);
    loop {
        let page = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(id_marker.take())
            .send()
            .await
            .map_err(aws("s3:ListBucketMultipartUploads"))?;
        for u in page.uploads() {
            if let (Some(key), Some(id)) = (u.key(), u.upload_id()) {
                uploads.push((key.to_owned(), id.to_owned()));
            }
        }
        if page.is_truncated() != Some(true) {
            return Ok(uploads);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        id_marker = page.next_upload_id_marker().map(str::to_owned);
        if key_marker.is_none() && id_marker.is_none() {
            return Ok(uploads);
        }
    }
}

/// Asks every version for its retention and legal hold (bounded concurrency).
async fn scan_locks(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    versions: Vec<Entry>,
) -> Result<LockedVersions, BucketError> {
    let now = aws_sdk_s3::primitives::DateTime::from(std::time::SystemTime::now());
    let limit = Arc::new(Semaphore::new(16));
    let mut tasks = JoinSet::new();
    for v in versions {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            s3.head_object()
                .bucket(bucket)
                .key(v.key)
                .set_version_id(v.version_id)
                .send()
                .await
                .map_err(aws("s3:GetObject"))
        });
    }
    let mut locked = LockedVersions::default();
    let mut latest: Option<aws_sdk_s3::primitives::DateTime> = None;
    while let Some(done) = tasks.join_next().await {
        let head = done.map_err(internal)??;
        let until = head.object_lock_retain_until_date().copied();
        let running = until.is_some_and(|u| u.secs() > now.secs());
        match head.object_lock_mode() {
            Some(ObjectLockMode::Compliance) if running => {
                locked.compliance += 1;
                if let Some(u) = until
                    && latest.is_none_or(|l| u.secs() > l.secs())
                {
                    latest = Some(u);
                }
            }
            Some(ObjectLockMode::Governance) if running => locked.governance += 1,
            _ => {}
        }
        if head.object_lock_legal_hold_status().map(|s| s.as_str()) == Some("ON") {
            locked.legal_holds += 1;
        }
    }
    locked.compliance_until = latest.as_ref().and_then(rfc3339);
    Ok(locked)
}

fn internal(e: tokio::task::JoinError) -> BucketError {
    BucketError::Aws {
        action: "internal",
        failure: AwsFailure::Other {
            code: "Internal".into(),
            message: e.to_string(),
        },
    }
}

/// Counts what emptying will delete and looks for Object Lock. Lists the whole bucket.
pub async fn plan(admin: &AdminS3, bucket: &str) -> Result<EmptyPlan, BucketError> {
    let region = admin.region_of(bucket).await?;
    let s3 = admin.in_region(&region);
    let object_lock = object_lock(&s3, bucket).await?;
    let mut plan = EmptyPlan {
        bucket: bucket.to_owned(),
        region,
        objects: 0,
        older_versions: 0,
        delete_markers: 0,
        unfinished_uploads: 0,
        bytes: 0,
        object_lock: object_lock.clone(),
        locked: LockedVersions::default(),
        can_run: true,
    };
    let mut lockable = Vec::new();
    let listing = if object_lock.enabled {
        Listing::Versions
    } else {
        listing_for(&s3, bucket).await
    };
    let mut marker = (None, None);
    loop {
        let page = list_page(&s3, bucket, listing, &marker, 1000).await?;
        plan.objects += page.current;
        plan.older_versions += page.versions.len() as u64 - page.current;
        plan.delete_markers += page.delete_markers.len() as u64;
        plan.bytes += page.versions.iter().map(|v| v.size).sum::<u64>();
        if object_lock.enabled {
            lockable.extend(page.versions);
        }
        match page.next {
            Some(next) => marker = next,
            None => break,
        }
    }
    plan.unfinished_uploads = list_uploads(&s3, bucket).await?.len() as u64;
    if object_lock.enabled {
        plan.locked = scan_locks(&s3, bucket, lockable).await?;
        plan.can_run = plan.locked.compliance == 0;
    }
    Ok(plan)
}

/// The result of one `DeleteObjects` batch.
struct Batch {
    deleted: u64,
    bytes: u64,
    failed: Vec<FailedKey>,
}

async fn delete_batch(
    s3: aws_sdk_s3::Client,
    bucket: String,
    entries: Vec<Entry>,
) -> Result<Batch, BucketError> {
    let objects: Vec<ObjectIdentifier> = entries
        .iter()
        .map(|e| {
            ObjectIdentifier::builder()
                .key(&e.key)
                .set_version_id(e.version_id.clone())
                .build()
                .expect("key is set")
        })
        .collect();
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .expect("objects are set");
    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete)
        .send()
        .await
        .map_err(aws("s3:DeleteObjectVersion"))?;
    let failed: Vec<FailedKey> = out
        .errors()
        .iter()
        .map(|e| FailedKey {
            key: e.key().unwrap_or_default().to_owned(),
            version_id: e.version_id().map(str::to_owned),
            upload_id: None,
            code: e.code().unwrap_or("Unknown").to_owned(),
            message: e.message().unwrap_or_default().to_owned(),
        })
        .collect();
    let failed_bytes: u64 = entries
        .iter()
        .filter(|e| {
            failed
                .iter()
                .any(|f| f.key == e.key && f.version_id == e.version_id)
        })
        .map(|e| e.size)
        .sum();
    Ok(Batch {
        deleted: entries.len() as u64 - failed.len() as u64,
        bytes: entries.iter().map(|e| e.size).sum::<u64>() - failed_bytes,
        failed,
    })
}

/// What a run has done so far.
#[derive(Default)]
struct Tally {
    state: EmptyProgress,
    failed: Vec<FailedKey>,
    /// The first batch that failed as a whole (not key by key): the run stops there.
    first_error: Option<BucketError>,
}

impl Tally {
    /// Counts a finished batch and reports progress, or keeps the first error.
    fn absorb(
        &mut self,
        done: Result<Result<Batch, BucketError>, tokio::task::JoinError>,
        progress: &(dyn Fn(&EmptyProgress) + Send + Sync),
    ) {
        match done.map_err(internal).and_then(|r| r) {
            Ok(batch) => {
                self.state.deleted += batch.deleted;
                self.state.bytes_deleted += batch.bytes;
                self.state.failed += batch.failed.len() as u64;
                self.failed.extend(batch.failed);
                progress(&self.state);
            }
            Err(e) => {
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }

    fn stopped(&self, cancel: &CancelToken) -> bool {
        cancel.is_cancelled() || self.first_error.is_some()
    }
}

/// Empties the bucket after checking the confirmation (the bucket's name, typed): what the
/// app and the CLI call.
pub async fn run_confirmed(
    admin: &AdminS3,
    bucket: &str,
    typed: &str,
    options: EmptyOptions,
    progress: &(dyn Fn(&EmptyProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<EmptyReport, BucketError> {
    super::delete::confirm(bucket, typed)?;
    run(admin, bucket, options, progress, cancel).await
}

/// Empties the bucket; see the module docs. `progress` is called after every batch and
/// every abort; `cancel` stops it between batches (the batches in flight finish first).
/// Refused before anything is deleted when compliance-mode versions exist.
pub async fn run(
    admin: &AdminS3,
    bucket: &str,
    options: EmptyOptions,
    progress: &(dyn Fn(&EmptyProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<EmptyReport, BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    let lock = object_lock(&s3, bucket).await?;
    if lock.enabled {
        refuse_compliance_locked(&s3, bucket).await?;
    }
    let listing = if lock.enabled {
        Listing::Versions
    } else {
        listing_for(&s3, bucket).await
    };
    let mut tally = Tally::default();
    delete_versions(&s3, bucket, listing, options, progress, cancel, &mut tally).await;
    if let Some(e) = tally.first_error.take() {
        return Err(e);
    }
    // Unfinished multipart uploads: their parts are billed like objects.
    if !cancel.is_cancelled() {
        abort_uploads(
            &s3,
            bucket,
            options.in_flight.max(1),
            cancel,
            &mut tally.state,
            &mut tally.failed,
            progress,
        )
        .await?;
    }
    let cancelled = cancel.is_cancelled();
    let verified_empty = !cancelled && is_empty(&s3, bucket).await?;
    Ok(EmptyReport {
        bucket: bucket.to_owned(),
        deleted: tally.state.deleted,
        bytes_deleted: tally.state.bytes_deleted,
        uploads_aborted: tally.state.uploads_aborted,
        failed: tally.failed,
        cancelled,
        verified_empty,
    })
}

/// Lists every version and asks each for its lock: refused when compliance-mode retention
/// keeps any of them.
async fn refuse_compliance_locked(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<(), BucketError> {
    let mut versions = Vec::new();
    let mut marker = (None, None);
    loop {
        let page = list_page(s3, bucket, Listing::Versions, &marker, 1000).await?;
        versions.extend(page.versions);
        match page.next {
            Some(next) => marker = next,
            None => break,
        }
    }
    let locked = scan_locks(s3, bucket, versions).await?;
    if locked.compliance > 0 {
        return Err(BucketError::ObjectLocked {
            bucket: bucket.to_owned(),
            versions: locked.compliance,
            retain_until: locked.compliance_until,
        });
    }
    Ok(())
}

/// Versions and delete markers: list a page, then send the page before it while the
/// listing goes on. A page is deleted only once the page after it has been listed,
/// because the next page starts after the previous page's last entry: S3 treats that
/// marker as a position, but some S3-compatible servers (moto among them) look the
/// entry up and return nothing once it is gone. Stops at a cancel or the first failed
/// batch (kept in `tally`).
async fn delete_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listing: Listing,
    options: EmptyOptions,
    progress: &(dyn Fn(&EmptyProgress) + Send + Sync),
    cancel: &CancelToken,
    tally: &mut Tally,
) {
    let batch_size = options.batch_size.clamp(1, 1000) as i32;
    let in_flight = options.in_flight.max(1);
    let mut tasks: JoinSet<Result<Batch, BucketError>> = JoinSet::new();
    let mut marker = (None, None);
    let mut held: Option<Vec<Entry>> = None;
    loop {
        if tally.stopped(cancel) {
            held = None;
            break;
        }
        let page = match list_page(s3, bucket, listing, &marker, batch_size).await {
            Ok(p) => p,
            Err(e) => {
                tally.first_error = Some(e);
                held = None;
                break;
            }
        };
        if let Some(entries) = held.take() {
            while tasks.len() >= in_flight {
                if let Some(done) = tasks.join_next().await {
                    tally.absorb(done, progress);
                }
            }
            if tally.stopped(cancel) {
                break;
            }
            tasks.spawn(delete_batch(s3.clone(), bucket.to_owned(), entries));
        }
        let mut entries = page.versions;
        entries.extend(page.delete_markers);
        if !entries.is_empty() {
            held = Some(entries);
        }
        match page.next {
            Some(next) => marker = next,
            None => break,
        }
    }
    if let Some(entries) = held
        && !tally.stopped(cancel)
    {
        tasks.spawn(delete_batch(s3.clone(), bucket.to_owned(), entries));
    }
    while let Some(done) = tasks.join_next().await {
        tally.absorb(done, progress);
    }
}

async fn abort_uploads(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    in_flight: usize,
    cancel: &CancelToken,
    state: &mut EmptyProgress,
    failed: &mut Vec<FailedKey>,
    progress: &(dyn Fn(&EmptyProgress) + Send + Sync),
) -> Result<(), BucketError> {
    let uploads = list_uploads(s3, bucket).await?;
    let limit = Arc::new(Semaphore::new(in_flight));
    let mut tasks = JoinSet::new();
    for (key, id) in uploads {
        if cancel.is_cancelled() {
            break;
        }
        let (s3, bucket, limit) = (s3.clone(), bucket.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = s3
                .abort_multipart_upload()
                .bucket(bucket)
                .key(&key)
                .upload_id(&id)
                .send()
                .await;
            match result {
                Ok(_) => Ok((key, id)),
                // Gone already (finished or aborted meanwhile): nothing left to pay for.
                Err(e) if error_code(&e) == Some("NoSuchUpload") => Ok((key, id)),
                Err(e) => {
                    use aws_sdk_s3::error::ProvideErrorMetadata;
                    Err(FailedKey {
                        key,
                        version_id: None,
                        upload_id: Some(id),
                        code: e.code().unwrap_or("Unknown").to_owned(),
                        message: e
                            .message()
                            .map(str::to_owned)
                            .unwrap_or_else(|| format!("{e:?}")),
                    })
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done.map_err(internal)? {
            Ok(_) => state.uploads_aborted += 1,
            Err(f) => {
                state.failed += 1;
                failed.push(f);
            }
        }
        progress(state);
    }
    Ok(())
}

/// No version, delete marker or unfinished upload left.
pub async fn is_empty(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, BucketError> {
    let (versions, uploads) = remaining(s3, bucket).await?;
    Ok(versions == 0 && uploads == 0)
}

/// Whether anything is left: (versions and delete markers, unfinished uploads), each
/// counted up to one page.
pub(crate) async fn remaining(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<(u64, u64), BucketError> {
    let listing = listing_for(s3, bucket).await;
    let page = list_page(s3, bucket, listing, &(None, None), 1000).await?;
    let uploads = s3
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .map_err(aws("s3:ListBucketMultipartUploads"))?;
    Ok((
        (page.versions.len() + page.delete_markers.len()) as u64,
        uploads.uploads().len() as u64,
    ))
}
