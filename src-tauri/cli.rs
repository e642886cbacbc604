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

use crate::config::{ConfigError, ConfigStore, SourceConfig};
use crate::error::{ApiError, ErrorCode};
use crate::iam::lint;
use crate::iam::policy::{self, Template};
use crate::iam::{keys, reader, rotation};
use crate::locale::Language;
use crate::secrets::mask_key_id;
use crate::secrets::{Keychain, SecretString};
use crate::sources::{self, SourceError, SourceInput, Sources, browse, verify};

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
        /// Folder or prefix, relative to the source's BasePath
        prefix: Option<String>,
        /// Every key below the prefix, not just one folder level
        #[arg(long, short)]
        recursive: bool,
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
    /// Access keys: list, create, rotate, deactivate, delete
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
// Parsed once per process: the size of the flag set does not matter.
#[allow(clippy::large_enum_variant)]
pub enum CdnCommand {
    /// Run the local CDN in the foreground
    Serve {
        #[arg(long)]
        port: Option<u16>,
    },
    /// Print the production URL and the local preview URL of an object
    Url {
        name: String,
        /// Object key, relative to the source's BasePath
        key: String,
        /// Image options as NAME=VALUE, e.g. w=400 h=300 fit=cover f=webp (DESIGN §2)
        options: Vec<String>,
        #[command(flatten)]
        flags: CdnOptionFlags,
    },
}

/// The image options as flags (the same rules as in a URL; each may be given once).
#[derive(Debug, Args, Default)]
pub struct CdnOptionFlags {
    /// Output width in px
    #[arg(long = "w", alias = "width", value_name = "PX")]
    pub width: Option<String>,
    /// Output height in px
    #[arg(long = "h", alias = "height", value_name = "PX")]
    pub height: Option<String>,
    /// WIDTHxHEIGHT
    #[arg(long = "s", alias = "size", value_name = "WxH")]
    pub size: Option<String>,
    /// cover, contain, fill, inside, outside
    #[arg(long)]
    pub fit: Option<String>,
    /// centre, top, bottom, left, right
    #[arg(long = "p", alias = "position")]
    pub position: Option<String>,
    /// webp, avif, jpg, png, gif, tiff
    #[arg(long = "f", alias = "format")]
    pub format: Option<String>,
    /// 1-100
    #[arg(long = "q", alias = "quality")]
    pub quality: Option<String>,
    /// Degrees clockwise, -360..360
    #[arg(long, allow_hyphen_values = true)]
    pub rotate: Option<String>,
    /// Cache-busting version
    #[arg(long = "v")]
    pub v: Option<String>,
}

impl CdnOptionFlags {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("w", &self.width),
            ("h", &self.height),
            ("s", &self.size),
            ("fit", &self.fit),
            ("p", &self.position),
            ("f", &self.format),
            ("q", &self.quality),
            ("rotate", &self.rotate),
            ("v", &self.v),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print a generated policy (cdn-reader, uploader, public-read)
    Policy {
        #[arg(value_enum)]
        template: Template,
        #[arg(long)]
        bucket: String,
        /// Scope object access to this BasePath (default: the whole bucket)
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
        /// IAM user name [default: weekerp-cdn-reader]
        #[arg(long)]
        user: Option<String>,
        /// Also add a verified source of this name with the new key
        #[arg(long)]
        source: Option<String>,
        /// Scope reading to this BasePath (and use it for the source)
        #[arg(long, default_value = "/")]
        base_path: String,
        /// Attach AWS's AmazonS3ReadOnlyAccess (all buckets) instead of the least-privilege policy
        #[arg(long)]
        managed_read_only: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List a user's access keys
    List {
        /// The IAM user whose keys to list
        #[arg(long)]
        user: String,
    },
    /// Create an access key for a user (its secret goes into the OS keychain)
    Create {
        /// The IAM user that gets the key
        #[arg(long)]
        user: String,
        /// Verify the source with the new key, then make the source use it
        #[arg(long)]
        source: Option<String>,
        /// Print the secret once (it is always kept in the OS keychain)
        #[arg(long)]
        show_secret: bool,
    },
    /// Rotate a user's or a source's key safely
    Rotate {
        /// Rotate the key of this user (a key no source uses)
        #[arg(long, conflicts_with = "source", required_unless_present = "source")]
        user: Option<String>,
        /// Rotate the key this source uses, verifying the source at every step
        #[arg(long)]
        source: Option<String>,
        /// With two keys already, delete the user's other key first (never one a source uses)
        #[arg(long)]
        retire_older: bool,
        /// Delete the old key at the end instead of leaving it inactive
        #[arg(long)]
        delete_old: bool,
        /// With --user: print the new secret once (it is always kept in the OS keychain)
        #[arg(long)]
        show_secret: bool,
    },
    /// Deactivate an access key (or activate it again with --activate)
    Deactivate {
        id: String,
        /// Make it active again instead
        #[arg(long)]
        activate: bool,
        /// Even when a source uses it
        #[arg(long)]
        force: bool,
    },
    /// Delete an access key
    Delete {
        id: String,
        /// Even when a source uses it
        #[arg(long)]
        force: bool,
    },
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
    let sources = Sources::new(store.clone(), Keychain::new(crate::secrets::SERVICE));
    let fail = |e: SourceError| ApiError::from_err(&e, lang);
    match command {
        Command::Source(SourceCommand::List) => source_list(store, lang),
        Command::Source(SourceCommand::Add {
            name,
            bucket,
            access_key_id,
            secret_stdin: _,
            region,
            endpoint_url,
            base_path,
        }) => {
            let secret = read_secret_stdin(lang)?;
            let input = SourceInput {
                name,
                endpoint_url: endpoint_url.or(cli.global.endpoint_url),
                region,
                bucket,
                base_path,
                access_key_id,
                secret_access_key: secret,
            };
            let input = sources.validate(&input).map_err(fail)?;
            let report = block_on(verify::verify(
                &verify::Subject {
                    credentials: &input.credentials(),
                    bucket: &input.bucket,
                    base_path: &input.base_path,
                    name: Some(&input.name),
                },
                lang,
            ));
            if !report.ok {
                return Err(fail(SourceError::NotVerified(Box::new(report))));
            }
            let summary = sources.add(&input, &report).map_err(fail)?;
            let text = format!(
                "{}\n{}",
                render_report(&report, lang),
                lang.pick(
                    format!(
                        "소스 '{}'을(를) 저장했습니다. 비밀 키는 OS 키체인에만 있습니다.",
                        summary.name
                    ),
                    format!(
                        "Saved source '{}'. The secret is only in the OS keychain.",
                        summary.name
                    ),
                )
            );
            Ok(Output::new(text, &summary))
        }
        Command::Source(SourceCommand::Verify { name }) => {
            let report = block_on(sources.verify_saved(&name, lang)).map_err(fail)?;
            if report.ok {
                Ok(Output::new(render_report(&report, lang), &report))
            } else {
                Err(fail(SourceError::NotVerified(Box::new(report))))
            }
        }
        Command::Source(SourceCommand::Remove { name }) => {
            sources.remove(&name).map_err(fail)?;
            Ok(Output::new(
                lang.pick(
                    format!("소스 '{name}'과(와) 키체인 항목을 삭제했습니다."),
                    format!("Removed source '{name}' and its keychain entry."),
                ),
                &serde_json::json!({ "removed": name }),
            ))
        }
        Command::Ls {
            name,
            prefix,
            recursive,
        } => {
            let (source, s3) = source_client(&sources, &name).map_err(fail)?;
            let prefix = prefix.unwrap_or_default();
            let listing = block_on(list_all(&s3, &source, &prefix, recursive)).map_err(fail)?;
            let mut lines: Vec<String> = listing
                .folders
                .iter()
                .map(|f| format!("{:>12}  {f}", "DIR"))
                .collect();
            lines.extend(
                listing
                    .objects
                    .iter()
                    .map(|o| format!("{:>12}  {}", o.size, o.key)),
            );
            Ok(Output::new(lines.join("\n"), &listing))
        }
        Command::Presign { name, key, expires } => {
            let expires = browse::parse_expiry(&expires).map_err(fail)?;
            let (source, s3) = source_client(&sources, &name).map_err(fail)?;
            let url = block_on(browse::presign_get(&s3, &source, &key, expires)).map_err(fail)?;
            Ok(Output::new(
                url.clone(),
                &serde_json::json!({ "url": url, "expiresSecs": expires.as_secs() }),
            ))
        }
        Command::Iam(IamCommand::Policy {
            template,
            bucket,
            base_path,
        }) => {
            let policy = policy::generate(template, &bucket, base_path.as_deref().unwrap_or("/"))
                .map_err(fail)?;
            let findings = lint::lint(&policy);
            if !findings.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::Internal,
                    format!("generated policy has lint findings: {findings:?}"),
                ));
            }
            let text = serde_json::to_string_pretty(&policy).expect("policy serializes");
            Ok(Output {
                text: text.clone(),
                json: text,
            })
        }
        Command::Iam(IamCommand::Reader(ReaderCommand::Create {
            bucket,
            user,
            source,
            base_path,
            managed_read_only,
        })) => {
            let endpoint_url =
                sources::normalize_endpoint(cli.global.endpoint_url.as_deref()).map_err(fail)?;
            let request = reader::ReaderRequest {
                bucket,
                base_path,
                user: user.unwrap_or_else(|| reader::DEFAULT_USER.to_owned()),
                source,
                endpoint_url: endpoint_url.clone(),
                region: None,
                managed_read_only,
            };
            let keychain = Keychain::new(crate::secrets::SERVICE);
            let created = block_on(async {
                let admin = crate::aws::admin_config(&crate::aws::Admin {
                    profile: cli.global.profile.clone(),
                    endpoint_url: endpoint_url.clone(),
                    files: None,
                })
                .await;
                let iam = crate::aws::iam_client(&admin);
                reader::create(&iam, &keychain, &sources, &request, lang).await
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let text = lang.pick(
                format!(
                    "리더 사용자 {}와(과) 키 {}를 만들었습니다. 비밀 키는 OS 키체인에만 있습니다.{}",
                    created.user,
                    crate::secrets::mask_key_id(&created.access_key_id),
                    created.source.as_ref().map(|s| format!(" 소스 '{}'을(를) 검증하고 저장했습니다.", s.name)).unwrap_or_default()
                ),
                format!(
                    "Created reader user {} and key {}. The secret is only in the OS keychain.{}",
                    created.user,
                    crate::secrets::mask_key_id(&created.access_key_id),
                    created.source.as_ref().map(|s| format!(" Verified and saved source '{}'.", s.name)).unwrap_or_default()
                ),
            );
            Ok(Output::new(text, &created))
        }
        Command::Keys(KeysCommand::List { user }) => {
            let keys = with_admin_iam(&cli.global, |iam| async move {
                keys::list(&iam, &sources, &user).await
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let mut table = vec![
                [
                    "ACCESS KEY ID",
                    "STATUS",
                    lang.pick("생성", "CREATED"),
                    lang.pick("마지막 사용", "LAST USED"),
                    lang.pick("소스", "SOURCES"),
                ]
                .map(str::to_owned),
            ];
            table.extend(keys.iter().map(|k| {
                [
                    k.access_key_id.clone(),
                    k.status.clone(),
                    k.age_days
                        .map(|d| lang.pick(format!("{d}일 전"), format!("{d} days ago")))
                        .unwrap_or_default(),
                    k.last_used
                        .clone()
                        .unwrap_or_else(|| lang.pick("없음", "never").to_owned()),
                    k.sources.join(","),
                ]
            }));
            Ok(Output::new(render_table(&table), &keys))
        }
        Command::Keys(KeysCommand::Deactivate {
            id,
            activate,
            force,
        }) => {
            let user = with_admin_iam(&cli.global, |iam| {
                let (sources, id) = (&sources, id.clone());
                async move { keys::set_active(&iam, sources, &id, activate, force).await }
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let state = if activate { "Active" } else { "Inactive" };
            Ok(Output::new(
                format!("{id} ({user}): {state}"),
                &serde_json::json!({"accessKeyId": id, "user": user, "status": state}),
            ))
        }
        Command::Keys(KeysCommand::Delete { id, force }) => {
            let user = with_admin_iam(&cli.global, |iam| {
                let (sources, id) = (&sources, id.clone());
                async move { keys::delete(&iam, sources, &id, force).await }
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            Ok(Output::new(
                lang.pick(
                    format!("{user}의 키 {id}를 삭제했습니다."),
                    format!("Deleted key {id} of {user}."),
                ),
                &serde_json::json!({"deleted": id, "user": user}),
            ))
        }
        Command::Keys(KeysCommand::Rotate {
            source: Some(source),
            retire_older,
            delete_old,
            ..
        }) => {
            let outcome = with_admin_iam(&cli.global, |iam| {
                let (sources, source) = (&sources, source.clone());
                async move {
                    rotation::rotate(&iam, sources, &source, retire_older, delete_old, lang).await
                }
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let text = lang.pick(
                format!(
                    "소스 '{}'의 키를 {}에서 {}(으)로 교체했습니다. 이전 키: {}.",
                    outcome.source,
                    crate::secrets::mask_key_id(&outcome.old_key),
                    crate::secrets::mask_key_id(&outcome.new_key),
                    if outcome.old_key_state == "deleted" {
                        "삭제됨"
                    } else {
                        "비활성"
                    }
                ),
                format!(
                    "Rotated source '{}' from {} to {}; the old key is {}.",
                    outcome.source,
                    crate::secrets::mask_key_id(&outcome.old_key),
                    crate::secrets::mask_key_id(&outcome.new_key),
                    outcome.old_key_state
                ),
            );
            Ok(Output::new(text, &outcome))
        }
        Command::Keys(KeysCommand::Create {
            user,
            source,
            show_secret,
        }) => {
            let created = with_admin_iam(&cli.global, |iam| {
                let (sources, user, source) = (&sources, user.clone(), source.clone());
                async move { keys::create(&iam, sources, &user, source.as_deref(), lang).await }
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let mut text = lang.pick(
                format!(
                    "{}의 키 {}를 만들었습니다. 비밀 키는 OS 키체인(서비스 bucketdesk, 계정 {})에 있습니다.",
                    created.user, created.access_key_id, created.access_key_id
                ),
                format!(
                    "Created key {} for {}. Its secret is in the OS keychain (service bucketdesk, account {}).",
                    created.access_key_id, created.user, created.access_key_id
                ),
            );
            if let Some(source) = &created.bound_source {
                text.push_str(&lang.pick(
                    format!(" 소스 '{source}'을(를) 새 키로 검증하고 연결했습니다."),
                    format!(" Verified source '{source}' with it and switched the source to it."),
                ));
            }
            let mut json = serde_json::json!({
                "accessKeyId": created.access_key_id,
                "user": created.user,
                "boundSource": created.bound_source,
            });
            if show_secret {
                text.push_str(&format!(
                    "\n{}: {}",
                    lang.pick("비밀 키(한 번만 표시)", "Secret (shown once)"),
                    created.secret.expose()
                ));
                json["secretAccessKey"] = created.secret.expose().into();
            }
            Ok(Output::new(text, &json))
        }
        Command::Keys(KeysCommand::Rotate {
            user: Some(user),
            retire_older,
            delete_old,
            show_secret,
            ..
        }) => {
            let rotated = with_admin_iam(&cli.global, |iam| {
                let (sources, user) = (&sources, user.clone());
                async move {
                    rotation::rotate_user(&iam, sources, &user, retire_older, delete_old, lang)
                        .await
                }
            })
            .map_err(|e| ApiError::from_err(&e, lang))?;
            let mut text = String::new();
            if let Some(retired) = &rotated.retired {
                text.push_str(&lang.pick(
                    format!("오래된 키 {retired}를 먼저 삭제했습니다.\n"),
                    format!("Deleted the older key {retired} first.\n"),
                ));
            }
            text.push_str(&lang.pick(
                format!(
                    "{}의 키를 {}에서 {}(으)로 교체했습니다. 이전 키: {}. 새 비밀 키는 OS 키체인에 있습니다.",
                    rotated.user,
                    rotated.old_key,
                    rotated.new_key,
                    if rotated.old_key_state == "deleted" { "삭제됨" } else { "비활성" }
                ),
                format!(
                    "Rotated {}'s key from {} to {}; the old key is {}. The new secret is in the OS keychain.",
                    rotated.user, rotated.old_key, rotated.new_key, rotated.old_key_state
                ),
            ));
            let mut json = serde_json::json!({
                "user": rotated.user,
                "oldKey": rotated.old_key,
                "newKey": rotated.new_key,
                "oldKeyState": rotated.old_key_state,
                "retired": rotated.retired,
            });
            if show_secret {
                text.push_str(&format!(
                    "\n{}: {}",
                    lang.pick("비밀 키(한 번만 표시)", "Secret (shown once)"),
                    rotated.secret.expose()
                ));
                json["secretAccessKey"] = rotated.secret.expose().into();
            }
            Ok(Output::new(text, &json))
        }
        Command::Cdn(CdnCommand::Url {
            name,
            key,
            options,
            flags,
        }) => cdn_url(store, &sources, &name, &key, &options, &flags, lang),
        Command::Cdn(CdnCommand::Serve { port }) => {
            cdn_serve(store, &sources, port, cli.global.json, lang)
        }
        other => Err(not_available(&other, lang)),
    }
}

/// `cdn url`: the production URL (never a token) and the local preview URL (the install's
/// token, the preferred port of the settings: the app's server uses it unless it was taken).
fn cdn_url(
    store: &ConfigStore,
    sources: &Sources,
    name: &str,
    key: &str,
    positional: &[String],
    flags: &CdnOptionFlags,
    lang: Language,
) -> Result<Output, ApiError> {
    use crate::cdn::options::ImageOptions;
    use crate::cdn::server;
    sources
        .get(name)
        .map_err(|e| ApiError::from_err(&e, lang))?;
    let mut pairs = flags.pairs();
    for option in positional {
        let (n, v) = option.split_once('=').ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidInput,
                lang.pick(
                    format!("이미지 옵션 '{option}'은(는) 이름=값 형식이어야 합니다(예: w=400)."),
                    format!("Image option '{option}' must be NAME=VALUE (e.g. w=400)."),
                ),
            )
        })?;
        pairs.push((n, v));
    }
    let options = ImageOptions::parse_pairs(pairs).map_err(|e| ApiError::from_err(&e, lang))?;
    let config = store.load().map_err(|e| ApiError::from_err(&e, lang))?;
    let token = crate::cdn::security::Token::load_or_create(store.dir())
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    let base = format!("http://127.0.0.1:{}", config.settings.cdn_port);
    let production = server::production_url(name, key, &options);
    let local = server::local_url(&base, &token, name, key, &options);
    let text = format!("{production}\n{local}");
    Ok(Output::new(
        text,
        &serde_json::json!({ "production": production, "local": local, "query": options.to_query() }),
    ))
}

/// `cdn serve`: the local CDN in the foreground until the process is stopped. The base URL
/// and token are printed first (one JSON line with `--json`).
fn cdn_serve(
    store: &ConfigStore,
    sources: &Sources,
    port: Option<u16>,
    json: bool,
    lang: Language,
) -> Result<Output, ApiError> {
    use crate::cdn::server::{CdnServer, ServerConfig};
    let mut config = ServerConfig::for_install(store, crate::cdn::pipeline::transform)
        .map_err(|e| ApiError::from_err(&e, lang))?;
    if let Some(port) = port {
        config.port = port;
    }
    let origin = std::sync::Arc::new(crate::cdn::origin::S3Origin::new(sources.clone()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let server = CdnServer::start(config, origin)
            .await
            .map_err(|e| ApiError::from_err(&e, lang))?;
        let info = serde_json::json!({
            "baseUrl": server.base_url(),
            "port": server.port(),
            "token": server.token().expose(),
        });
        if json {
            println!("{info}");
        } else {
            println!(
                "{}\n{} {}\n{}",
                lang.pick(
                    format!("로컬 CDN: {}", server.base_url()),
                    format!("Local CDN: {}", server.base_url())
                ),
                lang.pick("토큰:", "Token:"),
                server.token().expose(),
                lang.pick(
                    "예: /image/{소스}/{경로}?w=400&token=…  (Ctrl-C로 종료)",
                    "e.g. /image/{source}/{path}?w=400&token=…  (Ctrl-C stops it)"
                )
            );
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // Ctrl-C (or SIGTERM) stops it cleanly: in-flight requests end, the port is freed.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        server.shutdown().await;
        Ok(Output {
            text: lang
                .pick("로컬 CDN을 멈췄습니다.", "Stopped the local CDN.")
                .to_owned(),
            json: serde_json::json!({"stopped": true}).to_string(),
        })
    })
}

/// Runs `work` with an IAM client on the admin's credentials (`--profile`, the chain,
/// `--endpoint-url`).
fn with_admin_iam<T, E, F, Fut>(global: &GlobalArgs, work: F) -> Result<T, E>
where
    F: FnOnce(aws_sdk_iam::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    block_on(async {
        let admin = crate::aws::admin_config(&crate::aws::Admin {
            profile: global.profile.clone(),
            endpoint_url: global.endpoint_url.clone(),
            files: None,
        })
        .await;
        work(crate::aws::iam_client(&admin)).await
    })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// The Secret Access Key from standard input: the first line, surrounding white space
/// removed (so `echo`, a file and a password manager's pipe all work).
fn read_secret_stdin(lang: Language) -> Result<SecretString, ApiError> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
    let secret = SecretString::new(text.lines().next().unwrap_or_default().trim());
    text.clear();
    if secret.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            lang.pick(
                "표준 입력에서 비밀 액세스 키를 읽지 못했습니다(예: echo \"$SECRET\" | bucketdesk source add …).",
                "No Secret Access Key on standard input (e.g. echo \"$SECRET\" | bucketdesk source add …).",
            ),
        ));
    }
    Ok(secret)
}

fn source_client(
    sources: &Sources,
    name: &str,
) -> Result<(SourceConfig, aws_sdk_s3::Client), SourceError> {
    let source = sources.get(name)?;
    let target = sources.target(&source)?;
    let s3 = block_on(async { crate::aws::s3_client(&crate::aws::sdk_config(&target).await) });
    Ok((source, s3))
}

/// Every page of a listing, folder level or recursive.
async fn list_all(
    s3: &aws_sdk_s3::Client,
    source: &SourceConfig,
    prefix: &str,
    recursive: bool,
) -> Result<browse::ObjectPage, SourceError> {
    let mut all = browse::ObjectPage {
        prefix: prefix.to_owned(),
        folders: Vec::new(),
        objects: Vec::new(),
        next_token: None,
    };
    let mut token = None;
    loop {
        let page = if recursive {
            browse::list_page_recursive(s3, source, prefix, token.as_deref(), browse::PAGE_SIZE)
                .await?
        } else {
            browse::list_page(s3, source, prefix, token.as_deref(), browse::PAGE_SIZE).await?
        };
        all.folders.extend(page.folders);
        all.objects.extend(page.objects);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
}

/// A verification report as lines: ✓/✗/– per check, the hint under a failure.
fn render_report(report: &verify::VerifyReport, lang: Language) -> String {
    let mut lines = Vec::new();
    for check in &report.checks {
        let mark = match check.status {
            verify::CheckStatus::Passed => "✓",
            verify::CheckStatus::Failed => "✗",
            verify::CheckStatus::Skipped => "–",
        };
        let id = serde_json::to_value(check.id)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        lines.push(format!("{mark} {id}: {}", check.message));
        if let Some(hint) = &check.hint {
            lines.push(format!("    {} {hint}", lang.pick("해결:", "Fix:")));
        }
    }
    for w in &report.warnings {
        lines.push(format!("! {w}"));
    }
    lines.join("\n")
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
        Command::Keys(KeysCommand::Create { .. }) => "keys create",
        Command::Keys(KeysCommand::Rotate { user: Some(_), .. }) => "keys rotate --user",
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
