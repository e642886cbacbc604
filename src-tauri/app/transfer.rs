//! Commands of the browser's transfers (doc/TRANSFERS.md): the native file dialogs, the
//! upload preview, uploads and downloads with progress over a channel and a cancel, deletes,
//! and the bucket's unfinished uploads. Adapters over `crate::transfer`: each parses, calls
//! the core and maps its errors.
//!
//! Progress is the core's [`ProgressSnapshot`] (bytes counted as the server acknowledges
//! them), sent every [`TICK`] while a batch runs and once more at its end. One batch runs at
//! a time; `cancel_transfer` cancels it, and a cancelled multipart upload is always aborted
//! by the core (confirmed with `ListParts`).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use super::AppState;
use crate::config::SourceConfig;
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::transfer::delete::{self, DeletePlan, DeleteReport};
use crate::transfer::download::{
    self, DownloadItem, DownloadOptions, DownloadPlan, DownloadReport,
};
use crate::transfer::journal::Journal;
use crate::transfer::plan::{self, OnCollision, UploadPlan};
use crate::transfer::progress::{Progress, ProgressSnapshot};
use crate::transfer::upload::{self, UploadOptions, UploadReport};
use crate::transfer::uploads::{self, AbortReport, UnfinishedUpload, UnfinishedUploads};
use crate::transfer::{self, WriteAction, WriteCredentials, Writer, WriterChoice};

/// How often a running batch reports its progress.
const TICK: Duration = Duration::from_millis(200);

/// Pre-answers the native dialogs, for the GUI end-to-end tests (WebDriver cannot drive a
/// native dialog): a JSON object from a dialog kind (`files`, `folder`, `downloadFolder`)
/// to the paths it answers, e.g. `{"files": ["/tmp/a.jpg"]}`. A kind it does not name
/// opens the real dialog. Nothing else changes: the paths go through the same flow.
pub const DIALOG_ANSWERS_ENV: &str = "BUCKETDESK_DIALOG_ANSWERS";

/// Caps uploads at this many KiB per second (whole batch). The e2e test sets it so the
/// progress bar is on screen long enough to be photographed.
pub const UPLOAD_LIMIT_ENV: &str = "BUCKETDESK_UPLOAD_LIMIT_KIB";

/// Which native dialog to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum PathChoice {
    /// Files to upload.
    Files,
    /// A folder to upload whole.
    Folder,
    /// The folder downloads go into.
    DownloadFolder,
}

fn pre_answered(kind: PathChoice) -> Option<Vec<String>> {
    let answers: serde_json::Value =
        serde_json::from_str(&std::env::var(DIALOG_ANSWERS_ENV).ok()?).ok()?;
    let name = serde_json::to_value(kind).ok()?;
    let paths = answers.get(name.as_str()?)?.as_array()?;
    Some(
        paths
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
    )
}

/// Opens the native dialog and resolves to the chosen paths (empty when dismissed).
#[tauri::command]
#[specta::specta]
pub async fn choose_paths<R: Runtime>(
    app: AppHandle<R>,
    kind: PathChoice,
) -> Result<Vec<String>, ApiError> {
    if let Some(paths) = pre_answered(kind) {
        return Ok(paths);
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<tauri_plugin_dialog::FilePath>>();
    let dialog = app.dialog().file();
    match kind {
        PathChoice::Files => dialog.pick_files(move |p| {
            let _ = tx.send(p.unwrap_or_default());
        }),
        PathChoice::Folder | PathChoice::DownloadFolder => dialog.pick_folder(move |p| {
            let _ = tx.send(p.into_iter().collect());
        }),
    }
    let picked = rx.await.unwrap_or_default();
    Ok(picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// The source, and an S3 client that writes to it as `writer` chose (the reader key is
/// refused before any request).
async fn write_client(
    state: &AppState,
    name: &str,
    writer: &WriterChoice,
    action: WriteAction,
) -> Result<(SourceConfig, aws_sdk_s3::Client), ApiError> {
    let lang = state.language();
    let source = state.sources.get(name).in_language(lang)?;
    let credentials = WriteCredentials::choose(
        &state.sources,
        &source,
        writer,
        action,
        || state.admin(),
        lang,
    )?;
    let s3 = transfer::write_client(&source, &credentials, action)
        .await
        .in_language(lang)?;
    Ok((source, s3))
}

/// Who a write would run as, to show before it starts (no network).
#[tauri::command]
#[specta::specta]
pub fn describe_writer(
    state: State<'_, AppState>,
    name: String,
    writer: WriterChoice,
) -> Result<Writer, ApiError> {
    let lang = state.language();
    let source = state.sources.get(&name).in_language(lang)?;
    let credentials = WriteCredentials::choose(
        &state.sources,
        &source,
        &writer,
        WriteAction::Put,
        || state.admin(),
        lang,
    )?;
    Ok(credentials.writer())
}

/// The progress of a new batch, registered as the app's one running batch (so
/// `cancel_transfer` reaches it); refused while another runs.
fn begin_batch(state: &AppState) -> Result<Progress, ApiError> {
    let mut slot = state.transfer.lock().unwrap_or_else(|e| e.into_inner());
    if slot.as_ref().is_some_and(|p| !p.is_cancelled()) {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            state.language().pick(
                "다른 전송이 진행 중입니다. 끝나거나 취소한 뒤에 다시 하세요.",
                "Another transfer is running; wait for it or cancel it first.",
            ),
        ));
    }
    let progress = Progress::new();
    *slot = Some(progress.clone());
    Ok(progress)
}

/// Forgets the app's running batch when dropped, also when a command's future is dropped
/// mid-way (so the next batch is not refused), and stops its progress reports.
struct BatchEnd<'a> {
    state: &'a AppState,
    ticker: tauri::async_runtime::JoinHandle<()>,
}

impl Drop for BatchEnd<'_> {
    fn drop(&mut self) {
        self.ticker.abort();
        *self
            .state
            .transfer
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Runs `work`, sending `progress` on `channel` every [`TICK`] and once at the end, then
/// forgets the batch.
async fn reporting<F: std::future::Future>(
    state: &AppState,
    progress: &Progress,
    channel: Channel<ProgressSnapshot>,
    work: F,
) -> F::Output {
    let ticker = {
        let (progress, channel) = (progress.clone(), channel.clone());
        tauri::async_runtime::spawn(async move {
            loop {
                let _ = channel.send(progress.snapshot());
                tokio::time::sleep(TICK).await;
            }
        })
    };
    let end = BatchEnd { state, ticker };
    let out = work.await;
    drop(end);
    let _ = channel.send(progress.snapshot());
    out
}

/// Cancels the running upload or download (its multipart uploads are aborted).
#[tauri::command]
#[specta::specta]
pub fn cancel_transfer(state: State<'_, AppState>) {
    if let Some(progress) = &*state.transfer.lock().unwrap_or_else(|e| e.into_inner()) {
        progress.cancel();
    }
}

/// The preview of uploading `paths` (files, and folders whole) into `prefix`: the keys,
/// NFC changes, collisions, problems and the first image's production URL. Sends nothing.
#[tauri::command]
#[specta::specta]
pub async fn plan_upload(
    state: State<'_, AppState>,
    name: String,
    paths: Vec<String>,
    prefix: String,
) -> Result<UploadPlan, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    let files = plan::picked_files(&paths).in_language(lang)?;
    let production_base = state.sources.production_cdn_base().in_language(lang)?;
    plan::plan_upload(&s3, &source, &files, &prefix, &production_base)
        .await
        .in_language(lang)
}

/// What an upload batch is asked to do.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    pub paths: Vec<String>,
    pub prefix: String,
    pub on_collision: OnCollision,
    pub cache_control: Option<String>,
    pub writer: WriterChoice,
}

/// Uploads as previewed (planned again, so a key made meanwhile is still seen), reporting
/// progress on `progress`.
#[tauri::command]
#[specta::specta]
pub async fn upload_files(
    state: State<'_, AppState>,
    name: String,
    request: UploadRequest,
    progress: Channel<ProgressSnapshot>,
) -> Result<UploadReport, ApiError> {
    let lang = state.language();
    let (source, s3) = write_client(&state, &name, &request.writer, WriteAction::Put).await?;
    let paths: Vec<PathBuf> = request.paths.iter().map(PathBuf::from).collect();
    let files = plan::picked_files(&paths).in_language(lang)?;
    let options = UploadOptions {
        cache_control: request.cache_control.filter(|c| !c.trim().is_empty()),
        bandwidth_limit_kib: std::env::var(UPLOAD_LIMIT_ENV)
            .ok()
            .and_then(|v| v.parse().ok()),
        ..Default::default()
    };
    let journal = Journal::in_config_dir(state.store.dir());
    let production_base = state.sources.production_cdn_base().in_language(lang)?;
    let batch = begin_batch(&state)?;
    let work = upload::plan_and_upload(
        &s3,
        &source,
        &files,
        &request.prefix,
        &production_base,
        request.on_collision,
        &options,
        &journal,
        &batch,
        lang,
    );
    let result = reporting(&state, &batch, progress, work).await;
    result.map(|(_, report)| report).in_language(lang)
}

/// What downloading the selection (`keys` and folders `prefixes`, relative to the BasePath)
/// into the folder `dest` writes, and which files exist already.
#[tauri::command]
#[specta::specta]
pub async fn plan_download(
    state: State<'_, AppState>,
    name: String,
    keys: Vec<String>,
    prefixes: Vec<String>,
    dest: String,
) -> Result<DownloadPlan, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    download::plan_selection(&s3, &source, &keys, &prefixes, &PathBuf::from(dest))
        .await
        .in_language(lang)
}

/// Downloads the planned items with the source's own key; existing files are replaced
/// only with `overwrite` (which the UI asks for first).
#[tauri::command]
#[specta::specta]
pub async fn download_files(
    state: State<'_, AppState>,
    name: String,
    items: Vec<DownloadItem>,
    overwrite: bool,
    progress: Channel<ProgressSnapshot>,
) -> Result<DownloadReport, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    let options = DownloadOptions {
        overwrite,
        ..Default::default()
    };
    let batch = begin_batch(&state)?;
    let work = download::download_all(&s3, &source.bucket, &items, &options, &batch, lang);
    Ok(reporting(&state, &batch, progress, work).await)
}

/// Every key a delete of the selection removes, for the confirmation with the count.
#[tauri::command]
#[specta::specta]
pub async fn plan_delete(
    state: State<'_, AppState>,
    name: String,
    keys: Vec<String>,
    prefixes: Vec<String>,
) -> Result<DeletePlan, ApiError> {
    let lang = state.language();
    let (source, s3) = state.sources.open(&name).await.in_language(lang)?;
    delete::plan_selection(&s3, &source, &keys, &prefixes)
        .await
        .in_language(lang)
}

/// Deletes the confirmed keys (relative to the BasePath) as `writer`; every key that
/// failed is in the report.
#[tauri::command]
#[specta::specta]
pub async fn delete_objects(
    state: State<'_, AppState>,
    name: String,
    keys: Vec<String>,
    writer: WriterChoice,
) -> Result<DeleteReport, ApiError> {
    let lang = state.language();
    let (source, s3) = write_client(&state, &name, &writer, WriteAction::Delete).await?;
    delete::delete_keys(&s3, &source, &keys, &Progress::new(), lang)
        .await
        .in_language(lang)
}

/// Whether the bucket has unfinished multipart uploads (the browser's notice).
#[tauri::command]
#[specta::specta]
pub async fn has_unfinished_uploads(
    state: State<'_, AppState>,
    name: String,
    writer: WriterChoice,
) -> Result<bool, ApiError> {
    let lang = state.language();
    let (source, s3) = write_client(&state, &name, &writer, WriteAction::Delete).await?;
    uploads::has_unfinished(&s3, &source.bucket)
        .await
        .in_language(lang)
}

/// The bucket's unfinished uploads with age, part bytes and monthly cost.
#[tauri::command]
#[specta::specta]
pub async fn list_unfinished_uploads(
    state: State<'_, AppState>,
    name: String,
    writer: WriterChoice,
) -> Result<UnfinishedUploads, ApiError> {
    let lang = state.language();
    let (source, s3) = write_client(&state, &name, &writer, WriteAction::Delete).await?;
    uploads::list_unfinished(&s3, &source.bucket, None)
        .await
        .in_language(lang)
}

/// Aborts the chosen unfinished uploads, each confirmed gone with `ListParts`.
#[tauri::command]
#[specta::specta]
pub async fn abort_unfinished_uploads(
    state: State<'_, AppState>,
    name: String,
    uploads: Vec<UnfinishedUpload>,
    writer: WriterChoice,
) -> Result<AbortReport, ApiError> {
    let lang = state.language();
    let (source, s3) = write_client(&state, &name, &writer, WriteAction::Delete).await?;
    Ok(uploads::abort(&s3, &source.bucket, &uploads, lang).await)
}
