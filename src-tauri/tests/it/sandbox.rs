//! The sandbox: seeded with real photographs (Korean names with spaces among them), an admin
//! profile usable through the ordinary AWS profile files, enforcement on, gone when stopped;
//! and its own keychain where the session has no Secret Service, gone on quit.

use std::process::Command;

use aws_config::BehaviorVersion;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use bucketdesk::{aws, sandbox};
use sha2::{Digest, Sha256};

use crate::support::{block_on, keyring_guard, moto};

#[test]
fn sandbox_is_seeded_enforced_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let photos = sandbox::photo_library().expect("the photo packages are installed by setup");
    assert!(
        photos.len() >= 20,
        "need at least 20 photographs, found {}",
        photos.len()
    );

    block_on(async {
        let sb = sandbox::start(&sandbox::MotoServer::program_from_env(), dir.path())
            .await
            .expect("sandbox starts");
        let info = sb.info().clone();
        assert_eq!(info.objects as usize, photos.len());
        assert_eq!(info.bucket, sandbox::BUCKET);

        // The admin profile works through the AWS profile files alone (region and endpoint
        // included), the way the AWS CLI would read them.
        let files = ProfileFiles::builder()
            .with_file(ProfileFileKind::Config, sb.aws_config_file())
            .with_file(ProfileFileKind::Credentials, sb.aws_credentials_file())
            .build();
        let admin = aws_config::defaults(BehaviorVersion::latest())
            .profile_files(files)
            .profile_name(sandbox::PROFILE)
            .load()
            .await;
        assert_eq!(admin.endpoint_url(), Some(info.endpoint.as_str()));
        let s3 = aws::s3_client(&admin);
        let mut keys = Vec::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(sandbox::BUCKET)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("admin may list the sandbox bucket");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        assert_eq!(
            keys.len(),
            photos.len(),
            "every photograph is in the bucket"
        );
        let korean = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";
        assert!(
            keys.iter().any(|k| k == korean),
            "Korean key with spaces listed: {keys:?}"
        );
        assert!(
            keys.iter().any(|k| k.starts_with("photos/landscape/")),
            "nested prefixes"
        );
        let head = s3
            .head_object()
            .bucket(sandbox::BUCKET)
            .key(korean)
            .send()
            .await
            .expect("head the Korean key");
        let first = std::fs::metadata(&photos[0]).unwrap().len() as i64;
        assert_eq!(
            head.content_length(),
            Some(first),
            "the object is the photograph's bytes"
        );
        assert_eq!(head.content_type(), Some("image/jpeg"));

        // Enforcement is on: a key without a policy is refused.
        let (id, secret) = moto::create_powerless_key(&aws::iam_client(&admin)).await;
        let nobody = aws::Target {
            endpoint_url: Some(info.endpoint.clone()),
            region: sandbox::REGION.into(),
            access_key_id: id,
            secret: bucketdesk::secrets::SecretString::new(secret),
        };
        let denied = aws::s3_client(&aws::sdk_config(&nobody).await)
            .list_objects_v2()
            .bucket(sandbox::BUCKET)
            .send()
            .await
            .expect_err("enforcement must be on in the sandbox");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&denied),
            Some("AccessDenied")
        );

        let port = sb.server().port();
        drop(sb);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the sandbox endpoint must be gone once the sandbox is dropped"
        );
    });
}

// ---------------------------------------------------------------------------------------
// The sandbox keychain, where the session has no Secret Service.
//
// `keyring` picks its store once per process, so each case runs in a child process: this
// test binary again, filtered to the same test, inside `dbus-run-session` with a bus that
// has no services (no Secret Service can appear on it), a fresh HOME and no display. The
// child plays the app (`AppState::from_env`, the sandbox start, the wizard's "Create a
// dedicated reader for me", the quit path); the parent checks from outside what it left.

/// Set in a child: which part it plays.
const CHILD_ROLE_ENV: &str = "BUCKETDESK_TEST_SANDBOX_CHILD";
/// The child's report to the parent: the rest of the stdout line after this.
const REPORT_PREFIX: &str = "SANDBOX-CHILD-REPORT ";

#[test]
fn the_sandbox_brings_its_own_keychain_where_the_session_has_none() {
    if std::env::var(CHILD_ROLE_ENV).as_deref() == Ok("sandbox") {
        return child::sandbox_on();
    }
    let root = tempfile::tempdir().unwrap();
    let config_dir = root.path().join("config");
    let sandbox_dir = config_dir.join("sandbox");
    let keychain_dir = sandbox_dir.join(sandbox::keychain::KEYCHAIN_DIR);
    let mut child = parent::spawn(
        root.path(),
        "the_sandbox_brings_its_own_keychain_where_the_session_has_none",
        &[(CHILD_ROLE_ENV, "sandbox"), ("BUCKETDESK_SANDBOX", "on")],
    );
    let report = parent::read_report(&mut child);
    let bus = report["bus"].as_str().expect("the child names its bus");
    assert!(
        bus.starts_with(&format!("unix:path={}", keychain_dir.display())),
        "the private bus's socket is under the sandbox's folder: {bus}"
    );
    assert_eq!(
        report["keychain"], "sandbox",
        "the banner's field: {report}"
    );

    // The reader's secret is in the sandbox keychain, where other tools find it.
    let key_id = report["accessKeyId"].as_str().unwrap();
    let lookup = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "bucketdesk-sandbox",
            "username",
            key_id,
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env_remove("DISPLAY")
        .output()
        .expect("secret-tool runs (libsecret-tools)");
    assert!(lookup.status.success(), "secret-tool finds the entry");
    assert_eq!(
        hex::encode(Sha256::digest(&lookup.stdout)),
        report["secretSha256"].as_str().unwrap(),
        "the sandbox keychain holds the reader's secret"
    );

    let running = parent::processes_naming(&keychain_dir);
    for daemon in ["dbus-daemon", "gnome-keyring-d"] {
        assert!(
            running.iter().any(|(_, comm)| comm == daemon),
            "{daemon} runs for the sandbox keychain: {running:?}"
        );
    }

    let out = parent::quit(child);
    assert!(out.status.success(), "the child passed: {out:?}");
    assert_eq!(
        parent::left_naming(&keychain_dir),
        Vec::new(),
        "no keyring or bus daemon is left after quit"
    );
    assert!(
        !keychain_dir.exists(),
        "the sandbox keychain's files are removed on quit"
    );
}

#[test]
fn outside_the_sandbox_a_missing_keychain_still_refuses_and_nothing_is_written() {
    if std::env::var(CHILD_ROLE_ENV).as_deref() == Ok("outside") {
        return child::sandbox_off();
    }
    let root = tempfile::tempdir().unwrap();
    let config_dir = root.path().join("config");
    let child = parent::spawn(
        root.path(),
        "outside_the_sandbox_a_missing_keychain_still_refuses_and_nothing_is_written",
        &[(CHILD_ROLE_ENV, "outside"), ("BUCKETDESK_SANDBOX", "off")],
    );
    let out = parent::quit(child);
    assert!(out.status.success(), "the child passed: {out:?}");
    assert!(
        !config_dir.join("config.json").exists(),
        "nothing was written to the config"
    );
    assert!(
        !config_dir.join("sandbox").exists(),
        "no sandbox folder, no sandbox keychain"
    );
    assert_eq!(
        parent::left_naming(root.path()),
        Vec::new(),
        "nothing started for the child outlives it"
    );
}

#[test]
fn the_test_session_has_a_secret_service_and_a_dead_bus_has_none() {
    if std::env::var(CHILD_ROLE_ENV).as_deref() == Ok("probe") {
        assert!(
            !sandbox::keychain::session_has_secret_service(),
            "a bus address that leads nowhere has no Secret Service"
        );
        return;
    }
    keyring_guard();
    assert!(
        sandbox::keychain::session_has_secret_service(),
        "scripts/with-keyring.sh gives the tests a Secret Service: the sandbox uses it"
    );
    let out = Command::new(parent::this_binary())
        .args([
            "sandbox::the_test_session_has_a_secret_service_and_a_dead_bus_has_none",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_ROLE_ENV, "probe")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bucketdesk-test-bus",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "the probe said no: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the child ran the probe: {out:?}"
    );
}

mod parent {
    use std::io::{BufRead, BufReader, Write};
    use std::path::Path;
    use std::process::{Child, ChildStdout, Command, Output, Stdio};

    /// This very test binary, even if a build has replaced the file since it started (the
    /// target dir is shared): the kernel's link to the running image.
    pub fn this_binary() -> String {
        format!("/proc/{}/exe", std::process::id())
    }

    /// Runs this test binary's `test` as a child in a D-Bus session without services, with
    /// HOME, the XDG dirs and the config dir under `root`.
    pub fn spawn(root: &Path, test: &str, env: &[(&str, &str)]) -> Child {
        let run = root.join("run");
        for dir in ["home", "run", "data", "xdg-config", "cache", "config"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let bus_conf = root.join("no-services.conf");
        std::fs::write(
            &bus_conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                run.display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new("dbus-run-session");
        cmd.arg(format!("--config-file={}", bus_conf.display()))
            .arg("--")
            .arg(this_binary())
            .args([
                &format!("sandbox::{test}"),
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOME", root.join("home"))
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_CONFIG_HOME", root.join("xdg-config"))
            .env("XDG_CACHE_HOME", root.join("cache"))
            .env("BUCKETDESK_CONFIG_DIR", root.join("config"))
            .env("LANG", "en_US.UTF-8")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("BUCKETDESK_TEST_KEYRING")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.spawn().expect("dbus-run-session runs (dbus-daemon)")
    }

    /// The child's report: the JSON after [`super::REPORT_PREFIX`].
    pub fn read_report(child: &mut Child) -> serde_json::Value {
        let stdout: &mut ChildStdout = child.stdout.as_mut().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                panic!("the child ended without a report; its output:\n{seen}");
            }
            // libtest may have printed "test … ... " on the same line first.
            if let Some(at) = line.find(super::REPORT_PREFIX) {
                let json = &line[at + super::REPORT_PREFIX.len()..];
                return serde_json::from_str(json).expect("the report is JSON");
            }
            seen.push_str(&line);
        }
    }

    /// Tells the child to quit (the app's quit path) and waits for it.
    pub fn quit(mut child: Child) -> Output {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"quit\n");
        }
        child.wait_with_output().unwrap()
    }

    /// Waits up to 5 s for every process naming `path` to end (a SIGTERM'd daemon takes a
    /// moment); returns those still there.
    pub fn left_naming(path: &Path) -> Vec<(u32, String)> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let left = processes_naming(path);
            if left.is_empty() || std::time::Instant::now() > deadline {
                return left;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// `(pid, comm)` of every process whose command line or environment names `path`.
    pub fn processes_naming(path: &Path) -> Vec<(u32, String)> {
        let needle = path.to_string_lossy().into_owned();
        let me = std::process::id();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == me {
                continue;
            }
            let names = ["cmdline", "environ"].iter().any(|file| {
                std::fs::read(entry.path().join(file))
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(&needle))
            });
            if names {
                let comm = std::fs::read_to_string(entry.path().join("comm"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                found.push((pid, comm));
            }
        }
        found
    }
}

mod child {
    use std::path::PathBuf;

    use bucketdesk::app::AppState;
    use bucketdesk::config::ConfigStore;
    use bucketdesk::error::{ApiError, ErrorCode};
    use bucketdesk::iam::reader::{self, ReaderRequest};
    use bucketdesk::locale::Language;
    use bucketdesk::sandbox::{self, KeychainKind, keychain};
    use bucketdesk::secrets::Keychain;
    use bucketdesk::sources::Sources;
    use sha2::{Digest, Sha256};

    use crate::support::{block_on, moto};

    fn config_dir() -> PathBuf {
        PathBuf::from(std::env::var_os("BUCKETDESK_CONFIG_DIR").expect("set by the parent"))
    }

    fn wait_for_quit() {
        // EOF (the parent gone) counts as quit too.
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    /// The app in the sandbox: start-up, "Create a dedicated reader for me" into a new
    /// source, the secret read back through the source, then the quit path.
    pub fn sandbox_on() {
        assert!(
            !keychain::session_has_secret_service(),
            "the parent's session has no Secret Service"
        );
        let _state = AppState::from_env().expect("the app's start-up");
        assert_eq!(
            keychain::status().expect("the sandbox keychain starts"),
            KeychainKind::Sandbox
        );
        let bus = keychain::private_bus_address().expect("a private bus runs");
        assert_eq!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").as_deref(),
            Ok(bus.as_str()),
            "the process points at the private bus"
        );
        let dir = config_dir().join("sandbox");
        block_on(async {
            let sb = sandbox::start(&sandbox::MotoServer::program_from_env(), &dir)
                .await
                .expect("the sandbox starts");
            assert_eq!(sb.info().keychain, KeychainKind::Sandbox);
            // What the wizard does in the sandbox: the sandbox admin creates the reader.
            let admin = bucketdesk::aws::Admin {
                profile: Some(sb.info().profile.clone()),
                endpoint_url: Some(sb.info().endpoint.clone()),
                files: Some((
                    sb.aws_config_file().to_owned(),
                    sb.aws_credentials_file().to_owned(),
                )),
            };
            let iam = bucketdesk::aws::iam_client(&bucketdesk::aws::admin_config(&admin).await);
            // The keychain service and config folder AppState gives the sandbox.
            let keychain = Keychain::new("bucketdesk-sandbox");
            let sources = Sources::new(ConfigStore::new(dir.join("config")), keychain.clone());
            let request = ReaderRequest {
                bucket: sandbox::BUCKET.into(),
                base_path: "/".into(),
                user: reader::DEFAULT_USER.into(),
                source: Some("sandbox-photos".into()),
                endpoint_url: admin.endpoint_url.clone(),
                region: None,
                managed_read_only: false,
            };
            let created = reader::create(&iam, &keychain, &sources, &request, Language::En)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "a source is saved in the sandbox: {}",
                        ApiError::from_err(&e, Language::En).message
                    )
                });
            let source = sources.get("sandbox-photos").expect("the source is saved");
            let target = sources
                .target(&source)
                .expect("its secret is in the keychain");
            let listed = bucketdesk::aws::s3_client(&bucketdesk::aws::sdk_config(&target).await)
                .list_objects_v2()
                .bucket(sandbox::BUCKET)
                .send()
                .await
                .expect("the reader's key from the keychain lists the bucket");
            assert!(
                !listed.contents().is_empty(),
                "the bucket has the photographs"
            );
            let report = serde_json::json!({
                "bus": bus,
                "keychain": sb.info().keychain,
                "accessKeyId": created.access_key_id,
                "secretSha256": hex::encode(Sha256::digest(target.secret.expose().as_bytes())),
            });
            println!("{}{report}", super::REPORT_PREFIX);
            wait_for_quit();
            // The app's quit (RunEvent::Exit → AppState::stop_sandbox) stops the endpoint
            // and the keychain like this (and removes the admin profile, not checked here).
            sb.stop();
            keychain::stop();
        });
    }

    /// The app outside the sandbox, in the same session without a Secret Service: nothing
    /// is started, and "Create a dedicated reader for me" refuses to save and is undone.
    pub fn sandbox_off() {
        assert!(
            !keychain::session_has_secret_service(),
            "the parent's session has no Secret Service"
        );
        let before = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
        let _state = AppState::from_env().expect("the app's start-up");
        assert_eq!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
            before,
            "outside the sandbox the session is left alone"
        );
        assert_eq!(keychain::private_bus_address(), None, "no private bus");
        let endpoint = moto::shared();
        block_on(async {
            let iam = endpoint.iam().await;
            let store = ConfigStore::from_env().unwrap();
            let keychain = Keychain::new(bucketdesk::secrets::SERVICE);
            let sources = Sources::new(store, keychain.clone());
            let user = crate::support::unique_name("reader");
            let request = ReaderRequest {
                bucket: crate::support::unique_name("nokeychain"),
                base_path: "/".into(),
                user: user.clone(),
                source: Some("shop".into()),
                endpoint_url: Some(endpoint.server.endpoint()),
                region: None,
                managed_read_only: false,
            };
            let err = reader::create(&iam, &keychain, &sources, &request, Language::En)
                .await
                .expect_err("no keychain, no save");
            let err = ApiError::from_err(&err, Language::En);
            assert_eq!(err.code, ErrorCode::KeychainUnavailable, "{err:?}");
            assert!(
                err.message.contains("not stored anywhere else"),
                "the existing clear error: {err:?}"
            );
            assert!(
                iam.get_user().user_name(&user).send().await.is_err(),
                "the reader user made before the keychain refused is undone"
            );
        });
        wait_for_quit();
    }
}
