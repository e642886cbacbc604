//! The typed boundary: `ui/src/bindings.ts` is generated from the Rust commands and types.
//! A test regenerates it and fails when the committed file has drifted
//! (`BUCKETDESK_UPDATE_BINDINGS=1 cargo test --test it bindings` rewrites it).

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
            $crate::app::settings::load_settings,
            $crate::app::settings::save_settings,
            $crate::app::settings::set_aside_config,
            $crate::app::settings::list_aws_profiles,
            $crate::app::settings::admin_identity,
            $crate::app::sources::list_sources,
            $crate::app::sources::check_source_field,
            $crate::app::sources::list_buckets,
            $crate::app::sources::detect_region,
            $crate::app::sources::verify_source,
            $crate::app::sources::save_source,
            $crate::app::sources::verify_saved_source,
            $crate::app::sources::update_source,
            $crate::app::sources::remove_source,
            $crate::app::browse::list_objects,
            $crate::app::browse::object_details,
            $crate::app::browse::presign_get,
            $crate::app::iam::create_reader,
            $crate::app::iam::reader_plan,
            $crate::app::iam::reader_buckets,
            $crate::app::iam::reader_bucket_region,
            $crate::app::iam::list_iam_users,
            $crate::app::iam::list_iam_groups,
            $crate::app::iam::create_iam_user,
            $crate::app::iam::delete_iam_user,
            $crate::app::iam::create_iam_group,
            $crate::app::iam::set_group_membership,
            $crate::app::iam::generate_policy,
            $crate::app::keys::begin_rotation,
            $crate::app::keys::finish_rotation,
            $crate::app::keys::cancel_rotation,
            $crate::app::keys::refresh_rotation_status,
            $crate::app::keys::set_key_active,
            $crate::app::keys::delete_access_key,
            $crate::app::keys::create_access_key,
            $crate::app::weekerp::source_statuses,
            $crate::app::weekerp::source_handoff,
            $crate::app::weekerp::copy_source_secret::<tauri::Wry>,
            $crate::app::weekerp::confirm_in_weekerp,
            $crate::app::weekerp::check_weekerp,
            $crate::app::weekerp::check_weekerp_until_served,
            $crate::app::weekerp::cancel_weekerp_check,
            $crate::app::cdn::cdn_info,
            $crate::app::cdn::cdn_urls,
            $crate::app::buckets::bucket_list,
            $crate::app::buckets::bucket_details,
            $crate::app::buckets::bucket_regions,
            $crate::app::buckets::validate_bucket,
            $crate::app::buckets::create_bucket,
            $crate::app::buckets::explain_public_access,
            $crate::app::buckets::set_public_access,
            $crate::app::buckets::apply_policy_template,
            $crate::app::buckets::review_bucket_policy,
            $crate::app::buckets::save_bucket_policy,
            $crate::app::buckets::delete_bucket_policy,
            $crate::app::buckets::add_abort_rule,
            $crate::app::buckets::empty_plan,
            $crate::app::buckets::empty_bucket,
            $crate::app::buckets::delete_bucket,
            $crate::app::buckets::teardown_plan,
            $crate::app::buckets::teardown_bucket,
            $crate::app::buckets::cancel_bucket_job,
            $crate::app::transfer::choose_paths::<tauri::Wry>,
            $crate::app::transfer::describe_writer,
            $crate::app::transfer::cancel_transfer,
            $crate::app::transfer::plan_upload,
            $crate::app::transfer::upload_files,
            $crate::app::transfer::plan_download,
            $crate::app::transfer::download_files,
            $crate::app::transfer::plan_delete,
            $crate::app::transfer::delete_objects,
            $crate::app::transfer::has_unfinished_uploads,
            $crate::app::transfer::list_unfinished_uploads,
            $crate::app::transfer::abort_unfinished_uploads,
            $crate::app::cdn::cdn_compare,
            $crate::app::cdn::cdn_srcset,
        ]
    };
}

/// Every command the UI may call, with its types.
pub fn specta_builder<R: Runtime>() -> Builder<R> {
    Builder::<R>::new().commands(crate::ui_commands!(crate::app::settings::app_info))
}

/// The TypeScript text of the bindings for a builder.
pub fn render<R: Runtime>(builder: &Builder<R>) -> String {
    builder
        .export_str(specta_typescript::Typescript::default().header(HEADER))
        .expect("every command type exports to TypeScript")
}
