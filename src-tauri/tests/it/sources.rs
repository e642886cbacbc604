//! Sources against the IAM-enforcing moto endpoint: every verification outcome, the keychain
//! as the only home of the secret, paging, and Korean keys with spaces.

use std::io::Write;
use std::process::{Command, Stdio};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use bucketdesk::config::ConfigStore;
use bucketdesk::error::{Described, ErrorCode};
use bucketdesk::locale::Language;
use bucketdesk::secrets::{Keychain, SecretString};
use bucketdesk::sources::verify::{self, CheckId, CheckStatus, VerifyReport};
use bucketdesk::sources::{Credentials, SourceInput, Sources, browse};

use crate::support::moto::{self, Endpoint};
use crate::support::{block_on, keyring_guard, unique_name};

const ALL: &[&str] = &["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject"];

/// A bucket in `region` with a few objects under `assets/`.
pub(crate) async fn bucket_with_objects(endpoint: &Endpoint, region: &str) -> String {
    let s3 = endpoint.s3().await;
    let bucket = unique_name("src");
    let mut create = s3.create_bucket().bucket(&bucket);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    create.send().await.expect("create bucket");
    for key in [
        "assets/a.jpg",
        "assets/제품 이미지/벚꽃 01.jpg",
        "other/b.jpg",
    ] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from_static(
                b"\xff\xd8\xff\xe0 not really a jpeg",
            ))
            .send()
            .await
            .expect("put");
    }
    bucket
}

/// A user whose inline policy grants `actions` the way the CDN reader template does
/// (bucket-level actions on the bucket, GetObject on its objects); returns its key.
async fn reader_key(endpoint: &Endpoint, bucket: &str, actions: &[&str]) -> Credentials {
    let iam = endpoint.iam().await;
    let user = unique_name("reader");
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .expect("create user");
    let mut statements = Vec::new();
    let bucket_actions: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| *a != "s3:GetObject")
        .collect();
    if !bucket_actions.is_empty() {
        statements.push(serde_json::json!({
            "Effect": "Allow", "Action": bucket_actions, "Resource": format!("arn:aws:s3:::{bucket}")
        }));
    }
    if actions.contains(&"s3:GetObject") {
        statements.push(serde_json::json!({
            "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": format!("arn:aws:s3:::{bucket}/*")
        }));
    }
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("reader")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put policy");
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .expect("key");
    let key = key.access_key().expect("key in answer");
    Credentials {
        endpoint_url: Some(endpoint.server.endpoint()),
        region: Some("us-east-1".into()),
        access_key_id: key.access_key_id().into(),
        secret_access_key: SecretString::new(key.secret_access_key()),
    }
}

async fn run(creds: &Credentials, bucket: &str, base_path: &str) -> VerifyReport {
    verify::verify(
        &verify::Subject {
            credentials: creds,
            bucket,
            base_path,
            name: Some("shop"),
            production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
        },
        Language::En,
    )
    .await
}

fn status(report: &VerifyReport, id: CheckId) -> (CheckStatus, Option<ErrorCode>) {
    let c = report
        .checks
        .iter()
        .find(|c| c.id == id)
        .expect("every check is reported");
    (c.status, c.code)
}

#[test]
fn a_reader_key_passes_every_check_and_the_region_is_corrected() {
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "ap-northeast-2").await;
        let creds = reader_key(endpoint, &bucket, ALL).await; // says us-east-1
        let report = run(&creds, &bucket, "/assets").await;
        assert!(report.ok, "{report:#?}");
        for c in &report.checks {
            assert_eq!(c.status, CheckStatus::Passed, "{c:?}");
        }
        assert_eq!(report.region, "ap-northeast-2");
        assert!(
            report.region_corrected,
            "the wrong region given is corrected"
        );
        assert_eq!(
            report.sample_key.as_deref(),
            Some("a.jpg"),
            "sample is relative to the BasePath"
        );
        assert_eq!(
            report.cdn_url.as_deref(),
            Some("https://cdn.weekerp.com/image/shop/a.jpg")
        );
        assert!(
            !report.warnings.iter().any(|w| w.contains("every bucket")),
            "a reader cannot list all buckets, so no over-permission warning: {:?}",
            report.warnings
        );
    });
}

#[test]
fn each_failure_class_has_its_own_code() {
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        let good = reader_key(endpoint, &bucket, ALL).await;

        // Unknown key: identity fails, the rest is skipped.
        let unknown = Credentials {
            access_key_id: "AKIAUNKNOWN000000000".into(),
            ..good.clone()
        };
        let r = run(&unknown, &bucket, "/").await;
        assert!(!r.ok, "{r:#?}");
        assert_eq!(
            status(&r, CheckId::Identity),
            (CheckStatus::Failed, Some(ErrorCode::UnknownKey))
        );
        assert_eq!(status(&r, CheckId::GetObject).0, CheckStatus::Skipped);

        // Wrong secret.
        let wrong = Credentials {
            secret_access_key: SecretString::new("not-the-secret"),
            ..good.clone()
        };
        let r = run(&wrong, &bucket, "/").await;
        assert_eq!(
            status(&r, CheckId::Identity),
            (CheckStatus::Failed, Some(ErrorCode::WrongSecret))
        );
        let hint = r.checks[0].hint.as_deref().unwrap_or_default();
        assert!(hint.contains("Secret Access Key"), "a fix hint: {hint}");

        // Missing bucket (the key would be allowed on it).
        let missing = unique_name("missing");
        let for_missing = reader_key(endpoint, &missing, ALL).await;
        let r = run(&for_missing, &missing, "/").await;
        assert_eq!(
            status(&r, CheckId::GetBucketLocation),
            (CheckStatus::Failed, Some(ErrorCode::NoSuchBucket)),
            "{r:#?}"
        );

        // Each permission missing in turn: that check fails, naming the action.
        for (omit, check) in [
            ("s3:ListBucket", CheckId::ListBucket),
            ("s3:GetBucketLocation", CheckId::GetBucketLocation),
            ("s3:GetObject", CheckId::GetObject),
        ] {
            let actions: Vec<&str> = ALL.iter().copied().filter(|a| *a != omit).collect();
            let creds = reader_key(endpoint, &bucket, &actions).await;
            let r = run(&creds, &bucket, "/assets").await;
            assert!(!r.ok, "without {omit} verification must fail");
            let c = r.checks.iter().find(|c| c.id == check).unwrap();
            assert_eq!(
                (c.status, c.code),
                (CheckStatus::Failed, Some(ErrorCode::AccessDenied)),
                "{omit}: {r:#?}"
            );
            assert!(
                c.message.contains(omit),
                "the message names {omit}: {}",
                c.message
            );
            assert!(c.hint.as_deref().unwrap_or_default().contains(omit));
            assert_eq!(status(&r, CheckId::Identity).0, CheckStatus::Passed);
        }

        // Endpoint unreachable (a closed loopback port).
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let nowhere = Credentials {
            endpoint_url: Some(format!("http://127.0.0.1:{closed}")),
            ..good.clone()
        };
        let r = run(&nowhere, &bucket, "/").await;
        assert_eq!(
            status(&r, CheckId::Identity),
            (CheckStatus::Failed, Some(ErrorCode::Unreachable))
        );
    });
}

#[test]
fn verification_never_writes_to_the_bucket() {
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        // Even an admin key (which could write) leaves the bucket as it was.
        let admin = Credentials {
            endpoint_url: Some(endpoint.server.endpoint()),
            region: None,
            access_key_id: endpoint.admin.access_key_id.clone(),
            secret_access_key: endpoint.admin.secret.clone(),
        };
        let before = endpoint
            .s3()
            .await
            .list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let r = run(&admin, &bucket, "/").await;
        assert!(r.ok);
        assert!(
            r.warnings.iter().any(|w| w.contains("every bucket")),
            "an admin key is more than a reader needs: {:?}",
            r.warnings
        );
        let after = endpoint
            .s3()
            .await
            .list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let keys = |o: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| {
            o.contents()
                .iter()
                .map(|c| (c.key().unwrap().to_owned(), c.e_tag().map(str::to_owned)))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&before), keys(&after));
    });
}

fn bucketdesk(config_dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args(args)
        .env("BUCKETDESK_CONFIG_DIR", config_dir)
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bucketdesk");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            hits.push(path);
        }
    }
    hits
}

fn keychain_lookup(key_id: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "bucketdesk", "username", key_id])
        .output()
        .expect("secret-tool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_secret_lives_only_in_the_keychain_through_add_verify_remove() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let (bucket, creds) = block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        let creds = reader_key(endpoint, &bucket, ALL).await;
        (bucket, creds)
    });
    let secret = creds.secret_access_key.expose().to_owned();
    let key_id = creds.access_key_id.clone();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path();
    let endpoint_url = endpoint.server.endpoint();
    let mut transcript = String::new();

    let (ok, out) = bucketdesk(
        cfg,
        &[
            "source",
            "add",
            "shop-cdn",
            "--bucket",
            &bucket,
            "--access-key-id",
            &key_id,
            "--secret-stdin",
            "--endpoint-url",
            &endpoint_url,
            "--base-path",
            "assets/",
        ],
        &format!("{secret}\n"),
    );
    transcript += &out;
    assert!(ok, "source add: {out}");
    assert_eq!(
        keychain_lookup(&key_id),
        secret,
        "the secret is in the Secret Service"
    );

    let (ok, out) = bucketdesk(cfg, &["--json", "source", "list"], "");
    transcript += &out;
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["basePath"], "/assets", "BasePath normalized");
    assert_eq!(list[0]["region"], "us-east-1");

    let (ok, out) = bucketdesk(cfg, &["source", "verify", "shop-cdn"], "");
    transcript += &out;
    assert!(ok, "verify: {out}");
    assert!(out.contains("✓ get_object"), "{out}");

    let (ok, out) = bucketdesk(
        cfg,
        &[
            "source",
            "add",
            "shop-cdn",
            "--bucket",
            &bucket,
            "--access-key-id",
            &key_id,
            "--secret-stdin",
            "--endpoint-url",
            &endpoint_url,
        ],
        &secret,
    );
    transcript += &out;
    assert!(
        !ok && out.contains("already used"),
        "a taken name is refused: {out}"
    );

    assert!(
        files_containing(cfg, secret.as_bytes()).is_empty(),
        "no file under the config dir holds the secret"
    );

    let (ok, out) = bucketdesk(cfg, &["source", "remove", "shop-cdn"], "");
    transcript += &out;
    assert!(ok, "remove: {out}");
    assert_eq!(
        keychain_lookup(&key_id),
        "",
        "the keychain entry is gone after remove"
    );
    assert!(files_containing(cfg, secret.as_bytes()).is_empty());
    assert!(
        !transcript.contains(&secret),
        "no output line contains the secret:\n{transcript}"
    );
}

#[test]
fn a_failed_config_write_takes_the_secret_back_out() {
    keyring_guard();
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        let creds = reader_key(endpoint, &bucket, ALL).await;
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let keychain = Keychain::new(unique_name("bucketdesk-test"));
        let sources = Sources::new(store.clone(), keychain.clone());
        let input = SourceInput {
            name: "shop".into(),
            endpoint_url: creds.endpoint_url.clone(),
            region: None,
            bucket: bucket.clone(),
            base_path: "/".into(),
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
        };
        let report = run(&creds, &bucket, "/").await;
        assert!(report.ok);
        // The config becomes unwritable (damaged) between verification and save.
        std::fs::write(store.path(), "{ damaged").unwrap();
        assert!(sources.add(&input, &report).is_err(), "save must fail");
        assert!(
            keychain.get(&creds.access_key_id).is_err(),
            "no orphaned keychain entry after a failed save"
        );
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), "{ damaged");
    });
}

/// A source on the shared (non-enforcing) endpoint, for browsing tests.
fn shared_source(
    endpoint: &Endpoint,
    name: &str,
    bucket: &str,
    base_path: &str,
) -> bucketdesk::config::SourceConfig {
    bucketdesk::config::SourceConfig {
        name: name.into(),
        bucket: bucket.into(),
        region: moto::REGION.into(),
        base_path: base_path.into(),
        access_key_id: "testing".into(),
        endpoint_url: Some(endpoint.server.endpoint()),
        added_at: String::new(),
        last_verified: None,
        checksums_when_required: false,
    }
}

#[test]
fn paging_returns_each_of_5000_keys_exactly_once() {
    let endpoint = moto::shared();
    block_on(async {
        let s3 = endpoint.s3().await;
        let bucket = unique_name("paging");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        let keys: Vec<String> = (0..5000)
            .map(|i| format!("imgs/{:02}/사진 {i:05}.jpg", i % 37))
            .collect();
        for chunk in keys.chunks(250) {
            let (s3, bucket, chunk) = (s3.clone(), bucket.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for key in chunk {
                    s3.put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .body(ByteStream::from_static(b"x"))
                        .send()
                        .await
                        .unwrap();
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        let source = shared_source(endpoint, "paging", &bucket, "/imgs");
        let mut seen = Vec::new();
        let mut token = None;
        let mut pages = 0;
        loop {
            let page = browse::list_page(
                &s3,
                &source,
                "",
                token.as_deref(),
                1000,
                browse::Depth::Recursive,
            )
            .await
            .unwrap();
            pages += 1;
            seen.extend(page.objects.into_iter().map(|o| o.key));
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert!(
            pages >= 5,
            "5000 keys take at least five pages of 1000, got {pages}"
        );
        let mut want: Vec<String> = keys
            .iter()
            .map(|k| k.trim_start_matches("imgs/").to_owned())
            .collect();
        want.sort();
        let mut got = seen.clone();
        got.sort();
        assert_eq!(
            got.len(),
            5000,
            "each key once (no duplicates across pages)"
        );
        assert_eq!(got, want);

        // Folder view: 37 folders at the BasePath, no objects.
        let top = browse::list_page(&s3, &source, "", None, 1000, browse::Depth::Folder)
            .await
            .unwrap();
        assert_eq!(top.folders.len(), 37);
        assert!(top.objects.is_empty());
    });
}

#[test]
fn korean_keys_with_spaces_are_listed_shown_and_presigned() {
    let endpoint = moto::shared();
    block_on(async {
        let s3 = endpoint.s3().await;
        let bucket = unique_name("korean");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let body = b"real bytes of a photo \xff\xd8".to_vec();
        let key = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .content_type("image/jpeg")
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        let source = shared_source(endpoint, "shop", &bucket, "/제품 이미지");
        let top = browse::list_page(&s3, &source, "", None, 1000, browse::Depth::Folder)
            .await
            .unwrap();
        assert_eq!(top.folders, ["봄 컬렉션/"]);
        let inner = browse::list_page(
            &s3,
            &source,
            "봄 컬렉션/",
            None,
            1000,
            browse::Depth::Folder,
        )
        .await
        .unwrap();
        assert_eq!(inner.objects.len(), 1);
        assert_eq!(inner.objects[0].key, "봄 컬렉션/벚꽃 사진 01.jpg");
        assert_eq!(inner.objects[0].name, "벚꽃 사진 01.jpg");
        let search = browse::list_page(
            &s3,
            &source,
            "봄 컬렉션/벚꽃",
            None,
            1000,
            browse::Depth::Folder,
        )
        .await
        .unwrap();
        assert_eq!(search.objects.len(), 1, "prefix search finds it");

        let details = browse::details(
            &s3,
            &source,
            "봄 컬렉션/벚꽃 사진 01.jpg",
            bucketdesk::config::PRODUCTION_CDN_BASE,
        )
        .await
        .unwrap();
        assert_eq!(details.size as usize, body.len());
        assert_eq!(details.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            details.cdn_url,
            "https://cdn.weekerp.com/image/shop/%EB%B4%84%20%EC%BB%AC%EB%A0%89%EC%85%98/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84%2001.jpg"
        );

        let url = browse::presign_get(
            &s3,
            &source,
            "봄 컬렉션/벚꽃 사진 01.jpg",
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap();
        assert!(url.contains("X-Amz-Expires=3600"), "{url}");
        let fetched = Command::new("curl")
            .args(["-sf", "--globoff", &url])
            .output()
            .expect("curl");
        assert!(fetched.status.success(), "the presigned URL works: {url}");
        assert_eq!(
            fetched.stdout, body,
            "the presigned URL serves the object's bytes"
        );
    });
}

#[test]
fn without_a_keychain_nothing_is_saved() {
    let endpoint = moto::enforcing();
    let (bucket, creds) = block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        (bucket.clone(), reader_key(endpoint, &bucket, ALL).await)
    });
    let dir = tempfile::tempdir().unwrap();
    // A session bus that does not exist: no Secret Service at all.
    let out = Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args([
            "--json",
            "source",
            "add",
            "shop",
            "--bucket",
            &bucket,
            "--access-key-id",
        ])
        .arg(&creds.access_key_id)
        .args([
            "--secret-stdin",
            "--endpoint-url",
            &endpoint.server.endpoint(),
        ])
        .env("BUCKETDESK_CONFIG_DIR", dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bucketdesk-test-bus",
        )
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(creds.secret_access_key.expose().as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success(), "no keychain, no save");
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(err["code"], "keychain_unavailable", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not stored anywhere else"),
        "{err}"
    );
    assert!(
        !dir.path().join("config.json").exists(),
        "nothing was written to the config"
    );
}

#[test]
fn replacing_the_key_moves_the_secret_and_forgets_the_old_one() {
    keyring_guard();
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        let old = reader_key(endpoint, &bucket, ALL).await;
        let new = reader_key(endpoint, &bucket, ALL).await;
        let dir = tempfile::tempdir().unwrap();
        let keychain = Keychain::new(unique_name("bucketdesk-test"));
        let sources = Sources::new(ConfigStore::new(dir.path()), keychain.clone());
        let input = SourceInput {
            name: "shop".into(),
            endpoint_url: old.endpoint_url.clone(),
            region: None,
            bucket: bucket.clone(),
            base_path: "assets".into(),
            access_key_id: old.access_key_id.clone(),
            secret_access_key: old.secret_access_key.clone(),
        };
        let report = run(&old, &bucket, "/assets").await;
        sources.add(&input, &report).expect("add");
        let update = bucketdesk::sources::SourceUpdate {
            bucket: bucket.clone(),
            region: None,
            base_path: "/assets".into(),
            endpoint_url: old.endpoint_url.clone(),
            new_key: Some(bucketdesk::sources::NewKey {
                access_key_id: new.access_key_id.clone(),
                secret_access_key: new.secret_access_key.clone(),
            }),
        };
        let summary = sources.update("shop", &update).expect("update");
        assert!(
            summary
                .key_id_masked
                .ends_with(&new.access_key_id[new.access_key_id.len() - 4..])
        );
        assert_eq!(
            keychain.get(&new.access_key_id).unwrap(),
            new.secret_access_key
        );
        assert!(
            keychain.get(&old.access_key_id).is_err(),
            "the old secret is forgotten"
        );
        // The source still works with the new key, from the keychain.
        let target = sources.target(&sources.get("shop").unwrap()).unwrap();
        assert_eq!(target.access_key_id, new.access_key_id);
        sources.remove("shop").unwrap();
        assert!(keychain.get(&new.access_key_id).is_err());
    });
}

#[test]
fn editing_a_source_with_a_wrong_secret_is_refused_and_the_old_key_still_works() {
    keyring_guard();
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = bucket_with_objects(endpoint, "us-east-1").await;
        let old = reader_key(endpoint, &bucket, ALL).await;
        let new = reader_key(endpoint, &bucket, ALL).await;
        let dir = tempfile::tempdir().unwrap();
        let keychain = Keychain::new(unique_name("bucketdesk-test"));
        let sources = Sources::new(ConfigStore::new(dir.path()), keychain.clone());
        let input = SourceInput {
            name: "shop".into(),
            endpoint_url: old.endpoint_url.clone(),
            region: None,
            bucket: bucket.clone(),
            base_path: "assets".into(),
            access_key_id: old.access_key_id.clone(),
            secret_access_key: old.secret_access_key.clone(),
        };
        let report = run(&old, &bucket, "/assets").await;
        sources.add(&input, &report).expect("add");
        let update = bucketdesk::sources::SourceUpdate {
            bucket: bucket.clone(),
            region: None,
            base_path: "/assets".into(),
            endpoint_url: old.endpoint_url.clone(),
            new_key: Some(bucketdesk::sources::NewKey {
                access_key_id: new.access_key_id.clone(),
                secret_access_key: SecretString::new("wrong-secret-of-the-right-length0000"),
            }),
        };
        // Both entry points: the async one and the one the sync adapter calls.
        let err = sources
            .update_verified("shop", &update, Language::En)
            .await
            .expect_err("a wrong secret is refused");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.describe(Language::En).contains("Not saved"), "{err:?}");
        assert!(
            sources.update("shop", &update).is_err(),
            "the sync path verifies too"
        );

        let saved = sources.get("shop").unwrap();
        assert_eq!(
            saved.access_key_id, old.access_key_id,
            "the config is unchanged"
        );
        assert_eq!(
            keychain.get(&old.access_key_id).unwrap(),
            old.secret_access_key,
            "the old secret stays"
        );
        assert!(
            keychain.get(&new.access_key_id).is_err(),
            "the wrong secret was never stored"
        );
        let report = sources.verify_saved("shop", Language::En).await.unwrap();
        assert!(report.ok, "the old key still works: {report:?}");
        keychain.delete(&old.access_key_id).unwrap();
    });
}

/// A stand-in for the production CDN: `/image/shop/…` answers with a real PNG, every other
/// source with 403, as Weekerp does for a key it cannot use.
async fn production_stand_in(png: Vec<u8>) -> String {
    use axum::extract::Path;
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;

    let app = axum::Router::new().route(
        "/image/{source}/{*path}",
        axum::routing::get(move |Path((source, _path)): Path<(String, String)>| {
            let png = png.clone();
            async move {
                if source == "shop" {
                    ([(header::CONTENT_TYPE, "image/png")], png).into_response()
                } else {
                    (StatusCode::FORBIDDEN, "Forbidden").into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn check_weekerp_against_a_stand_in_reports_success_and_a_403() {
    use bucketdesk::sources::production::{self, UntilServed, Verdict};
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let base = production_stand_in(tiny_png()).await;
            let ok =
                production::check(&base, "shop", "제품 이미지/벚꽃 01.jpg", Language::En).await;
            assert!(ok.served, "{ok:?}");
            assert!(
                ok.url.ends_with("?w=64") && ok.url.contains("/image/shop/"),
                "{}",
                ok.url
            );
            assert!(
                ok.message.contains("Weekerp serves this source"),
                "{}",
                ok.message
            );

            let denied = production::check(&base, "other", "a.jpg", Language::En).await;
            assert_eq!(denied.verdict, Verdict::Forbidden);
            assert!(!denied.served);
            assert!(denied.message.contains("403"), "{}", denied.message);
            assert!(
                denied.fix.as_deref().unwrap().contains("s3:GetObject"),
                "the likely cause and the fix: {denied:?}"
            );

            // Nobody listens there.
            let closed = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                format!("http://{}", l.local_addr().unwrap())
            };
            let gone = production::check(&closed, "shop", "a.jpg", Language::En).await;
            assert!(
                matches!(gone.verdict, Verdict::Unreachable { .. }),
                "{gone:?}"
            );

            // "Check again until it works": bounded, with progress, and it can be cancelled.
            let cancel = AtomicBool::new(false);
            let mut seen = Vec::new();
            let gave_up = production::until_served(
                &base,
                "other",
                "a.jpg",
                Duration::from_millis(900),
                Duration::from_millis(300),
                &cancel,
                |p| seen.push(p.attempt),
                Language::En,
            )
            .await;
            assert!(matches!(gave_up, UntilServed::GaveUp { .. }), "{gave_up:?}");
            assert!(
                seen.len() >= 2 && seen.len() <= 4,
                "bounded tries: {seen:?}"
            );
            let served = production::until_served(
                &base,
                "shop",
                "a.jpg",
                Duration::from_secs(60),
                Duration::from_secs(1),
                &cancel,
                |_| {},
                Language::En,
            )
            .await;
            assert!(
                matches!(served, UntilServed::Served { attempts: 1, .. }),
                "{served:?}"
            );
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            let cancelled = production::until_served(
                &base,
                "other",
                "a.jpg",
                Duration::from_secs(60),
                Duration::from_secs(1),
                &cancel,
                |_| {},
                Language::En,
            )
            .await;
            assert!(
                matches!(cancelled, UntilServed::Cancelled { .. }),
                "{cancelled:?}"
            );
        });
}
