//! The committed TypeScript bindings match the Rust types, and the check notices drift.

use std::path::PathBuf;

use bucketdesk::app::bindings::{self, BINDINGS_PATH};
use tauri::Wry;
use tauri_specta::Builder;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH)
}

#[test]
fn committed_bindings_match_the_rust_types() {
    let generated = bindings::render(&bindings::specta_builder::<Wry>());
    let path = committed_path();
    if std::env::var("BUCKETDESK_UPDATE_BINDINGS").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).expect("write bindings");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if let Err(drift) = bindings::check(&generated, &committed) {
        panic!("{drift}");
    }
}

/// A stand-in for `AppInfo` after someone added a field in Rust and did not regenerate.
mod changed {
    #[derive(serde::Serialize, specta::Type)]
    #[serde(rename_all = "camelCase")]
    #[specta(rename = "AppInfo")]
    pub struct AppInfo {
        pub version: String,
        pub config_dir: String,
        pub os_language: bucketdesk::locale::Language,
        pub sandbox: bucketdesk::app::SandboxState,
        pub added_without_regenerating: bool,
    }

    #[tauri::command]
    #[specta::specta]
    pub fn app_info() -> AppInfo {
        unreachable!("only its type is used")
    }
}

#[test]
fn the_check_fails_when_a_rust_type_changes_without_regenerating() {
    // The same commands as `specta_builder`, with `app_info` returning the changed type.
    let builder = Builder::<Wry>::new().commands(bucketdesk::ui_commands!(changed::app_info));
    let changed = bindings::render(&builder);
    // What is committed is what the unchanged types give (the test above holds the file to it).
    let committed = bindings::render(&bindings::specta_builder::<Wry>());
    let drift = bindings::check(&changed, &committed).expect_err("drift must be detected");
    assert!(
        drift.expected.contains("addedWithoutRegenerating"),
        "the first difference is the changed type: {drift}"
    );
    assert!(
        drift.to_string().contains("Regenerate"),
        "the message says how to fix it"
    );

    // And regenerating makes it pass again.
    bindings::check(&changed, &changed).expect("regenerated bindings pass");
}
