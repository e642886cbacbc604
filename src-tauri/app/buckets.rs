//! Commands of the Buckets screen (doc/BUCKETS.md), on the admin's credentials: the list and
//! one bucket's settings, create, Block Public Access, the bucket policy (templates, the
//! review while editing, save, delete), the abort-unfinished-uploads rule, empty, delete and
//! "stop the costs". Emptying and the teardown report progress on a channel; one of them
//! runs at a time and `cancel_bucket_job` stops it between batches.

use tauri::State;
use tauri::ipc::Channel;

use super::AppState;
use crate::buckets::create::{self, CreateRequest, CreatedBucket};
use crate::buckets::delete::{self, DeletedBucket};
use crate::buckets::empty::{self, EmptyOptions, EmptyPlan, EmptyProgress, EmptyReport};
use crate::buckets::lifecycle::{self, Lifecycle};
use crate::buckets::list::{self, BucketDetails, BucketSummary};
use crate::buckets::policy::{self, DraftReview, PolicyTemplate, SavedPolicy};
use crate::buckets::public_access::{self, PublicAccess, SettingView};
use crate::buckets::teardown::{self, TeardownPlan, TeardownProgress, TeardownReport};
use crate::buckets::{AdminS3, CancelToken};
use crate::error::{ApiError, InLanguage};

impl AppState {
    /// The admin's S3 access (the sandbox's admin in the sandbox).
    async fn admin_s3(&self) -> Result<AdminS3, ApiError> {
        let admin = self.admin()?;
        Ok(AdminS3::new(crate::aws::admin_config(&admin).await))
    }

    /// A fresh cancel token for the bucket job that starts now (replacing a finished one).
    fn start_bucket_job(&self) -> CancelToken {
        let token = CancelToken::new();
        *self.bucket_job.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        token
    }
}

/// Every bucket with its badges and the sources using it.
#[tauri::command]
#[specta::specta]
pub async fn bucket_list(state: State<'_, AppState>) -> Result<Vec<BucketSummary>, ApiError> {
    let admin = state.admin_s3().await?;
    list::list(&admin, &state.sources)
        .await
        .in_language(state.language())
}

/// One bucket's settings: badges, policy, lifecycle rules, Object Lock.
#[tauri::command]
#[specta::specta]
pub async fn bucket_details(
    state: State<'_, AppState>,
    bucket: String,
) -> Result<BucketDetails, ApiError> {
    let admin = state.admin_s3().await?;
    list::details(&admin, &state.sources, &bucket)
        .await
        .in_language(state.language())
}

/// The regions the Create form offers.
#[tauri::command]
#[specta::specta]
pub fn bucket_regions() -> Vec<String> {
    create::REGIONS.iter().map(|r| (*r).to_owned()).collect()
}

/// Checks a Create request without any call: the first naming rule the name breaks, in
/// plain words, or the region's shape.
#[tauri::command]
#[specta::specta]
pub fn validate_bucket(state: State<'_, AppState>, request: CreateRequest) -> Result<(), ApiError> {
    create::validate(&request).in_language(state.language())
}

#[tauri::command]
#[specta::specta]
pub async fn create_bucket(
    state: State<'_, AppState>,
    request: CreateRequest,
) -> Result<CreatedBucket, ApiError> {
    let admin = state.admin_s3().await?;
    create::create(&admin, &request)
        .await
        .in_language(state.language())
}

/// The four Block Public Access settings of `access`, each with its one-line explanation.
#[tauri::command]
#[specta::specta]
pub fn explain_public_access(state: State<'_, AppState>, access: PublicAccess) -> Vec<SettingView> {
    public_access::explain(&access, state.language())
}

/// Sets the four settings together; turning any off needs the bucket's name typed as
/// `acknowledgement`.
#[tauri::command]
#[specta::specta]
pub async fn set_public_access(
    state: State<'_, AppState>,
    bucket: String,
    access: PublicAccess,
    acknowledgement: Option<String>,
) -> Result<PublicAccess, ApiError> {
    let admin = state.admin_s3().await?;
    public_access::set(&admin, &bucket, access, acknowledgement.as_deref())
        .await
        .in_language(state.language())
}

/// The draft with a template's statements added (same `Sid` replaced, the rest kept).
#[tauri::command]
#[specta::specta]
pub fn apply_policy_template(
    state: State<'_, AppState>,
    bucket: String,
    draft: Option<String>,
    template: PolicyTemplate,
    prefix: Option<String>,
) -> Result<String, ApiError> {
    policy::apply_template(draft.as_deref(), template, &bucket, prefix.as_deref())
        .in_language(state.language())
}

/// The lint of a draft, and the Block Public Access setting that would refuse it (no call).
#[tauri::command]
#[specta::specta]
pub fn review_bucket_policy(
    state: State<'_, AppState>,
    bucket: String,
    draft: String,
    access: PublicAccess,
) -> Result<DraftReview, ApiError> {
    policy::review_draft(&draft, &bucket, &access).in_language(state.language())
}

/// Saves the policy (refused before the call when Block Public Access would reject it),
/// then checks whether the bucket is public.
#[tauri::command]
#[specta::specta]
pub async fn save_bucket_policy(
    state: State<'_, AppState>,
    bucket: String,
    text: String,
) -> Result<SavedPolicy, ApiError> {
    let admin = state.admin_s3().await?;
    policy::save(&admin, &bucket, &text)
        .await
        .in_language(state.language())
}

#[tauri::command]
#[specta::specta]
pub async fn delete_bucket_policy(
    state: State<'_, AppState>,
    bucket: String,
) -> Result<(), ApiError> {
    let admin = state.admin_s3().await?;
    policy::delete(&admin, &bucket)
        .await
        .in_language(state.language())
}

/// Adds the abort-unfinished-uploads rule; the bucket's other rules are kept.
#[tauri::command]
#[specta::specta]
pub async fn add_abort_rule(
    state: State<'_, AppState>,
    bucket: String,
    days: u32,
) -> Result<Lifecycle, ApiError> {
    let admin = state.admin_s3().await?;
    lifecycle::add_abort_rule(&admin, &bucket, days)
        .await
        .in_language(state.language())
}

/// What emptying will delete, and whether Object Lock forbids it.
#[tauri::command]
#[specta::specta]
pub async fn empty_plan(state: State<'_, AppState>, bucket: String) -> Result<EmptyPlan, ApiError> {
    let admin = state.admin_s3().await?;
    empty::plan(&admin, &bucket)
        .await
        .in_language(state.language())
}

/// Empties the bucket (confirmed by its name, typed), reporting on `progress`;
/// `cancel_bucket_job` stops it, and running it again continues with what is left.
#[tauri::command]
#[specta::specta]
pub async fn empty_bucket(
    state: State<'_, AppState>,
    bucket: String,
    typed: String,
    progress: Channel<EmptyProgress>,
) -> Result<EmptyReport, ApiError> {
    let admin = state.admin_s3().await?;
    let cancel = state.start_bucket_job();
    let report = |p: &EmptyProgress| {
        let _ = progress.send(p.clone());
    };
    empty::run_confirmed(
        &admin,
        &bucket,
        &typed,
        EmptyOptions::default(),
        &report,
        &cancel,
    )
    .await
    .in_language(state.language())
}

/// Deletes an empty bucket (confirmed by its name, typed), and its sources when asked.
#[tauri::command]
#[specta::specta]
pub async fn delete_bucket(
    state: State<'_, AppState>,
    bucket: String,
    typed: String,
    remove_sources: bool,
) -> Result<DeletedBucket, ApiError> {
    let admin = state.admin_s3().await?;
    delete::delete(&admin, &state.sources, &bucket, &typed, remove_sources)
        .await
        .in_language(state.language())
}

/// "Stop the costs", the plan: what goes and what stays, step by step. Changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn teardown_plan(
    state: State<'_, AppState>,
    bucket: String,
    delete_users: bool,
) -> Result<TeardownPlan, ApiError> {
    let admin = state.admin_s3().await?;
    let iam = state.admin_iam().await?;
    teardown::plan(&admin, &iam, &state.sources, &bucket, delete_users)
        .await
        .in_language(state.language())
}

/// Runs the plan shown (confirmed by the bucket's name, typed), step by step on
/// `progress`; stops at the first failure, which the report names with what was done.
#[tauri::command]
#[specta::specta]
pub async fn teardown_bucket(
    state: State<'_, AppState>,
    plan: TeardownPlan,
    typed: String,
    progress: Channel<TeardownProgress>,
) -> Result<TeardownReport, ApiError> {
    let admin = state.admin_s3().await?;
    let iam = state.admin_iam().await?;
    let lang = state.language();
    let cancel = state.start_bucket_job();
    let report = |p: &TeardownProgress| {
        let _ = progress.send(p.clone());
    };
    teardown::run(
        &admin,
        &iam,
        &state.sources,
        &plan,
        &typed,
        lang,
        &report,
        &cancel,
    )
    .await
    .in_language(lang)
}

/// Stops the running empty or teardown between batches (what is in flight finishes).
#[tauri::command]
#[specta::specta]
pub fn cancel_bucket_job(state: State<'_, AppState>) {
    if let Some(token) = state
        .bucket_job
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        token.cancel();
    }
}
