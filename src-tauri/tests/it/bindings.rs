//! The committed TypeScript bindings match the Rust types, and the check notices drift.

use bucketdesk::app::bindings::{self, BINDINGS_PATH};
use tauri::Wry;
use tauri_specta::Builder;

use crate::support::drift;

#[test]
fn committed_bindings_match_the_rust_types() {
    let generated = bindings::render(&bindings::specta_builder::<Wry>());
    drift::assert_committed(
        BINDINGS_PATH,
        "BUCKETDESK_UPDATE_BINDINGS",
        "bindings",
        &generated,
    );
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
        pub default_reader_user: String,
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
    let drift = drift::check(BINDINGS_PATH, "regenerate", &changed, &committed)
        .expect_err("drift must be detected");
    assert!(
        drift.expected.contains("addedWithoutRegenerating"),
        "the first difference is the changed type: {drift}"
    );
    assert!(
        drift.to_string().contains("Regenerate"),
        "the message says how to fix it"
    );

    // And regenerating makes it pass again.
    drift::check(BINDINGS_PATH, "regenerate", &changed, &changed)
        .expect("regenerated bindings pass");
}
