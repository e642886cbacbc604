//! The built binary, run headless as a user or a script would.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use bucketdesk::config::{Config, ConfigStore, SourceConfig};

fn bucketdesk(config_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args(args)
        .env("BUCKETDESK_CONFIG_DIR", config_dir)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run the bucketdesk binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_the_subcommands_of_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = bucketdesk(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for sub in [
        "source", "ls", "put", "get", "rm", "presign", "cdn", "iam", "keys", "bucket",
    ] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "--help must list `{sub}`:\n{help}"
        );
    }
    for (group, subs) in [
        ("source", &["add", "list", "verify", "remove"][..]),
        ("cdn", &["serve", "url"]),
        ("iam", &["policy", "reader"]),
        ("keys", &["list", "rotate", "deactivate", "delete"]),
        (
            "bucket",
            &["create", "public-access", "policy", "empty", "delete"],
        ),
    ] {
        let out = bucketdesk(dir.path(), &[group, "--help"]);
        assert!(out.status.success(), "{group} --help");
        let help = stdout(&out);
        for sub in subs {
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
                "`{group} --help` must list `{sub}`:\n{help}"
            );
        }
    }
    for flag in ["--json", "--profile", "--endpoint-url"] {
        assert!(help.contains(flag), "--help must document {flag}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = bucketdesk(dir.path(), &["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("bucketdesk {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn source_list_on_an_empty_config() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("cfg");
    let out = bucketdesk(&config_dir, &["source", "list"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("No sources yet"), "{}", stdout(&out));

    let out = bucketdesk(&config_dir, &["source", "list", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json, serde_json::json!([]));

    let out = bucketdesk(&config_dir, &["--lang", "ko", "source", "list"]);
    assert!(
        stdout(&out).contains("등록된 소스가 없습니다"),
        "{}",
        stdout(&out)
    );
    assert!(!config_dir.exists(), "listing must not write anything");
}

#[test]
fn source_list_shows_sources_with_masked_key_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    store
        .save(&Config {
            sources: vec![SourceConfig {
                name: "shop".into(),
                bucket: "shop-images".into(),
                region: "ap-northeast-2".into(),
                base_path: "/assets".into(),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                endpoint_url: None,
                added_at: "2026-01-01T00:00:00Z".into(),
                last_verified: None,
                checksums_when_required: false,
            }],
            ..Config::default()
        })
        .unwrap();
    let out = bucketdesk(dir.path(), &["source", "list"]);
    let text = stdout(&out);
    assert!(
        text.contains("shop-images") && text.contains("AKIA…MPLE"),
        "{text}"
    );
    assert!(
        !text.contains("AKIAIOSFODNN7EXAMPLE"),
        "the full key ID is never listed"
    );
    let out = bucketdesk(dir.path(), &["--json", "source", "list"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["name"], "shop");
    assert_eq!(json[0]["keyId"], "AKIA…MPLE");
}

#[test]
fn a_corrupt_config_fails_with_one_line_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, "{ not json").unwrap();

    let out = bucketdesk(dir.path(), &["source", "list"]);
    assert!(!out.status.success(), "a corrupt config is an error");
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&path.display().to_string()),
        "names the file: {err}"
    );
    assert!(stdout(&out).is_empty());

    let out = bucketdesk(dir.path(), &["source", "list", "--json"]);
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(json["code"], "config_corrupt");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{ not json",
        "file untouched"
    );
}

#[test]
fn buckets_and_objects_from_the_command_line() {
    use crate::support::{keyring_guard, moto, unique_name};
    use bucketdesk::secrets::Keychain;
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| moto::admin_cli(endpoint, dir.path(), args, None);

    // Every naming rule is checked before any call.
    let (code, out) = cli(&["bucket", "create", "Bad_Name"]);
    assert_ne!(code, Some(0));
    assert_eq!(out["code"], "invalid_input", "{out}");

    let bucket = unique_name("cli-bucket");
    let (code, out) = cli(&["bucket", "create", &bucket, "--region", "ap-northeast-2"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = cli(&["bucket", "list"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.to_string().contains(&bucket),
        "the new bucket is listed: {out}"
    );

    // A source on it, reading with the admin's key (its secret in the keychain).
    let keychain = Keychain::new(bucketdesk::secrets::SERVICE);
    keychain
        .store(&endpoint.admin.access_key_id, &endpoint.admin.secret)
        .unwrap();
    ConfigStore::new(dir.path())
        .update(|c| {
            c.sources.push(SourceConfig {
                name: "shop".into(),
                bucket: bucket.clone(),
                region: "ap-northeast-2".into(),
                base_path: "/".into(),
                access_key_id: endpoint.admin.access_key_id.clone(),
                endpoint_url: Some(endpoint.server.endpoint()),
                added_at: "2026-01-01T00:00:00Z".into(),
                last_verified: None,
                checksums_when_required: false,
            });
            Ok(())
        })
        .unwrap();
    let local = dir.path().join("벚꽃 01.jpg");
    fs::write(&local, b"\xff\xd8\xff not really a jpeg").unwrap();
    let (code, out) = cli(&["put", "shop", local.to_str().unwrap(), "제품/벚꽃 01.jpg"]);
    assert_eq!(code, Some(0), "{out}");
    let back = dir.path().join("back.jpg");
    let (code, out) = cli(&["get", "shop", "제품/벚꽃 01.jpg", back.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        fs::read(&back).unwrap(),
        fs::read(&local).unwrap(),
        "byte-identical"
    );
    let (code, out) = cli(&["get", "shop", "제품/벚꽃 01.jpg", back.to_str().unwrap()]);
    assert_ne!(code, Some(0), "never overwrites without asking: {out}");
    let (code, out) = cli(&["uploads", "shop"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["uploads"].as_array().map(Vec::len), Some(0), "{out}");

    // Deleting is confirmed: a non-empty bucket is refused, a prefix needs --yes.
    let (code, out) = cli(&["bucket", "delete", &bucket]);
    assert_ne!(code, Some(0), "no confirmation, no delete: {out}");
    let (code, out) = cli(&["bucket", "delete", &bucket, "--yes"]);
    assert_ne!(code, Some(0), "not empty: {out}");
    let (code, out) = cli(&["rm", "shop", "제품", "--recursive"]);
    assert_ne!(code, Some(0), "a prefix needs --yes: {out}");
    let (code, out) = cli(&["rm", "shop", "제품", "--recursive", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = cli(&["bucket", "delete", &bucket, "--yes", "--remove-sources"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn bad_usage_is_refused_by_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    let out = bucketdesk(dir.path(), &["source", "add", "x"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    assert!(stderr(&out).contains("--bucket"), "{}", stderr(&out));
}

#[test]
fn iam_policy_prints_the_generated_policy() {
    let dir = tempfile::tempdir().unwrap();
    let out = bucketdesk(
        dir.path(),
        &[
            "iam",
            "policy",
            "cdn-reader",
            "--bucket",
            "my-images",
            "--base-path",
            "assets/",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.trim_start().starts_with("{\n  \"Version\""),
        "Version first: {text}"
    );
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        policy["Statement"][1]["Resource"],
        "arn:aws:s3:::my-images/assets/*"
    );
    let out = bucketdesk(
        dir.path(),
        &["iam", "policy", "cdn-reader", "--bucket", "Bad_Name"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Bucket:"),
        "names the field: {}",
        stderr(&out)
    );
}

#[test]
fn keys_delete_removes_the_key_and_its_keychain_entry() {
    use crate::support::{block_on, moto, unique_name};
    use bucketdesk::secrets::{Keychain, SecretError, SecretString};
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let user = unique_name("deleted-key");
    let key_id = block_on(async {
        let iam = endpoint.iam().await;
        iam.create_user()
            .user_name(&user)
            .send()
            .await
            .expect("create user");
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .expect("create key");
        key.access_key().unwrap().access_key_id().to_owned()
    });
    let keychain = Keychain::new(bucketdesk::secrets::SERVICE);
    keychain
        .store(&key_id, &SecretString::new("a-secret-the-keychain-holds"))
        .expect("store the secret");
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = moto::admin_cli(endpoint, dir.path(), &["keys", "delete", &key_id], None);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["deleted"], key_id.as_str());
    assert!(
        matches!(keychain.get(&key_id), Err(SecretError::NotFound { .. })),
        "the CLI removes the keychain entry with the key, as the GUI does"
    );
    let left = block_on(async {
        endpoint
            .iam()
            .await
            .list_access_keys()
            .user_name(&user)
            .send()
            .await
            .expect("list keys")
            .access_key_metadata()
            .len()
    });
    assert_eq!(left, 0, "the key is gone from IAM");
}
