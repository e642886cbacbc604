//! `bucketdesk put|get|rm|uploads`: moving objects in and out of a source (doc/TRANSFERS.md).
//! Writes use the admin's credentials, or an uploader key named with `--uploader-key`
//! (its secret from the keychain): the source's own key is a reader and cannot write.
//! Progress goes to stderr; a failed or cancelled file makes the exit code non-zero.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::Context;
use super::output::Output;
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::transfer::journal::Journal;
use crate::transfer::progress::Progress;
use crate::transfer::{
    self, WriteAction, WriteCredentials, WriterChoice, delete, download, plan, upload, uploads,
};

#[derive(Debug, Args)]
pub struct Writer {
    /// Write with this uploader key (its secret from the OS keychain) instead of the admin's
    #[arg(long, value_name = "KEY_ID")]
    uploader_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    name: String,
    /// A file, or with --recursive a folder
    file: PathBuf,
    /// The key (for a file) or the prefix (for a folder), relative to the BasePath
    key: String,
    #[arg(long, short)]
    recursive: bool,
    /// When a key exists already: overwrite, skip or rename
    #[arg(long, value_enum, default_value = "skip")]
    on_collision: Collision,
    /// Cache-Control for the uploaded objects
    #[arg(long)]
    cache_control: Option<String>,
    #[command(flatten)]
    writer: Writer,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Collision {
    Overwrite,
    Skip,
    Rename,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    name: String,
    /// A key, or with --recursive a prefix
    key: String,
    /// The file, or with --recursive the folder
    file: PathBuf,
    #[arg(long, short)]
    recursive: bool,
    /// Replace files that exist already
    #[arg(long)]
    overwrite: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    name: String,
    /// Keys, or with --recursive one prefix (a folder: `photos` means `photos/`)
    #[arg(required = true)]
    keys: Vec<String>,
    #[arg(long, short)]
    recursive: bool,
    /// Needed to delete a whole prefix from a script
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    writer: Writer,
}

#[derive(Debug, Args)]
pub struct UploadsArgs {
    name: String,
    /// Abort every unfinished multipart upload of the source's bucket
    #[arg(long)]
    abort_all: bool,
}

async fn write_client(
    cx: &Context,
    source: &crate::config::SourceConfig,
    writer: &Writer,
    action: WriteAction,
) -> Result<aws_sdk_s3::Client, ApiError> {
    let choice = match &writer.uploader_key {
        Some(key) => WriterChoice::Key {
            access_key_id: key.clone(),
        },
        None => WriterChoice::Admin,
    };
    let credentials =
        WriteCredentials::choose(&cx.sources, source, &choice, action, || cx.admin(), cx.lang)?;
    transfer::write_client(source, &credentials, action)
        .await
        .in_language(cx.lang)
}

/// Prints the progress to stderr twice a second until `done`, and cancels on Ctrl-C.
fn report_progress(progress: Arc<Progress>) -> tokio::task::JoinHandle<()> {
    let cancel = progress.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let s = progress.snapshot();
            eprint!(
                "\r{}/{} files, {:.1}/{:.1} MB, {:.1} MB/s   ",
                s.files_done,
                s.files_total,
                s.bytes_done / 1e6,
                s.bytes_total / 1e6,
                s.rate / 1e6
            );
            let _ = std::io::stderr().flush();
        }
    })
}

fn incomplete(cx: &Context, failed: usize, cancelled: usize) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        cx.pick(
            format!("{failed}개 실패, {cancelled}개 취소됨(--json으로 자세히 보기)."),
            format!("{failed} failed, {cancelled} cancelled (--json for the details)."),
        ),
    )
}

pub async fn put(args: PutArgs, cx: &Context) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let source = cx.sources.get(&args.name).in_language(lang)?;
    let s3 = write_client(cx, &source, &args.writer, WriteAction::Put).await?;
    let (files, prefix) = if args.recursive {
        (
            plan::local_files(&args.file, true).in_language(lang)?,
            args.key.clone(),
        )
    } else {
        let file = plan::LocalFile {
            path: args.file.clone(),
            name: args.key.clone(),
        };
        (vec![file], String::new())
    };
    let on_collision = match args.on_collision {
        Collision::Overwrite => plan::OnCollision::Overwrite,
        Collision::Skip => plan::OnCollision::Skip,
        Collision::Rename => plan::OnCollision::Rename,
    };
    let options = upload::UploadOptions {
        cache_control: args.cache_control,
        ..Default::default()
    };
    let production_base = cx.sources.production_cdn_base().in_language(lang)?;
    let progress = Arc::new(Progress::new());
    let printer = report_progress(progress.clone());
    let result = upload::plan_and_upload(
        &s3,
        &source,
        &files,
        &prefix,
        &production_base,
        on_collision,
        &options,
        &Journal::in_config_dir(cx.store.dir()),
        &progress,
        lang,
    )
    .await;
    let (planned, report) = match result {
        Ok(done) => done,
        Err(e) => {
            printer.abort();
            return Err(ApiError::from_err(&e, lang));
        }
    };
    printer.abort();
    eprintln!();
    if !report.failed.is_empty() || !report.cancelled.is_empty() {
        return Err(incomplete(cx, report.failed.len(), report.cancelled.len()));
    }
    let text = cx.pick(
        format!("{}개를 올렸습니다.", report.uploaded.len()),
        format!("Uploaded {} file(s).", report.uploaded.len()),
    );
    Ok(Output::new(
        text,
        &serde_json::json!({ "plan": planned, "report": report }),
    ))
}

pub async fn get(args: GetArgs, cx: &Context) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let source = cx.sources.get(&args.name).in_language(lang)?;
    let target = cx.sources.target(&source).in_language(lang)?;
    let s3 = transfer::read_client(&target, &source).await;
    let planned = download::plan_download(&s3, &source, &args.key, &args.file, args.recursive)
        .await
        .in_language(lang)?;
    if planned.existing > 0 && !args.overwrite {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            cx.pick(
                format!("{}개 파일이 이미 있습니다. 바꾸려면 --overwrite를 주세요. 아무것도 받지 않았습니다.", planned.existing),
                format!("{} file(s) exist already; pass --overwrite to replace them. Nothing was downloaded.", planned.existing),
            ),
        ));
    }
    let options = download::DownloadOptions {
        overwrite: args.overwrite,
        ..Default::default()
    };
    let progress = Arc::new(Progress::new());
    let printer = report_progress(progress.clone());
    let report = download::download_all(
        &s3,
        &source.bucket,
        &planned.items,
        &options,
        &progress,
        lang,
    )
    .await;
    printer.abort();
    eprintln!();
    if !report.failed.is_empty() || !report.cancelled.is_empty() {
        return Err(incomplete(cx, report.failed.len(), report.cancelled.len()));
    }
    let text = cx.pick(
        format!("{}개를 받았습니다.", report.downloaded.len()),
        format!("Downloaded {} file(s).", report.downloaded.len()),
    );
    Ok(Output::new(text, &report))
}

pub async fn rm(args: RmArgs, cx: &Context) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let source = cx.sources.get(&args.name).in_language(lang)?;
    let s3 = write_client(cx, &source, &args.writer, WriteAction::Delete).await?;
    let keys = if args.recursive {
        let [prefix] = args.keys.as_slice() else {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                cx.pick(
                    "--recursive에는 접두어 하나만 주세요.",
                    "Give one prefix with --recursive.",
                ),
            ));
        };
        let planned = delete::plan_delete(&s3, &source, prefix)
            .await
            .in_language(lang)?;
        if !args.yes {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                cx.pick(
                    format!("{}개 객체({:.1} MB)를 지웁니다. 확인하려면 --yes를 주세요. 아무것도 지우지 않았습니다.", planned.count, planned.bytes / 1e6),
                    format!("This deletes {} object(s) ({:.1} MB); pass --yes to confirm. Nothing was deleted.", planned.count, planned.bytes / 1e6),
                ),
            ));
        }
        planned.keys
    } else {
        args.keys
    };
    let progress = Progress::new();
    let report = delete::delete_keys(&s3, &source, &keys, &progress, lang)
        .await
        .in_language(lang)?;
    if let Some(failure) = report.failure(lang) {
        return Err(failure);
    }
    let text = cx.pick(
        format!("{}개를 지웠습니다.", keys.len()),
        format!("Deleted {} object(s).", keys.len()),
    );
    Ok(Output::new(text, &report))
}

pub async fn list_uploads(args: UploadsArgs, cx: &Context) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let source = cx.sources.get(&args.name).in_language(lang)?;
    let s3 = write_client(
        cx,
        &source,
        &Writer { uploader_key: None },
        WriteAction::Delete,
    )
    .await?;
    if args.abort_all {
        let report = uploads::abort_all(&s3, &source.bucket, None, lang)
            .await
            .in_language(lang)?;
        return Ok(Output::new(
            serde_json::to_string_pretty(&report).expect("report serializes"),
            &report,
        ));
    }
    let found = uploads::list_unfinished(&s3, &source.bucket, None)
        .await
        .in_language(lang)?;
    let text = cx.pick(
        format!(
            "끝나지 않은 업로드 {}개, {:.1} MB, 월 약 ${:.2}",
            found.uploads.len(),
            found.bytes / 1e6,
            found.monthly_cost_usd
        ),
        format!(
            "{} unfinished upload(s), {:.1} MB, about ${:.2} a month",
            found.uploads.len(),
            found.bytes / 1e6,
            found.monthly_cost_usd
        ),
    );
    Ok(Output::new(text, &found))
}
