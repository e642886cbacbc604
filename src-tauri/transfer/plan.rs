//! The upload preview: which keys a batch of local files will make, before anything is
//! sent. Names are normalized to NFC (macOS hands out NFD names, which would otherwise
//! become a second, different-looking key for the same Korean name), each key is checked
//! against S3's 1,024-byte limit and against the keys already in the bucket, and its
//! `Content-Type` comes from the file name.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::TransferError;
use super::upload::UploadItem;
use crate::aws::AwsFailure;
use crate::config::SourceConfig;
use crate::locale::Language;
use crate::sources::{cdn_url_at, full_key};

/// S3's longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Up to this many keys are checked one HEAD each; more are found by listing the prefix.
const HEAD_CHECK_LIMIT: usize = 100;
/// At most this many listing pages (of 1,000 keys) when checking collisions; keys past it
/// are checked with HEAD.
const LIST_PAGE_LIMIT: usize = 50;

/// A local file and the name it will have below the upload prefix (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    pub path: PathBuf,
    pub name: String,
}

/// The files to upload from `path`: the file itself, or with `recursive` every file below
/// the folder (names relative to it, sorted). Symbolic links to files are followed, links
/// to folders are not (no loops).
pub fn local_files(path: &Path, recursive: bool) -> Result<Vec<LocalFile>, TransferError> {
    let meta = std::fs::metadata(path).map_err(TransferError::io("read", path))?;
    if meta.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![LocalFile {
            path: path.to_owned(),
            name,
        }]);
    }
    if !recursive {
        return Err(TransferError::IsFolder {
            path: path.to_owned(),
        });
    }
    let mut out = Vec::new();
    let mut stack = vec![(path.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(TransferError::io("read", &dir))?;
        for entry in entries {
            let entry = entry.map_err(TransferError::io("read", &dir))?;
            let file_type = entry.file_type().map_err(TransferError::io("read", &dir))?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let entry_path = entry.path();
            if file_type.is_dir() {
                stack.push((entry_path, format!("{name}/")));
            } else if file_type.is_file()
                || (file_type.is_symlink() && entry_path.metadata().is_ok_and(|m| m.is_file()))
            {
                out.push(LocalFile {
                    path: entry_path,
                    name,
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The files of paths the user picked or dropped: a file under its own name, a folder with
/// everything below it under `folder/…` (as dropping a folder into a prefix means), sorted.
pub fn picked_files(paths: &[PathBuf]) -> Result<Vec<LocalFile>, TransferError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(TransferError::io("read", path))?;
        if meta.is_file() {
            out.extend(local_files(path, false)?);
            continue;
        }
        let folder = path
            .file_name()
            .map(|n| format!("{}/", n.to_string_lossy()))
            .unwrap_or_default();
        out.extend(local_files(path, true)?.into_iter().map(|f| LocalFile {
            name: format!("{folder}{}", f.name),
            path: f.path,
        }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum KeyProblem {
    /// Longer than S3's 1,024 bytes (with the BasePath).
    TooLong { bytes: u32 },
    /// Control characters (tabs, newlines) break URLs and listings.
    ControlCharacter,
    /// Another file of the batch makes the same key (e.g. its NFD and NFC spellings).
    SameKeyAs { other: String },
}

impl KeyProblem {
    pub fn describe(&self, lang: Language) -> String {
        match self {
            KeyProblem::TooLong { bytes } => lang.pick(
                format!("키가 {bytes}바이트로 S3 한도 {MAX_KEY_BYTES}바이트를 넘습니다."),
                format!("the key is {bytes} bytes, over S3's limit of {MAX_KEY_BYTES} bytes."),
            ),
            KeyProblem::ControlCharacter => lang.pick(
                "키에 제어 문자(탭, 줄바꿈)가 있습니다.".into(),
                "the key has control characters (tabs, newlines).".into(),
            ),
            KeyProblem::SameKeyAs { other } => lang.pick(
                format!("{other}와(과) 같은 키가 됩니다."),
                format!("it makes the same key as {other}."),
            ),
        }
    }
}

/// One file of the preview.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedFile {
    #[specta(type = String)]
    pub path: PathBuf,
    /// The key relative to the BasePath (what the browser shows).
    pub key: String,
    pub size: f64,
    pub content_type: String,
    /// The name as it was on disk, when NFC normalization changed it.
    pub normalized_from: Option<String>,
    /// A key of that name is already in the bucket.
    pub exists: bool,
    pub problem: Option<KeyProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadPlan {
    /// The prefix the files go into, relative to the BasePath.
    pub prefix: String,
    pub files: Vec<PlannedFile>,
    pub total_bytes: f64,
    /// Files whose names NFC normalization changed (each shown with a warning).
    pub normalized: u32,
    /// Files whose key already exists: overwrite, skip or rename, asked once.
    pub collisions: u32,
    /// Files that cannot be uploaded as named (see each file's problem).
    pub problems: u32,
    /// The production CDN URL of the first image of the batch.
    pub first_image_url: Option<String>,
}

/// What to do with keys that already exist, chosen once for the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum OnCollision {
    Overwrite,
    #[default]
    Skip,
    /// `name (1).jpg`, `name (2).jpg`, … whichever is free.
    Rename,
}

/// A name in NFC, and whether that changed it.
pub fn nfc(name: &str) -> (String, bool) {
    let normalized: String = name.nfc().collect();
    let changed = normalized != name;
    (normalized, changed)
}

/// An upload prefix relative to the BasePath: `""` or ending in `/`, NFC.
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_start_matches('/');
    let (p, _) = nfc(trimmed);
    if p.is_empty() || p.ends_with('/') {
        p
    } else {
        format!("{p}/")
    }
}

pub fn key_problem(full_key: &str) -> Option<KeyProblem> {
    if full_key.len() > MAX_KEY_BYTES {
        Some(KeyProblem::TooLong {
            bytes: full_key.len() as u32,
        })
    } else if full_key.chars().any(char::is_control) {
        Some(KeyProblem::ControlCharacter)
    } else {
        None
    }
}

pub fn content_type(name: &str) -> String {
    mime_guess::from_path(name)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

/// The preview of uploading `files` into `prefix` (relative to the BasePath; a folder,
/// `""` for the BasePath itself). Nothing is written.
pub async fn plan_upload(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    files: &[LocalFile],
    prefix: &str,
    production_base: &str,
) -> Result<UploadPlan, TransferError> {
    let prefix = normalize_prefix(prefix);
    let mut planned = Vec::with_capacity(files.len());
    let mut seen: HashMap<String, String> = HashMap::new();
    for file in files {
        let size = std::fs::metadata(&file.path)
            .map_err(TransferError::io("read", &file.path))?
            .len();
        let (name, changed) = nfc(&file.name);
        let key = format!("{prefix}{name}");
        let full = full_key(&source.base_path, &key);
        let mut problem = key_problem(&full);
        if problem.is_none() {
            if let Some(other) = seen.get(&key) {
                problem = Some(KeyProblem::SameKeyAs {
                    other: other.clone(),
                });
            } else {
                seen.insert(key.clone(), file.path.display().to_string());
            }
        }
        planned.push(PlannedFile {
            path: file.path.clone(),
            content_type: content_type(&name),
            key,
            size: size as f64,
            normalized_from: changed.then(|| file.name.clone()),
            exists: false,
            problem,
        });
    }
    let wanted: HashSet<String> = planned
        .iter()
        .filter(|p| p.problem.is_none())
        .map(|p| full_key(&source.base_path, &p.key))
        .collect();
    let existing = existing_keys(
        s3,
        &source.bucket,
        &full_key(&source.base_path, &prefix),
        &wanted,
    )
    .await?;
    for p in &mut planned {
        p.exists = p.problem.is_none() && existing.contains(&full_key(&source.base_path, &p.key));
    }
    let first_image_url = planned
        .iter()
        .find(|p| p.problem.is_none() && p.content_type.starts_with("image/"))
        .map(|p| cdn_url_at(production_base, &source.name, &p.key));
    Ok(UploadPlan {
        prefix,
        total_bytes: planned.iter().map(|p| p.size).sum(),
        normalized: planned
            .iter()
            .filter(|p| p.normalized_from.is_some())
            .count() as u32,
        collisions: planned.iter().filter(|p| p.exists).count() as u32,
        problems: planned.iter().filter(|p| p.problem.is_some()).count() as u32,
        first_image_url,
        files: planned,
    })
}

/// Which of `wanted` (full keys, all below `full_prefix`) already exist.
async fn existing_keys(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    full_prefix: &str,
    wanted: &HashSet<String>,
) -> Result<HashSet<String>, TransferError> {
    let mut found = HashSet::new();
    let mut unchecked: Vec<String> = wanted.iter().cloned().collect();
    if wanted.len() > HEAD_CHECK_LIMIT {
        let mut token = None;
        let mut complete = false;
        for _ in 0..LIST_PAGE_LIMIT {
            let out = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(full_prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| TransferError::Aws(AwsFailure::from_sdk(&e, "s3:ListBucket")))?;
            for o in out.contents() {
                if let Some(k) = o.key()
                    && wanted.contains(k)
                {
                    found.insert(k.to_owned());
                }
            }
            token = out.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                complete = true;
                break;
            }
        }
        if complete {
            return Ok(found);
        }
        unchecked.retain(|k| !found.contains(k));
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for key in unchecked {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = s3.head_object().bucket(&bucket).key(&key).send().await;
            (key, result)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (key, result) = joined.expect("HEAD task panicked");
        match result {
            Ok(_) => {
                found.insert(key);
            }
            Err(e) => match AwsFailure::from_sdk(&e, "s3:GetObject") {
                AwsFailure::NotFound => {}
                other => return Err(TransferError::Aws(other)),
            },
        }
    }
    Ok(found)
}

/// `photo.jpg` → `photo (1).jpg`, `archive.tar.gz` → `archive (1).tar.gz` (the first dot of
/// the last segment starts the extension, so double extensions stay whole).
pub fn numbered(key: &str, n: u32) -> String {
    let (dir, name) = match key.rfind('/') {
        Some(i) => key.split_at(i + 1),
        None => ("", key),
    };
    let (stem, ext) = match name.find('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    format!("{dir}{stem} ({n}){ext}")
}

/// The uploads the plan makes under `on_collision`: files with a problem are left out,
/// existing keys are overwritten, skipped or renamed to a free name. Keys in the items are
/// full keys (with the BasePath).
pub fn resolve(
    plan: &UploadPlan,
    source: &SourceConfig,
    on_collision: OnCollision,
) -> (Vec<UploadItem>, Vec<PlannedFile>) {
    let taken: HashSet<&str> = plan.files.iter().map(|p| p.key.as_str()).collect();
    let mut renamed: HashSet<String> = HashSet::new();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for p in &plan.files {
        if p.problem.is_some() {
            skipped.push(p.clone());
            continue;
        }
        let key = if !p.exists {
            p.key.clone()
        } else {
            match on_collision {
                OnCollision::Overwrite => p.key.clone(),
                OnCollision::Skip => {
                    skipped.push(p.clone());
                    continue;
                }
                OnCollision::Rename => {
                    // Free of the bucket's keys is checked by the plan only for the
                    // original names; a numbered name is checked at upload time with
                    // If-None-Match, so a rename never overwrites.
                    let mut n = 1;
                    let mut candidate = numbered(&p.key, n);
                    while taken.contains(candidate.as_str()) || renamed.contains(&candidate) {
                        n += 1;
                        candidate = numbered(&p.key, n);
                    }
                    renamed.insert(candidate.clone());
                    candidate
                }
            }
        };
        items.push(UploadItem {
            path: p.path.clone(),
            key: full_key(&source.base_path, &key),
            content_type: p.content_type.clone(),
            size: p.size as u64,
            must_not_exist: on_collision == OnCollision::Rename && p.exists,
        });
    }
    (items, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfd_korean_names_become_nfc() {
        let nfd: String = "벚꽃 사진.jpg".nfd().collect();
        assert_ne!(nfd, "벚꽃 사진.jpg", "the test needs a real NFD spelling");
        assert_eq!(nfc(&nfd), ("벚꽃 사진.jpg".to_owned(), true));
        assert_eq!(nfc("벚꽃 사진.jpg"), ("벚꽃 사진.jpg".to_owned(), false));
        assert_eq!(nfc("plain.jpg"), ("plain.jpg".to_owned(), false));
    }

    #[test]
    fn keys_over_1024_bytes_or_with_control_characters_are_refused() {
        assert_eq!(key_problem(&"a".repeat(1024)), None);
        assert_eq!(
            key_problem(&"a".repeat(1025)),
            Some(KeyProblem::TooLong { bytes: 1025 })
        );
        // 342 Hangul syllables are 1,026 bytes in UTF-8: the limit is bytes, not characters.
        assert_eq!(
            key_problem(&"가".repeat(342)),
            Some(KeyProblem::TooLong { bytes: 1026 })
        );
        assert_eq!(key_problem("a\tb"), Some(KeyProblem::ControlCharacter));
    }

    #[test]
    fn content_types_come_from_the_name() {
        assert_eq!(content_type("사진.JPG"), "image/jpeg");
        assert_eq!(content_type("a.webp"), "image/webp");
        assert_eq!(content_type("a.avif"), "image/avif");
        assert_eq!(content_type("notes"), "application/octet-stream");
    }

    #[test]
    fn prefixes_are_folders() {
        assert_eq!(normalize_prefix(""), "");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("photos"), "photos/");
        assert_eq!(normalize_prefix("/photos/2024/"), "photos/2024/");
    }

    #[test]
    fn renames_number_the_stem() {
        assert_eq!(numbered("a/photo.jpg", 1), "a/photo (1).jpg");
        assert_eq!(numbered("archive.tar.gz", 2), "archive (2).tar.gz");
        assert_eq!(numbered("README", 1), "README (1)");
        assert_eq!(numbered(".hidden", 1), ".hidden (1)");
    }

    fn source() -> SourceConfig {
        SourceConfig {
            name: "shop".into(),
            bucket: "b".into(),
            region: "us-east-1".into(),
            base_path: "/assets".into(),
            access_key_id: "AKIAREADER0000000000".into(),
            endpoint_url: None,
            added_at: String::new(),
            last_verified: None,
            checksums_when_required: false,
        }
    }

    fn planned(key: &str, exists: bool) -> PlannedFile {
        PlannedFile {
            path: PathBuf::from(format!("/tmp/{key}")),
            key: key.into(),
            size: 1.0,
            content_type: "image/jpeg".into(),
            normalized_from: None,
            exists,
            problem: None,
        }
    }

    #[test]
    fn collisions_are_overwritten_skipped_or_renamed_once_for_the_batch() {
        let plan = UploadPlan {
            prefix: "p/".into(),
            files: vec![
                planned("p/a.jpg", true),
                planned("p/a (1).jpg", false),
                planned("p/b.jpg", false),
            ],
            total_bytes: 3.0,
            normalized: 0,
            collisions: 1,
            problems: 0,
            first_image_url: None,
        };
        let keys = |c| {
            resolve(&plan, &source(), c)
                .0
                .into_iter()
                .map(|i| i.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(OnCollision::Overwrite),
            ["assets/p/a.jpg", "assets/p/a (1).jpg", "assets/p/b.jpg"]
        );
        assert_eq!(
            keys(OnCollision::Skip),
            ["assets/p/a (1).jpg", "assets/p/b.jpg"]
        );
        assert_eq!(
            keys(OnCollision::Rename),
            ["assets/p/a (2).jpg", "assets/p/a (1).jpg", "assets/p/b.jpg"],
            "a (1) is taken by the batch itself"
        );
    }

    #[test]
    fn folders_are_walked_with_relative_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("봄/꽃")).unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"a").unwrap();
        std::fs::write(dir.path().join("봄/꽃/b.jpg"), b"b").unwrap();
        let names: Vec<String> = local_files(dir.path(), true)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["a.jpg", "봄/꽃/b.jpg"]);
        assert!(matches!(
            local_files(dir.path(), false),
            Err(TransferError::IsFolder { .. })
        ));
        let one = local_files(&dir.path().join("a.jpg"), false).unwrap();
        assert_eq!(one[0].name, "a.jpg");
        let picked: Vec<String> = picked_files(&[dir.path().join("봄"), dir.path().join("a.jpg")])
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(
            picked,
            ["a.jpg", "봄/꽃/b.jpg"],
            "a dropped folder keeps its own name"
        );
    }
}
