//! The local CDN in the app: started with the window, stopped on exit, and the commands the
//! preview UI calls (`cdn_info`, `cdn_preview_url`).

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use super::AppState;
use crate::cdn::options::OptionFields;
use crate::cdn::origin::S3Origin;
use crate::cdn::server::{self, CdnError, CdnServer, ServerConfig};
use crate::error::ApiError;

/// Where the app's server is in its life.
pub(crate) enum CdnSlot {
    Starting,
    Ready(CdnServer),
    Failed(CdnError),
}

/// Starts the server on the app's sources (the sandbox's while it runs) and records it.
pub(crate) async fn start(state: &AppState) {
    let slot = match ServerConfig::for_install(&state.store, crate::cdn::pipeline::transform) {
        Ok(config) => {
            let origin = Arc::new(S3Origin::new(state.sources.clone()));
            match CdnServer::start(config, origin).await {
                Ok(server) => CdnSlot::Ready(server),
                Err(e) => CdnSlot::Failed(e),
            }
        }
        Err(e) => CdnSlot::Failed(e),
    };
    if let CdnSlot::Failed(e) = &slot {
        eprintln!(
            "bucketdesk: the local CDN did not start: {}",
            ApiError::from_err(e, state.language()).message
        );
    }
    *state.cdn.lock().unwrap_or_else(|e| e.into_inner()) = slot;
}

/// Stops the server (on exit).
pub(crate) fn stop(state: &AppState) {
    if let CdnSlot::Ready(server) = &mut *state.cdn.lock().unwrap_or_else(|e| e.into_inner()) {
        server.stop();
    }
}

/// How the UI reaches the local CDN. The token goes only into local preview URLs.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CdnInfo {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub port: u16,
    /// Append as `token=…` to local URLs (or send as `X-Bucketdesk-Token`).
    pub token: String,
}

/// An image's URLs for one set of options.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PreviewUrls {
    /// The local preview, token included: for `<img src>` in the app only.
    pub local: String,
    /// `https://cdn.weekerp.com/image/{source}/{path}?{options}`: what the user copies.
    pub production: String,
    /// The canonical option query (short names, fixed order, defaults dropped).
    pub query: String,
}

fn info(state: &AppState) -> Result<CdnInfo, ApiError> {
    let lang = state.language();
    match &*state.cdn.lock().unwrap_or_else(|e| e.into_inner()) {
        CdnSlot::Ready(server) => Ok(CdnInfo {
            base_url: server.base_url(),
            port: server.port(),
            token: server.token().expose().to_owned(),
        }),
        CdnSlot::Starting => Err(ApiError::from_err(
            &CdnError::NotRunning(lang.pick("시작하는 중입니다", "it is starting").into()),
            lang,
        )),
        CdnSlot::Failed(e) => Err(ApiError::from_err(e, lang)),
    }
}

/// The local CDN's address and token.
#[tauri::command]
#[specta::specta]
pub fn cdn_info(state: State<'_, AppState>) -> Result<CdnInfo, ApiError> {
    info(&state)
}

/// The local preview URL and the production URL of an object (key relative to the source's
/// BasePath) with these options. A bad option is an `invalid_input` error naming it; an
/// unknown source is `not_found`.
#[tauri::command]
#[specta::specta]
pub fn cdn_preview_url(
    state: State<'_, AppState>,
    name: String,
    key: String,
    options: OptionFields,
) -> Result<PreviewUrls, ApiError> {
    let lang = state.language();
    state
        .sources
        .get(&name)
        .map_err(|e| ApiError::from_err(&e, lang))?;
    let options = options
        .to_options()
        .map_err(|e| ApiError::from_err(&e, lang))?;
    let info = info(&state)?;
    let token = crate::cdn::security::Token::new(info.token);
    Ok(PreviewUrls {
        local: server::local_url(&info.base_url, &token, &name, &key, &options),
        production: server::production_url(&name, &key, &options),
        query: options.to_query(),
    })
}
