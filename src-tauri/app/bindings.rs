//! The typed boundary: `ui/src/bindings.ts` is generated from the Rust commands and types.
//! A test regenerates it and fails when the committed file has drifted
//! (`BUCKETDESK_UPDATE_BINDINGS=1 cargo test bindings` rewrites it).

use tauri::Runtime;
use tauri_specta::{Builder, collect_commands};

use super::{cdn, commands};

/// Path of the generated file, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

const HEADER: &str = "// Generated from the Rust types by tauri-specta: do not edit.\n\
                      // Regenerate: BUCKETDESK_UPDATE_BINDINGS=1 cargo test --test it bindings\n\
                      // @ts-nocheck";

/// Every command the UI may call, with its types.
pub fn specta_builder<R: Runtime>() -> Builder<R> {
    Builder::<R>::new().commands(collect_commands![
        commands::app_info,
        commands::load_settings,
        commands::save_settings,
        commands::set_aside_config,
        commands::list_sources,
        commands::list_buckets,
        commands::detect_region,
        commands::verify_source,
        commands::save_source,
        commands::verify_saved_source,
        commands::update_source,
        commands::remove_source,
        commands::list_objects,
        commands::object_details,
        commands::presign_get,
        commands::admin_identity,
        commands::create_reader,
        commands::rotate_source_key,
        commands::list_iam_users,
        commands::list_iam_groups,
        commands::create_iam_user,
        commands::delete_iam_user,
        commands::create_iam_group,
        commands::set_group_membership,
        commands::generate_policy,
        commands::list_aws_profiles,
        commands::set_key_active,
        commands::delete_access_key,
        commands::create_access_key,
        cdn::cdn_info,
    ])
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
