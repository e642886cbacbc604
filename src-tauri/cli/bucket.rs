//! `bucketdesk bucket …`: the bucket's lifecycle (doc/BUCKETS.md). Destructive commands ask
//! for the bucket's name on a terminal, or take `--yes` in scripts; progress goes to stderr.

use std::io::{IsTerminal, Write};

use clap::Subcommand;

use super::Context;
use super::output::{Output, render_table};
use crate::buckets::policy::PolicyTemplate;
use crate::buckets::public_access::{PublicAccess, Setting};
use crate::buckets::{
    AdminS3, CancelToken, create, delete, empty, lifecycle, list, policy, public_access, teardown,
};
use crate::error::{ApiError, ErrorCode, InLanguage};

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// List buckets with their protection, versioning and the sources using them
    List,
    /// Create a bucket (Block Public Access on, unfinished uploads aborted after 7 days)
    Create {
        bucket: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Leave Block Public Access off (not recommended)
        #[arg(long)]
        no_block_public_access: bool,
        /// No rule that aborts unfinished multipart uploads
        #[arg(long)]
        no_abort_rule: bool,
    },
    /// Show Block Public Access, or turn settings on or off
    PublicAccess {
        bucket: String,
        /// Turn these settings on
        #[arg(long, value_enum, value_delimiter = ',')]
        on: Vec<Setting>,
        /// Turn these settings off (asks for the bucket's name, or --yes)
        #[arg(long, value_enum, value_delimiter = ',')]
        off: Vec<Setting>,
        #[arg(long)]
        yes: bool,
    },
    /// Show the bucket policy, or set one from a template or a file, or delete it
    Policy {
        bucket: String,
        /// Add this template's statements to the current policy
        #[arg(long, value_enum, conflicts_with_all = ["file", "delete"])]
        template: Option<PolicyTemplate>,
        /// With --template public-read-prefix: the prefix (e.g. the CDN's BasePath)
        #[arg(long, requires = "template")]
        prefix: Option<String>,
        /// Set the policy from this JSON file
        #[arg(long, conflicts_with = "delete")]
        file: Option<std::path::PathBuf>,
        /// Delete the bucket policy
        #[arg(long)]
        delete: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Show the lifecycle rules, or add the abort-unfinished-uploads rule (others are kept)
    Lifecycle {
        bucket: String,
        /// Add the rule that aborts unfinished multipart uploads after this many days
        #[arg(long, value_name = "DAYS")]
        abort_after: Option<u32>,
    },
    /// Delete every object, version, delete marker and unfinished upload (a plan first)
    Empty {
        bucket: String,
        /// Only print the plan
        #[arg(long)]
        plan: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Delete an empty bucket
    Delete {
        bucket: String,
        /// Also remove the sources that point at it
        #[arg(long)]
        remove_sources: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Stop the costs: empty, delete the bucket, its sources and the keys made for it
    Teardown {
        bucket: String,
        /// Also delete the IAM users Bucketdesk made for it (tag managed-by=bucketdesk)
        #[arg(long)]
        delete_users: bool,
        /// Only print the plan
        #[arg(long)]
        plan: bool,
        #[arg(long)]
        yes: bool,
    },
}

pub async fn exec(command: BucketCommand, cx: &Context) -> Result<Output, ApiError> {
    let config = crate::aws::admin_config(&cx.admin()?).await;
    let admin = AdminS3::new(config.clone());
    let lang = cx.lang;
    match command {
        BucketCommand::List => {
            let buckets = list::list(&admin, &cx.sources).await.in_language(lang)?;
            let mut table = vec![[
                cx.pick("버킷", "BUCKET").to_owned(),
                cx.pick("리전", "REGION").to_owned(),
                cx.pick("소스", "SOURCES").to_owned(),
            ]];
            table.extend(buckets.iter().map(|b| {
                [
                    b.name.clone(),
                    b.region.clone().unwrap_or_default(),
                    b.sources.join(","),
                ]
            }));
            Ok(Output::new(render_table(&table), &buckets))
        }
        BucketCommand::Create {
            bucket,
            region,
            no_block_public_access,
            no_abort_rule,
        } => {
            let request = create::CreateRequest {
                name: bucket,
                region,
                block_public_access: !no_block_public_access,
                abort_multipart_after_days: (!no_abort_rule).then_some(7),
            };
            let created = create::create(&admin, &request).await.in_language(lang)?;
            let text = cx.pick(
                format!(
                    "버킷 {}을(를) {}에 만들었습니다.",
                    request.name, request.region
                ),
                format!("Created bucket {} in {}.", request.name, request.region),
            );
            Ok(Output::new(text, &created))
        }
        BucketCommand::PublicAccess {
            bucket,
            on,
            off,
            yes,
        } => {
            let current = public_access::get(&admin, &bucket)
                .await
                .in_language(lang)?;
            let next = on.iter().fold(current, |a, s| a.with(*s, true));
            let next = off.iter().fold(next, |a, s| a.with(*s, false));
            let result = if next == current {
                current
            } else {
                let ack = if off.is_empty() {
                    None
                } else {
                    Some(typed_name(cx, &bucket, yes)?)
                };
                public_access::set(&admin, &bucket, next, ack.as_deref())
                    .await
                    .in_language(lang)?
            };
            Ok(Output::new(explain(&result, cx), &result))
        }
        BucketCommand::Policy {
            bucket,
            template,
            prefix,
            file,
            delete,
            yes,
        } => policy_command(&admin, cx, &bucket, template, prefix, file, delete, yes).await,
        BucketCommand::Lifecycle {
            bucket,
            abort_after,
        } => {
            let rules = match abort_after {
                Some(days) => lifecycle::add_abort_rule(&admin, &bucket, days).await,
                None => lifecycle::show(&admin, &bucket).await,
            }
            .in_language(lang)?;
            let text = serde_json::to_string_pretty(&rules).expect("rules serialize");
            Ok(Output::new(text, &rules))
        }
        BucketCommand::Empty { bucket, plan, yes } => {
            empty_command(&admin, cx, &bucket, plan, yes).await
        }
        BucketCommand::Delete {
            bucket,
            remove_sources,
            yes,
        } => {
            let typed = typed_name(cx, &bucket, yes)?;
            let deleted = delete::delete(&admin, &cx.sources, &bucket, &typed, remove_sources)
                .await
                .in_language(lang)?;
            Ok(Output::new(
                cx.pick(
                    format!("버킷 {bucket}을(를) 삭제했습니다."),
                    format!("Deleted bucket {bucket}."),
                ),
                &deleted,
            ))
        }
        BucketCommand::Teardown {
            bucket,
            delete_users,
            plan,
            yes,
        } => {
            let iam = crate::aws::iam_client(&config);
            teardown_command(&admin, &iam, cx, &bucket, delete_users, plan, yes).await
        }
    }
}

async fn empty_command(
    admin: &AdminS3,
    cx: &Context,
    bucket: &str,
    plan: bool,
    yes: bool,
) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let planned = empty::plan(admin, bucket).await.in_language(lang)?;
    let shown = serde_json::to_string_pretty(&planned).expect("plan serializes");
    if plan || !planned.can_run {
        return Ok(Output::new(shown, &planned));
    }
    eprintln!("{shown}");
    let typed = typed_name(cx, bucket, yes)?;
    let cancel = cancel_on_ctrl_c();
    let report = empty::run_confirmed(
        admin,
        bucket,
        &typed,
        empty::EmptyOptions::default(),
        &|p: &empty::EmptyProgress| {
            eprint!(
                "\r{} deleted, {} uploads aborted, {} failed   ",
                p.deleted, p.uploads_aborted, p.failed
            );
            let _ = std::io::stderr().flush();
        },
        &cancel,
    )
    .await
    .in_language(lang)?;
    eprintln!();
    Ok(Output::new(
        serde_json::to_string_pretty(&report).expect("report serializes"),
        &report,
    ))
}

async fn teardown_command(
    admin: &AdminS3,
    iam: &aws_sdk_iam::Client,
    cx: &Context,
    bucket: &str,
    delete_users: bool,
    plan: bool,
    yes: bool,
) -> Result<Output, ApiError> {
    let lang = cx.lang;
    let planned = teardown::plan(admin, iam, &cx.sources, bucket, delete_users)
        .await
        .in_language(lang)?;
    let shown = serde_json::to_string_pretty(&planned).expect("plan serializes");
    if plan {
        return Ok(Output::new(shown, &planned));
    }
    eprintln!("{shown}");
    let typed = typed_name(cx, bucket, yes)?;
    let cancel = cancel_on_ctrl_c();
    let report = teardown::run(
        admin,
        iam,
        &cx.sources,
        &planned,
        &typed,
        lang,
        &|p: &teardown::TeardownProgress| {
            eprintln!("[{}/{}] {:?}", p.index + 1, planned.steps.len(), p.step);
        },
        &cancel,
    )
    .await
    .in_language(lang)?;
    Ok(Output::new(
        serde_json::to_string_pretty(&report).expect("report serializes"),
        &report,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn policy_command(
    admin: &AdminS3,
    cx: &Context,
    bucket: &str,
    template: Option<PolicyTemplate>,
    prefix: Option<String>,
    file: Option<std::path::PathBuf>,
    delete: bool,
    yes: bool,
) -> Result<Output, ApiError> {
    let lang = cx.lang;
    if delete {
        typed_name(cx, bucket, yes)?;
        policy::delete(admin, bucket).await.in_language(lang)?;
        return Ok(Output::new(
            cx.pick(
                format!("{bucket}의 버킷 정책을 삭제했습니다."),
                format!("Deleted the bucket policy of {bucket}."),
            ),
            &serde_json::json!({ "deleted": bucket }),
        ));
    }
    let text = match (template, file) {
        (Some(which), _) => {
            let current = policy::get(admin, bucket).await.in_language(lang)?;
            let text = current.as_ref().map(|c| c.text.as_str());
            Some(policy::apply_template(text, which, bucket, prefix.as_deref()).in_language(lang)?)
        }
        (None, Some(path)) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?,
        ),
        (None, None) => None,
    };
    let Some(text) = text else {
        let current = policy::get(admin, bucket).await.in_language(lang)?;
        let shown = current
            .as_ref()
            .map(|c| c.text.clone())
            .unwrap_or_else(|| cx.pick("(버킷 정책 없음)", "(no bucket policy)").to_owned());
        return Ok(Output::new(shown, &current));
    };
    let review = policy::review(&policy::parse(&text).in_language(lang)?, bucket);
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&review).expect("review serializes")
    );
    typed_name(cx, bucket, yes)?;
    let saved = policy::save(admin, bucket, &text).await.in_language(lang)?;
    Ok(Output::new(
        serde_json::to_string_pretty(&saved).expect("saved serializes"),
        &saved,
    ))
}

fn explain(access: &PublicAccess, cx: &Context) -> String {
    public_access::explain(access, cx.lang)
        .iter()
        .map(|v| {
            let mark = if v.on { "✓" } else { "✗" };
            format!("{mark} {}: {}", v.name, v.explanation)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The bucket's name as a confirmation: `--yes` gives it; on a terminal the user types it;
/// anywhere else the command is refused before anything changes.
fn typed_name(cx: &Context, bucket: &str, yes: bool) -> Result<String, ApiError> {
    if yes {
        return Ok(bucket.to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            cx.pick(
                "되돌릴 수 없는 작업이라 확인이 필요합니다: 터미널에서 버킷 이름을 입력하거나 --yes를 주세요. 아무것도 바꾸지 않았습니다.",
                "This cannot be undone and needs a confirmation: type the bucket's name on a terminal, or pass --yes. Nothing was changed.",
            ),
        ));
    }
    eprint!(
        "{}",
        cx.pick(
            format!("확인하려면 버킷 이름({bucket})을 입력하세요: "),
            format!("Type the bucket's name ({bucket}) to confirm: "),
        )
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    Ok(line.trim().to_owned())
}

/// A cancel token that Ctrl-C sets (a second Ctrl-C ends the process as usual).
fn cancel_on_ctrl_c() -> CancelToken {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
        }
    });
    cancel
}
