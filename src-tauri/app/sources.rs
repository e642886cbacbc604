//! Commands of the Sources screen and the Add Source wizard.

use tauri::State;

use super::AppState;
use crate::error::{ApiError, InLanguage};
use crate::sources::verify::{self, VerifyReport};
use crate::sources::{
    self, Credentials, FieldCheck, FormField, SourceInput, SourceSummary, SourceUpdate,
};

#[tauri::command]
#[specta::specta]
pub fn list_sources(state: State<'_, AppState>) -> Result<Vec<SourceSummary>, ApiError> {
    state.sources.list().in_language(state.language())
}

/// One typed value of a source form checked by the core's rules (no call), as it is typed.
#[tauri::command]
#[specta::specta]
pub fn check_source_field(
    state: State<'_, AppState>,
    field: FormField,
    value: String,
) -> Result<FieldCheck, ApiError> {
    let lang = state.language();
    state
        .sources
        .check_field(field, &value, lang)
        .in_language(lang)
}

/// Bucket names the key may list; `access_denied` when it may not.
#[tauri::command]
#[specta::specta]
pub async fn list_buckets(
    state: State<'_, AppState>,
    creds: Credentials,
) -> Result<Vec<String>, ApiError> {
    let lang = state.language();
    let creds = creds.checked().in_language(lang)?;
    verify::list_buckets(&creds).await.in_language(lang)
}

/// The bucket's region.
#[tauri::command]
#[specta::specta]
pub async fn detect_region(
    state: State<'_, AppState>,
    creds: Credentials,
    bucket: String,
) -> Result<String, ApiError> {
    let lang = state.language();
    let creds = creds.checked().in_language(lang)?;
    sources::validate_bucket(&bucket).in_language(lang)?;
    verify::detect_region(&creds, &bucket)
        .await
        .in_language(lang)
}

/// Runs the checks with the given secret; saves nothing and never writes to the bucket.
#[tauri::command]
#[specta::specta]
pub async fn verify_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> Result<VerifyReport, ApiError> {
    let lang = state.language();
    let (_, report) = state
        .sources
        .verify_input(&input, lang)
        .await
        .in_language(lang)?;
    Ok(report)
}

/// Verifies again, then keeps the secret in the keychain and the rest in the config.
#[tauri::command]
#[specta::specta]
pub async fn save_source(
    state: State<'_, AppState>,
    input: SourceInput,
) -> Result<SourceSummary, ApiError> {
    let lang = state.language();
    let (summary, _) = state
        .sources
        .add_verified(&input, lang)
        .await
        .in_language(lang)?;
    Ok(summary)
}

/// Verifies a saved source with its keychain secret and records the outcome.
#[tauri::command]
#[specta::specta]
pub async fn verify_saved_source(
    state: State<'_, AppState>,
    name: String,
) -> Result<VerifyReport, ApiError> {
    let lang = state.language();
    state
        .sources
        .verify_saved(&name, lang)
        .await
        .in_language(lang)
}

/// Changes a source; a new key is verified first, and on failure nothing changes.
#[tauri::command]
#[specta::specta]
pub async fn update_source(
    state: State<'_, AppState>,
    name: String,
    update: SourceUpdate,
) -> Result<SourceSummary, ApiError> {
    let lang = state.language();
    state
        .sources
        .update_verified(&name, &update, lang)
        .await
        .in_language(lang)
}

/// Removes the source and its keychain entry.
#[tauri::command]
#[specta::specta]
pub fn remove_source(state: State<'_, AppState>, name: String) -> Result<(), ApiError> {
    state.sources.remove(&name).in_language(state.language())
}
