//! The commands the UI calls (through the generated `ui/src/bindings.ts`). Each one maps
//! core results to [`ApiError`] and nothing more.

use serde::Serialize;
use tauri::State;

use super::{AppState, SandboxSlot};
use crate::config::Settings;
use crate::error::ApiError;
use crate::locale::Language;
use crate::sandbox::SandboxInfo;
use crate::secrets::mask_key_id;

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

/// A source row of the source list: never the secret; the key ID masked.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceSummary {
    pub name: String,
    pub bucket: String,
    pub region: String,
    pub base_path: String,
    pub key_id_masked: String,
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
    let config = state
        .store
        .load()
        .map_err(|e| ApiError::from_err(&e, state.language()))?;
    Ok(config
        .sources
        .iter()
        .map(|s| SourceSummary {
            name: s.name.clone(),
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            base_path: s.base_path.clone(),
            key_id_masked: mask_key_id(&s.access_key_id),
        })
        .collect())
}
