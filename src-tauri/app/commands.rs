//! The commands the UI calls (through the generated `ui/src/bindings.ts`). Each one maps
//! core results to [`ApiError`] and nothing more.

use serde::Serialize;
use tauri::State;

use super::{AppState, SandboxSlot};
use crate::config::Settings;
use crate::error::ApiError;
use crate::locale::Language;
use crate::sandbox::SandboxInfo;
use std::time::Duration;

use crate::aws::{self, AwsFailure};
use crate::config::SourceConfig;
use crate::iam::{reader, rotation, users};
use crate::sources::browse::{self, ObjectDetails, ObjectPage};
use crate::sources::verify::{self, VerifyReport};
use crate::sources::{self, Credentials, SourceError, SourceInput, SourceSummary, SourceUpdate};

/// The sandbox as the UI shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum SandboxState {
    Off,
    Starting,
    Ready(SandboxInfo),
    Failed { message: String },
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub config_dir: String,
    pub os_language: Language,
    pub sandbox: SandboxState,
}

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    let sandbox = match &*state.sandbox.lock().unwrap_or_else(|e| e.into_inner()) {
        SandboxSlot::Off => SandboxState::Off,
        SandboxSlot::Starting => SandboxState::Starting,
        SandboxSlot::Ready(sandbox) => SandboxState::Ready(sandbox.info().clone()),
        SandboxSlot::Failed(message) => SandboxState::Failed {
            message: message.clone(),
        },
    };
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        config_dir: state.store.dir().display().to_string(),
        os_language: state.os_language,
        sandbox,
    }
}

#[tauri::command]
#[specta::specta]
pub fn load_settings(state: State<'_, AppState>) -> Result<Settings, ApiError> {
    state
        .store
        .load()
        .map(|c| c.settings)
        .map_err(|e| ApiError::from_err(&e, state.os_language))
}

#[tauri::command]
#[specta::specta]
pub fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<Settings, ApiError> {
    let lang = settings.language.unwrap_or(state.os_language);
    state
        .store
        .update(|c| {
            c.settings = settings.clone();
            Ok(())
        })
        .map(|()| settings)
        .map_err(|e| ApiError::from_err(&e, lang))
}

/// Moves a config file that does not load aside; returns where it was kept.
#[tauri::command]
#[specta::specta]
pub fn set_aside_config(state: State<'_, AppState>) -> Result<String, ApiError> {
    state
        .store
        .set_aside()
        .map(|p| p.display().to_string())
        .map_err(|e| ApiError::from_err(&e, state.os_language))
}

#[tauri::command]
#[specta::specta]
pub fn list_sources(state: State<'_, AppState>) -> Result<Vec<SourceSummary>, ApiError> {
    state.sources.list().map_err(|e| fail(&state, e))
}

fn fail(state: &AppState, err: SourceError) -> ApiError {
    ApiError::from_err(&err, state.language())
}

fn aws_fail(state: &AppState, err: AwsFailure) -> ApiError {
    ApiError::from_err(&err, state.language())
}

/// Bucket names the key may list; `access_denied` when it may not.
#[tauri::command]
#[specta::specta]
pub async fn list_buckets(
    state: State<'_, AppState>,
    creds: Credentials,
) -> Result<Vec<String>, ApiError> {
    let creds = checked_credentials(&state, creds)?;
    verify::list_buckets(&creds)
        .await
        .map_err(|e| aws_fail(&state, e))
}

/// The bucket's region.
#[tauri::command]
#[specta::specta]
pub async fn detect_region(
    state: State<'_, AppState>,
    creds: Credentials,
    bucket: String,
) -> Result<String, ApiError> {
    let creds = checked_credentials(&state, creds)?;
    sources::validate_bucket(&bucket).map_err(|e| fail(&state, e))?;
    verify::detect_region(&creds, &bucket)
        .await
        .map_err(|e| aws_fail(&state, e))
}

fn checked_credentials(state: &AppState, mut creds: Credentials) -> Result<Credentials, ApiError> {
    sources::validate_key(&creds.access_key_id, &creds.secret_access_key)
        .map_err(|e| fail(state, e))?;
    creds.endpoint_url =
        sources::normalize_endpoint(creds.endpoint_url.as_deref()).map_err(|e| fail(state, e))?;
    if let Some(r) = &creds.region {
        sources::validate_region(r).map_err(|e| fail(state, e))?;
    }
    Ok(creds)
}

async fn run_verify(state: &AppState, input: &SourceInput) -> VerifyReport {
    verify::verify(
        &verify::Subject {
            credentials: &input.credentials(),
            bucket: &input.bucket,
            base_path: &input.base_path,
            name: Some(&input.name),
        },
        state.language(),
    )
    .await
}

/// Runs the checks with the given secret; saves nothing and never writes to the bucket.
#[tauri::command]
#[specta::specta]
pub async fn verify_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> Result<VerifyReport, ApiError> {
    let input = state
        .sources
        .validate(&input)
        .map_err(|e| fail(&state, e))?;
    Ok(run_verify(&state, &input).await)
}

/// Verifies again, then keeps the secret in the keychain and the rest in the config.
#[tauri::command]
#[specta::specta]
pub async fn save_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> Result<SourceSummary, ApiError> {
    let input = state
        .sources
        .validate(&input)
        .map_err(|e| fail(&state, e))?;
    let report = run_verify(&state, &input).await;
    state
        .sources
        .add(&input, &report)
        .map_err(|e| fail(&state, e))
}

/// Verifies a saved source with its keychain secret and records the outcome.
#[tauri::command]
#[specta::specta]
pub async fn verify_saved_source(
    state: State<'_, AppState>,
    name: String,
) -> Result<VerifyReport, ApiError> {
    state
        .sources
        .verify_saved(&name, state.language())
        .await
        .map_err(|e| fail(&state, e))
}

#[tauri::command]
#[specta::specta]
pub fn update_source(
    state: State<'_, AppState>,
    name: String,
    update: SourceUpdate,
) -> Result<SourceSummary, ApiError> {
    state
        .sources
        .update(&name, &update)
        .map_err(|e| fail(&state, e))
}

/// Removes the source and its keychain entry.
#[tauri::command]
#[specta::specta]
pub fn remove_source(state: State<'_, AppState>, name: String) -> Result<(), ApiError> {
    state.sources.remove(&name).map_err(|e| fail(&state, e))
}

async fn source_s3(
    state: &AppState,
    name: &str,
) -> Result<(SourceConfig, aws_sdk_s3::Client), ApiError> {
    let source = state.sources.get(name).map_err(|e| fail(state, e))?;
    let target = state.sources.target(&source).map_err(|e| fail(state, e))?;
    let s3 = aws::s3_client(&aws::sdk_config(&target).await);
    Ok((source, s3))
}

/// One page of a folder (prefix relative to the BasePath).
#[tauri::command]
#[specta::specta]
pub async fn list_objects(
    state: State<'_, AppState>,
    name: String,
    prefix: String,
    continuation_token: Option<String>,
) -> Result<ObjectPage, ApiError> {
    let (source, s3) = source_s3(&state, &name).await?;
    browse::list_page(
        &s3,
        &source,
        &prefix,
        continuation_token.as_deref(),
        browse::PAGE_SIZE,
    )
    .await
    .map_err(|e| fail(&state, e))
}

#[tauri::command]
#[specta::specta]
pub async fn object_details(
    state: State<'_, AppState>,
    name: String,
    key: String,
) -> Result<ObjectDetails, ApiError> {
    let (source, s3) = source_s3(&state, &name).await?;
    browse::details(&s3, &source, &key)
        .await
        .map_err(|e| fail(&state, e))
}

/// A presigned GET URL, valid for at most 7 days.
#[tauri::command]
#[specta::specta]
pub async fn presign_get(
    state: State<'_, AppState>,
    name: String,
    key: String,
    expires_secs: u32,
) -> Result<String, ApiError> {
    let (source, s3) = source_s3(&state, &name).await?;
    browse::presign_get(&s3, &source, &key, Duration::from_secs(expires_secs.into()))
        .await
        .map_err(|e| fail(&state, e))
}

/// Who the admin credentials are, and where they come from.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AdminInfo {
    pub profile: Option<String>,
    pub sandbox: bool,
    pub identity: crate::aws::Identity,
}

#[tauri::command]
#[specta::specta]
pub async fn admin_identity(state: State<'_, AppState>) -> Result<AdminInfo, ApiError> {
    let admin = state.admin();
    let config = aws::admin_config(&admin).await;
    let identity = aws::caller_identity(&config)
        .await
        .map_err(|e| aws_fail(&state, e))?;
    Ok(AdminInfo {
        profile: admin.profile,
        sandbox: admin.files.is_some(),
        identity,
    })
}

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

/// Creates the reader user, policy and key (secret straight to the keychain) and saves a
/// verified source with it; undone in reverse on failure.
#[tauri::command]
#[specta::specta]
pub async fn create_reader(
    state: State<'_, AppState>,
    input: ReaderInput,
) -> Result<SourceSummary, ApiError> {
    let admin = state.admin();
    let config = aws::admin_config(&admin).await;
    let request = reader::ReaderRequest {
        bucket: input.bucket,
        base_path: input.base_path,
        user: input
            .user
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| reader::DEFAULT_USER.to_owned()),
        source: Some(input.source),
        endpoint_url: admin.endpoint_url.clone(),
        region: None,
        managed_read_only: input.managed_read_only,
    };
    let lang = state.language();
    let created = reader::create(
        &aws::iam_client(&config),
        state.sources.keychain(),
        &state.sources,
        &request,
        lang,
    )
    .await
    .map_err(|e| ApiError::from_err(&e, lang))?;
    created
        .source
        .ok_or_else(|| ApiError::new(crate::error::ErrorCode::Internal, "no source created"))
}

/// Rotates a source's key (DESIGN §4), finishing an interrupted rotation first.
#[tauri::command]
#[specta::specta]
pub async fn rotate_source_key(
    state: State<'_, AppState>,
    name: String,
    retire_older: bool,
    delete_old: bool,
) -> Result<rotation::Outcome, ApiError> {
    let config = aws::admin_config(&state.admin()).await;
    let lang = state.language();
    rotation::rotate(
        &aws::iam_client(&config),
        &state.sources,
        &name,
        retire_older,
        delete_old,
        lang,
    )
    .await
    .map_err(|e| ApiError::from_err(&e, lang))
}

async fn admin_iam(state: &AppState) -> aws_sdk_iam::Client {
    aws::iam_client(&aws::admin_config(&state.admin()).await)
}

fn key_fail(state: &AppState, err: crate::iam::keys::KeyError) -> ApiError {
    ApiError::from_err(&err, state.language())
}

/// Every IAM user with tags, groups, policies and keys.
#[tauri::command]
#[specta::specta]
pub async fn list_iam_users(state: State<'_, AppState>) -> Result<Vec<users::UserInfo>, ApiError> {
    users::list(&admin_iam(&state).await, &state.sources)
        .await
        .map_err(|e| key_fail(&state, e))
}

#[tauri::command]
#[specta::specta]
pub async fn list_iam_groups(
    state: State<'_, AppState>,
) -> Result<Vec<users::GroupInfo>, ApiError> {
    users::list_groups(&admin_iam(&state).await)
        .await
        .map_err(|e| key_fail(&state, e))
}

/// Creates a user tagged `managed-by=bucketdesk`, with a policy when given.
#[tauri::command]
#[specta::specta]
pub async fn create_iam_user(
    state: State<'_, AppState>,
    user: String,
    policy: Option<users::PolicyAttachment>,
) -> Result<(), ApiError> {
    users::create(&admin_iam(&state).await, &user, policy.as_ref())
        .await
        .map_err(|e| key_fail(&state, e))
}

/// Deletes a user cleanly; refuses when a source uses one of its keys unless `force`.
#[tauri::command]
#[specta::specta]
pub async fn delete_iam_user(
    state: State<'_, AppState>,
    user: String,
    force: bool,
) -> Result<users::DeletedUser, ApiError> {
    users::delete_cleanly(&admin_iam(&state).await, &state.sources, &user, force)
        .await
        .map_err(|e| key_fail(&state, e))
}

#[tauri::command]
#[specta::specta]
pub async fn create_iam_group(
    state: State<'_, AppState>,
    group: String,
    policy_arn: Option<String>,
) -> Result<(), ApiError> {
    let iam = admin_iam(&state).await;
    users::create_group(&iam, &group)
        .await
        .map_err(|e| key_fail(&state, e))?;
    if let Some(arn) = policy_arn {
        users::attach_group_policy(&iam, &group, &arn)
            .await
            .map_err(|e| key_fail(&state, e))?;
    }
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn set_group_membership(
    state: State<'_, AppState>,
    group: String,
    user: String,
    member: bool,
) -> Result<(), ApiError> {
    users::set_membership(&admin_iam(&state).await, &group, &user, member)
        .await
        .map_err(|e| key_fail(&state, e))
}

/// A generated policy and what the lint finds in it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedPolicy {
    pub document: String,
    pub findings: Vec<crate::iam::lint::Finding>,
}

#[tauri::command]
#[specta::specta]
pub fn generate_policy(
    state: State<'_, AppState>,
    template: crate::iam::policy::Template,
    bucket: String,
    base_path: String,
) -> Result<GeneratedPolicy, ApiError> {
    let policy =
        crate::iam::policy::generate(template, &bucket, &base_path).map_err(|e| fail(&state, e))?;
    Ok(GeneratedPolicy {
        findings: crate::iam::lint::lint(&policy),
        document: serde_json::to_string_pretty(&policy).expect("policy serializes"),
    })
}

/// AWS profiles found in the user's shared files, for the Settings picker.
#[tauri::command]
#[specta::specta]
pub fn list_aws_profiles() -> Vec<String> {
    aws::local_profiles()
}

/// Activates or deactivates a key; a key a source uses is not deactivated without `force`.
#[tauri::command]
#[specta::specta]
pub async fn set_key_active(
    state: State<'_, AppState>,
    key: String,
    active: bool,
    force: bool,
) -> Result<(), ApiError> {
    crate::iam::keys::set_active(
        &admin_iam(&state).await,
        &state.sources,
        &key,
        active,
        force,
    )
    .await
    .map(|_| ())
    .map_err(|e| key_fail(&state, e))
}

/// Deletes a key (and its keychain entry); a key a source uses needs `force`.
#[tauri::command]
#[specta::specta]
pub async fn delete_access_key(
    state: State<'_, AppState>,
    key: String,
    force: bool,
) -> Result<(), ApiError> {
    crate::iam::keys::delete(&admin_iam(&state).await, &state.sources, &key, force)
        .await
        .map_err(|e| key_fail(&state, e))?;
    let _ = state.sources.keychain().delete(&key);
    Ok(())
}

/// A key just created, with its secret for the one time it is shown.
#[derive(Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub user: String,
    /// Shown once; it is also in the keychain.
    pub secret_access_key: String,
    pub bound_source: Option<String>,
}

impl std::fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("user", &self.user)
            .field("secret_access_key", &"<redacted>")
            .field("bound_source", &self.bound_source)
            .finish()
    }
}

/// Creates a key for `user` (refused at two keys); the secret goes into the keychain and is
/// returned this once for display. With `bind_source`, the source is verified with the new
/// key and switched to it (the key is deleted again when it does not verify).
#[tauri::command]
#[specta::specta]
pub async fn create_access_key(
    state: State<'_, AppState>,
    user: String,
    bind_source: Option<String>,
) -> Result<NewAccessKey, ApiError> {
    let created = crate::iam::keys::create(
        &admin_iam(&state).await,
        &state.sources,
        &user,
        bind_source.as_deref(),
        state.language(),
    )
    .await
    .map_err(|e| key_fail(&state, e))?;
    Ok(NewAccessKey {
        secret_access_key: created.secret.expose().to_owned(),
        access_key_id: created.access_key_id,
        user: created.user,
        bound_source: created.bound_source,
    })
}
