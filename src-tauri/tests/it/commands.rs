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
fn typed_source_fields_are_checked_by_the_core_as_saving_would() {
    let dir = tempfile::tempdir().unwrap();
    add_source(dir.path(), SOURCE, "AKIAIOSFODNN7EXAMPLE");
    ConfigStore::new(dir.path())
        .update(|c| {
            c.settings.production_cdn_base = Some("https://img.example.com/".into());
            Ok(())
        })
        .unwrap();
    let app = MockApp::new(dir.path());
    let check = |field: &str, value: &str| {
        app.invoke(
            "check_source_field",
            json!({ "field": field, "value": value }),
        )
        .expect("a check, never an error")
    };
    let taken = check("name", SOURCE);
    assert!(
        taken["problem"].as_str().unwrap().contains("already used"),
        "{taken}"
    );
    let free = check("name", "shop-2");
    assert_eq!(free["problem"], Value::Null);
    assert_eq!(
        free["urlPrefix"], "https://img.example.com/image/shop-2/",
        "the configured production base"
    );
    assert_eq!(check("basePath", "//a//b/")["savedAs"], "/a/b");
    let bucket = check("bucket", "Bad_Bucket");
    assert!(
        bucket["problem"].as_str().unwrap().starts_with("Bucket:"),
        "{bucket}"
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
fn the_reader_plan_is_the_cores_and_bad_input_is_refused_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    let input = json!({
        "bucket": "acme-photos", "basePath": "/assets", "user": null, "source": "shop",
        "managedReadOnly": false,
    });
    let plan = app
        .invoke("reader_plan", json!({ "input": input }))
        .expect("the least-privilege plan needs no network");
    assert_eq!(
        plan["user"], "weekerp-cdn-reader",
        "the core's default user"
    );
    assert_eq!(plan["policyName"], "bucketdesk-cdn-reader-acme-photos");
    assert_eq!(plan["managed"], false);
    let shown: Value = serde_json::from_str(plan["document"].as_str().unwrap()).unwrap();
    let generated = bucketdesk::iam::policy::generate(
        bucketdesk::iam::policy::Template::CdnReader,
        "acme-photos",
        "/assets",
    )
    .unwrap();
    assert_eq!(shown, generated);
    assert_eq!(plan["findings"], json!([]));

    let mut bad = input.clone();
    bad["user"] = json!("two words");
    let (code, message) = app.error("reader_plan", json!({ "input": bad }));
    assert_eq!(code, "invalid_input");
    assert!(message.contains("User name"), "{message}");
    let (code, message) = app.error("reader_bucket_region", json!({ "bucket": "Bad_Bucket" }));
    assert_eq!(code, "invalid_input");
    assert!(!message.is_empty());
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
fn bucket_names_drafts_and_confirmations_are_checked_by_the_core_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let app = MockApp::new(dir.path());
    let regions = app.invoke("bucket_regions", json!({})).unwrap();
    assert_eq!(regions[0], "ap-northeast-2", "the guides' region first");

    let request = |name: &str| json!({ "request": { "name": name, "region": "ap-northeast-2" } });
    assert_eq!(
        app.invoke("validate_bucket", request("my-images")).unwrap(),
        Value::Null
    );
    let (code, message) = app.error("validate_bucket", request("my-images-s3alias"));
    assert_eq!(code, "invalid_input");
    assert!(message.contains("-s3alias"), "the rule is named: {message}");
    let (_, other) = app.error("validate_bucket", request("my..images"));
    assert_ne!(message, other, "each rule its own message");

    let all_on = json!({
        "blockPublicAcls": true, "ignorePublicAcls": true,
        "blockPublicPolicy": true, "restrictPublicBuckets": true,
    });
    let views = app
        .invoke("explain_public_access", json!({ "access": all_on }))
        .unwrap();
    assert_eq!(views.as_array().unwrap().len(), 4);
    assert!(views.as_array().unwrap().iter().all(|v| v["on"] == true));

    let draft = app
        .invoke(
            "apply_policy_template",
            json!({ "bucket": "my-images", "draft": null, "template": "public-read", "prefix": null }),
        )
        .unwrap();
    let draft = draft.as_str().unwrap();
    assert!(draft.contains("arn:aws:s3:::my-images/*"), "{draft}");
    let review = app
        .invoke(
            "review_bucket_policy",
            json!({ "bucket": "my-images", "draft": draft, "access": all_on }),
        )
        .unwrap();
    assert_eq!(review["blockedBy"], "blockPublicPolicy", "{review}");
    assert_eq!(review["review"]["public"], true);
    let (code, _) = app.error(
        "review_bucket_policy",
        json!({ "bucket": "my-images", "draft": "{", "access": all_on }),
    );
    assert_eq!(code, "invalid_input");

    // A mistyped name is refused before the bucket is looked at.
    let (code, message) = app.error(
        "delete_bucket",
        json!({ "bucket": "my-images", "typed": "my-image", "removeSources": true }),
    );
    assert_eq!(code, "invalid_input");
    assert!(message.contains("my-image'"), "{message}");
    app.invoke("cancel_bucket_job", json!({}))
        .expect("cancelling with nothing running is fine");
}

/// A source on a fresh bucket of the shared moto (where any key may write), reading with
/// its own key, and an uploader key beside it; both secrets in the keychain.
fn transfer_source(config_dir: &Path) -> (String, &'static str) {
    use bucketdesk::secrets::{Keychain, SecretString};
    let endpoint = crate::support::moto::shared();
    let bucket = crate::support::unique_name("cmd-xfer");
    crate::support::block_on(async {
        endpoint
            .s3()
            .await
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    });
    let keychain = Keychain::new(bucketdesk::secrets::SERVICE);
    let secret = SecretString::new("any-secret-works-on-the-shared-moto".to_owned());
    for key in [READER, UPLOADER] {
        keychain.store(key, &secret).unwrap();
    }
    ConfigStore::new(config_dir)
        .update(|c| {
            c.sources.push(bucketdesk::config::SourceConfig {
                name: "shop".into(),
                bucket: bucket.clone(),
                region: crate::support::moto::REGION.into(),
                base_path: "/assets".into(),
                access_key_id: READER.into(),
                endpoint_url: Some(endpoint.server.endpoint()),
                added_at: "2026-01-01T00:00:00Z".into(),
                last_verified: None,
                checksums_when_required: false,
            });
            Ok(())
        })
        .unwrap();
    (bucket, UPLOADER)
}

const READER: &str = "AKIACMDREADERKEY0001";
const UPLOADER: &str = "AKIACMDUPLOADERKEY01";
/// What the UI passes for a progress channel.
const CHANNEL: &str = "__CHANNEL__:1";

/// An upload request of `paths` into `봄/` as `writer`, skipping existing keys.
fn upload_request(paths: &Value, writer: &Value) -> Value {
    json!({ "paths": paths, "prefix": "봄", "onCollision": "skip", "cacheControl": "max-age=60", "writer": writer })
}

/// The preview of an NFD-named photo: NFC key in the prefix, the warning, the CDN URL.
fn the_preview_has_the_nfc_key_and_the_cdn_url(app: &MockApp, paths: &Value, nfd: &str) {
    let plan = app
        .invoke(
            "plan_upload",
            json!({ "name": "shop", "paths": paths, "prefix": "봄" }),
        )
        .expect("a preview");
    assert_eq!(
        plan["files"][0]["key"], "봄/벚꽃 사진.jpg",
        "NFC, in the prefix"
    );
    assert_eq!(plan["files"][0]["normalizedFrom"], json!(nfd));
    assert_eq!(plan["normalized"], 1);
    assert_eq!(plan["collisions"], 0);
    assert_eq!(
        plan["firstImageUrl"],
        "https://cdn.weekerp.com/image/shop/%EB%B4%84/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84.jpg"
    );
}

/// The source's own key is a reader: refused, naming the permission and the policy.
fn the_reader_key_is_refused(app: &MockApp, paths: &Value) {
    let as_reader = json!({ "kind": "key", "accessKeyId": READER });
    let (code, message) = app.error(
        "upload_files",
        json!({ "name": "shop", "request": upload_request(paths, &as_reader), "progress": CHANNEL }),
    );
    assert_eq!(code, "access_denied");
    assert!(message.contains("s3:PutObject"), "{message}");
    assert!(message.contains("iam policy uploader"), "{message}");
    let (code, message) = app.error(
        "delete_objects",
        json!({ "name": "shop", "keys": ["봄/벚꽃 사진.jpg"], "writer": as_reader }),
    );
    assert_eq!(code, "access_denied");
    assert!(message.contains("s3:DeleteObject"), "{message}");
}

/// The uploader key is shown, uploads, and a second run skips the key that now exists.
fn the_uploader_key_uploads_and_a_rerun_skips(app: &MockApp, paths: &Value, as_uploader: &Value) {
    let writer = app
        .invoke(
            "describe_writer",
            json!({ "name": "shop", "writer": as_uploader }),
        )
        .unwrap();
    assert_eq!(writer["kind"], "key");
    assert!(writer["label"].as_str().unwrap().starts_with("AKIA"));
    let request = upload_request(paths, as_uploader);
    let report = app
        .invoke(
            "upload_files",
            json!({ "name": "shop", "request": request, "progress": CHANNEL }),
        )
        .expect("uploaded");
    assert_eq!(report["uploaded"][0]["key"], "assets/봄/벚꽃 사진.jpg");
    assert_eq!(report["failed"], json!([]));
    let again = app
        .invoke(
            "plan_upload",
            json!({ "name": "shop", "paths": paths, "prefix": "봄" }),
        )
        .unwrap();
    assert_eq!(again["collisions"], 1);
    let skipped = app
        .invoke(
            "upload_files",
            json!({ "name": "shop", "request": request, "progress": CHANNEL }),
        )
        .unwrap();
    assert_eq!(skipped["uploaded"], json!([]));
    assert_eq!(skipped["skipped"], json!(["봄/벚꽃 사진.jpg"]));
}

/// The folder downloads into `into/봄/`; a second download reports the file and does not
/// replace it unasked.
fn the_folder_downloads_and_is_never_replaced_unasked(app: &MockApp, into: &Path) {
    let dest = |d: &Path| d.to_str().unwrap().to_owned();
    let planned = app
        .invoke(
            "plan_download",
            json!({ "name": "shop", "keys": [], "prefixes": ["봄"], "dest": dest(into) }),
        )
        .unwrap();
    assert_eq!(planned["existing"], 0);
    let got = app
        .invoke(
            "download_files",
            json!({ "name": "shop", "items": planned["items"], "overwrite": false, "progress": CHANNEL }),
        )
        .unwrap();
    assert_eq!(got["failed"], json!([]));
    assert_eq!(
        std::fs::read(into.join("봄").join("벚꽃 사진.jpg")).unwrap(),
        b"\xff\xd8\xff a photo"
    );
    let planned = app
        .invoke(
            "plan_download",
            json!({ "name": "shop", "keys": ["봄/벚꽃 사진.jpg"], "prefixes": [], "dest": dest(&into.join("봄")) }),
        )
        .unwrap();
    assert_eq!(planned["existing"], 1, "the file is there now");
    let refused = app
        .invoke(
            "download_files",
            json!({ "name": "shop", "items": planned["items"], "overwrite": false, "progress": CHANNEL }),
        )
        .unwrap();
    assert_eq!(refused["failed"][0]["error"]["code"], "name_taken");
}

/// The plan counts the folder, the delete removes it; no unfinished uploads are left.
fn the_folder_is_deleted_and_nothing_is_left_unfinished(app: &MockApp, as_uploader: &Value) {
    // A key ticked inside a ticked folder counts once; a key that is gone counts no bytes.
    let both = app
        .invoke(
            "plan_delete",
            json!({ "name": "shop", "keys": ["봄/벚꽃 사진.jpg", "봄/gone.jpg"], "prefixes": ["봄"] }),
        )
        .unwrap();
    assert_eq!(both["count"], 2);
    assert_eq!(both["bytes"], json!(11.0), "the photo's 11 bytes, once");
    let plan = app
        .invoke(
            "plan_delete",
            json!({ "name": "shop", "keys": [], "prefixes": ["봄/"] }),
        )
        .unwrap();
    assert_eq!(plan["count"], 1);
    let deleted = app
        .invoke(
            "delete_objects",
            json!({ "name": "shop", "keys": plan["keys"], "writer": as_uploader }),
        )
        .unwrap();
    assert_eq!(deleted["deleted"], 1);
    assert_eq!(deleted["failed"], json!([]));
    let listed = app
        .invoke(
            "list_unfinished_uploads",
            json!({ "name": "shop", "writer": as_uploader }),
        )
        .unwrap();
    assert_eq!(listed["uploads"], json!([]));
    let any = app.invoke(
        "has_unfinished_uploads",
        json!({ "name": "shop", "writer": as_uploader }),
    );
    assert_eq!(any.unwrap(), json!(false));
}

#[test]
fn transfers_preview_upload_download_and_delete_through_the_commands() {
    use unicode_normalization::UnicodeNormalization;
    let dir = tempfile::tempdir().unwrap();
    let (_bucket, uploader) = transfer_source(dir.path());
    let app = MockApp::new(dir.path());
    let files = tempfile::tempdir().unwrap();
    let nfd: String = "벚꽃 사진.jpg".nfd().collect();
    let photo = files.path().join(&nfd);
    std::fs::write(&photo, b"\xff\xd8\xff a photo").unwrap();
    let paths = json!([photo.to_str().unwrap()]);
    let as_uploader = json!({ "kind": "key", "accessKeyId": uploader });

    the_preview_has_the_nfc_key_and_the_cdn_url(&app, &paths, &nfd);
    the_reader_key_is_refused(&app, &paths);
    the_uploader_key_uploads_and_a_rerun_skips(&app, &paths, &as_uploader);
    the_folder_downloads_and_is_never_replaced_unasked(&app, &files.path().join("받기"));
    the_folder_is_deleted_and_nothing_is_left_unfinished(&app, &as_uploader);
    app.invoke("cancel_transfer", json!({}))
        .expect("cancel with nothing running is fine");
    let (code, _) = app.error(
        "plan_upload",
        json!({ "name": "nosuch", "paths": [], "prefix": "" }),
    );
    assert_eq!(code, "not_found");
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
    let urls = app
        .invoke(
            "cdn_urls",
            json!({ "name": SOURCE, "key": "a b.jpg", "options": [["w", "400"]] }),
        )
        .expect("urls");
    assert_eq!(
        urls["production"], "https://img.example.com/image/shop/a%20b.jpg?w=400",
        "the preview's production URL is on the configured base too"
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
