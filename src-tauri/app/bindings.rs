//! The typed boundary: `ui/src/bindings.ts` is generated from the Rust commands and types.
//! A test regenerates it and fails when the committed file has drifted
//! (`BUCKETDESK_UPDATE_BINDINGS=1 cargo test bindings` rewrites it).

use tauri::Runtime;
use tauri_specta::Builder;

/// Path of the generated file, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

const HEADER: &str = "// Generated from the Rust types by tauri-specta: do not edit.\n\
                      // Regenerate: BUCKETDESK_UPDATE_BINDINGS=1 cargo test --test it bindings\n\
                      // @ts-nocheck";

/// Every command the UI may call, with `app_info` given: the one list of commands, used by
/// [`specta_builder`] and by the drift test (which passes an `app_info` with a changed type).
#[doc(hidden)]
#[macro_export]
macro_rules! ui_commands {
    ($($app_info:ident)::+) => {
        ::tauri_specta::collect_commands![
            $($app_info)::+,
            $crate::app::commands::load_settings,
            $crate::app::commands::save_settings,
            $crate::app::commands::set_aside_config,
            $crate::app::commands::list_sources,
            $crate::app::commands::list_buckets,
            $crate::app::commands::detect_region,
            $crate::app::commands::verify_source,
            $crate::app::commands::save_source,
            $crate::app::commands::verify_saved_source,
            $crate::app::commands::update_source,
            $crate::app::commands::remove_source,
            $crate::app::commands::list_objects,
            $crate::app::commands::object_details,
            $crate::app::commands::presign_get,
            $crate::app::commands::admin_identity,
            $crate::app::commands::create_reader,
            $crate::app::commands::rotate_source_key,
            $crate::app::commands::list_iam_users,
            $crate::app::commands::list_iam_groups,
            $crate::app::commands::create_iam_user,
            $crate::app::commands::delete_iam_user,
            $crate::app::commands::create_iam_group,
            $crate::app::commands::set_group_membership,
            $crate::app::commands::generate_policy,
            $crate::app::commands::list_aws_profiles,
            $crate::app::commands::set_key_active,
            $crate::app::commands::delete_access_key,
            $crate::app::commands::create_access_key,
            $crate::app::cdn::cdn_info,
        ]
    };
}

/// Every command the UI may call, with its types.
pub fn specta_builder<R: Runtime>() -> Builder<R> {
    Builder::<R>::new().commands(crate::ui_commands!(crate::app::commands::app_info))
}

/// The TypeScript text of the bindings for a builder.
pub fn render<R: Runtime>(builder: &Builder<R>) -> String {
    builder
        .export_str(specta_typescript::Typescript::default().header(HEADER))
        .expect("every command type exports to TypeScript")
}

/// Where the committed bindings differ from what the Rust types give.
#[derive(Debug, PartialEq, Eq)]
pub struct Drift {
    /// 1-based line of the first difference.
    pub line: usize,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{BINDINGS_PATH} is out of date with the Rust types at line {}:\n  generated: {}\n  committed: {}\n\
             Regenerate with BUCKETDESK_UPDATE_BINDINGS=1 cargo test --test it bindings",
            self.line, self.expected, self.found
        )
    }
}

/// Compares generated bindings with the committed file.
pub fn check(generated: &str, committed: &str) -> Result<(), Drift> {
    if generated == committed {
        return Ok(());
    }
    let mut expected = generated.lines();
    let mut found = committed.lines();
    let mut line = 1;
    loop {
        match (expected.next(), found.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Err(Drift {
                    line,
                    expected: a.unwrap_or("<end of file>").to_owned(),
                    found: b.unwrap_or("<end of file>").to_owned(),
                });
            }
        }
    }
}
