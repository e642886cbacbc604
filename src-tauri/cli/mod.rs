//! The headless CLI over the same core as the GUI (DESIGN §6: a contract; extend it, don't
//! rename it). With no subcommand the binary starts the GUI.
//!
//! One file per area (`source.rs`, `browse.rs`, `transfer.rs`, `bucket.rs`, …), each with its
//! subcommand enum and an `exec` that parses nothing further, calls the core and says what to
//! print. This file
//! parses, builds the one tokio runtime of the process and dispatches; `output.rs` prints.
//!
//! Output: plain text by default, machine JSON with `--json`. Exit code 0 on success; on
//! failure one line on stderr in the user's language (with `--json`, the `{code, message}`
//! error object on stdout) and a non-zero exit code.

mod browse;
mod bucket;
mod cdn;
mod iam;
mod keys;
mod output;
mod source;
mod transfer;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::ConfigStore;
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::locale::Language;
use crate::secrets::Keychain;
use crate::sources::Sources;

pub use output::Output;

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
// Parsed once per process: the size of the flag set does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// CDN sources: add, list, verify, remove
    #[command(subcommand)]
    Source(source::SourceCommand),
    /// List objects of a source, by folder
    Ls(browse::LsArgs),
    /// Upload a file to a source
    Put(transfer::PutArgs),
    /// Download an object from a source
    Get(transfer::GetArgs),
    /// Delete objects from a source
    Rm(transfer::RmArgs),
    /// Unfinished multipart uploads of a source's bucket, with their monthly cost
    Uploads(transfer::UploadsArgs),
    /// Print a presigned GET URL for an object
    Presign(browse::PresignArgs),
    /// The local CDN (the image API on loopback)
    #[command(subcommand)]
    Cdn(cdn::CdnCommand),
    /// IAM: least-privilege policies and readers
    #[command(subcommand)]
    Iam(iam::IamCommand),
    /// Access keys: list, create, rotate, deactivate, delete
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Buckets: create, block public access, policy, empty, delete
    #[command(subcommand)]
    Bucket(bucket::BucketCommand),
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

/// What every command is given: where the config is, the language, the global flags.
pub(crate) struct Context {
    pub store: ConfigStore,
    pub sources: Sources,
    pub lang: Language,
    pub global: GlobalArgs,
}

impl Context {
    /// The admin's credentials (`--profile`, the chain, `--endpoint-url` checked by the core).
    pub fn admin(&self) -> Result<crate::aws::Admin, ApiError> {
        crate::aws::Admin::chain(
            self.global.profile.clone(),
            self.global.endpoint_url.as_deref(),
        )
        .in_language(self.lang)
    }

    /// An IAM client on the admin's credentials.
    pub async fn admin_iam(&self) -> Result<aws_sdk_iam::Client, ApiError> {
        let config = crate::aws::admin_config(&self.admin()?).await;
        Ok(crate::aws::iam_client(&config))
    }

    /// The same text in the user's language.
    pub fn pick<T>(&self, ko: T, en: T) -> T {
        self.lang.pick(ko, en)
    }
}

/// Runs a subcommand and returns the process exit code. The one tokio runtime of the
/// process is built here: clients made in one command are used in the same runtime.
pub fn run(cli: Box<Cli>) -> ExitCode {
    let cli = *cli;
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return output::print_result(
                Err(ApiError::new(ErrorCode::Internal, e.to_string())),
                json,
            );
        }
    };
    let result = match store.in_language(lang) {
        Err(e) => Err(e),
        Ok(store) => {
            let Cli { global, command } = cli;
            let command = command.expect("parse() routes an absent command to the GUI");
            let context = Context {
                sources: Sources::new(store.clone(), Keychain::new(crate::secrets::SERVICE)),
                store,
                lang,
                global,
            };
            runtime.block_on(execute(command, &context))
        }
    };
    output::print_result(result, json)
}

/// Hands the command to its area; nothing else.
async fn execute(command: Command, cx: &Context) -> Result<Output, ApiError> {
    match command {
        Command::Source(command) => source::exec(command, cx).await,
        Command::Ls(args) => browse::ls(args, cx).await,
        Command::Presign(args) => browse::presign(args, cx).await,
        Command::Put(args) => transfer::put(args, cx).await,
        Command::Get(args) => transfer::get(args, cx).await,
        Command::Rm(args) => transfer::rm(args, cx).await,
        Command::Uploads(args) => transfer::list_uploads(args, cx).await,
        Command::Cdn(command) => cdn::exec(command, cx).await,
        Command::Iam(command) => iam::exec(command, cx).await,
        Command::Keys(command) => keys::exec(command, cx).await,
        Command::Bucket(command) => bucket::exec(command, cx).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
