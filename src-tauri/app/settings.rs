//! Commands of the app shell and the Settings screen: what the app is, its settings, the
//! config file's recovery, the admin's AWS profiles and identity.

use serde::Serialize;
use tauri::State;

use super::{AppState, SandboxSlot};
use crate::aws;
use crate::config::Settings;
use crate::error::{ApiError, InLanguage};
use crate::locale::Language;
use crate::sandbox::SandboxInfo;

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
    /// The user "create a dedicated reader for me" makes when none is named.
    pub default_reader_user: String,
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
        default_reader_user: crate::iam::reader::DEFAULT_USER.to_owned(),
    }
}

#[tauri::command]
#[specta::specta]
pub fn load_settings(state: State<'_, AppState>) -> Result<Settings, ApiError> {
    state
        .store
        .load()
        .map(|c| c.settings)
        .in_language(state.os_language)
}

/// Saves the settings (checked by the core) and returns them as stored.
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
        .in_language(lang)
}

/// Moves a config file that does not load aside; returns where it was kept.
#[tauri::command]
#[specta::specta]
pub fn set_aside_config(state: State<'_, AppState>) -> Result<String, ApiError> {
    state
        .store
        .set_aside()
        .map(|p| p.display().to_string())
        .in_language(state.os_language)
}

/// AWS profiles found in the user's shared files, for the Settings picker.
#[tauri::command]
#[specta::specta]
pub fn list_aws_profiles() -> Vec<String> {
    aws::local_profiles()
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
        .in_language(state.language())?;
    Ok(AdminInfo {
        profile: admin.profile,
        sandbox: admin.files.is_some(),
        identity,
    })
}
