//! The transfer journal: one small JSON file per multipart upload in progress, in
//! `transfers/` under the config dir. It records what the server acknowledged — the upload
//! ID and each finished part with its ETag — and the local file's size and mtime, so that
//! after a crash the upload resumes instead of starting over, and a file that changed
//! meanwhile is noticed.
//!
//! Every write is atomic (temp file, fsync, rename, fsync of the folder): a crash leaves the
//! previous record or the new one. The journal is a hint, never the truth: a resume asks
//! the server with `ListParts` and trusts only what it confirms.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::TransferError;

pub const JOURNAL_VERSION: u32 = 1;
pub const JOURNAL_DIR: &str = "transfers";

/// What identifies a local file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStamp {
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> Result<FileStamp, TransferError> {
        let meta = fs::metadata(path).map_err(TransferError::io("read", path))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        Ok(FileStamp {
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// A part the server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalPart {
    pub number: i32,
    pub etag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    pub size: u64,
}

/// One multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRecord {
    pub version: u32,
    pub bucket: String,
    /// The full object key.
    pub key: String,
    pub path: PathBuf,
    pub stamp: FileStamp,
    pub part_size: u64,
    pub upload_id: String,
    /// Whether the parts carry CRC32Cs (the upload was created with the algorithm).
    pub crc32c: bool,
    pub parts: Vec<JournalPart>,
    /// RFC 3339.
    pub started_at: String,
    /// `UploadPart` calls answered across every run of this upload (what a resume saves).
    #[serde(default)]
    pub parts_sent: u32,
}

/// The journal folder.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal in `config_dir/transfers`.
    pub fn in_config_dir(config_dir: &Path) -> Journal {
        Journal {
            dir: config_dir.join(JOURNAL_DIR),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record's file: one per (bucket, key, local path).
    pub fn path_for(&self, bucket: &str, key: &str, path: &Path) -> PathBuf {
        let mut hash = Sha256::new();
        hash.update(bucket.as_bytes());
        hash.update([0]);
        hash.update(key.as_bytes());
        hash.update([0]);
        hash.update(path.as_os_str().as_encoded_bytes());
        let digest = hash.finalize();
        self.dir
            .join(format!("upload-{}.json", hex::encode(&digest[..16])))
    }

    /// The record of an upload of `path` to `bucket`/`key`, if one is in progress. A
    /// record that does not parse is treated as absent (the upload it named is found again
    /// through the bucket's unfinished uploads).
    pub fn load(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
    ) -> Result<Option<UploadRecord>, TransferError> {
        let file = self.path_for(bucket, key, path);
        match fs::read(&file) {
            Ok(bytes) => Ok(serde_json::from_slice::<UploadRecord>(&bytes)
                .ok()
                .filter(|r| r.version == JOURNAL_VERSION)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TransferError::Io {
                action: "read",
                path: file,
                source: e,
            }),
        }
    }

    pub fn save(&self, record: &UploadRecord) -> Result<(), TransferError> {
        fs::create_dir_all(&self.dir).map_err(TransferError::io("create", &self.dir))?;
        let mut json = serde_json::to_vec_pretty(record).expect("journal serializes");
        json.push(b'\n');
        write_atomically(
            &self.path_for(&record.bucket, &record.key, &record.path),
            &json,
        )
    }

    pub fn remove(&self, record: &UploadRecord) -> Result<(), TransferError> {
        let file = self.path_for(&record.bucket, &record.key, &record.path);
        match fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(TransferError::Io {
                action: "remove",
                path: file,
                source: e,
            }),
        }
    }

    /// Every upload in progress (e.g. to offer resuming them after a restart).
    pub fn list(&self) -> Result<Vec<UploadRecord>, TransferError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(TransferError::Io {
                    action: "read",
                    path: self.dir.clone(),
                    source: e,
                });
            }
        };
        let mut records: Vec<UploadRecord> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("upload-") && name.ends_with(".json")
            })
            .filter_map(|e| fs::read(e.path()).ok())
            .filter_map(|b| serde_json::from_slice::<UploadRecord>(&b).ok())
            .collect();
        records.sort_by(|a, b| (&a.bucket, &a.key).cmp(&(&b.bucket, &b.key)));
        Ok(records)
    }
}

/// Temp file beside the target (a name no other writer uses), flushed, renamed over,
/// folder flushed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TransferError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("journal files live in a folder");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .map_err(TransferError::io("write", &tmp))?;
        file.write_all(bytes)
            .map_err(TransferError::io("write", &tmp))?;
        file.sync_all().map_err(TransferError::io("write", &tmp))?;
        fs::rename(&tmp, path).map_err(TransferError::io("replace", path))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &Path) -> UploadRecord {
        UploadRecord {
            version: JOURNAL_VERSION,
            bucket: "shop".into(),
            key: "제품/사진.jpg".into(),
            path: path.to_owned(),
            stamp: FileStamp {
                size: 10,
                mtime_ns: 5,
            },
            part_size: 8 << 20,
            upload_id: "up-1".into(),
            crc32c: true,
            parts: vec![JournalPart {
                number: 1,
                etag: "\"e1\"".into(),
                checksum_crc32c: Some("AAAAAA==".into()),
                size: 8 << 20,
            }],
            started_at: "2026-12-01T00:00:00Z".into(),
            parts_sent: 1,
        }
    }

    #[test]
    fn records_round_trip_and_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::in_config_dir(dir.path());
        let file = dir.path().join("a.bin");
        assert_eq!(journal.load("shop", "제품/사진.jpg", &file).unwrap(), None);
        let rec = record(&file);
        journal.save(&rec).unwrap();
        assert_eq!(
            journal.load("shop", "제품/사진.jpg", &file).unwrap(),
            Some(rec.clone())
        );
        assert_eq!(journal.list().unwrap(), vec![rec.clone()]);
        let leftovers: Vec<_> = fs::read_dir(journal.dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "atomic writes leave no temp files");
        journal.remove(&rec).unwrap();
        assert_eq!(journal.load("shop", "제품/사진.jpg", &file).unwrap(), None);
        journal.remove(&rec).expect("removing twice is fine");
    }

    #[test]
    fn each_bucket_key_and_file_has_its_own_record() {
        let journal = Journal::in_config_dir(Path::new("/cfg"));
        let a = journal.path_for("b", "k", Path::new("/x"));
        assert_ne!(a, journal.path_for("b", "k2", Path::new("/x")));
        assert_ne!(a, journal.path_for("b2", "k", Path::new("/x")));
        assert_ne!(a, journal.path_for("b", "k", Path::new("/y")));
        assert_eq!(a, journal.path_for("b", "k", Path::new("/x")));
        assert!(a.starts_with("/cfg/transfers"));
    }

    #[test]
    fn a_damaged_record_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::in_config_dir(dir.path());
        let file = dir.path().join("a.bin");
        fs::create_dir_all(journal.dir()).unwrap();
        fs::write(journal.path_for("shop", "k", &file), b"{not json").unwrap();
        assert_eq!(journal.load("shop", "k", &file).unwrap(), None);
    }

    #[test]
    fn stamps_change_when_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.bin");
        fs::write(&file, b"one").unwrap();
        let first = FileStamp::of(&file).unwrap();
        assert_eq!(first.size, 3);
        fs::write(&file, b"three").unwrap();
        assert_ne!(FileStamp::of(&file).unwrap(), first);
    }
}
