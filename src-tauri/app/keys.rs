//! Commands on access keys: create, activate/deactivate, delete, and a source's rotation.

use serde::Serialize;
use tauri::State;

use super::AppState;
use crate::error::{ApiError, InLanguage};
use crate::iam::{keys, rotation};

/// Rotates a source's key (DESIGN §4), finishing an interrupted rotation first.
#[tauri::command]
#[specta::specta]
pub async fn rotate_source_key(
    state: State<'_, AppState>,
    name: String,
    retire_older: bool,
    delete_old: bool,
) -> Result<rotation::Outcome, ApiError> {
    let lang = state.language();
    rotation::rotate(
        &state.admin_iam().await,
        &state.sources,
        &name,
        retire_older,
        delete_old,
        lang,
    )
    .await
    .in_language(lang)
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
    keys::set_active(
        &state.admin_iam().await,
        &state.sources,
        &key,
        active,
        force,
    )
    .await
    .map(|_| ())
    .in_language(state.language())
}

/// Deletes a key and its keychain entry; a key a source uses needs `force`.
#[tauri::command]
#[specta::specta]
pub async fn delete_access_key(
    state: State<'_, AppState>,
    key: String,
    force: bool,
) -> Result<(), ApiError> {
    keys::delete(&state.admin_iam().await, &state.sources, &key, force)
        .await
        .map(|_| ())
        .in_language(state.language())
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
    let lang = state.language();
    let created = keys::create(
        &state.admin_iam().await,
        &state.sources,
        &user,
        bind_source.as_deref(),
        lang,
    )
    .await
    .in_language(lang)?;
    Ok(NewAccessKey {
        secret_access_key: created.secret.expose().to_owned(),
        access_key_id: created.access_key_id,
        user: created.user,
        bound_source: created.bound_source,
    })
}
