//! Commands of the IAM screen and the wizard's "create a dedicated reader for me": users,
//! groups, generated policies, readers. All on the admin's credentials.

use tauri::State;

use super::AppState;
use crate::aws;
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::iam::policy::{self, GeneratedPolicy, Template};
use crate::iam::{reader, users};
use crate::sources::SourceSummary;

/// What the wizard's "create a dedicated reader for me" asks for.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReaderInput {
    pub bucket: String,
    pub base_path: String,
    /// Default: `weekerp-cdn-reader`.
    pub user: Option<String>,
    /// The new source's identifier.
    pub source: String,
    /// `AmazonS3ReadOnlyAccess` instead of the least-privilege reader policy.
    pub managed_read_only: bool,
}

impl ReaderInput {
    /// The request the core gets: the default user applied, the admin's endpoint.
    fn request(self, admin: &aws::Admin) -> reader::ReaderRequest {
        reader::ReaderRequest {
            bucket: self.bucket,
            base_path: self.base_path,
            user: reader::user_or_default(self.user),
            source: Some(self.source),
            endpoint_url: admin.endpoint_url.clone(),
            region: None,
            managed_read_only: self.managed_read_only,
        }
    }
}

/// Creates the reader user, policy and key (secret straight to the keychain) and saves a
/// verified source with it; undone in reverse on failure.
#[tauri::command]
#[specta::specta]
pub async fn create_reader(
    state: State<'_, AppState>,
    input: ReaderInput,
) -> Result<SourceSummary, ApiError> {
    let lang = state.language();
    let admin = state.admin()?;
    let request = input.request(&admin);
    let iam = aws::iam_client(&aws::admin_config(&admin).await);
    let created = reader::create(
        &iam,
        state.sources.keychain(),
        &state.sources,
        &request,
        lang,
    )
    .await
    .in_language(lang)?;
    created
        .source
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "no source created"))
}

/// What "Create the reader" will attach: the policy document and its lint findings.
#[tauri::command]
#[specta::specta]
pub async fn reader_plan(
    state: State<'_, AppState>,
    input: ReaderInput,
) -> Result<reader::ReaderPlan, ApiError> {
    let admin = state.admin()?;
    let request = input.request(&admin);
    reader::plan(&state.admin_iam().await?, &request)
        .await
        .in_language(state.language())
}

/// The buckets the admin may list (the reader path's bucket picker); `access_denied` when
/// it may not.
#[tauri::command]
#[specta::specta]
pub async fn reader_buckets(state: State<'_, AppState>) -> Result<Vec<String>, ApiError> {
    let config = aws::admin_config(&state.admin()?).await;
    reader::admin_buckets(&config)
        .await
        .in_language(state.language())
}

/// The bucket's region, asked with the admin's credentials.
#[tauri::command]
#[specta::specta]
pub async fn reader_bucket_region(
    state: State<'_, AppState>,
    bucket: String,
) -> Result<String, ApiError> {
    let config = aws::admin_config(&state.admin()?).await;
    reader::admin_bucket_region(&config, &bucket)
        .await
        .in_language(state.language())
}

/// Every IAM user with tags, groups, policies and keys.
#[tauri::command]
#[specta::specta]
pub async fn list_iam_users(state: State<'_, AppState>) -> Result<Vec<users::UserInfo>, ApiError> {
    users::list(&state.admin_iam().await?, &state.sources)
        .await
        .in_language(state.language())
}

#[tauri::command]
#[specta::specta]
pub async fn list_iam_groups(
    state: State<'_, AppState>,
) -> Result<Vec<users::GroupInfo>, ApiError> {
    users::list_groups(&state.admin_iam().await?)
        .await
        .in_language(state.language())
}

/// Creates a user tagged `managed-by=bucketdesk`, with a policy when given.
#[tauri::command]
#[specta::specta]
pub async fn create_iam_user(
    state: State<'_, AppState>,
    user: String,
    policy: Option<users::PolicyAttachment>,
) -> Result<(), ApiError> {
    users::create(&state.admin_iam().await?, &user, policy.as_ref())
        .await
        .in_language(state.language())
}

/// Deletes a user cleanly; refuses when a source uses one of its keys unless `force`.
#[tauri::command]
#[specta::specta]
pub async fn delete_iam_user(
    state: State<'_, AppState>,
    user: String,
    force: bool,
) -> Result<users::DeletedUser, ApiError> {
    users::delete_cleanly(&state.admin_iam().await?, &state.sources, &user, force)
        .await
        .in_language(state.language())
}

/// Creates a group, with a managed policy attached when given.
#[tauri::command]
#[specta::specta]
pub async fn create_iam_group(
    state: State<'_, AppState>,
    group: String,
    policy_arn: Option<String>,
) -> Result<(), ApiError> {
    users::create_group_with_policy(&state.admin_iam().await?, &group, policy_arn.as_deref())
        .await
        .in_language(state.language())
}

#[tauri::command]
#[specta::specta]
pub async fn set_group_membership(
    state: State<'_, AppState>,
    group: String,
    user: String,
    member: bool,
) -> Result<(), ApiError> {
    users::set_membership(&state.admin_iam().await?, &group, &user, member)
        .await
        .in_language(state.language())
}

/// A template's policy with what the lint finds in it.
#[tauri::command]
#[specta::specta]
pub fn generate_policy(
    state: State<'_, AppState>,
    template: Template,
    bucket: String,
    base_path: String,
) -> Result<GeneratedPolicy, ApiError> {
    policy::preview(template, &bucket, &base_path).in_language(state.language())
}
