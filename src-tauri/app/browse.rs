//! Commands of the browser: pages of a folder, an object's details, presigned URLs.

use std::time::Duration;

use tauri::State;

use super::AppState;
use crate::error::{ApiError, InLanguage};
use crate::sources::browse::{self, Depth, ObjectDetails, ObjectPage};

/// One page of a folder (prefix relative to the BasePath).
#[tauri::command]
#[specta::specta]
pub async fn list_objects(
    state: State<'_, AppState>,
    name: String,
    prefix: String,
    continuation_token: Option<String>,
) -> Result<ObjectPage, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    browse::list_page(
        &s3,
        &source,
        &prefix,
        continuation_token.as_deref(),
        browse::PAGE_SIZE,
        Depth::Folder,
    )
    .await
    .in_language(lang)
}

#[tauri::command]
#[specta::specta]
pub async fn object_details(
    state: State<'_, AppState>,
    name: String,
    key: String,
) -> Result<ObjectDetails, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    let production_base = state.sources.production_cdn_base().in_language(lang)?;
    browse::details(&s3, &source, &key, &production_base)
        .await
        .in_language(lang)
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
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    browse::presign_get(&s3, &source, &key, Duration::from_secs(expires_secs.into()))
        .await
        .in_language(lang)
}
