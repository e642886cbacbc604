//! Downloading objects: one key to a file, or a prefix into a folder.
//!
//! Each file is written to a hidden temp file beside its destination and renamed into
//! place only when complete and checked, so a destination is never half-written. A crash
//! leaves the temp file and a small sidecar naming the object's ETag: the next download of
//! the same object resumes from the temp file's length with `Range` (and `If-Match`, so a
//! changed object is noticed instead of spliced). An existing file is never replaced
//! unless the caller says so; without it, the final step is a hard link, which fails
//! rather than overwrite even if the file appears meanwhile.
//!
//! Chunks are fetched several at a time and written in order, so the temp file is always
//! a prefix of the object. Where the object has a CRC32C (whole, or composite `…-N` for a
//! multipart upload) the bytes are checked against it before the rename.

use std::collections::VecDeque;
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

/// The sidecar of a partial download: which object version the temp file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Partial {
    bucket: String,
    key: String,
    etag: String,
    size: u64,
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

/// CRC32C over a stream of bytes, whole or per part for a composite checksum.
enum Tracker {
    Off,
    Full(crc_fast::Digest),
    Composite {
        part_size: u64,
        in_part: u64,
        current: crc_fast::Digest,
        crcs: Vec<u32>,
    },
}

fn digest() -> crc_fast::Digest {
    crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi)
}

impl Tracker {
    fn update(&mut self, mut data: &[u8]) {
        match self {
            Tracker::Off => {}
            Tracker::Full(d) => d.update(data),
            Tracker::Composite {
                part_size,
                in_part,
                current,
                crcs,
            } => {
                while !data.is_empty() {
                    let room = (*part_size - *in_part) as usize;
                    let take = room.min(data.len());
                    current.update(&data[..take]);
                    *in_part += take as u64;
                    data = &data[take..];
                    if *in_part == *part_size {
                        crcs.push(current.finalize() as u32);
                        *current = digest();
                        *in_part = 0;
                    }
                }
            }
        }
    }

    fn result(self) -> Option<String> {
        match self {
            Tracker::Off => None,
            Tracker::Full(d) => Some(crc32c_base64(d.finalize() as u32)),
            Tracker::Composite {
                in_part,
                current,
                mut crcs,
                ..
            } => {
                if in_part > 0 {
                    crcs.push(current.finalize() as u32);
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
                    current: digest(),
                    crcs: Vec::new(),
                },
                _ => Tracker::Off,
            }
        }
        Some(_) => Tracker::Full(digest()),
        None => Tracker::Off,
    };
    Ok((version, tracker))
}

/// The temp file a download writes, opened at the length it resumes from.
struct TempFile {
    file: Arc<std::fs::File>,
    temp: PathBuf,
    sidecar: PathBuf,
    resume_from: u64,
}

/// Opens the temp file beside `dest`: kept (and its bytes fed to the checksum) when its
/// sidecar names this very object version, else started empty with a new sidecar.
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
    };
    let previous: Option<Partial> = std::fs::read(&sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let held = std::fs::metadata(&temp).map(|m| m.len()).unwrap_or(0);
    let resume_from = if previous.as_ref() == Some(&want) && held <= version.size {
        held
    } else {
        remove_quietly(&[&temp]);
        let json = serde_json::to_vec(&want).expect("sidecar serializes");
        std::fs::write(&sidecar, json).map_err(TransferError::io("write", &sidecar))?;
        0
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&temp)
        .map_err(TransferError::io("write", &temp))?;
    file.set_len(resume_from)
        .map_err(TransferError::io("write", &temp))?;
    if resume_from > 0 && !matches!(tracker, Tracker::Off) {
        // The bytes already held count towards the checksum too.
        use std::io::Read;
        let mut reader = std::fs::File::open(&temp).map_err(TransferError::io("read", &temp))?;
        let mut buf = vec![0u8; MIB as usize];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(TransferError::io("read", &temp))?;
            if n == 0 {
                break;
            }
            tracker.update(&buf[..n]);
        }
    }
    Ok(TempFile {
        file: Arc::new(file),
        temp,
        sidecar,
        resume_from,
    })
}

/// One ranged GET of `start..end`, with `If-Match` so a changed object is noticed.
async fn fetch_range(
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: String,
    start: u64,
    end: u64,
) -> Result<(u64, bytes::Bytes), TransferError> {
    let out = s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .range(format!("bytes={start}-{}", end - 1))
        .if_match(&etag)
        .send()
        .await
        .map_err(|e| {
            if e.code() == Some("PreconditionFailed") {
                TransferError::Changed { what: key.clone() }
            } else {
                TransferError::Aws(AwsFailure::from_sdk(&e, "s3:GetObject"))
            }
        })?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| {
            TransferError::Aws(AwsFailure::Unreachable {
                detail: e.to_string(),
            })
        })?
        .into_bytes();
    if bytes.len() as u64 != end - start {
        return Err(TransferError::Changed { what: key });
    }
    Ok((start, bytes))
}

#[allow(clippy::too_many_arguments)]
/// Fetches the rest of the object in chunks, several in flight, and writes them in order
/// (so the temp file is always a prefix of the object), acknowledging each once written.
async fn fetch_rest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    item: &DownloadItem,
    version: &Version,
    temp: &TempFile,
    tracker: &mut Tracker,
    options: &DownloadOptions,
    handle: &FileHandle,
) -> Result<(), TransferError> {
    let chunk = u64::from(options.chunk_size_mib.max(1)) * MIB;
    let window = options.chunks_in_flight.max(1) as usize;
    let mut next = temp.resume_from;
    let mut in_flight = VecDeque::new();
    let token = handle.token();
    let outcome: Result<(), TransferError> = async {
        loop {
            while in_flight.len() < window && next < version.size {
                let (start, end) = (next, (next + chunk).min(version.size));
                next = end;
                in_flight.push_back(tokio::spawn(fetch_range(
                    s3.clone(),
                    bucket.to_owned(),
                    item.key.clone(),
                    version.etag.clone(),
                    start,
                    end,
                )));
            }
            let Some(front) = in_flight.pop_front() else {
                return Ok(());
            };
            let abort = front.abort_handle();
            let (start, bytes) = tokio::select! {
                biased;
                _ = token.cancelled() => {
                    abort.abort();
                    return Err(TransferError::Cancelled);
                }
                joined = front => joined.expect("chunk task panicked")?,
            };
            tracker.update(&bytes);
            let (f, path) = (temp.file.clone(), temp.temp.clone());
            let len = bytes.len() as u64;
            tokio::task::spawn_blocking(move || {
                use std::os::unix::fs::FileExt;
                f.write_all_at(&bytes, start)
                    .map_err(TransferError::io("write", &path))
            })
            .await
            .expect("chunk write panicked")?;
            handle.acknowledge(len);
        }
    }
    .await;
    for task in in_flight {
        task.abort();
    }
    outcome
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
    let temp = open_temp(bucket, item, &version, &mut tracker)?;
    handle.acknowledge(temp.resume_from);
    let fetched = fetch_rest(
        s3,
        bucket,
        item,
        &version,
        &temp,
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
    temp.file
        .sync_all()
        .map_err(TransferError::io("write", &temp.temp))?;
    let TempFile {
        file,
        temp: temp_path,
        sidecar,
        resume_from,
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
            current: digest(),
            crcs: Vec::new(),
        };
        for chunk in data.chunks(7) {
            t.update(chunk);
        }
        let parts: Vec<u32> = data.chunks(10).map(crc_fast::crc32_iscsi).collect();
        assert_eq!(t.result(), Some(super::super::composite_crc32c(&parts)));
        let mut full = Tracker::Full(digest());
        full.update(&data[..3]);
        full.update(&data[3..]);
        assert_eq!(
            full.result(),
            Some(crc32c_base64(crc_fast::crc32_iscsi(&data)))
        );
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
