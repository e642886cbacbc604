//! Object transfers against moto: a 64 MiB multipart round trip checked byte for byte and
//! by CRC32C, cancel (no unfinished upload left), a SIGKILL of a real child process mid-
//! upload and the resume after it, a file changed between runs, NFD Korean names, 1,000
//! small files, 2,500 keys deleted by prefix, partial downloads resumed with `Range`, the
//! bucket's unfinished uploads, and the reader key refused on an IAM-enforcing endpoint.
//!
//! Each test has its own bucket and config dir (the journal lives there).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode as S3ChecksumMode;
use bucketdesk::aws::Target;
use bucketdesk::config::{PRODUCTION_CDN_BASE, SourceConfig};
use bucketdesk::error::ErrorCode;
use bucketdesk::iam::policy::{Template, generate};
use bucketdesk::locale::Language;
use bucketdesk::secrets::SecretString;
use bucketdesk::transfer::journal::Journal;
use bucketdesk::transfer::plan::{self, OnCollision};
use bucketdesk::transfer::progress::Progress;
use bucketdesk::transfer::upload::{self, UploadItem, UploadOptions};
use bucketdesk::transfer::{
    self, MIB, TransferError, WriteAction, WriteCredentials, delete, download, uploads,
};
use sha2::{Digest, Sha256};

use crate::support::moto::{self, Endpoint};
use crate::support::{block_on, unique_name};

/// The source's own (reader) key ID in tests on the shared server, where any key works:
/// never the key that writes.
const SOURCE_KEY: &str = "AKIASOURCEREADERKEY0";

fn source(endpoint: &Endpoint, bucket: &str, base_path: &str) -> SourceConfig {
    SourceConfig {
        name: "shop".into(),
        bucket: bucket.into(),
        region: moto::REGION.into(),
        base_path: base_path.into(),
        access_key_id: SOURCE_KEY.into(),
        endpoint_url: Some(endpoint.server.endpoint()),
        added_at: String::new(),
        last_verified: None,
        checksums_when_required: false,
    }
}

fn admin(endpoint: &Endpoint) -> WriteCredentials {
    WriteCredentials::Key(endpoint.admin.clone())
}

async fn bucket_on(endpoint: &Endpoint, prefix: &str) -> (String, aws_sdk_s3::Client) {
    let s3 = endpoint.s3().await;
    let bucket = unique_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    (bucket, s3)
}

/// `len` bytes that differ for every `seed` (no two parts alike, so a part sent to the
/// wrong place shows).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

async fn items_for(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    path: &Path,
    prefix: &str,
) -> Vec<UploadItem> {
    let files = plan::local_files(path, path.is_dir()).unwrap();
    let planned = plan::plan_upload(s3, source, &files, prefix, PRODUCTION_CDN_BASE)
        .await
        .unwrap();
    plan::resolve(&planned, source, OnCollision::Overwrite).0
}

async fn unfinished(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    s3.list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id().map(str::to_owned))
        .collect()
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_64_mib_file_goes_up_in_8_mib_parts_and_comes_back_byte_identical_with_its_crc32c() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-big").await;
        let source = source(endpoint, &bucket, "/assets");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("큰 사진.jpg");
        std::fs::write(&file, pseudo_random(64 * MIB as usize, 1)).unwrap();
        let journal = Journal::in_config_dir(&dir.path().join("config"));

        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let items = items_for(&s3, &source, &file, "big").await;
        assert_eq!(items[0].key, "assets/big/큰 사진.jpg");
        let progress = Progress::new();
        let report = upload::upload_all(
            &s3,
            &bucket,
            items,
            &UploadOptions::default(),
            &journal,
            &progress,
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let up = &report.uploaded[0];
        assert_eq!((up.parts, up.parts_sent), (8, 8), "64 MiB in 8 MiB parts");
        let expected = upload::local_crc32c(&file, Some(8 * MIB)).unwrap();
        assert!(expected.ends_with("-8"));
        assert_eq!(up.checksum_crc32c.as_deref(), Some(expected.as_str()));
        assert_eq!(progress.snapshot().bytes_done, (64 * MIB) as f64);
        assert!(
            journal.list().unwrap().is_empty(),
            "a finished upload leaves no journal"
        );

        // The server's own composite checksum of what it stored agrees with ours.
        let stored = admin_s3
            .get_object()
            .bucket(&bucket)
            .key("assets/big/큰 사진.jpg")
            .checksum_mode(S3ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(stored.checksum_crc32_c(), Some(expected.as_str()));
        assert_eq!(stored.content_type(), Some("image/jpeg"));
        assert_eq!(stored.content_length(), Some(64 * MIB as i64));

        // Down again with the source's reader key, checked against that checksum.
        let reader = Target {
            access_key_id: SOURCE_KEY.into(),
            ..endpoint.admin.clone()
        };
        let read = transfer::read_client(&reader, &source).await;
        let out = dir.path().join("down");
        std::fs::create_dir_all(&out).unwrap();
        let planned = download::plan_download(&read, &source, "big/큰 사진.jpg", &out, false)
            .await
            .unwrap();
        assert_eq!(planned.items[0].path, out.join("큰 사진.jpg"));
        let report = download::download_all(
            &read,
            &bucket,
            &planned.items,
            &download::DownloadOptions::default(),
            &Progress::new(),
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(
            report.downloaded[0].checksum_crc32c.as_deref(),
            Some(expected.as_str()),
            "the download was checked against the object's CRC32C"
        );
        assert_eq!(sha256(&out.join("큰 사진.jpg")), sha256(&file));
        let leftovers: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file or sidecar is left");
    });
}

#[test]
fn cancel_mid_upload_aborts_and_leaves_no_unfinished_upload() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-cancel").await;
        let source = source(endpoint, &bucket, "/");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("video.bin");
        std::fs::write(&file, pseudo_random(64 * MIB as usize, 2)).unwrap();
        let journal = Journal::in_config_dir(&dir.path().join("config"));
        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let items = items_for(&s3, &source, &file, "").await;
        let options = UploadOptions {
            part_size_mib: 5,
            parts_in_flight: 1,
            ..Default::default()
        };
        let progress = Progress::new();
        let task = {
            let (s3, bucket, journal, progress) = (
                s3.clone(),
                bucket.clone(),
                journal.clone(),
                progress.clone(),
            );
            tokio::spawn(async move {
                upload::upload_all(
                    &s3,
                    &bucket,
                    items,
                    &options,
                    &journal,
                    &progress,
                    Language::En,
                )
                .await
            })
        };
        wait_for("the first part", Duration::from_secs(120), || {
            progress.snapshot().bytes_done >= (5 * MIB) as f64
        })
        .await;
        let started = unfinished(&admin_s3, &bucket).await;
        assert_eq!(started.len(), 1, "the multipart upload is under way");
        progress.cancel();
        let report = task.await.unwrap();
        assert_eq!(report.cancelled, ["video.bin"]);
        assert!(report.uploaded.is_empty() && report.failed.is_empty());
        assert!(
            unfinished(&admin_s3, &bucket).await.is_empty(),
            "cancel aborted the multipart upload"
        );
        let parts = admin_s3
            .list_parts()
            .bucket(&bucket)
            .key("video.bin")
            .upload_id(&started[0])
            .send()
            .await;
        assert!(parts.is_err(), "ListParts no longer knows the upload");
        assert!(journal.list().unwrap().is_empty(), "nothing left to resume");
        assert!(
            admin_s3
                .head_object()
                .bucket(&bucket)
                .key("video.bin")
                .send()
                .await
                .is_err(),
            "no object was made"
        );
    });
}

/// The example binary `transfer` (bench/transfer.rs), built beside this test binary.
fn transfer_driver() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let driver = debug.join("examples").join("transfer");
    assert!(
        driver.exists(),
        "{} is missing: `cargo test` builds it; with a filter run \
         `cargo build --features custom-protocol --example transfer` first",
        driver.display()
    );
    driver
}

#[test]
fn sigkill_mid_upload_then_rerun_resumes_with_fewer_parts_and_a_byte_identical_object() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-kill").await;
        let source = source(endpoint, &bucket, "/");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let file = dir.path().join("archive.bin");
        std::fs::write(&file, pseudo_random(64 * MIB as usize, 3)).unwrap();
        let journal = Journal::in_config_dir(&config);

        let mut child = std::process::Command::new(transfer_driver())
            .args(["--endpoint", &endpoint.server.endpoint()])
            .args(["--bucket", &bucket])
            .arg("--config-dir")
            .arg(&config)
            .arg("put")
            .arg(&file)
            .arg("kill/")
            .args(["--part-size-mib", "5", "--parts-in-flight", "1"])
            .env("AWS_ACCESS_KEY_ID", &endpoint.admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", endpoint.admin.secret.expose())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        loop {
            let journaled = journal.list().unwrap().first().map_or(0, |r| r.parts.len());
            if journaled >= 3 {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "the child finished before it could be killed"
            );
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no parts journaled"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().unwrap(); // SIGKILL: no cleanup of any kind runs
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed");

        let record = journal.list().unwrap().remove(0);
        assert_eq!(record.key, "kill/archive.bin");
        let journaled = record.parts.len() as u32;
        let on_server = upload::server_parts(&admin_s3, &bucket, &record.key, &record.upload_id)
            .await
            .unwrap()
            .expect("the killed upload is still on the server")
            .len() as u32;
        assert!(
            on_server >= journaled,
            "every journaled part is on the server ({journaled} journaled, {on_server} listed)"
        );
        let total = 13; // 64 MiB in 5 MiB parts
        assert!(on_server < total, "the kill came mid-upload");

        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let items = items_for(&s3, &source, &file, "kill/").await;
        let report = upload::upload_all(
            &s3,
            &bucket,
            items,
            &UploadOptions {
                part_size_mib: 5,
                ..Default::default()
            },
            &journal,
            &Progress::new(),
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let up = &report.uploaded[0];
        assert!(up.resumed && !up.restarted);
        assert_eq!(up.parts, total);
        assert_eq!(
            up.parts_reused, on_server,
            "the parts ListParts confirmed were not sent again"
        );
        assert_eq!(
            up.parts_sent,
            total - on_server,
            "only the missing parts were sent"
        );
        assert!(up.parts_sent < total);
        assert!(journal.list().unwrap().is_empty());
        assert!(unfinished(&admin_s3, &bucket).await.is_empty());

        let got = admin_s3
            .get_object()
            .bucket(&bucket)
            .key("kill/archive.bin")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(
            Sha256::digest(&got).to_vec(),
            sha256(&file),
            "the resumed object is byte-identical to the file"
        );
    });
}

#[test]
fn a_file_changed_between_runs_is_aborted_and_sent_again_from_the_start() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-changed").await;
        let source = source(endpoint, &bucket, "/");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("catalog.pdf");
        std::fs::write(&file, pseudo_random(32 * MIB as usize, 4)).unwrap();
        let journal = Journal::in_config_dir(&dir.path().join("config"));
        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let item = items_for(&s3, &source, &file, "").await.remove(0);
        let options = UploadOptions {
            part_size_mib: 5,
            parts_in_flight: 1,
            ..Default::default()
        };

        // A crash in-process: the upload task is dropped mid-way, nothing cleans up.
        let progress = Progress::new();
        let handle = progress.add_file(&item.key, item.size);
        let task = {
            let (s3, bucket, item, options, journal) = (
                s3.clone(),
                bucket.clone(),
                item.clone(),
                options.clone(),
                journal.clone(),
            );
            tokio::spawn(async move {
                upload::upload_file(&s3, &bucket, &item, &options, &journal, &handle).await
            })
        };
        let watch = journal.clone();
        wait_for("two journaled parts", Duration::from_secs(120), || {
            watch
                .list()
                .unwrap()
                .first()
                .is_some_and(|r| r.parts.len() >= 2)
        })
        .await;
        task.abort();
        let _ = task.await;
        let old = journal.list().unwrap().remove(0);

        // The file changes: other bytes, a later mtime.
        std::fs::write(&file, pseudo_random(32 * MIB as usize, 5)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
            .unwrap();

        let report = upload::upload_all(
            &s3,
            &bucket,
            vec![item],
            &options,
            &journal,
            &Progress::new(),
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let up = &report.uploaded[0];
        assert!(up.restarted, "the changed file started over");
        assert!(!up.resumed);
        assert_eq!(
            (up.parts_sent, up.parts_reused),
            (7, 0),
            "every part sent again"
        );
        assert!(
            !unfinished(&admin_s3, &bucket)
                .await
                .contains(&old.upload_id),
            "the old upload was aborted"
        );
        assert!(
            admin_s3
                .list_parts()
                .bucket(&bucket)
                .key(&old.key)
                .upload_id(&old.upload_id)
                .send()
                .await
                .is_err()
        );
        let got = admin_s3
            .get_object()
            .bucket(&bucket)
            .key("catalog.pdf")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(
            Sha256::digest(&got).to_vec(),
            sha256(&file),
            "the new content"
        );
    });
}

#[test]
fn an_nfd_korean_file_name_becomes_an_nfc_key_with_a_warning() {
    use unicode_normalization::UnicodeNormalization;
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-nfd").await;
        let source = source(endpoint, &bucket, "/");
        let dir = tempfile::tempdir().unwrap();
        let nfc = "벚꽃 사진 01.jpg";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfd.as_bytes(), nfc.as_bytes());
        let folder = dir.path().join("photos");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(&nfd), b"jpeg bytes").unwrap();

        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let files = plan::local_files(&folder, true).unwrap();
        let planned = plan::plan_upload(&s3, &source, &files, "제품 이미지", PRODUCTION_CDN_BASE)
            .await
            .unwrap();
        assert_eq!(planned.normalized, 1, "the change of name is warned about");
        let p = &planned.files[0];
        assert_eq!(p.key, format!("제품 이미지/{nfc}"));
        assert_eq!(p.normalized_from.as_deref(), Some(nfd.as_str()));
        assert_eq!(p.content_type, "image/jpeg");
        assert_eq!(
            planned.first_image_url.as_deref(),
            Some(
                "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84%2001.jpg"
            )
        );
        let (items, _) = plan::resolve(&planned, &source, OnCollision::Overwrite);
        let report = upload::upload_all(
            &s3,
            &bucket,
            items,
            &UploadOptions::default(),
            &Journal::in_config_dir(dir.path()),
            &Progress::new(),
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let keys: Vec<String> = admin_s3
            .list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        assert_eq!(keys, [format!("제품 이미지/{nfc}")], "one NFC key, no NFD twin");

        // The NFC spelling next to the NFD one would make the same key: refused, and the
        // key now exists, so the preview reports the collision.
        std::fs::write(folder.join(nfc), b"other bytes").unwrap();
        let files = plan::local_files(&folder, true).unwrap();
        let planned = plan::plan_upload(&s3, &source, &files, "제품 이미지", PRODUCTION_CDN_BASE)
            .await
            .unwrap();
        assert_eq!(planned.problems, 1);
        assert!(
            planned
                .files
                .iter()
                .any(|f| matches!(f.problem, Some(plan::KeyProblem::SameKeyAs { .. })))
        );
        assert_eq!(planned.collisions, 1, "the key exists in the bucket");
    });
}

#[test]
fn a_thousand_small_files_are_uploaded_and_a_second_preview_sees_them_all() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-many").await;
        let source = source(endpoint, &bucket, "/assets");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        for i in 0..1000u32 {
            let sub = root.join(format!("{:02}", i % 10));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(
                sub.join(format!("상품 {i:04}.png")),
                pseudo_random(1024 + (i as usize % 7) * 512, u64::from(i)),
            )
            .unwrap();
        }
        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let files = plan::local_files(&root, true).unwrap();
        assert_eq!(files.len(), 1000);
        let planned = plan::plan_upload(&s3, &source, &files, "catalog/", PRODUCTION_CDN_BASE)
            .await
            .unwrap();
        assert_eq!(planned.collisions, 0);
        let (items, _) = plan::resolve(&planned, &source, OnCollision::Skip);
        let progress = Progress::new();
        let report = upload::upload_all(
            &s3,
            &bucket,
            items,
            &UploadOptions::default(),
            &Journal::in_config_dir(dir.path()),
            &progress,
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", &report.failed[..1]);
        assert_eq!(report.uploaded.len(), 1000);
        let snapshot = progress.snapshot();
        assert_eq!(snapshot.files_done, 1000);
        assert_eq!(snapshot.bytes_done, snapshot.bytes_total);

        let mut listed = 0;
        let mut token = None;
        loop {
            let page = admin_s3
                .list_objects_v2()
                .bucket(&bucket)
                .prefix("assets/catalog/")
                .set_continuation_token(token.take())
                .send()
                .await
                .unwrap();
            listed += page.contents().len();
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(listed, 1000);
        let one = admin_s3
            .get_object()
            .bucket(&bucket)
            .key("assets/catalog/08/상품 0008.png")
            .send()
            .await
            .unwrap();
        assert_eq!(one.content_type(), Some("image/png"));
        let body = one.body.collect().await.unwrap().into_bytes();
        assert_eq!(body.as_ref(), pseudo_random(1024 + 512, 8).as_slice());

        let again = plan::plan_upload(&s3, &source, &files, "catalog/", PRODUCTION_CDN_BASE)
            .await
            .unwrap();
        assert_eq!(
            again.collisions, 1000,
            "every key is found by listing the prefix"
        );
        assert!(
            plan::resolve(&again, &source, OnCollision::Skip)
                .0
                .is_empty()
        );
    });
}

#[test]
fn twenty_five_hundred_keys_are_deleted_by_prefix_in_batches_of_a_thousand() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-rm").await;
        let source = source(endpoint, &bucket, "/");
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
        let mut seeding = tokio::task::JoinSet::new();
        let keys: Vec<String> = (0..2500)
            .map(|i| format!("old/{:02}/img {i}.jpg", i % 25))
            .chain(["older.jpg".to_owned(), "keep/a.jpg".to_owned()])
            .collect();
        for key in keys {
            let (s3, bucket, limit) = (admin_s3.clone(), bucket.clone(), limit.clone());
            seeding.spawn(async move {
                let _p = limit.acquire_owned().await.unwrap();
                s3.put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
                    .unwrap();
            });
        }
        while seeding.join_next().await.is_some() {}

        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Delete)
            .await
            .unwrap();
        let planned = delete::plan_delete(&s3, &source, "old").await.unwrap();
        assert_eq!(planned.count, 2500, "the folder old/, not older.jpg");
        let report =
            delete::delete_keys(&s3, &source, &planned.keys, &Progress::new(), Language::En)
                .await
                .unwrap();
        assert_eq!(report.deleted, 2500);
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.batches, 3, "1000 + 1000 + 500");
        let left: Vec<String> = admin_s3
            .list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        assert_eq!(left, ["keep/a.jpg", "older.jpg"]);
    });
}

/// Downloads `items` with `options` on a fresh progress.
async fn download_with(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    items: &[download::DownloadItem],
    options: download::DownloadOptions,
) -> download::DownloadReport {
    download::download_all(s3, bucket, items, &options, &Progress::new(), Language::En).await
}

/// A crash mid-download of `item` to `dest`: the task is dropped once 5 MiB are written,
/// and the temp file stays (never the destination).
async fn crash_mid_download(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    item: &download::DownloadItem,
    dest: &Path,
) {
    let slow = download::DownloadOptions {
        chunk_size_mib: 1,
        chunks_in_flight: 1,
        ..Default::default()
    };
    let progress = Progress::new();
    let handle = progress.add_file(&item.key, item.size as u64);
    let task = {
        let (s3, bucket, item) = (s3.clone(), bucket.to_owned(), item.clone());
        tokio::spawn(
            async move { download::download_file(&s3, &bucket, &item, &slow, &handle).await },
        )
    };
    // One 1 MiB chunk at a time: the fifth is written only after the fourth completed
    // the sidecar's prefix.
    wait_for("5 MiB written", Duration::from_secs(60), || {
        progress.snapshot().bytes_done >= (5 * MIB) as f64
    })
    .await;
    task.abort();
    let _ = task.await;
    assert!(
        !dest.exists(),
        "a partial download is never at the destination"
    );
}

/// With `dest` existing, a download of the key is refused (the file kept) unless asked to
/// overwrite.
async fn existing_file_is_replaced_only_when_asked(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    dest: &Path,
    original: &Path,
) {
    std::fs::write(dest, b"mine").unwrap();
    let planned = download::plan_download(s3, source, "dl/orig.bin", dest, false)
        .await
        .unwrap();
    assert_eq!(planned.existing, 1, "the preview says it exists");
    let report = download_with(s3, &source.bucket, &planned.items, Default::default()).await;
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].error.code, ErrorCode::NameTaken);
    assert_eq!(std::fs::read(dest).unwrap(), b"mine");
    let overwrite = download::DownloadOptions {
        overwrite: true,
        ..Default::default()
    };
    let report = download_with(s3, &source.bucket, &planned.items, overwrite).await;
    assert!(report.failed.is_empty());
    assert_eq!(sha256(dest), sha256(original));
}

/// A whole prefix into a folder, Korean names and sub-folders kept.
async fn a_prefix_downloads_into_a_folder(
    s3: &aws_sdk_s3::Client,
    admin_s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    dir: &Path,
) {
    for key in ["tree/봄/a b.jpg", "tree/c.jpg"] {
        admin_s3
            .put_object()
            .bucket(&source.bucket)
            .key(key)
            .body(ByteStream::from_static(b"img"))
            .send()
            .await
            .unwrap();
    }
    let into = dir.join("tree-copy");
    let planned = download::plan_download(s3, source, "tree", &into, true)
        .await
        .unwrap();
    let report = download_with(s3, &source.bucket, &planned.items, Default::default()).await;
    assert_eq!(report.downloaded.len(), 2, "{:?}", report.failed);
    assert_eq!(std::fs::read(into.join("봄/a b.jpg")).unwrap(), b"img");
    assert_eq!(std::fs::read(into.join("c.jpg")).unwrap(), b"img");
}

#[test]
fn a_partial_download_resumes_with_range_and_an_existing_file_is_never_overwritten_unasked() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-get").await;
        let source = source(endpoint, &bucket, "/");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("orig.bin");
        std::fs::write(&file, pseudo_random(20 * MIB as usize, 6)).unwrap();
        let s3 = transfer::write_client(&source, &admin(endpoint), WriteAction::Put)
            .await
            .unwrap();
        let items = items_for(&s3, &source, &file, "dl/").await;
        let report = upload::upload_all(
            &s3,
            &bucket,
            items,
            &UploadOptions::default(),
            &Journal::in_config_dir(dir.path()),
            &Progress::new(),
            Language::En,
        )
        .await;
        assert!(report.failed.is_empty());

        let dest = dir.path().join("out.bin");
        let planned = download::plan_download(&s3, &source, "dl/orig.bin", &dest, false)
            .await
            .unwrap();
        let item = planned.items[0].clone();
        assert!(!item.exists);
        crash_mid_download(&s3, &bucket, &item, &dest).await;

        let report = download_with(
            &s3,
            &bucket,
            std::slice::from_ref(&item),
            Default::default(),
        )
        .await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let got = &report.downloaded[0];
        assert!(
            got.resumed_from >= (4 * MIB) as f64,
            "resumed from the partial file ({} bytes)",
            got.resumed_from
        );
        assert!(got.checksum_crc32c.is_some(), "checked against the CRC32C");
        assert_eq!(sha256(&dest), sha256(&file));

        existing_file_is_replaced_only_when_asked(&s3, &source, &dest, &file).await;
        a_prefix_downloads_into_a_folder(&s3, &admin_s3, &source, dir.path()).await;
    });
}

#[test]
fn unfinished_uploads_are_listed_with_bytes_and_cost_and_aborted() {
    let endpoint = moto::shared();
    multi_thread().block_on(async {
        let (bucket, s3) = bucket_on(endpoint, "xfer-mpu").await;
        let part = pseudo_random(5 * MIB as usize, 7);
        for (key, parts) in [("a.bin", 1), ("b.bin", 2)] {
            let id = s3
                .create_multipart_upload()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .unwrap()
                .upload_id()
                .unwrap()
                .to_owned();
            for n in 1..=parts {
                s3.upload_part()
                    .bucket(&bucket)
                    .key(key)
                    .upload_id(&id)
                    .part_number(n)
                    .body(ByteStream::from(part.clone()))
                    .send()
                    .await
                    .unwrap();
            }
        }
        assert!(uploads::has_unfinished(&s3, &bucket).await.unwrap());
        let listed = uploads::list_unfinished(&s3, &bucket, None).await.unwrap();
        assert_eq!(listed.uploads.len(), 2);
        assert_eq!(listed.bytes, (15 * MIB) as f64);
        let b = listed.uploads.iter().find(|u| u.key == "b.bin").unwrap();
        assert_eq!((b.parts, b.bytes), (2, (10 * MIB) as f64));
        // moto dates every upload 2010-11-10, so the age is only checked to be computed.
        assert!(b.initiated.is_some() && b.age_days >= 0.0, "{b:?}");
        assert!(
            (listed.monthly_cost_usd - 15.0 / 1024.0 * 0.023).abs() < 1e-9,
            "15 MiB at $0.023 per GB-month"
        );

        let report = uploads::abort(&s3, &bucket, std::slice::from_ref(b), Language::En).await;
        assert_eq!(report.aborted.len(), 1);
        assert!(report.failed.is_empty());
        let left = uploads::list_unfinished(&s3, &bucket, None).await.unwrap();
        assert_eq!(left.uploads.len(), 1);
        assert_eq!(left.uploads[0].key, "a.bin");

        let report = uploads::abort_all(&s3, &bucket, None, Language::En)
            .await
            .unwrap();
        assert_eq!(report.aborted.len(), 1);
        assert!(!uploads::has_unfinished(&s3, &bucket).await.unwrap());
    });
}

/// A user with `policy` inline and its key, on the enforcing endpoint.
async fn key_with(endpoint: &Endpoint, policy: &serde_json::Value) -> Target {
    let iam = endpoint.iam().await;
    let user = unique_name("xfer");
    iam.create_user().user_name(&user).send().await.unwrap();
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("generated")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    Target {
        endpoint_url: Some(endpoint.server.endpoint()),
        region: moto::REGION.into(),
        access_key_id: key.access_key_id().into(),
        secret: SecretString::new(key.secret_access_key()),
    }
}

/// `item` uploaded alone with a client writing as `key`, reporting in `lang`.
async fn upload_as(
    source: &SourceConfig,
    key: &Target,
    item: &UploadItem,
    journal_dir: &Path,
    lang: Language,
) -> upload::UploadReport {
    let s3 = transfer::write_client(
        source,
        &WriteCredentials::Key(key.clone()),
        WriteAction::Put,
    )
    .await
    .unwrap();
    upload::upload_all(
        &s3,
        &source.bucket,
        vec![item.clone()],
        &UploadOptions::default(),
        &Journal::in_config_dir(journal_dir),
        &Progress::new(),
        lang,
    )
    .await
}

/// Deletes `new.jpg` writing as `key`.
async fn delete_as(
    source: &SourceConfig,
    key: &Target,
) -> Result<delete::DeleteReport, TransferError> {
    let s3 = transfer::write_client(
        source,
        &WriteCredentials::Key(key.clone()),
        WriteAction::Delete,
    )
    .await
    .unwrap();
    delete::delete_keys(
        &s3,
        source,
        &["new.jpg".to_owned()],
        &Progress::new(),
        Language::En,
    )
    .await
}

/// The source's own reader key is refused before any request, naming the permission and
/// the uploader policy.
async fn the_source_key_is_refused_before_any_request(source: &SourceConfig, reader: &Target) {
    let err = transfer::write_client(
        source,
        &WriteCredentials::Key(reader.clone()),
        WriteAction::Put,
    )
    .await
    .expect_err("the reader key does not write");
    assert!(matches!(err, TransferError::ReaderKey { .. }));
    let text = bucketdesk::error::ApiError::from_err(&err, Language::En);
    assert_eq!(text.code, ErrorCode::AccessDenied);
    assert!(text.message.contains("s3:PutObject"), "{}", text.message);
    assert!(
        text.message.contains("bucketdesk iam policy uploader"),
        "{}",
        text.message
    );
}

#[test]
fn a_reader_key_cannot_write_and_says_which_permission_and_policy_it_lacks() {
    let endpoint = moto::enforcing();
    block_on(async {
        let (bucket, admin_s3) = bucket_on(endpoint, "xfer-auth").await;
        admin_s3
            .put_object()
            .bucket(&bucket)
            .key("a.jpg")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
        let reader_policy = generate(Template::CdnReader, &bucket, "/").unwrap();
        let reader = key_with(endpoint, &reader_policy).await;
        let mut source = source(endpoint, &bucket, "/");
        source.access_key_id = reader.access_key_id.clone();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new.jpg");
        std::fs::write(&file, b"jpeg").unwrap();
        the_source_key_is_refused_before_any_request(&source, &reader).await;

        // Another reader key, chosen explicitly: the endpoint refuses, and the message
        // names the permission and the uploader policy.
        let other_reader = key_with(endpoint, &reader_policy).await;
        let item = UploadItem {
            path: file.clone(),
            key: "new.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 4,
            must_not_exist: false,
        };
        let report = upload_as(&source, &other_reader, &item, dir.path(), Language::Ko).await;
        assert_eq!(report.failed.len(), 1);
        let error = &report.failed[0].error;
        assert_eq!(error.code, ErrorCode::AccessDenied);
        assert!(error.message.contains("s3:PutObject"), "{}", error.message);
        assert!(
            error
                .message
                .contains("bucketdesk iam policy uploader --bucket"),
            "{}",
            error.message
        );

        // An uploader key writes, but may not delete: that refusal names s3:DeleteObject.
        let uploader_policy = generate(Template::Uploader, &bucket, "/").unwrap();
        let uploader = key_with(endpoint, &uploader_policy).await;
        let report = upload_as(&source, &uploader, &item, dir.path(), Language::En).await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let err = delete_as(&source, &uploader)
            .await
            .expect_err("the uploader template has no s3:DeleteObject");
        let text = bucketdesk::error::ApiError::from_err(&err, Language::En);
        assert_eq!(text.code, ErrorCode::AccessDenied);
        assert!(text.message.contains("s3:DeleteObject"), "{}", text.message);

        // The admin deletes.
        let report = delete_as(&source, &endpoint.admin).await.unwrap();
        assert_eq!(report.deleted, 1);
    });
}
