//! The headless CLI over the same core as the GUI (DESIGN §6: a contract; extend it, don't
//! rename it). With no subcommand the binary starts the GUI.
//!
//! Output: plain text by default, machine JSON with `--json`. Exit code 0 on success; on
//! failure one line on stderr in the user's language (with `--json`, the `{code, message}`
//! error object on stdout) and a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::config::{ConfigError, ConfigStore};
use crate::error::{ApiError, ErrorCode};
use crate::locale::Language;
use crate::secrets::mask_key_id;

#[derive(Debug, Parser)]
#[command(
    name = "bucketdesk",
    version,
    about = "Desktop admin console for serving images from Amazon S3 through an image CDN",
    long_about = "Bucketdesk: set up S3 sources for an image CDN, browse buckets, preview CDN \
                  URLs, manage least-privilege IAM users and access keys.\n\n\
                  Run without a subcommand to open the desktop app. With a subcommand it runs \
                  headless.",
    after_help = "Environment:\n  BUCKETDESK_CONFIG_DIR  where config.json lives (default: the OS config dir)\n  \
                  AWS_PROFILE, AWS_ACCESS_KEY_ID, …  admin credentials (the AWS credential chain)\n\n\
                  Secrets are kept only in the OS keychain (service \"bucketdesk\")."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Machine-readable JSON output
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages (default: the config's, else the OS locale)
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Language>,
    /// AWS profile for admin commands (IAM, buckets, key rotation)
    #[arg(long, global = true, env = "AWS_PROFILE", hide_env_values = true)]
    pub profile: Option<String>,
    /// Send every AWS request to this S3-compatible or local endpoint
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// CDN sources: add, list, verify, remove
    #[command(subcommand)]
    Source(SourceCommand),
    /// List objects of a source, by folder
    Ls {
        name: String,
        prefix: Option<String>,
    },
    /// Upload a file to a source
    Put {
        name: String,
        file: PathBuf,
        key: String,
    },
    /// Download an object from a source
    Get {
        name: String,
        key: String,
        file: PathBuf,
    },
    /// Delete objects from a source
    Rm {
        name: String,
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Print a presigned GET URL for an object
    Presign {
        name: String,
        key: String,
        /// How long the URL works: 1h, 24h, 7d at most
        #[arg(long, default_value = "1h")]
        expires: String,
    },
    /// The local CDN (the image API on loopback)
    #[command(subcommand)]
    Cdn(CdnCommand),
    /// IAM: least-privilege policies and readers
    #[command(subcommand)]
    Iam(IamCommand),
    /// Access keys: list, rotate, deactivate, delete
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Buckets: create, block public access, policy, empty, delete
    #[command(subcommand)]
    Bucket(BucketCommand),
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a source; the secret is read from stdin and kept only in the OS keychain
    Add {
        name: String,
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        access_key_id: String,
        /// Read the Secret Access Key from standard input
        #[arg(long, required = true)]
        secret_stdin: bool,
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
        #[arg(long, default_value = "/")]
        base_path: String,
    },
    /// List sources
    List,
    /// Check a source's key and permissions
    Verify { name: String },
    /// Remove a source and its keychain entry
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum CdnCommand {
    /// Run the local CDN in the foreground
    Serve {
        #[arg(long)]
        port: Option<u16>,
    },
    /// Print the production URL and the local preview URL of an object
    Url {
        name: String,
        key: String,
        /// Image options, e.g. w=400 h=300 fit=cover f=webp
        options: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print a generated policy (cdn-reader, uploader, public-read)
    Policy {
        template: String,
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        base_path: Option<String>,
    },
    /// Dedicated reader users
    #[command(subcommand)]
    Reader(ReaderCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Create a least-privilege reader user and key (optionally bound to a source)
    Create {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List a user's access keys
    List {
        #[arg(long)]
        user: String,
    },
    /// Rotate a user's or a source's key safely
    Rotate {
        #[arg(long, conflicts_with = "source", required_unless_present = "source")]
        user: Option<String>,
        #[arg(long)]
        source: Option<String>,
    },
    /// Deactivate an access key
    Deactivate { id: String },
    /// Delete an access key
    Delete { id: String },
}

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Create a bucket
    Create {
        bucket: String,
        #[arg(long)]
        region: Option<String>,
    },
    /// Show or change Block Public Access
    PublicAccess {
        bucket: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        settings: Vec<String>,
    },
    /// Show or set the bucket policy
    Policy {
        bucket: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Delete every object, version and unfinished upload
    Empty { bucket: String },
    /// Delete an empty bucket
    Delete { bucket: String },
}

/// What the process was asked to do.
pub enum Invocation {
    Gui,
    Command(Box<Cli>),
}

/// Parses the command line; `--help`, `--version` and usage errors exit here.
pub fn parse() -> Invocation {
    let cli = Cli::parse();
    if cli.command.is_none() {
        Invocation::Gui
    } else {
        Invocation::Command(Box::new(cli))
    }
}

/// Runs a subcommand and returns the process exit code.
pub fn run(cli: Box<Cli>) -> ExitCode {
    let store = ConfigStore::from_env();
    let lang = cli.global.lang.unwrap_or_else(|| {
        store
            .as_ref()
            .ok()
            .and_then(|s| s.load().ok())
            .and_then(|c| c.settings.language)
            .unwrap_or_else(Language::from_os)
    });
    let json = cli.global.json;
    let result = store
        .map_err(|e| ApiError::from_err(&e, lang))
        .and_then(|store| execute(*cli, &store, lang));
    match result {
        Ok(output) => {
            if json {
                println!("{}", output.json);
            } else if !output.text.is_empty() {
                println!("{}", output.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if json {
                println!("{}", serde_json::to_string(&err).expect("error serializes"));
            } else {
                eprintln!("bucketdesk: {}", one_line(&err.message));
            }
            ExitCode::FAILURE
        }
    }
}

/// What a command prints: text for people, JSON for scripts.
struct Output {
    text: String,
    json: String,
}

impl Output {
    fn new(text: String, value: &impl Serialize) -> Output {
        Output {
            text,
            json: serde_json::to_string_pretty(value).expect("output serializes"),
        }
    }
}

fn execute(cli: Cli, store: &ConfigStore, lang: Language) -> Result<Output, ApiError> {
    let command = cli
        .command
        .expect("parse() routes an absent command to the GUI");
    match command {
        Command::Source(SourceCommand::List) => source_list(store, lang),
        other => Err(not_available(&other, lang)),
    }
}

/// One source as `source list` prints it: never the secret, the key ID masked.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRow {
    name: String,
    bucket: String,
    region: String,
    base_path: String,
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_url: Option<String>,
}

fn source_list(store: &ConfigStore, lang: Language) -> Result<Output, ApiError> {
    let config = store
        .load()
        .map_err(|e: ConfigError| ApiError::from_err(&e, lang))?;
    let rows: Vec<SourceRow> = config
        .sources
        .iter()
        .map(|s| SourceRow {
            name: s.name.clone(),
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            base_path: s.base_path.clone(),
            key_id: mask_key_id(&s.access_key_id),
            endpoint_url: s.endpoint_url.clone(),
        })
        .collect();
    let text = if rows.is_empty() {
        lang.pick(
            "등록된 소스가 없습니다. `bucketdesk source add`로 추가하세요.".to_owned(),
            "No sources yet. Add one with `bucketdesk source add`.".to_owned(),
        )
    } else {
        let mut table = vec![
            [
                lang.pick("이름", "NAME"),
                lang.pick("버킷", "BUCKET"),
                lang.pick("리전", "REGION"),
                "BASEPATH",
                lang.pick("키 ID", "KEY ID"),
            ]
            .map(str::to_owned),
        ];
        table.extend(rows.iter().map(|r| {
            [
                r.name.clone(),
                r.bucket.clone(),
                r.region.clone(),
                r.base_path.clone(),
                r.key_id.clone(),
            ]
        }));
        render_table(&table)
    };
    Ok(Output::new(text, &rows))
}

fn render_table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            row.iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The command's name as typed (`source add`, `keys rotate`), for messages.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Source(SourceCommand::Add { .. }) => "source add",
        Command::Source(SourceCommand::List) => "source list",
        Command::Source(SourceCommand::Verify { .. }) => "source verify",
        Command::Source(SourceCommand::Remove { .. }) => "source remove",
        Command::Ls { .. } => "ls",
        Command::Put { .. } => "put",
        Command::Get { .. } => "get",
        Command::Rm { .. } => "rm",
        Command::Presign { .. } => "presign",
        Command::Cdn(CdnCommand::Serve { .. }) => "cdn serve",
        Command::Cdn(CdnCommand::Url { .. }) => "cdn url",
        Command::Iam(IamCommand::Policy { .. }) => "iam policy",
        Command::Iam(IamCommand::Reader(_)) => "iam reader create",
        Command::Keys(KeysCommand::List { .. }) => "keys list",
        Command::Keys(KeysCommand::Rotate { .. }) => "keys rotate",
        Command::Keys(KeysCommand::Deactivate { .. }) => "keys deactivate",
        Command::Keys(KeysCommand::Delete { .. }) => "keys delete",
        Command::Bucket(BucketCommand::Create { .. }) => "bucket create",
        Command::Bucket(BucketCommand::PublicAccess { .. }) => "bucket public-access",
        Command::Bucket(BucketCommand::Policy { .. }) => "bucket policy",
        Command::Bucket(BucketCommand::Empty { .. }) => "bucket empty",
        Command::Bucket(BucketCommand::Delete { .. }) => "bucket delete",
    }
}

/// A command of the contract that this build does not carry out yet says so plainly.
fn not_available(command: &Command, lang: Language) -> ApiError {
    let name = command_name(command);
    let (area_ko, area_en) = match command {
        Command::Source(_) | Command::Ls { .. } | Command::Presign { .. } => {
            ("소스와 브라우저", "Sources and browser")
        }
        Command::Put { .. } | Command::Get { .. } | Command::Rm { .. } => {
            ("파일 전송", "file transfer")
        }
        Command::Cdn(_) => ("로컬 CDN", "local CDN"),
        Command::Iam(_) | Command::Keys(_) => ("IAM과 액세스 키", "IAM and access keys"),
        Command::Bucket(_) => ("버킷 관리", "bucket management"),
    };
    ApiError::new(
        ErrorCode::NotAvailable,
        lang.pick(
            format!("`bucketdesk {name}`은(는) 아직 이 버전에 없습니다({area_ko} 작업과 함께 추가됩니다)."),
            format!("`bucketdesk {name}` is not in this version yet (it arrives with the {area_en} work)."),
        ),
    )
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tables_align_columns_by_characters_not_bytes() {
        let t = render_table(&[
            ["이름".to_owned(), "x".to_owned()],
            ["abcd".to_owned(), "y".to_owned()],
        ]);
        assert_eq!(t, "이름    x\nabcd  y");
    }
}
