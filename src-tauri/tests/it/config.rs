//! The config file on disk: atomic, versioned, and a damaged file is never lost.

use std::fs;

use bucketdesk::config::{Config, ConfigError, ConfigStore, SourceConfig};
use bucketdesk::error::{ApiError, ErrorCode};
use bucketdesk::locale::Language;

fn sample_source() -> SourceConfig {
    SourceConfig {
        name: "shop-images".into(),
        bucket: "my-bucket".into(),
        region: "ap-northeast-2".into(),
        base_path: "/assets".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        endpoint_url: None,
        added_at: "2026-01-01T00:00:00Z".into(),
        last_verified: None,
        checksums_when_required: false,
    }
}

#[test]
fn a_missing_config_is_the_default_and_nothing_is_written_by_reading() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path().join("nested"));
    assert_eq!(store.load().unwrap(), Config::default());
    assert!(
        !store.dir().exists(),
        "reading must not create the config dir"
    );
}

#[test]
fn saves_atomically_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    let mut config = Config::default();
    config.settings.language = Some(Language::Ko);
    config.sources.push(sample_source());
    store.save(&config).unwrap();
    assert_eq!(store.load().unwrap(), config);

    let text = fs::read_to_string(store.path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1, "the file says which format it is");
    assert_eq!(json["settings"]["language"], "ko");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        ["config.json"],
        "no temp file may be left behind"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the config is private to the user");
    }
}

#[test]
fn a_corrupt_config_is_reported_and_preserved() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    let damaged = b"{\"version\": 1, \"settings\": {\"language\": \"ko\", \"cdnPort\": 73"; // cut short
    fs::write(store.path(), damaged).unwrap();

    let err = store.load().expect_err("a truncated file must not load");
    assert!(matches!(err, ConfigError::Corrupt { .. }), "got {err:?}");
    let api = ApiError::from_err(&err, Language::En);
    assert_eq!(api.code, ErrorCode::ConfigCorrupt);
    assert!(
        api.message.contains(&store.path().display().to_string()),
        "the message names the file: {}",
        api.message
    );
    let ko = ApiError::from_err(&err, Language::Ko);
    assert!(
        ko.message.contains("설정 파일"),
        "Korean message: {}",
        ko.message
    );

    // Nothing overwrites it: not a save, not an update.
    let mut fresh = Config::default();
    fresh.sources.push(sample_source());
    assert!(matches!(
        store.save(&fresh),
        Err(ConfigError::Corrupt { .. })
    ));
    assert!(
        store
            .update(|c| {
                c.settings.cache_mb = 64;
                Ok(())
            })
            .is_err()
    );
    assert_eq!(
        fs::read(store.path()).unwrap(),
        damaged,
        "the damaged file is untouched"
    );

    // Setting it aside keeps its bytes and lets a fresh config start.
    let kept = store.set_aside().expect("set aside");
    assert_eq!(
        fs::read(&kept).unwrap(),
        damaged,
        "the set-aside copy has the same bytes"
    );
    assert!(
        kept.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("config.corrupt-")
    );
    assert_eq!(store.load().unwrap(), Config::default());
    store.save(&fresh).unwrap();
    assert_eq!(store.load().unwrap(), fresh);
    assert_eq!(
        fs::read(&kept).unwrap(),
        damaged,
        "still there after the fresh save"
    );
}

#[test]
fn wrong_shapes_are_corrupt_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    for bad in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"settings\": {}}",
        b"{\"version\": 0}",
        b"{\"version\": 1, \"settings\": {\"cdnPort\": \"x\"}}",
        b"{\"version\": 1, \"settings\": {\"cdnPort\": 80}}",
        b"\xff\xfe garbage",
    ] {
        fs::write(store.path(), bad).unwrap();
        let err = store.load().expect_err("must not load");
        assert!(
            matches!(err, ConfigError::Corrupt { .. }),
            "{:?} gave {err:?}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(fs::read(store.path()).unwrap(), bad);
    }
}

#[test]
fn a_config_from_a_newer_version_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    let newer = br#"{"version": 7, "somethingNew": true}"#;
    fs::write(store.path(), newer).unwrap();
    let err = store.load().expect_err("newer format");
    assert_eq!(
        ApiError::from_err(&err, Language::En).code,
        ErrorCode::ConfigTooNew
    );
    assert!(store.save(&Config::default()).is_err());
    assert_eq!(fs::read(store.path()).unwrap(), newer);
}

#[test]
fn a_healthy_config_is_not_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    store.save(&Config::default()).unwrap();
    let err = store.set_aside().expect_err("nothing to set aside");
    assert_eq!(
        ApiError::from_err(&err, Language::En).code,
        ErrorCode::InvalidInput
    );
    assert!(store.path().exists());
}

#[test]
fn invalid_settings_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    let mut config = Config::default();
    config.settings.cdn_port = 22;
    let err = store.save(&config).expect_err("port 22 is refused");
    let api = ApiError::from_err(&err, Language::En);
    assert_eq!(api.code, ErrorCode::InvalidInput);
    assert!(
        api.message.contains("cdnPort"),
        "names the field: {}",
        api.message
    );
    assert!(!store.path().exists(), "nothing written");
}

/// Writers in several processes at once (the GUI and the CLI run together): 8 processes,
/// each adding 10 sources through the CLI. Before the update lock, each load-change-save
/// raced the others and sources were lost.
#[test]
fn eight_processes_adding_ten_sources_each_keep_all_eighty() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    crate::support::keyring_guard();
    let endpoint = crate::support::moto::shared();
    let bucket =
        crate::support::block_on(crate::sources::bucket_with_objects(endpoint, "us-east-1"));
    let (key, secret) = crate::support::block_on(async {
        crate::support::moto::create_powerless_key(&endpoint.iam().await).await
    });
    let dir = tempfile::tempdir().unwrap();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (dir, bucket, key, secret) = (
                dir.path().to_owned(),
                bucket.clone(),
                key.clone(),
                secret.clone(),
            );
            let url = endpoint.server.endpoint();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let name = format!("w{w}-source-{i}");
                    let mut child = Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
                        .args(["--json", "source", "add", &name, "--bucket", &bucket])
                        .args(["--access-key-id", &key, "--secret-stdin"])
                        .args(["--endpoint-url", &url, "--base-path", "assets"])
                        .env("BUCKETDESK_CONFIG_DIR", &dir)
                        .env("LANG", "en_US.UTF-8")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    child
                        .stdin
                        .take()
                        .unwrap()
                        .write_all(secret.as_bytes())
                        .unwrap();
                    let out = child.wait_with_output().unwrap();
                    assert!(
                        out.status.success(),
                        "{name}: {}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("every add succeeded");
    }
    let text = fs::read_to_string(dir.path().join("config.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).expect("the file parses");
    let mut names: Vec<&str> = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 80, "all 80 sources are in the config");
}

#[test]
fn weekerp_registrations_round_trip_and_old_files_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    let mut config = Config::default();
    config.sources.push(sample_source());
    store.save(&config).unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(
        !text.contains("weekerp"),
        "nothing new in a file without registrations"
    );
    config.weekerp.insert(
        "shop-images".into(),
        bucketdesk::config::WeekerpRegistration {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            confirmed_at: "2026-12-01T00:00:00Z".into(),
        },
    );
    config.settings.production_cdn_base = Some("http://127.0.0.1:9000".into());
    store.save(&config).unwrap();
    assert_eq!(store.load().unwrap(), config);
}
