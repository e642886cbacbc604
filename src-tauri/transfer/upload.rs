//! Uploading files: one `PutObject` up to a threshold, a parallel multipart upload above it.
//!
//! A multipart upload is resumable state, not a loop: the upload ID is journaled before the
//! first part, each part after the server acknowledged it, and a rerun resumes from the
//! parts that `ListParts` confirms (see [`super::journal`]). A file whose size or mtime
//! changed since the journal was written is aborted and sent again from the start. Parts in
//! flight are bounded by one semaphore for the whole batch (memory: permits × part size),
//! files in flight by another. A cancel drops the parts in flight, aborts the upload and
//! confirms with `ListParts` that no part is left.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::journal::{FileStamp, JOURNAL_VERSION, Journal, JournalPart, UploadRecord};
use super::progress::{FileHandle, FileState, Progress};
use super::uploads::abort_and_confirm;
use super::{ChecksumMode, MIB, TransferError, composite_crc32c, crc32c_base64};
use crate::error::ApiError;
use crate::locale::Language;

/// S3's limits on multipart uploads.
pub const MAX_PARTS: u64 = 10_000;
pub const MIN_PART: u64 = 5 * MIB;
pub const MAX_PART: u64 = 5 * 1024 * MIB;
pub const MAX_OBJECT: u64 = 5 * 1024 * 1024 * MIB;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct UploadOptions {
    /// Files larger than this (MiB) go multipart.
    pub multipart_threshold_mib: u32,
    /// The preferred part size (MiB); grown for files that would need more than 10,000.
    pub part_size_mib: u32,
    /// Parts in flight across the whole batch.
    pub parts_in_flight: u32,
    /// Files in flight at once.
    pub files_in_flight: u32,
    /// `Cache-Control` for every object of the batch.
    pub cache_control: Option<String>,
    pub checksums: ChecksumMode,
    /// At most this many KiB per second for the whole batch (`None`: as fast as it goes).
    pub bandwidth_limit_kib: Option<u32>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            multipart_threshold_mib: 8,
            part_size_mib: 8,
            parts_in_flight: 16,
            files_in_flight: 32,
            cache_control: None,
            checksums: ChecksumMode::Crc32c,
            bandwidth_limit_kib: None,
        }
    }
}

/// One file to upload, with its full key (BasePath included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadItem {
    pub path: PathBuf,
    pub key: String,
    pub content_type: String,
    pub size: u64,
    /// Refuse to replace an existing object (`If-None-Match: *`): renamed collisions.
    pub must_not_exist: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// The full object key.
    pub key: String,
    pub bytes: f64,
    /// 0 for a single PUT.
    pub parts: u32,
    /// Parts sent by this run.
    pub parts_sent: u32,
    /// Parts a resume did not send again, as `ListParts` confirmed them.
    pub parts_reused: u32,
    /// Resumed from the journal after a crash or a restart.
    pub resumed: bool,
    /// A journaled upload of this file was aborted and started again: the file changed.
    pub restarted: bool,
    /// The object's CRC32C (`…-N` for a multipart upload), where checksums are sent.
    pub checksum_crc32c: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailedFile {
    pub key: String,
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub uploaded: Vec<UploadedFile>,
    pub failed: Vec<FailedFile>,
    /// Keys not uploaded because the batch was cancelled (their multipart uploads aborted).
    pub cancelled: Vec<String>,
    /// Keys of the plan left out: existing keys skipped, or names with a problem.
    pub skipped: Vec<String>,
}

/// The part size for a file of `size` bytes: `preferred` (at least S3's 5 MiB), grown in
/// whole MiB until the file fits in 10,000 parts.
pub fn part_size_for(size: u64, preferred: u64) -> u64 {
    let mut part = preferred.clamp(MIN_PART, MAX_PART);
    if size.div_ceil(part) > MAX_PARTS {
        part = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    }
    part.min(MAX_PART)
}

fn part_count(size: u64, part_size: u64) -> u64 {
    size.div_ceil(part_size).max(1)
}

fn part_len(size: u64, part_size: u64, number: i32) -> u64 {
    let start = (number as u64 - 1) * part_size;
    part_size.min(size - start)
}

/// The batch's bandwidth limit: each request waits until the bytes sent before it, and
/// its own, fit in the time since the batch started at the allowed rate.
#[derive(Debug)]
struct Limiter {
    started: tokio::time::Instant,
    bytes_per_sec: f64,
    reserved: std::sync::Mutex<u64>,
}

impl Limiter {
    fn new(kib_per_sec: Option<u32>) -> Option<Arc<Limiter>> {
        kib_per_sec.filter(|k| *k > 0).map(|k| {
            Arc::new(Limiter {
                started: tokio::time::Instant::now(),
                bytes_per_sec: f64::from(k) * 1024.0,
                reserved: std::sync::Mutex::new(0),
            })
        })
    }

    /// Waits until `bytes` more may be sent.
    async fn wait(limit: &Option<Arc<Limiter>>, bytes: u64) {
        let Some(limit) = limit else { return };
        let due = {
            let mut reserved = limit.reserved.lock().expect("limiter lock");
            let before = *reserved;
            *reserved += bytes;
            limit.started + std::time::Duration::from_secs_f64(before as f64 / limit.bytes_per_sec)
        };
        tokio::time::sleep_until(due).await;
    }
}

/// What every upload of a batch shares.
#[derive(Clone)]
struct Batch {
    s3: aws_sdk_s3::Client,
    bucket: String,
    options: UploadOptions,
    journal: Journal,
    parts: Arc<Semaphore>,
    limit: Option<Arc<Limiter>>,
}

impl Batch {
    fn new(
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        options: &UploadOptions,
        journal: &Journal,
    ) -> Batch {
        Batch {
            s3: s3.clone(),
            bucket: bucket.to_owned(),
            options: options.clone(),
            journal: journal.clone(),
            parts: Arc::new(Semaphore::new(options.parts_in_flight.max(1) as usize)),
            limit: Limiter::new(options.bandwidth_limit_kib),
        }
    }
}

/// A batch as the user asked for it: the preview of `files` into `prefix`, its collisions
/// resolved once with `on_collision`, then uploaded. Returns the preview and the report
/// (with the skipped keys). The CLI's `put` and the GUI's Upload both run this.
#[allow(clippy::too_many_arguments)]
pub async fn plan_and_upload(
    s3: &aws_sdk_s3::Client,
    source: &crate::config::SourceConfig,
    files: &[super::plan::LocalFile],
    prefix: &str,
    production_base: &str,
    on_collision: super::plan::OnCollision,
    options: &UploadOptions,
    journal: &Journal,
    progress: &Progress,
    lang: Language,
) -> Result<(super::plan::UploadPlan, UploadReport), TransferError> {
    let planned = super::plan::plan_upload(s3, source, files, prefix, production_base).await?;
    let (items, skipped) = super::plan::resolve(&planned, source, on_collision);
    let mut report = upload_all(s3, &source.bucket, items, options, journal, progress, lang).await;
    report.skipped = skipped.into_iter().map(|p| p.key).collect();
    Ok((planned, report))
}

/// Uploads `items` into `bucket`, several files and parts at once, and reports each file.
/// A file that fails does not stop the others; a cancel stops them all.
pub async fn upload_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    items: Vec<UploadItem>,
    options: &UploadOptions,
    journal: &Journal,
    progress: &Progress,
    lang: Language,
) -> UploadReport {
    let batch = Batch::new(s3, bucket, options, journal);
    let files = Arc::new(Semaphore::new(options.files_in_flight.max(1) as usize));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items {
        let handle = progress.add_file(&item.key, item.size);
        let (batch, files) = (batch.clone(), files.clone());
        tasks.spawn(async move {
            let key = item.key.clone();
            let result = tokio::select! {
                permit = files.acquire_owned() => {
                    let _permit = permit.expect("the files semaphore is never closed");
                    upload_file_with(&batch, &item, &handle).await
                }
                _ = handle.token().cancelled_owned() => Err(TransferError::Cancelled),
            };
            handle.finish(match &result {
                Ok(_) => FileState::Done,
                Err(TransferError::Cancelled) => FileState::Cancelled,
                Err(_) => FileState::Failed,
            });
            (key, result)
        });
    }
    let mut report = UploadReport {
        uploaded: Vec::new(),
        failed: Vec::new(),
        cancelled: Vec::new(),
        skipped: Vec::new(),
    };
    while let Some(joined) = tasks.join_next().await {
        let (key, result) = joined.expect("upload task panicked");
        match result {
            Ok(done) => report.uploaded.push(done),
            Err(TransferError::Cancelled) => report.cancelled.push(key),
            Err(e) => report.failed.push(FailedFile {
                key,
                error: ApiError::from_err(&e, lang),
            }),
        }
    }
    report.uploaded.sort_by(|a, b| a.key.cmp(&b.key));
    report.failed.sort_by(|a, b| a.key.cmp(&b.key));
    report.cancelled.sort();
    report
}

/// Uploads one file (see the module doc); `handle` is its line in a batch's progress.
pub async fn upload_file(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    item: &UploadItem,
    options: &UploadOptions,
    journal: &Journal,
    handle: &FileHandle,
) -> Result<UploadedFile, TransferError> {
    let batch = Batch::new(s3, bucket, options, journal);
    upload_file_with(&batch, item, handle).await
}

async fn upload_file_with(
    batch: &Batch,
    item: &UploadItem,
    handle: &FileHandle,
) -> Result<UploadedFile, TransferError> {
    handle.start();
    let stamp = FileStamp::of(&item.path)?;
    if stamp.size > MAX_OBJECT {
        return Err(TransferError::TooLarge {
            key: item.key.clone(),
        });
    }
    if stamp.size != item.size {
        handle.set_total(stamp.size);
    }
    let threshold = u64::from(batch.options.multipart_threshold_mib.max(5)) * MIB;
    let journaled = batch
        .journal
        .load(&batch.bucket, &item.key, &item.path)?
        .is_some();
    if stamp.size <= threshold && !journaled {
        put_single(batch, item, handle).await
    } else {
        put_multipart(batch, item, stamp, handle).await
    }
}

async fn put_single(
    batch: &Batch,
    item: &UploadItem,
    handle: &FileHandle,
) -> Result<UploadedFile, TransferError> {
    let data = tokio::fs::read(&item.path)
        .await
        .map_err(TransferError::io("read", &item.path))?;
    let bytes = data.len() as u64;
    let crc = (batch.options.checksums == ChecksumMode::Crc32c)
        .then(|| crc32c_base64(crc_fast::crc32_iscsi(&data)));
    let mut request = batch
        .s3
        .put_object()
        .bucket(&batch.bucket)
        .key(&item.key)
        .content_type(&item.content_type)
        .set_cache_control(batch.options.cache_control.clone())
        .body(ByteStream::from(data));
    if let Some(crc) = &crc {
        request = request
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .checksum_crc32_c(crc);
    }
    if item.must_not_exist {
        request = request.if_none_match("*");
    }
    let sent = tokio::select! {
        sent = async {
            Limiter::wait(&batch.limit, bytes).await;
            request.send().await
        } => sent,
        _ = handle.token().cancelled_owned() => return Err(TransferError::Cancelled),
    };
    sent.map_err(|e| write_error(&e, &batch.bucket, &item.key))?;
    handle.acknowledge(bytes);
    Ok(UploadedFile {
        key: item.key.clone(),
        bytes: bytes as f64,
        parts: 0,
        parts_sent: 0,
        parts_reused: 0,
        resumed: false,
        restarted: false,
        checksum_crc32c: crc,
    })
}

fn write_error<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    bucket: &str,
    key: &str,
) -> TransferError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if err.code() == Some("PreconditionFailed") {
        return TransferError::KeyExists {
            key: key.to_owned(),
        };
    }
    TransferError::from_sdk(err, "s3:PutObject", bucket)
}

fn is_no_such_upload<E: ProvideErrorMetadata>(err: &E) -> bool {
    matches!(err.code(), Some("NoSuchUpload" | "NotFound"))
}

/// Every part the server holds for an upload; `None` when the upload no longer exists.
pub async fn server_parts(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Option<Vec<aws_sdk_s3::types::Part>>, TransferError> {
    let mut parts = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = s3
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker.take())
            .send()
            .await;
        let (page, truncated, next) = match out {
            Ok(out) => (
                out.parts().to_vec(),
                out.is_truncated() == Some(true),
                out.next_part_number_marker().map(str::to_owned),
            ),
            Err(e) if is_no_such_upload(&e) => return Ok(None),
            Err(e) => match e
                .raw_response()
                .filter(|r| r.status().is_success())
                .and_then(|r| r.body().bytes())
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(parse_list_parts_response)
            {
                Some(page) => page,
                None => {
                    return Err(TransferError::from_sdk(
                        &e,
                        "s3:ListMultipartUploadParts",
                        bucket,
                    ));
                }
            },
        };
        parts.extend(page);
        match next {
            Some(next) if truncated && !next.is_empty() => marker = Some(next),
            _ => return Ok(Some(parts)),
        }
    }
}

/// A `ListParts` answer whose root is `ListPartsResponse` instead of `ListPartsResult`
/// (moto 5.2 answers so; the SDK refuses it): its parts, truncation and next marker, read
/// with the few tags ListParts has. Anything else is not accepted.
fn parse_list_parts_response(
    body: &str,
) -> Option<(Vec<aws_sdk_s3::types::Part>, bool, Option<String>)> {
    fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(&text[start..end])
    }
    fn unescape(text: &str) -> String {
        text.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }
    if !body.contains("<ListPartsResponse") {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<Part>") {
        let end = rest[start..].find("</Part>")? + start;
        let part = &rest[start..end];
        parts.push(
            aws_sdk_s3::types::Part::builder()
                .part_number(tag(part, "PartNumber")?.trim().parse().ok()?)
                .e_tag(unescape(tag(part, "ETag")?))
                .size(tag(part, "Size")?.trim().parse().ok()?)
                .set_checksum_crc32_c(tag(part, "ChecksumCRC32C").map(unescape))
                .build(),
        );
        rest = &rest[end..];
    }
    // The top-level tags, outside the parts.
    let top = match body.find("<Part>") {
        Some(i) => format!("{}{}", &body[..i], &body[body.rfind("</Part>")?..]),
        None => body.to_owned(),
    };
    let truncated = tag(&top, "IsTruncated").is_some_and(|t| t.trim() == "true");
    let next = tag(&top, "NextPartNumberMarker").map(|t| t.trim().to_owned());
    Some((parts, truncated, next))
}

async fn save_journal(journal: &Journal, record: &UploadRecord) -> Result<(), TransferError> {
    let (journal, record) = (journal.clone(), record.clone());
    tokio::task::spawn_blocking(move || journal.save(&record))
        .await
        .expect("journal write panicked")
}

async fn read_part(
    file: Arc<std::fs::File>,
    path: PathBuf,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, TransferError> {
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)
            .map_err(TransferError::io("read", &path))?;
        Ok(buf)
    })
    .await
    .expect("part read panicked")
}

/// Starts a new multipart upload and journals it before any part is sent.
async fn create_upload(
    batch: &Batch,
    item: &UploadItem,
    stamp: FileStamp,
    part_size: u64,
) -> Result<UploadRecord, TransferError> {
    let crc32c = batch.options.checksums == ChecksumMode::Crc32c;
    let mut request = batch
        .s3
        .create_multipart_upload()
        .bucket(&batch.bucket)
        .key(&item.key)
        .content_type(&item.content_type)
        .set_cache_control(batch.options.cache_control.clone());
    if crc32c {
        request = request.checksum_algorithm(ChecksumAlgorithm::Crc32C);
    }
    let out = request
        .send()
        .await
        .map_err(|e| write_error(&e, &batch.bucket, &item.key))?;
    let upload_id = out.upload_id().unwrap_or_default().to_owned();
    let record = UploadRecord {
        version: JOURNAL_VERSION,
        bucket: batch.bucket.clone(),
        key: item.key.clone(),
        path: item.path.clone(),
        stamp,
        part_size,
        upload_id,
        crc32c,
        parts: Vec::new(),
        started_at: crate::sources::now_rfc3339(),
        parts_sent: 0,
    };
    save_journal(&batch.journal, &record).await?;
    Ok(record)
}

/// One part to send (or to keep, when a resume found it on the server with these bytes).
struct PartJob {
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    upload_id: String,
    file: Arc<std::fs::File>,
    path: PathBuf,
    number: i32,
    offset: u64,
    len: u64,
    reused: Option<JournalPart>,
    crc32c: bool,
    limit: Option<Arc<Limiter>>,
}

impl PartJob {
    /// The part as the server holds it, its CRC32C, and whether it was sent now.
    async fn run(self) -> Result<(JournalPart, u32, bool), TransferError> {
        let data = read_part(self.file, self.path, self.offset, self.len).await?;
        let crc = crc_fast::crc32_iscsi(&data);
        if let Some(reused) = self.reused {
            // A confirmed part is kept if its bytes are still the file's bytes.
            let same = reused
                .checksum_crc32c
                .as_deref()
                .is_none_or(|c| c == crc32c_base64(crc));
            if same {
                return Ok((reused, crc, false));
            }
        }
        Limiter::wait(&self.limit, self.len).await;
        let mut request = self
            .s3
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(self.number)
            .content_length(self.len as i64)
            .body(ByteStream::from(data));
        if self.crc32c {
            request = request
                .checksum_algorithm(ChecksumAlgorithm::Crc32C)
                .checksum_crc32_c(crc32c_base64(crc));
        }
        let out = request
            .send()
            .await
            .map_err(|e| TransferError::from_sdk(&e, "s3:PutObject", &self.bucket))?;
        Ok((
            JournalPart {
                number: self.number,
                etag: out.e_tag().unwrap_or_default().to_owned(),
                checksum_crc32c: self.crc32c.then(|| crc32c_base64(crc)),
                size: self.len,
            },
            crc,
            true,
        ))
    }
}

/// Where a multipart upload starts from: a journaled upload the server still has (with the
/// parts it confirms), or a new one.
struct Resumable {
    record: UploadRecord,
    /// Parts the server confirms, by number.
    confirmed: BTreeMap<i32, JournalPart>,
    resumed: bool,
    restarted: bool,
}

/// The whole parts of the expected size among `parts` that the server listed for `old`
/// (a torn part is sent again), with their checksums from the server or the journal.
fn confirmed_parts(
    old: &UploadRecord,
    parts: Vec<aws_sdk_s3::types::Part>,
) -> BTreeMap<i32, JournalPart> {
    let mut confirmed = BTreeMap::new();
    for part in parts {
        let (Some(number), Some(etag), Some(size)) =
            (part.part_number(), part.e_tag(), part.size())
        else {
            continue;
        };
        let in_range = number >= 1 && (number as u64) <= part_count(old.stamp.size, old.part_size);
        if in_range && size as u64 == part_len(old.stamp.size, old.part_size, number) {
            let journaled = old.parts.iter().find(|p| p.number == number);
            confirmed.insert(
                number,
                JournalPart {
                    number,
                    etag: etag.to_owned(),
                    checksum_crc32c: part
                        .checksum_crc32_c()
                        .map(str::to_owned)
                        .or_else(|| journaled.and_then(|p| p.checksum_crc32c.clone())),
                    size: size as u64,
                },
            );
        }
    }
    confirmed
}

/// Resumes the journaled upload of `item` from what `ListParts` confirms, or starts a new
/// one: a changed file's old upload is aborted first, a vanished one forgotten.
async fn resume_or_start(
    batch: &Batch,
    item: &UploadItem,
    stamp: FileStamp,
) -> Result<Resumable, TransferError> {
    let (s3, bucket, key) = (&batch.s3, batch.bucket.as_str(), item.key.as_str());
    let mut restarted = false;
    match batch.journal.load(bucket, key, &item.path)? {
        Some(old) if old.stamp != stamp => {
            // The file changed since its parts were sent: they belong to another file.
            abort_and_confirm(s3, bucket, key, &old.upload_id).await?;
            batch.journal.remove(&old)?;
            restarted = true;
        }
        Some(old) => match server_parts(s3, bucket, key, &old.upload_id).await? {
            Some(parts) => {
                let confirmed = confirmed_parts(&old, parts);
                let mut record = old;
                record.parts = confirmed.values().cloned().collect();
                save_journal(&batch.journal, &record).await?;
                return Ok(Resumable {
                    record,
                    confirmed,
                    resumed: true,
                    restarted,
                });
            }
            None => batch.journal.remove(&old)?,
        },
        None => {}
    }
    let part_size = part_size_for(stamp.size, u64::from(batch.options.part_size_mib) * MIB);
    Ok(Resumable {
        record: create_upload(batch, item, stamp, part_size).await?,
        confirmed: BTreeMap::new(),
        resumed: false,
        restarted,
    })
}

/// What sending the parts gave: each part's CRC32C, and how many were sent (not reused).
struct SentParts {
    crcs: BTreeMap<i32, u32>,
    sent: u32,
}

/// Sends every part not confirmed yet, several at once within the batch's permits, and
/// journals each as the server acknowledges it. On a cancel or a permanent failure the
/// parts in flight are dropped and the upload is aborted (confirmed with `ListParts`).
async fn send_parts(
    batch: &Batch,
    item: &UploadItem,
    stamp: FileStamp,
    resumable: &mut Resumable,
    handle: &FileHandle,
) -> Result<SentParts, TransferError> {
    let record = &mut resumable.record;
    let part_size = record.part_size;
    let count = part_count(stamp.size, part_size) as i32;
    let file =
        Arc::new(std::fs::File::open(&item.path).map_err(TransferError::io("read", &item.path))?);
    let mut out = SentParts {
        crcs: BTreeMap::new(),
        sent: 0,
    };
    let mut tasks: tokio::task::JoinSet<Result<(JournalPart, u32, bool), TransferError>> =
        tokio::task::JoinSet::new();
    // Parts start in order, each once a permit of the batch is free, so the journal fills
    // from the front and a crash loses as little as possible.
    let mut pending: std::collections::VecDeque<i32> = (1..=count).collect();
    let mut failure: Option<TransferError> = None;
    let token = handle.token();
    // The cancel branch never ends by itself, so the loop ends here, not in `else`.
    while !(pending.is_empty() && tasks.is_empty()) {
        tokio::select! {
            biased;
            _ = token.cancelled() => {
                failure = Some(TransferError::Cancelled);
                break;
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                match joined.expect("part task panicked") {
                    Ok((part, crc, sent)) => {
                        out.crcs.insert(part.number, crc);
                        if sent {
                            out.sent += 1;
                            record.parts_sent += 1;
                            record.parts.retain(|p| p.number != part.number);
                            handle.acknowledge(part.size);
                            record.parts.push(part);
                            record.parts.sort_by_key(|p| p.number);
                            save_journal(&batch.journal, record).await?;
                        }
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            permit = batch.parts.clone().acquire_owned(), if !pending.is_empty() => {
                let permit = permit.expect("the parts semaphore is never closed");
                let number = pending.pop_front().expect("checked");
                let job = PartJob {
                    s3: batch.s3.clone(),
                    bucket: batch.bucket.clone(),
                    key: item.key.clone(),
                    upload_id: record.upload_id.clone(),
                    file: file.clone(),
                    path: item.path.clone(),
                    number,
                    offset: (number as u64 - 1) * part_size,
                    len: part_len(stamp.size, part_size, number),
                    reused: resumable.confirmed.get(&number).cloned(),
                    crc32c: record.crc32c,
                    limit: batch.limit.clone(),
                };
                tasks.spawn(async move {
                    let _permit = permit;
                    job.run().await
                });
            }
        }
    }
    let Some(err) = failure else {
        return Ok(out);
    };
    // Parts in flight are dropped before the abort, so none lands after it.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let permanent = matches!(
        err,
        TransferError::Cancelled | TransferError::WriteDenied { .. }
    );
    if permanent {
        abort_and_confirm(&batch.s3, &batch.bucket, &item.key, &record.upload_id).await?;
        batch.journal.remove(record)?;
    }
    // Other failures (network, throttling) keep the upload and its journal: a rerun
    // resumes it, and the bucket's unfinished uploads show it meanwhile.
    Err(err)
}

/// Completes the upload with every part (refusing to replace an object for a renamed
/// collision) and forgets its journal.
async fn complete_upload(
    batch: &Batch,
    item: &UploadItem,
    record: &UploadRecord,
    crcs: &BTreeMap<i32, u32>,
) -> Result<(), TransferError> {
    let completed: Vec<CompletedPart> = record
        .parts
        .iter()
        .map(|p| {
            CompletedPart::builder()
                .part_number(p.number)
                .e_tag(&p.etag)
                .set_checksum_crc32_c(record.crc32c.then(|| crc32c_base64(crcs[&p.number])))
                .build()
        })
        .collect();
    let mut request = batch
        .s3
        .complete_multipart_upload()
        .bucket(&batch.bucket)
        .key(&item.key)
        .upload_id(&record.upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        );
    if item.must_not_exist {
        request = request.if_none_match("*");
    }
    request
        .send()
        .await
        .map_err(|e| write_error(&e, &batch.bucket, &item.key))?;
    batch.journal.remove(record)
}

async fn put_multipart(
    batch: &Batch,
    item: &UploadItem,
    stamp: FileStamp,
    handle: &FileHandle,
) -> Result<UploadedFile, TransferError> {
    let mut resumable = resume_or_start(batch, item, stamp).await?;
    for p in resumable.confirmed.values() {
        handle.acknowledge(p.size);
    }
    let sent = send_parts(batch, item, stamp, &mut resumable, handle).await?;
    let record = &resumable.record;
    if FileStamp::of(&item.path)? != stamp {
        abort_and_confirm(&batch.s3, &batch.bucket, &item.key, &record.upload_id).await?;
        batch.journal.remove(record)?;
        return Err(TransferError::Changed {
            what: item.path.display().to_string(),
        });
    }
    complete_upload(batch, item, record, &sent.crcs).await?;
    let count = part_count(stamp.size, record.part_size) as u32;
    let all: Vec<u32> = sent.crcs.values().copied().collect();
    Ok(UploadedFile {
        key: item.key.clone(),
        bytes: stamp.size as f64,
        parts: count,
        parts_sent: sent.sent,
        parts_reused: count - sent.sent,
        resumed: resumable.resumed,
        restarted: resumable.restarted,
        checksum_crc32c: record.crc32c.then(|| composite_crc32c(&all)),
    })
}

/// The CRC32C an upload of `path` makes with `part_size` parts (`None`: a single PUT),
/// computed locally, to compare with what the server says.
pub fn local_crc32c(path: &std::path::Path, part_size: Option<u64>) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let chunk = part_size.unwrap_or(8 * MIB) as usize;
    let mut buf = vec![0u8; chunk];
    let mut crcs = Vec::new();
    let mut whole = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
    loop {
        let mut filled = 0;
        while filled < chunk {
            let n = file.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        crcs.push(crc_fast::crc32_iscsi(&buf[..filled]));
        whole.update(&buf[..filled]);
        if filled < chunk {
            break;
        }
    }
    Ok(match part_size {
        Some(_) => composite_crc32c(&crcs),
        None => crc32c_base64(whole.finalize() as u32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_8_mib_until_a_file_needs_more_than_10000() {
        assert_eq!(part_size_for(64 * MIB, 8 * MIB), 8 * MIB);
        assert_eq!(part_count(64 * MIB, 8 * MIB), 8);
        // 80,000 MiB in 8 MiB parts is exactly 10,000 parts: still 8 MiB.
        assert_eq!(part_size_for(80_000 * MIB, 8 * MIB), 8 * MIB);
        // One byte more needs a ninth MiB per part.
        let grown = part_size_for(80_000 * MIB + 1, 8 * MIB);
        assert_eq!(grown, 9 * MIB);
        assert!(part_count(80_000 * MIB + 1, grown) <= MAX_PARTS);
        // The largest object fits in 10,000 parts of at most 5 GiB.
        let biggest = part_size_for(MAX_OBJECT, 8 * MIB);
        assert!(biggest <= MAX_PART && part_count(MAX_OBJECT, biggest) <= MAX_PARTS);
        // Below S3's minimum the preference is raised to 5 MiB.
        assert_eq!(part_size_for(64 * MIB, MIB), MIN_PART);
    }

    #[test]
    fn a_list_parts_response_root_is_read_too() {
        let body = "<?xml version=\"1.0\"?><ListPartsResponse xmlns=\"x\"><Bucket>b</Bucket>\
            <NextPartNumberMarker>13</NextPartNumberMarker><IsTruncated>false</IsTruncated>\
            <Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><Size>5242880</Size></Part>\
            <Part><PartNumber>13</PartNumber><ETag>\"e13\"</ETag><Size>4</Size></Part>\
            </ListPartsResponse>";
        let (parts, truncated, next) = parse_list_parts_response(body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].part_number(), Some(1));
        assert_eq!(parts[0].e_tag(), Some("\"e1\""));
        assert_eq!(parts[1].size(), Some(4));
        assert!(!truncated);
        assert_eq!(next.as_deref(), Some("13"));
        assert!(parse_list_parts_response("<ListPartsResult></ListPartsResult>").is_none());
    }

    #[test]
    fn the_bandwidth_limit_spaces_requests_at_the_allowed_rate() {
        assert!(Limiter::new(None).is_none());
        assert!(Limiter::new(Some(0)).is_none(), "0 is no limit");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let limit = Limiter::new(Some(1024)); // 1 MiB/s
            let start = std::time::Instant::now();
            Limiter::wait(&limit, MIB / 4).await;
            assert!(
                start.elapsed().as_millis() < 100,
                "the first request goes at once"
            );
            Limiter::wait(&limit, MIB).await;
            let waited = start.elapsed().as_secs_f64();
            assert!(
                (0.24..0.6).contains(&waited),
                "the second waits for the first quarter MiB: {waited}"
            );
        });
    }

    #[test]
    fn the_last_part_holds_the_remainder() {
        let size = 20 * MIB + 3;
        assert_eq!(part_count(size, 8 * MIB), 3);
        assert_eq!(part_len(size, 8 * MIB, 1), 8 * MIB);
        assert_eq!(part_len(size, 8 * MIB, 3), 4 * MIB + 3);
    }

    #[test]
    fn local_checksums_follow_the_part_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data: Vec<u8> = (0..(11 * MIB as usize)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        assert_eq!(
            local_crc32c(&path, None).unwrap(),
            crc32c_base64(crc_fast::crc32_iscsi(&data))
        );
        let (a, b) = data.split_at(5 * MIB as usize);
        let (b, c) = b.split_at(5 * MIB as usize);
        let parts: Vec<u32> = [a, b, c].iter().map(|p| crc_fast::crc32_iscsi(p)).collect();
        assert_eq!(
            local_crc32c(&path, Some(5 * MIB)).unwrap(),
            composite_crc32c(&parts)
        );
    }
}
