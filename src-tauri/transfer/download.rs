//! Downloading objects: one key to a file, or a prefix into a folder.
//!
//! Each file is written to a hidden temp file beside its destination and renamed into
//! place only when complete and checked, so a destination is never half-written. A crash
//! leaves the temp file and a small sidecar naming the object's ETag and how many of its
//! first bytes are complete: the next download of the same object resumes from there with
//! `Range` (and `If-Match`, so a changed object is noticed instead of spliced). An existing
//! file is never replaced unless the caller says so; without it, the final step is a hard
//! link, which fails rather than overwrite even if the file appears meanwhile.
//!
//! Chunks are fetched several at a time, each streamed into the temp file at its own offset
//! as its bytes arrive (1 MiB per write) and hashed on the way; finished chunks are taken in
//! order to advance the sidecar's complete prefix and the checksum, which is assembled from
//! the chunks' CRCs (`crc32c_combine`). Where the object has a CRC32C (whole, or composite
//! `…-N` for a multipart upload) the bytes are checked against it before the rename.
//!
//! The temp file is not fsynced before the rename, as with the AWS CLI, s5cmd and rclone:
//! the object stays in S3, so a power cut can cost a download but never data, and syncing
//! bound a 1 GiB download to the disk's write speed (0.7× s5cmd here, doc/BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::ChecksumMode;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::progress::{FileHandle, FileState, Progress};
use super::upload::FailedFile;
use super::{MIB, TransferError, crc32c_base64};
use crate::aws::AwsFailure;
use crate::config::SourceConfig;
use crate::error::ApiError;
use crate::locale::Language;
use crate::sources::{full_key, relative_key};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct DownloadOptions {
    /// Replace existing files (asked first in the GUI, `--overwrite` in the CLI).
    pub overwrite: bool,
    pub chunk_size_mib: u32,
    /// Ranged GETs in flight per file.
    pub chunks_in_flight: u32,
    pub files_in_flight: u32,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            overwrite: false,
            chunk_size_mib: 8,
            chunks_in_flight: 8,
            files_in_flight: 16,
        }
    }
}

/// One object to fetch, and where to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadItem {
    /// The full object key.
    pub key: String,
    #[specta(type = String)]
    pub path: PathBuf,
    pub size: f64,
    /// The destination exists already (replaced only with `overwrite`).
    pub exists: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadPlan {
    pub items: Vec<DownloadItem>,
    pub bytes: f64,
    /// Destinations that exist already: ask before replacing them.
    pub existing: u32,
    /// Keys that cannot be a file name below the folder (`..`, empty segments).
    pub refused: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadedFile {
    pub key: String,
    #[specta(type = String)]
    pub path: PathBuf,
    pub bytes: f64,
    /// Bytes that a partial file from an earlier run already held.
    pub resumed_from: f64,
    /// The object's CRC32C the bytes were checked against, when it has one.
    pub checksum_crc32c: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadReport {
    pub downloaded: Vec<DownloadedFile>,
    pub failed: Vec<FailedFile>,
    pub cancelled: Vec<String>,
}

/// The sidecar of a partial download: which object version the temp file holds, and how
/// many of its first bytes are complete (chunks land out of order, so the file may hold
/// more, with holes, past `prefix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Partial {
    bucket: String,
    key: String,
    etag: String,
    size: u64,
    #[serde(default)]
    prefix: u64,
}

impl Partial {
    fn same_version(&self, other: &Partial) -> bool {
        (&self.bucket, &self.key, &self.etag, self.size)
            == (&other.bucket, &other.key, &other.etag, other.size)
    }
}

fn temp_paths(dest: &Path) -> (PathBuf, PathBuf) {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = dest.parent().unwrap_or(Path::new("."));
    (
        dir.join(format!(".{name}.bucketdesk-partial")),
        dir.join(format!(".{name}.bucketdesk-partial.json")),
    )
}

/// A key below a prefix as a relative file path, or `None` when it cannot be one safely.
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let segments: Vec<&str> = rel.split('/').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == ".." || s.contains('\0'))
    {
        return None;
    }
    Some(segments.iter().collect())
}

/// What downloading `key` (relative to the BasePath) to `dest` — or, with `recursive`,
/// every key below the folder `key` into the folder `dest` — will write.
pub async fn plan_download(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    key: &str,
    dest: &Path,
    recursive: bool,
) -> Result<DownloadPlan, TransferError> {
    let mut items = Vec::new();
    let mut refused = Vec::new();
    if !recursive {
        let full = full_key(&source.base_path, key);
        let head = s3
            .head_object()
            .bucket(&source.bucket)
            .key(&full)
            .send()
            .await
            .map_err(|e| TransferError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject")))?;
        let name = key.rsplit('/').next().unwrap_or(key);
        let path = if dest.is_dir() || dest.as_os_str().to_string_lossy().ends_with('/') {
            dest.join(name)
        } else {
            dest.to_owned()
        };
        items.push(DownloadItem {
            key: full,
            exists: path.exists(),
            path,
            size: head.content_length().unwrap_or(0) as f64,
        });
    } else {
        let prefix = super::delete::folder_prefix(key);
        let full_prefix = full_key(&source.base_path, &prefix);
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
                let Some(k) = o.key() else { continue };
                if k.ends_with('/') {
                    continue; // a folder marker
                }
                let rel = k.strip_prefix(&full_prefix).unwrap_or(k);
                match safe_relative(rel) {
                    Some(rel_path) => {
                        let path = dest.join(rel_path);
                        items.push(DownloadItem {
                            key: k.to_owned(),
                            exists: path.exists(),
                            path,
                            size: o.size().unwrap_or(0) as f64,
                        });
                    }
                    None => refused.push(relative_key(&source.base_path, k).to_owned()),
                }
            }
            token = out.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(DownloadPlan {
        bytes: items.iter().map(|i| i.size).sum(),
        existing: items.iter().filter(|i| i.exists).count() as u32,
        items,
        refused,
    })
}

/// What downloading a selection into the folder `dest` writes: each of `keys` (relative to
/// the BasePath) as `dest/<name>`, each folder of `prefixes` as `dest/<folder>/…`. The
/// browser's Download runs this; the CLI's `get` is [`plan_download`] for one of them.
pub async fn plan_selection(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    keys: &[String],
    prefixes: &[String],
    dest: &Path,
) -> Result<DownloadPlan, TransferError> {
    let mut all = DownloadPlan {
        items: Vec::new(),
        bytes: 0.0,
        existing: 0,
        refused: Vec::new(),
    };
    let mut parts = Vec::new();
    for key in keys {
        let name = key.rsplit('/').next().unwrap_or(key);
        parts.push(plan_download(s3, source, key, &dest.join(name), false).await?);
    }
    for prefix in prefixes {
        let folder = super::delete::folder_prefix(prefix);
        let name = folder
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&source.bucket)
            .to_owned();
        parts.push(plan_download(s3, source, &folder, &dest.join(name), true).await?);
    }
    for part in parts {
        for item in part.items {
            if !all.items.iter().any(|i| i.path == item.path) {
                all.items.push(item);
            }
        }
        all.refused.extend(part.refused);
    }
    all.bytes = all.items.iter().map(|i| i.size).sum();
    all.existing = all.items.iter().filter(|i| i.exists).count() as u32;
    Ok(all)
}

/// Downloads every item, several files at once; a failed file does not stop the others.
pub async fn download_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    items: &[DownloadItem],
    options: &DownloadOptions,
    progress: &Progress,
    lang: Language,
) -> DownloadReport {
    let files = Arc::new(Semaphore::new(options.files_in_flight.max(1) as usize));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items.iter().cloned() {
        let handle = progress.add_file(&item.key, item.size as u64);
        let (s3, bucket, options, files) = (
            s3.clone(),
            bucket.to_owned(),
            options.clone(),
            files.clone(),
        );
        tasks.spawn(async move {
            let result = tokio::select! {
                permit = files.acquire_owned() => {
                    let _permit = permit.expect("never closed");
                    download_file(&s3, &bucket, &item, &options, &handle).await
                }
                _ = handle.token().cancelled_owned() => Err(TransferError::Cancelled),
            };
            handle.finish(match &result {
                Ok(_) => FileState::Done,
                Err(TransferError::Cancelled) => FileState::Cancelled,
                Err(_) => FileState::Failed,
            });
            (item.key, result)
        });
    }
    let mut report = DownloadReport {
        downloaded: Vec::new(),
        failed: Vec::new(),
        cancelled: Vec::new(),
    };
    while let Some(joined) = tasks.join_next().await {
        let (key, result) = joined.expect("download task panicked");
        match result {
            Ok(done) => report.downloaded.push(done),
            Err(TransferError::Cancelled) => report.cancelled.push(key),
            Err(e) => report.failed.push(FailedFile {
                key,
                error: ApiError::from_err(&e, lang),
            }),
        }
    }
    report.downloaded.sort_by(|a, b| a.key.cmp(&b.key));
    report.failed.sort_by(|a, b| a.key.cmp(&b.key));
    report.cancelled.sort();
    report
}

/// The CRC32C of one stretch of the object, `start..start + len`. Stretches never cross a
/// part boundary, so a composite (per part) checksum can be assembled from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stretch {
    start: u64,
    len: u64,
    crc: u32,
}

/// Hashes consecutive bytes from `at` on into stretches cut at part boundaries (one
/// stretch per part, or one for all when there are no parts).
struct StretchHasher {
    part_size: Option<u64>,
    at: u64,
    start: u64,
    current: crc_fast::Digest,
    done: Vec<Stretch>,
}

impl StretchHasher {
    fn new(at: u64, part_size: Option<u64>) -> Self {
        StretchHasher {
            part_size,
            at,
            start: at,
            current: digest(),
            done: Vec::new(),
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = match self.part_size {
                Some(p) => ((p - self.at % p) as usize).min(data.len()),
                None => data.len(),
            };
            self.current.update(&data[..take]);
            self.at += take as u64;
            data = &data[take..];
            if self.part_size.is_some_and(|p| self.at.is_multiple_of(p)) {
                self.cut();
            }
        }
    }

    fn cut(&mut self) {
        if self.at > self.start {
            let current = std::mem::replace(&mut self.current, digest());
            self.done.push(Stretch {
                start: self.start,
                len: self.at - self.start,
                crc: current.finalize() as u32,
            });
            self.start = self.at;
        }
    }

    fn finish(mut self) -> Vec<Stretch> {
        self.cut();
        self.done
    }
}

/// The object's CRC32C assembled from its stretches in order, whole or per part for a
/// composite checksum.
#[derive(Debug)]
enum Tracker {
    Off,
    Full {
        crc: u32,
    },
    Composite {
        part_size: u64,
        in_part: u64,
        current: u32,
        crcs: Vec<u32>,
    },
}

fn digest() -> crc_fast::Digest {
    crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi)
}

/// The CRC32C of `a` followed by `b` (`b_len` bytes), from theirs.
fn crc_append(a: u32, b: u32, b_len: u64) -> u32 {
    crc_fast::checksum_combine(
        crc_fast::CrcAlgorithm::Crc32Iscsi,
        u64::from(a),
        u64::from(b),
        b_len,
    ) as u32
}

impl Tracker {
    /// Whether the bytes are hashed at all.
    fn is_on(&self) -> bool {
        !matches!(self, Tracker::Off)
    }

    /// Where stretches must be cut: at the parts of a composite checksum.
    fn part_size(&self) -> Option<u64> {
        match self {
            Tracker::Composite { part_size, .. } => Some(*part_size),
            _ => None,
        }
    }

    /// Adds the stretch that follows everything absorbed so far.
    fn absorb(&mut self, s: &Stretch) {
        match self {
            Tracker::Off => {}
            Tracker::Full { crc } => *crc = crc_append(*crc, s.crc, s.len),
            Tracker::Composite {
                part_size,
                in_part,
                current,
                crcs,
            } => {
                *current = crc_append(*current, s.crc, s.len);
                *in_part += s.len;
                if *in_part == *part_size {
                    crcs.push(*current);
                    *current = 0;
                    *in_part = 0;
                }
            }
        }
    }

    /// Hashes and absorbs `data`, which starts at offset `at` of the object.
    fn update(&mut self, at: u64, data: &[u8]) {
        if !self.is_on() {
            return;
        }
        let mut hasher = StretchHasher::new(at, self.part_size());
        hasher.update(data);
        for s in hasher.finish() {
            self.absorb(&s);
        }
    }

    fn result(self) -> Option<String> {
        match self {
            Tracker::Off => None,
            Tracker::Full { crc } => Some(crc32c_base64(crc)),
            Tracker::Composite {
                in_part,
                current,
                mut crcs,
                ..
            } => {
                if in_part > 0 {
                    crcs.push(current);
                }
                Some(super::composite_crc32c(&crcs))
            }
        }
    }
}

fn remove_quietly(paths: &[&Path]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// The object as HEAD describes it: what the download must match.
struct Version {
    size: u64,
    etag: String,
    /// The object's CRC32C, when it has one.
    expected: Option<String>,
}

/// HEADs the object and sets up the checksum its bytes will be checked against: whole, or
/// composite per part for a multipart object (its part layout from part 1's HEAD).
async fn head_object(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<(Version, Tracker), TransferError> {
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|e| TransferError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject")))?;
    let version = Version {
        size: head.content_length().unwrap_or(0).max(0) as u64,
        etag: head.e_tag().unwrap_or_default().to_owned(),
        expected: head.checksum_crc32_c().map(str::to_owned),
    };
    // A multipart object (ETag `…-N`) has a composite checksum unless S3 says it is of the
    // whole object; HEAD answers do not always carry the `-N` (moto leaves it out).
    let multipart = version
        .etag
        .trim_matches('"')
        .rsplit_once('-')
        .is_some_and(|(_, n)| n.parse::<u32>().is_ok());
    let full_object = head.checksum_type() == Some(&aws_sdk_s3::types::ChecksumType::FullObject);
    let tracker = match version.expected.as_deref() {
        Some(_) if multipart && !full_object => {
            // The part layout of a multipart object: the first part's size. (No If-Match
            // here: moto answers a part's HEAD with the part's ETag; the ranged GETs below
            // carry it.)
            let first = s3
                .head_object()
                .bucket(bucket)
                .key(key)
                .part_number(1)
                .send()
                .await
                .map_err(|e| TransferError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject")))?;
            match first.content_length() {
                Some(n) if n > 0 => Tracker::Composite {
                    part_size: n as u64,
                    in_part: 0,
                    current: 0,
                    crcs: Vec::new(),
                },
                _ => Tracker::Off,
            }
        }
        Some(_) => Tracker::Full { crc: 0 },
        None => Tracker::Off,
    };
    Ok((version, tracker))
}

/// The temp file a download writes, opened at the length it resumes from.
struct TempFile {
    file: Arc<std::fs::File>,
    temp: PathBuf,
    sidecar: PathBuf,
    /// What the sidecar records (its `prefix` advanced as chunks complete).
    partial: Partial,
    resume_from: u64,
}

impl TempFile {
    /// Records that the first `prefix` bytes are complete. Not synced: the sidecar matters
    /// after the app stops, when the page cache still holds what was written; after a
    /// power cut the checksum (where the object has one) catches a stale prefix.
    fn advance(&mut self, prefix: u64) -> Result<(), TransferError> {
        self.partial.prefix = prefix;
        let json = serde_json::to_vec(&self.partial).expect("sidecar serializes");
        std::fs::write(&self.sidecar, json).map_err(TransferError::io("write", &self.sidecar))
    }
}

/// Opens the temp file beside `dest`: its complete prefix kept (and fed to the checksum)
/// when its sidecar names this very object version, else started empty with a new sidecar.
fn open_temp(
    bucket: &str,
    item: &DownloadItem,
    version: &Version,
    tracker: &mut Tracker,
) -> Result<TempFile, TransferError> {
    let dest = &item.path;
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(TransferError::io("create", dir))?;
    }
    let (temp, sidecar) = temp_paths(dest);
    let want = Partial {
        bucket: bucket.to_owned(),
        key: item.key.clone(),
        etag: version.etag.clone(),
        size: version.size,
        prefix: 0,
    };
    let previous: Option<Partial> = std::fs::read(&sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let held = std::fs::metadata(&temp).map(|m| m.len()).unwrap_or(0);
    let resume_from = match &previous {
        Some(p) if p.same_version(&want) => p.prefix.min(held).min(version.size),
        _ => 0,
    };
    if resume_from == 0 {
        remove_quietly(&[&temp]);
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&temp)
        .map_err(TransferError::io("write", &temp))?;
    file.set_len(resume_from)
        .map_err(TransferError::io("write", &temp))?;
    if resume_from > 0 && tracker.is_on() {
        // The bytes already held count towards the checksum too.
        use std::io::Read;
        let mut reader = std::fs::File::open(&temp).map_err(TransferError::io("read", &temp))?;
        let mut buf = vec![0u8; MIB as usize];
        let mut at = 0;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(TransferError::io("read", &temp))?;
            if n == 0 {
                break;
            }
            tracker.update(at, &buf[..n]);
            at += n as u64;
        }
    }
    let mut opened = TempFile {
        file: Arc::new(file),
        temp,
        sidecar,
        partial: want,
        resume_from,
    };
    opened.advance(resume_from)?;
    Ok(opened)
}

/// How much of a chunk is gathered before it is written (one `pwrite`).
const WRITE_BUFFER: usize = MIB as usize;

/// What one chunk task needs: the object, where to write it, whom to tell.
#[derive(Clone)]
struct ChunkJob {
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: String,
    file: Arc<std::fs::File>,
    path: PathBuf,
    /// `Some` to hash the bytes (cut at this part size, when there are parts).
    hash: Option<Option<u64>>,
    handle: FileHandle,
}

/// Writes `buf` at `offset` of the temp file, off the async threads.
async fn write_at(job: &ChunkJob, buf: Vec<u8>, offset: u64) -> Result<Vec<u8>, TransferError> {
    let (file, path) = (job.file.clone(), job.path.clone());
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        file.write_all_at(&buf, offset)
            .map_err(TransferError::io("write", &path))
            .map(|()| buf)
    })
    .await
    .expect("chunk write panicked")
}

/// One ranged GET of `start..end` (with `If-Match`, so a changed object is noticed),
/// streamed into the temp file at its offset as the bytes arrive, each write acknowledged.
/// Returns the chunk's checksum stretches (empty when not hashing).
async fn fetch_chunk(job: ChunkJob, start: u64, end: u64) -> Result<Vec<Stretch>, TransferError> {
    let mut out = job
        .s3
        .get_object()
        .bucket(&job.bucket)
        .key(&job.key)
        .range(format!("bytes={start}-{}", end - 1))
        .if_match(&job.etag)
        .send()
        .await
        .map_err(|e| {
            if e.code() == Some("PreconditionFailed") {
                TransferError::Changed {
                    what: job.key.clone(),
                }
            } else {
                TransferError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject"))
            }
        })?;
    let mut hasher = job.hash.map(|parts| StretchHasher::new(start, parts));
    let mut buf = Vec::with_capacity(WRITE_BUFFER);
    let mut at = start;
    loop {
        let next = out.body.next().await.transpose().map_err(|e| {
            TransferError::Aws(AwsFailure::Unreachable {
                detail: e.to_string(),
            })
        })?;
        let ended = next.is_none();
        if let Some(bytes) = next {
            if at + (buf.len() + bytes.len()) as u64 > end {
                return Err(TransferError::Changed { what: job.key });
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&bytes);
            }
            buf.extend_from_slice(&bytes);
        }
        if buf.len() >= WRITE_BUFFER || (ended && !buf.is_empty()) {
            let len = buf.len() as u64;
            buf = write_at(&job, buf, at).await?;
            buf.clear();
            at += len;
            job.handle.acknowledge(len);
        }
        if ended {
            break;
        }
    }
    if at != end {
        return Err(TransferError::Changed { what: job.key });
    }
    Ok(hasher.map(StretchHasher::finish).unwrap_or_default())
}

#[allow(clippy::too_many_arguments)]
/// Fetches the rest of the object in chunks, several in flight, each written where it
/// belongs as it arrives. Finished chunks are absorbed into the checksum in order, and the
/// sidecar's complete prefix advances with them.
async fn fetch_rest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    item: &DownloadItem,
    version: &Version,
    temp: &mut TempFile,
    tracker: &mut Tracker,
    options: &DownloadOptions,
    handle: &FileHandle,
) -> Result<(), TransferError> {
    let chunk = u64::from(options.chunk_size_mib.max(1)) * MIB;
    let window = options.chunks_in_flight.max(1) as usize;
    let job = ChunkJob {
        s3: s3.clone(),
        bucket: bucket.to_owned(),
        key: item.key.clone(),
        etag: version.etag.clone(),
        file: temp.file.clone(),
        path: temp.temp.clone(),
        hash: tracker.is_on().then(|| tracker.part_size()),
        handle: handle.clone(),
    };
    let mut next = temp.resume_from;
    let mut prefix = temp.resume_from;
    // Finished chunks past the prefix, by start: (end, stretches).
    let mut finished = std::collections::BTreeMap::new();
    // Dropping the set (on an error or a cancel) aborts the chunks still in flight.
    let mut in_flight = tokio::task::JoinSet::new();
    let token = handle.token();
    loop {
        while in_flight.len() < window && next < version.size {
            let (start, end) = (next, (next + chunk).min(version.size));
            next = end;
            let job = job.clone();
            in_flight.spawn(async move { (start, end, fetch_chunk(job, start, end).await) });
        }
        let joined = tokio::select! {
            biased;
            _ = token.cancelled() => return Err(TransferError::Cancelled),
            joined = in_flight.join_next() => joined,
        };
        let Some(joined) = joined else {
            return Ok(());
        };
        let (start, end, stretches) = joined.expect("chunk task panicked");
        finished.insert(start, (end, stretches?));
        let before = prefix;
        while let Some((end, stretches)) = finished.remove(&prefix) {
            for s in &stretches {
                tracker.absorb(s);
            }
            prefix = end;
        }
        if prefix > before {
            temp.advance(prefix)?;
        }
    }
}

/// Downloads one object (see the module doc).
pub async fn download_file(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    item: &DownloadItem,
    options: &DownloadOptions,
    handle: &FileHandle,
) -> Result<DownloadedFile, TransferError> {
    handle.start();
    let dest = &item.path;
    if !options.overwrite && dest.exists() {
        return Err(TransferError::Exists { path: dest.clone() });
    }
    let (version, mut tracker) = head_object(s3, bucket, &item.key).await?;
    handle.set_total(version.size);
    let mut temp = open_temp(bucket, item, &version, &mut tracker)?;
    handle.acknowledge(temp.resume_from);
    let fetched = fetch_rest(
        s3,
        bucket,
        item,
        &version,
        &mut temp,
        &mut tracker,
        options,
        handle,
    )
    .await;
    if let Err(e) = fetched {
        // A cancel or a changed object leaves nothing to resume; a network failure keeps
        // the partial file for the next attempt.
        if matches!(e, TransferError::Cancelled | TransferError::Changed { .. }) {
            remove_quietly(&[&temp.temp, &temp.sidecar]);
        }
        return Err(e);
    }
    let TempFile {
        file,
        temp: temp_path,
        sidecar,
        resume_from,
        ..
    } = temp;
    drop(file);

    let actual = tracker.result();
    if let (Some(expected), Some(actual)) = (&version.expected, &actual)
        && !same_checksum(expected, actual)
    {
        remove_quietly(&[&temp_path, &sidecar]);
        return Err(TransferError::ChecksumMismatch {
            what: item.key.clone(),
            expected: expected.clone(),
            actual: actual.clone(),
        });
    }
    move_into_place(&temp_path, dest, options.overwrite)?;
    remove_quietly(&[&sidecar]);
    Ok(DownloadedFile {
        key: item.key.clone(),
        path: dest.clone(),
        bytes: version.size as f64,
        resumed_from: resume_from as f64,
        checksum_crc32c: version.expected.and(actual),
    })
}

/// Whether the server's checksum and ours agree: the same CRC, and the same part count
/// where both give one (`…-N`).
fn same_checksum(server: &str, ours: &str) -> bool {
    let (a, a_parts) = server
        .split_once('-')
        .map_or((server, None), |(c, n)| (c, Some(n)));
    let (b, b_parts) = ours
        .split_once('-')
        .map_or((ours, None), |(c, n)| (c, Some(n)));
    a == b && (a_parts.is_none() || b_parts.is_none() || a_parts == b_parts)
}

/// Renames the finished temp file to `dest`; without `overwrite`, through a hard link that
/// fails if `dest` exists (a rename would silently replace it).
fn move_into_place(temp: &Path, dest: &Path, overwrite: bool) -> Result<(), TransferError> {
    if overwrite {
        return std::fs::rename(temp, dest).map_err(TransferError::io("replace", dest));
    }
    match std::fs::hard_link(temp, dest) {
        Ok(()) => {
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(TransferError::Exists {
            path: dest.to_owned(),
        }),
        // File systems without hard links (FAT, some network shares): check, then rename.
        Err(_) if !dest.exists() => {
            std::fs::rename(temp, dest).map_err(TransferError::io("replace", dest))
        }
        Err(_) => Err(TransferError::Exists {
            path: dest.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_safe_relative_paths_or_are_refused() {
        assert_eq!(
            safe_relative("봄/벚꽃 01.jpg"),
            Some(PathBuf::from("봄/벚꽃 01.jpg"))
        );
        for bad in ["../etc/passwd", "a//b", "a/./b", "", "a/"] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn composite_tracking_splits_at_part_boundaries_whatever_the_chunks() {
        let data: Vec<u8> = (0..25u32).map(|i| i as u8).collect();
        let mut t = Tracker::Composite {
            part_size: 10,
            in_part: 0,
            current: 0,
            crcs: Vec::new(),
        };
        for (i, chunk) in data.chunks(7).enumerate() {
            t.update(i as u64 * 7, chunk);
        }
        let parts: Vec<u32> = data.chunks(10).map(crc_fast::crc32_iscsi).collect();
        assert_eq!(t.result(), Some(super::super::composite_crc32c(&parts)));
        let mut full = Tracker::Full { crc: 0 };
        full.update(0, &data[..3]);
        full.update(3, &data[3..]);
        assert_eq!(
            full.result(),
            Some(crc32c_base64(crc_fast::crc32_iscsi(&data)))
        );
    }

    #[test]
    fn chunks_hashed_apart_and_out_of_order_give_the_same_checksums() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let parts: Vec<u32> = data.chunks(300).map(crc_fast::crc32_iscsi).collect();
        for part_size in [None, Some(300)] {
            // Chunks of 128 bytes, each hashed by its own task in pieces of 50 bytes.
            let mut by_chunk: Vec<Vec<Stretch>> = data
                .chunks(128)
                .enumerate()
                .map(|(i, chunk)| {
                    let mut h = StretchHasher::new(i as u64 * 128, part_size);
                    chunk.chunks(50).for_each(|piece| h.update(piece));
                    h.finish()
                })
                .collect();
            // They finish in any order; the tracker takes them in order.
            by_chunk.rotate_left(3);
            by_chunk.sort_by_key(|stretches| stretches[0].start);
            let mut t = match part_size {
                Some(part_size) => Tracker::Composite {
                    part_size,
                    in_part: 0,
                    current: 0,
                    crcs: Vec::new(),
                },
                None => Tracker::Full { crc: 0 },
            };
            for s in by_chunk.iter().flatten() {
                if let Some(p) = part_size {
                    assert_eq!(s.start / p, (s.start + s.len - 1) / p, "within one part");
                }
                t.absorb(s);
            }
            let want = match part_size {
                Some(_) => super::super::composite_crc32c(&parts),
                None => crc32c_base64(crc_fast::crc32_iscsi(&data)),
            };
            assert_eq!(t.result(), Some(want), "{part_size:?}");
        }
    }

    #[test]
    fn a_sidecar_from_before_the_prefix_field_resumes_from_nothing() {
        let old = r#"{"bucket":"b","key":"k","etag":"\"e\"","size":10}"#;
        let p: Partial = serde_json::from_str(old).unwrap();
        assert_eq!(p.prefix, 0);
        let now = Partial {
            prefix: 7,
            ..p.clone()
        };
        assert!(p.same_version(&now));
        assert!(!p.same_version(&Partial { size: 11, ..now }));
    }

    #[test]
    fn checksums_agree_with_or_without_the_part_count() {
        assert!(same_checksum("iw8kMA==-8", "iw8kMA==-8"));
        assert!(same_checksum("iw8kMA==", "iw8kMA==-8"));
        assert!(!same_checksum("iw8kMA==-7", "iw8kMA==-8"));
        assert!(!same_checksum("AAAAAA==", "iw8kMA=="));
    }

    #[test]
    fn a_finished_file_never_replaces_an_existing_one_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, dest) = (dir.path().join(".t"), dir.path().join("a.jpg"));
        std::fs::write(&temp, b"new").unwrap();
        std::fs::write(&dest, b"old").unwrap();
        assert!(matches!(
            move_into_place(&temp, &dest, false),
            Err(TransferError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        move_into_place(&temp, &dest, true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert!(!temp.exists());
    }
}
