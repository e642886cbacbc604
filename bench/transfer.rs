//! A headless driver over the transfer core (`bucketdesk::transfer`), for the two places
//! that need one before the CLI's `put`/`get` are wired: the SIGKILL resume test (its
//! child process, killed mid-upload) and Bucketdesk's side of `bench/transfer.sh`.
//!
//! ```text
//! transfer put --endpoint URL --bucket B [--config-dir D] [tuning…] PATH PREFIX
//! transfer get --endpoint URL --bucket B [--recursive] [--overwrite] KEY DEST
//! ```
//!
//! Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`; the report is
//! printed as JSON on stdout.

use std::path::PathBuf;

use bucketdesk::aws::Target;
use bucketdesk::config::SourceConfig;
use bucketdesk::locale::Language;
use bucketdesk::secrets::SecretString;
use bucketdesk::transfer::{
    self, ChecksumMode, WriteAction, WriteCredentials, download, journal::Journal, plan,
    progress::Progress, upload,
};
use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    endpoint: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long)]
    bucket: String,
    /// Where the transfer journal lives.
    #[arg(long)]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Put {
        path: PathBuf,
        prefix: String,
        #[arg(long, default_value_t = 8)]
        part_size_mib: u32,
        #[arg(long, default_value_t = 8)]
        threshold_mib: u32,
        #[arg(long, default_value_t = 16)]
        parts_in_flight: u32,
        #[arg(long, default_value_t = 32)]
        files_in_flight: u32,
        /// Checksums only where S3 requires them.
        #[arg(long)]
        checksums_when_required: bool,
    },
    Get {
        key: String,
        dest: PathBuf,
        #[arg(long)]
        recursive: bool,
        #[arg(long)]
        overwrite: bool,
        #[arg(long, default_value_t = download::DownloadOptions::default().chunk_size_mib)]
        chunk_size_mib: u32,
        #[arg(long, default_value_t = download::DownloadOptions::default().chunks_in_flight)]
        chunks_in_flight: u32,
        #[arg(long, default_value_t = 16)]
        files_in_flight: u32,
    },
}

fn main() {
    let args = Args::parse();
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set"));
    let target = Target {
        endpoint_url: Some(args.endpoint.clone()),
        region: args.region.clone(),
        access_key_id: env("AWS_ACCESS_KEY_ID"),
        secret: SecretString::new(env("AWS_SECRET_ACCESS_KEY")),
    };
    let checksums_when_required = matches!(
        args.command,
        Command::Put {
            checksums_when_required: true,
            ..
        }
    );
    let source = SourceConfig {
        name: "bench".into(),
        bucket: args.bucket.clone(),
        region: args.region.clone(),
        base_path: "/".into(),
        // Not the writing key: this driver writes with the key it was given explicitly.
        access_key_id: String::new(),
        endpoint_url: Some(args.endpoint.clone()),
        added_at: String::new(),
        last_verified: None,
        checksums_when_required,
    };
    let config_dir = args
        .config_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("bucketdesk-transfer-bench"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = runtime.block_on(async {
        match args.command {
            Command::Put {
                path,
                prefix,
                part_size_mib,
                threshold_mib,
                parts_in_flight,
                files_in_flight,
                checksums_when_required,
            } => {
                let s3 = transfer::write_client(
                    &source,
                    &WriteCredentials::Key(target),
                    WriteAction::Put,
                )
                .await
                .expect("write client");
                let files = plan::local_files(&path, path.is_dir()).expect("local files");
                let planned = plan::plan_upload(
                    &s3,
                    &source,
                    &files,
                    &prefix,
                    bucketdesk::config::PRODUCTION_CDN_BASE,
                )
                .await
                .expect("plan");
                let (items, _) = plan::resolve(&planned, &source, plan::OnCollision::Overwrite);
                let options = upload::UploadOptions {
                    multipart_threshold_mib: threshold_mib,
                    part_size_mib,
                    parts_in_flight,
                    files_in_flight,
                    cache_control: None,
                    checksums: if checksums_when_required {
                        ChecksumMode::WhenRequired
                    } else {
                        ChecksumMode::Crc32c
                    },
                    bandwidth_limit_kib: None,
                };
                let report = upload::upload_all(
                    &s3,
                    &source.bucket,
                    items,
                    &options,
                    &Journal::in_config_dir(&config_dir),
                    &Progress::new(),
                    Language::En,
                )
                .await;
                let ok = report.failed.is_empty() && report.cancelled.is_empty();
                (serde_json::to_string_pretty(&report).expect("json"), ok)
            }
            Command::Get {
                key,
                dest,
                recursive,
                overwrite,
                chunk_size_mib,
                chunks_in_flight,
                files_in_flight,
            } => {
                let s3 = transfer::read_client(&target, &source).await;
                let planned = download::plan_download(&s3, &source, &key, &dest, recursive)
                    .await
                    .expect("plan");
                let options = download::DownloadOptions {
                    overwrite,
                    chunk_size_mib,
                    chunks_in_flight,
                    files_in_flight,
                };
                let report = download::download_all(
                    &s3,
                    &source.bucket,
                    &planned.items,
                    &options,
                    &Progress::new(),
                    Language::En,
                )
                .await;
                let ok = report.failed.is_empty() && report.cancelled.is_empty();
                (serde_json::to_string_pretty(&report).expect("json"), ok)
            }
        }
    });
    println!("{}", json.0);
    if !json.1 {
        std::process::exit(1);
    }
}
