//! The local CDN in the app: started with the window, stopped on exit, and the commands the
//! preview UI calls: `cdn_info` (where the server is), `cdn_urls` (every URL of an image,
//! from the core's one canonicalizer, `cdn::urls`), `cdn_compare` (JPEG, WebP and AVIF side
//! by side, `cdn::compare`) and `cdn_srcset` (the `srcset`/`<picture>` HTML, `cdn::srcset`).

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use super::AppState;
use crate::cdn::compare::{self, Comparison};
use crate::cdn::origin::S3Origin;
use crate::cdn::security::Token;
use crate::cdn::server::{CdnError, CdnServer, ServerConfig};
use crate::cdn::srcset::{self, Srcset, SrcsetRequest};
use crate::cdn::urls::{self, ImageUrls, LocalServer};
use crate::error::{ApiError, InLanguage};

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
    /// The canonical query of the browser's row thumbnails (`cdn::urls::THUMBNAIL`).
    pub thumbnail_query: String,
    /// The canonical query of the browser's grid tiles (`cdn::urls::GRID_TILE`).
    pub grid_tile_query: String,
}

fn info(state: &AppState) -> Result<CdnInfo, ApiError> {
    let lang = state.language();
    match &*state.cdn.lock().unwrap_or_else(|e| e.into_inner()) {
        CdnSlot::Ready(server) => Ok(CdnInfo {
            base_url: server.base_url(),
            port: server.port(),
            token: server.token().expose().to_owned(),
            thumbnail_query: urls::thumbnail_query(),
            grid_tile_query: urls::grid_tile_query(),
        }),
        CdnSlot::Starting => Err(ApiError::from_err(
            &CdnError::NotRunning(lang.pick("시작하는 중입니다", "it is starting").into()),
            lang,
        )),
        CdnSlot::Failed(e) => Err(ApiError::from_err(e, lang)),
    }
}

/// What an image's URLs are made from here: the running local CDN's address and token, and
/// the configured production base.
struct UrlBases {
    base_url: String,
    token: Token,
    production_base: String,
}

impl UrlBases {
    fn of(state: &AppState) -> Result<UrlBases, ApiError> {
        let info = info(state)?;
        let production_base = state
            .sources
            .production_cdn_base()
            .in_language(state.language())?;
        Ok(UrlBases {
            base_url: info.base_url,
            token: Token::new(info.token),
            production_base,
        })
    }

    fn local(&self) -> LocalServer<'_> {
        LocalServer {
            production_base: &self.production_base,
            base_url: &self.base_url,
            token: &self.token,
        }
    }
}

/// The local CDN's address and token.
#[tauri::command]
#[specta::specta]
pub fn cdn_info(state: State<'_, AppState>) -> Result<CdnInfo, ApiError> {
    info(&state)
}

/// Every URL of an image with the preview's options (decoded `name=value` pairs): the
/// production URL to copy and the local preview URLs, all from the core's one canonicalizer
/// (`cdn::urls`), so they match `bucketdesk cdn url` byte for byte.
#[tauri::command]
#[specta::specta]
pub fn cdn_urls(
    state: State<'_, AppState>,
    name: String,
    key: String,
    options: Vec<(String, String)>,
) -> Result<ImageUrls, ApiError> {
    let lang = state.language();
    let bases = UrlBases::of(&state)?;
    let local = bases.local();
    let pairs = options.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    urls::image_urls(&name, &key, pairs, local).in_language(lang)
}

/// JPEG, WebP and AVIF of an image at the preview's size, as the local CDN serves them, with
/// bytes, SSIM against the lossless render and the smallest above `threshold` (default 0.95).
#[tauri::command]
#[specta::specta]
pub async fn cdn_compare(
    state: State<'_, AppState>,
    name: String,
    key: String,
    options: Vec<(String, String)>,
    threshold: Option<f64>,
) -> Result<Comparison, ApiError> {
    let lang = state.language();
    let bases = UrlBases::of(&state)?;
    let local = bases.local();
    let pairs = options.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    compare::compare(local, &name, &key, pairs, threshold)
        .await
        .in_language(lang)
}

/// `<img srcset>` and `<picture>` HTML with production URLs for `widths` (as typed).
#[tauri::command]
#[specta::specta]
pub fn cdn_srcset(
    state: State<'_, AppState>,
    name: String,
    key: String,
    widths: String,
    options: Vec<(String, String)>,
    sizes: String,
    alt: String,
) -> Result<Srcset, ApiError> {
    let request = SrcsetRequest {
        source: &name,
        key: &key,
        widths: &widths,
        options: options
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect(),
        sizes: &sizes,
        alt: &alt,
    };
    srcset::srcset_for_install(&state.sources, &request).in_language(state.language())
}
