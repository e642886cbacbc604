//! The Tauri command layer, called through the real IPC handler of the app built on Tauri's
//! mock runtime: one test per area at least, each checking the `{code, message}` error shape
//! the UI branches on. Nothing here draws a window.

use std::path::Path;

use bucketdesk::app::{AppState, build_app};
use bucketdesk::config::ConfigStore;
use bucketdesk::locale::Language;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::support::url_table::{CASES, SOURCE};

/// The app on the mock runtime over its own config dir, and its window.
struct MockApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl MockApp {
    fn new(config_dir: &Path) -> MockApp {
        let state = AppState::new(ConfigStore::new(config_dir), Language::En, None);
        let mut app = build_app(mock_builder(), state, mock_context(noop_assets()))
            .expect("the app builds on the mock runtime");
        // One iteration runs the setup hook (it starts the local CDN). Deprecated only as a
        // busy loop; it is called once here.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a mock window");
        MockApp { _app: app, window }
    }

    /// Calls a command as the UI does (camelCase arguments); `Err` is the error object.
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
    }

    /// The error of a command that must fail, checked to be exactly `{code, message}`.
    fn error(&self, cmd: &str, args: Value) -> (String, String) {
        let err = self
            .invoke(cmd, args)
            .expect_err(&format!("{cmd} must fail here"));
        let object = err.as_object().expect("the error is an object");
        let mut fields: Vec<&String> = object.keys().collect();
        fields.sort();
        assert_eq!(fields, ["code", "message"], "one error shape: {err}");
        (
            err["code"].as_str().unwrap().to_owned(),
            err["message"].as_str().unwrap().to_owned(),
        )
    }
}

fn add_source(config_dir: &Path, name: &str, key_id: &str) {
    ConfigStore::new(config_dir)
        .update(|c| {
            c.sources.push(bucketdesk::config::SourceConfig {
                name: name.into(),
                bucket: "acme-photos".into(),
                region: "us-east-1".into(),
                base_path: "/".into(),
                access_key_id: key_id.into(),
                endpoint_url: Some("http://127.0.0.1:9".into()),
                added_at: "2026-01-01T00:00:00Z".into(),
                last_verified: None,
                checksums_when_required: false,
            });
            Ok(())
        })
        .expect("write the config");
}

#[test]
fn settings_load_and_a_bad_one_names_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    let settings = app.invoke("load_settings", json!({})).expect("defaults");
    assert_eq!(settings["cdnPort"], 7390);
    let mut bad = settings.clone();
    bad["cdnPort"] = json!(80);
    let (code, message) = app.error("save_settings", json!({ "settings": bad }));
    assert_eq!(code, "invalid_input");
    assert!(message.contains("cdnPort"), "the field is named: {message}");
    let info = app.invoke("app_info", json!({})).expect("app info");
    assert_eq!(info["sandbox"]["state"], "off");
}

#[test]
fn sources_refuse_bad_input_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    assert_eq!(app.invoke("list_sources", json!({})).unwrap(), json!([]));
    let (code, _) = app.error("remove_source", json!({ "name": "nosuch" }));
    assert_eq!(code, "not_found");
    let input = json!({
        "name": "shop", "endpointUrl": null, "region": null, "bucket": "Bad_Bucket",
        "basePath": "/", "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    });
    let (code, message) = app.error("save_source", json!({ "input": input }));
    assert_eq!(code, "invalid_input");
    assert!(message.to_lowercase().contains("bucket"), "{message}");
    assert_eq!(
        app.invoke("list_sources", json!({})).unwrap(),
        json!([]),
        "nothing saved"
    );
}

#[test]
fn browse_of_an_unknown_source_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    let (code, _) = app.error(
        "list_objects",
        json!({ "name": "nosuch", "prefix": "", "continuationToken": null }),
    );
    assert_eq!(code, "not_found");
}

#[test]
fn iam_policies_come_from_the_core_with_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    let policy = app
        .invoke(
            "generate_policy",
            json!({ "template": "cdn-reader", "bucket": "acme-photos", "basePath": "/assets" }),
        )
        .expect("a policy");
    assert!(
        policy["document"]
            .as_str()
            .unwrap()
            .contains("arn:aws:s3:::acme-photos/assets/*"),
        "{policy}"
    );
    assert_eq!(policy["findings"], json!([]));
    let (code, _) = app.error(
        "generate_policy",
        json!({ "template": "cdn-reader", "bucket": "Bad_Bucket", "basePath": "/" }),
    );
    assert_eq!(code, "invalid_input");
}

#[test]
fn keys_a_source_uses_are_not_deleted_without_force() {
    let dir = tempfile::tempdir().unwrap();
    add_source(dir.path(), "shop", "AKIAIOSFODNN7EXAMPLE");
    let app = MockApp::new(dir.path());
    let (code, message) = app.error(
        "delete_access_key",
        json!({ "key": "AKIAIOSFODNN7EXAMPLE", "force": false }),
    );
    assert_eq!(code, "invalid_input");
    assert!(message.contains("shop"), "the source is named: {message}");
}

/// Waits for the app's local CDN to be up (it starts with the app).
fn wait_for_cdn(app: &MockApp) -> Value {
    for _ in 0..100 {
        match app.invoke("cdn_info", json!({})) {
            Ok(info) => return info,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    panic!("the local CDN did not start");
}

fn cli_production_url(config_dir: &Path, key: &str, options: &[(&str, &str)]) -> Value {
    let mut args = vec![
        "--json".to_owned(),
        "cdn".into(),
        "url".into(),
        SOURCE.into(),
        key.into(),
    ];
    args.extend(options.iter().map(|(n, v)| format!("{n}={v}")));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args(&args)
        .env("BUCKETDESK_CONFIG_DIR", config_dir)
        .env("LANG", "en_US.UTF-8")
        .output()
        .expect("run bucketdesk");
    assert!(
        out.status.success(),
        "cdn url {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json output")
}

#[test]
fn cdn_urls_match_the_cli_and_the_fixture_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    add_source(dir.path(), SOURCE, "AKIAIOSFODNN7EXAMPLE");
    let app = MockApp::new(dir.path());
    let info = wait_for_cdn(&app);
    let fixture = crate::fixtures::cdn_urls_fixture();
    assert!(CASES.len() >= 20, "the table has at least 20 option sets");
    for (i, (key, options)) in CASES.iter().enumerate() {
        let pairs: Vec<[&str; 2]> = options.iter().map(|(n, v)| [*n, *v]).collect();
        let gui = app
            .invoke(
                "cdn_urls",
                json!({ "name": SOURCE, "key": key, "options": pairs }),
            )
            .unwrap_or_else(|e| panic!("{key} {options:?}: {e}"));
        let cli = cli_production_url(dir.path(), key, options);
        assert_eq!(
            gui["production"], cli["production"],
            "GUI and CLI differ for {key} {options:?}"
        );
        assert_eq!(gui["query"], cli["query"], "{key} {options:?}");
        assert_eq!(
            gui["production"], fixture["cases"][i]["urls"]["production"],
            "the committed fixture is what the GUI shows"
        );
        let token = info["token"].as_str().unwrap();
        assert!(
            gui["local"]
                .as_str()
                .unwrap()
                .ends_with(&format!("token={token}"))
        );
        assert!(
            gui["local"]
                .as_str()
                .unwrap()
                .starts_with(info["baseUrl"].as_str().unwrap())
        );
        assert!(
            !gui["production"].as_str().unwrap().contains(token),
            "no token in production"
        );
    }
    let (code, message) = app.error(
        "cdn_urls",
        json!({ "name": SOURCE, "key": "a.jpg", "options": [["w", "0"]] }),
    );
    assert_eq!(code, "invalid_input");
    assert!(message.contains('w'), "{message}");
}

#[test]
fn cdn_srcset_matches_the_cli_on_the_configured_production_base_and_compare_names_a_bad_threshold()
{
    let dir = tempfile::tempdir().unwrap();
    add_source(dir.path(), SOURCE, "AKIAIOSFODNN7EXAMPLE");
    ConfigStore::new(dir.path())
        .update(|c| {
            c.settings.production_cdn_base = Some("https://img.example.com/".into());
            Ok(())
        })
        .unwrap();
    let app = MockApp::new(dir.path());
    wait_for_cdn(&app);
    let key = "봄 컬렉션/\"벚꽃\" 01.jpg";
    let gui = app
        .invoke(
            "cdn_srcset",
            json!({ "name": SOURCE, "key": key, "widths": "640,320", "options": [["q", "70"]], "sizes": "50vw", "alt": "벚꽃" }),
        )
        .expect("srcset");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args([
            "--json", "cdn", "srcset", SOURCE, key, "--widths", "640,320", "--sizes", "50vw",
            "--alt", "벚꽃", "--q", "70",
        ])
        .env("BUCKETDESK_CONFIG_DIR", dir.path())
        .env("LANG", "en_US.UTF-8")
        .output()
        .expect("run bucketdesk");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).expect("--json output");
    assert_eq!(gui, cli, "the GUI and the CLI get the same HTML");
    assert_eq!(gui["widths"], json!([320, 640]));
    let img = gui["img"].as_str().unwrap();
    assert!(
        img.starts_with("<img src=\"https://img.example.com/image/shop/%EB%B4%84%20%EC%BB%AC%EB%A0%89%EC%85%98/%22%EB%B2%9A%EA%BD%83%22%2001.jpg?w=640&amp;q=70\""),
        "the configured production base, the canonical URL: {img}"
    );
    let (code, message) = app.error(
        "cdn_srcset",
        json!({ "name": SOURCE, "key": key, "widths": "320,x", "options": [], "sizes": "", "alt": "" }),
    );
    assert_eq!(code, "invalid_input");
    assert!(message.starts_with("widths: 'x'"), "{message}");
    let (code, message) = app.error(
        "cdn_srcset",
        json!({ "name": "nosuch", "key": key, "widths": "320", "options": [], "sizes": "", "alt": "" }),
    );
    assert_eq!(code, "not_found", "{message}");
    let (code, message) = app.error(
        "cdn_compare",
        json!({ "name": SOURCE, "key": key, "options": [["w", "300"]], "threshold": 1.5 }),
    );
    assert_eq!(code, "invalid_input");
    assert!(message.starts_with("threshold: '1.5'"), "{message}");
}
