//! Commands on access keys: create, activate/deactivate, delete, and a source's rotation.

use serde::Serialize;
use tauri::State;

use super::AppState;
use crate::error::{ApiError, InLanguage};
use crate::iam::rotation::{Cancelled, Finished, OldKeyFate, Retire, RotationStatus};
use crate::iam::{keys, rotation};

/// Which of the user's other key phase 1 may delete to make room (IAM allows two).
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RetireChoice {
    Nothing,
    /// The other key, only if it is Inactive and no source uses it.
    Inactive,
    /// This key, named by the admin (never one a source uses).
    Named {
        key: String,
    },
}

/// Phase 1 of a source's key rotation: a new key, verified, that the source (and every source
/// sharing its key) now uses; the old key stays Active until Weekerp has the new one.
#[tauri::command]
#[specta::specta]
pub async fn begin_rotation(
    state: State<'_, AppState>,
    name: String,
    retire: RetireChoice,
) -> Result<RotationStatus, ApiError> {
    let lang = state.language();
    let retire = match retire {
        RetireChoice::Nothing => Retire::Nothing,
        RetireChoice::Inactive => Retire::Inactive,
        RetireChoice::Named { key } => Retire::Named(key),
    };
    rotation::begin(
        &state.admin_iam().await?,
        &state.sources,
        &name,
        retire,
        lang,
    )
    .await
    .in_language(lang)
}

/// Phase 2: the old key deactivated, then deleted as `fate` says. Refused with
/// `old_key_still_used` when it was used after the switch, unless `confirmed_used`.
#[tauri::command]
#[specta::specta]
pub async fn finish_rotation(
    state: State<'_, AppState>,
    name: String,
    fate: OldKeyFate,
    confirmed_used: bool,
) -> Result<Finished, ApiError> {
    let lang = state.language();
    rotation::finish(
        &state.admin_iam().await?,
        &state.sources,
        &name,
        fate,
        confirmed_used,
        lang,
    )
    .await
    .in_language(lang)
}

/// Back to the old key; the new one is deleted with its secret.
#[tauri::command]
#[specta::specta]
pub async fn cancel_rotation(
    state: State<'_, AppState>,
    name: String,
) -> Result<Cancelled, ApiError> {
    let lang = state.language();
    rotation::cancel(&state.admin_iam().await?, &state.sources, &name, lang)
        .await
        .in_language(lang)
}

/// The rotation in progress with the old key's last use read again from IAM.
#[tauri::command]
#[specta::specta]
pub async fn refresh_rotation_status(
    state: State<'_, AppState>,
    name: String,
) -> Result<Option<RotationStatus>, ApiError> {
    rotation::refresh_status(&state.admin_iam().await?, &state.sources, &name)
        .await
        .in_language(state.language())
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
        &state.admin_iam().await?,
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
    keys::delete(&state.admin_iam().await?, &state.sources, &key, force)
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
        &state.admin_iam().await?,
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
