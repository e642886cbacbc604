//! Commands of the "Register in Weekerp" panel: Weekerp's form values (the secret only when
//! asked for, or copied straight from the keychain to the clipboard and cleared again), the
//! admin's confirmation, and "Check Weekerp" against the production CDN.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use super::AppState;
use crate::error::{ApiError, InLanguage};
use crate::secrets::SecretString;
use crate::sources::handoff::{self, Handoff, HandoffFieldId};
use crate::sources::production::{self, ProductionCheck, Progress, UntilServed};
use crate::sources::status::{self, SourceStatus};

/// Every source's Weekerp registration and rotation in progress (no network).
#[tauri::command]
#[specta::specta]
pub fn source_statuses(state: State<'_, AppState>) -> Result<Vec<SourceStatus>, ApiError> {
    status::all(&state.sources).in_language(state.language())
}

/// Weekerp's Add Source → Amazon S3 values for a source, in Weekerp's order; the secret is
/// read from the keychain only with `reveal`.
#[tauri::command]
#[specta::specta]
pub fn source_handoff(
    state: State<'_, AppState>,
    name: String,
    reveal: bool,
) -> Result<Handoff, ApiError> {
    let lang = state.language();
    handoff::fields(&state.sources, &name, reveal, lang).in_language(lang)
}

/// Copies the source's secret from the keychain to the clipboard (it never passes through
/// the webview) and clears it after 30 s unless something else was copied since.
#[tauri::command]
#[specta::specta]
pub fn copy_source_secret<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
) -> Result<u32, ApiError> {
    let lang = state.language();
    let fields = handoff::fields(&state.sources, &name, true, lang).in_language(lang)?;
    let secret = SecretString::new(
        fields
            .value(HandoffFieldId::SecretAccessKey)
            .unwrap_or_default(),
    );
    app.clipboard()
        .write_text(secret.expose().to_owned())
        .map_err(|e| ApiError::new(crate::error::ErrorCode::Io, e.to_string()))?;
    let lifetime = crate::clipboard::secret_lifetime();
    let board = app.clone();
    tauri::async_runtime::spawn(async move {
        crate::clipboard::clear_if_unchanged(
            lifetime,
            &secret,
            || board.clipboard().read_text().ok(),
            || {
                let _ = board.clipboard().clear();
            },
        )
        .await;
    });
    Ok(lifetime.as_secs() as u32)
}

/// Records (or takes back) the admin's word that Weekerp has this source with its key.
#[tauri::command]
#[specta::specta]
pub fn confirm_in_weekerp(
    state: State<'_, AppState>,
    name: String,
    registered: bool,
) -> Result<(), ApiError> {
    handoff::confirm_registered(&state.sources, &name, registered).in_language(state.language())
}

/// One request to the production CDN for a sample image of the source.
#[tauri::command]
#[specta::specta]
pub async fn check_weekerp(
    state: State<'_, AppState>,
    name: String,
) -> Result<ProductionCheck, ApiError> {
    let lang = state.language();
    production::check_source(&state.sources, &name, None, lang)
        .await
        .in_language(lang)
}

/// Checks again until Weekerp serves the source (up to 15 minutes), reporting each try on
/// `progress`; `cancel_weekerp_check` stops it.
#[tauri::command]
#[specta::specta]
pub async fn check_weekerp_until_served(
    state: State<'_, AppState>,
    name: String,
    progress: Channel<Progress>,
) -> Result<UntilServed, ApiError> {
    let lang = state.language();
    let cancel = Arc::new(AtomicBool::new(false));
    *state
        .weekerp_check
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(cancel.clone());
    let result = production::until_source_served(
        &state.sources,
        &name,
        None,
        &cancel,
        |p| {
            let _ = progress.send(p.clone());
        },
        lang,
    )
    .await;
    result.in_language(lang)
}

/// Stops a running "check again until it works".
#[tauri::command]
#[specta::specta]
pub fn cancel_weekerp_check(state: State<'_, AppState>) {
    if let Some(cancel) = state
        .weekerp_check
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        cancel.store(true, Ordering::SeqCst);
    }
}
