//! `bucketdesk keys …`: list, create, rotate, deactivate and delete access keys.

use clap::Subcommand;

use super::Context;
use super::output::{Output, render_table};
use crate::error::{ApiError, InLanguage};
use crate::iam::{keys, rotation};
use crate::secrets::mask_key_id;

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
    /// Delete an access key and its keychain entry
    Delete {
        id: String,
        /// Even when a source uses it
        #[arg(long)]
        force: bool,
    },
}

pub async fn exec(command: KeysCommand, cx: &Context) -> Result<Output, ApiError> {
    let iam = cx.admin_iam().await?;
    let (sources, lang) = (&cx.sources, cx.lang);
    match command {
        KeysCommand::List { user } => {
            let keys = keys::list(&iam, sources, &user).await.in_language(lang)?;
            Ok(Output::new(list_table(&keys, cx), &keys))
        }
        KeysCommand::Create {
            user,
            source,
            show_secret,
        } => create(&iam, cx, &user, source.as_deref(), show_secret).await,
        KeysCommand::Rotate {
            source: Some(source),
            retire_older,
            delete_old,
            ..
        } => {
            let outcome = rotation::rotate(&iam, sources, &source, retire_older, delete_old, lang)
                .await
                .in_language(lang)?;
            let (old, new) = (mask_key_id(&outcome.old_key), mask_key_id(&outcome.new_key));
            let text = cx.pick(
                format!(
                    "소스 '{}'의 키를 {old}에서 {new}(으)로 교체했습니다. 이전 키: {}.",
                    outcome.source,
                    old_state_ko(&outcome.old_key_state)
                ),
                format!(
                    "Rotated source '{}' from {old} to {new}; the old key is {}.",
                    outcome.source, outcome.old_key_state
                ),
            );
            Ok(Output::new(text, &outcome))
        }
        KeysCommand::Rotate {
            user: Some(user),
            retire_older,
            delete_old,
            show_secret,
            ..
        } => rotate_user(&iam, cx, &user, retire_older, delete_old, show_secret).await,
        KeysCommand::Rotate {
            user: None,
            source: None,
            ..
        } => Err(ApiError::new(
            crate::error::ErrorCode::InvalidInput,
            cx.pick(
                "--user 또는 --source가 필요합니다.",
                "Give --user or --source.",
            ),
        )),
        KeysCommand::Deactivate {
            id,
            activate,
            force,
        } => {
            let user = keys::set_active(&iam, sources, &id, activate, force)
                .await
                .in_language(lang)?;
            let state = if activate { "Active" } else { "Inactive" };
            Ok(Output::new(
                format!("{id} ({user}): {state}"),
                &serde_json::json!({"accessKeyId": id, "user": user, "status": state}),
            ))
        }
        KeysCommand::Delete { id, force } => {
            let user = keys::delete(&iam, sources, &id, force)
                .await
                .in_language(lang)?;
            Ok(Output::new(
                cx.pick(
                    format!("{user}의 키 {id}와(과) 그 키체인 항목을 삭제했습니다."),
                    format!("Deleted key {id} of {user} and its keychain entry."),
                ),
                &serde_json::json!({"deleted": id, "user": user}),
            ))
        }
    }
}

async fn create(
    iam: &aws_sdk_iam::Client,
    cx: &Context,
    user: &str,
    source: Option<&str>,
    show_secret: bool,
) -> Result<Output, ApiError> {
    let created = keys::create(iam, &cx.sources, user, source, cx.lang)
        .await
        .in_language(cx.lang)?;
    let id = &created.access_key_id;
    let mut text = cx.pick(
        format!(
            "{}의 키 {id}를 만들었습니다. 비밀 키는 OS 키체인(서비스 bucketdesk, 계정 {id})에 있습니다.",
            created.user
        ),
        format!(
            "Created key {id} for {}. Its secret is in the OS keychain (service bucketdesk, account {id}).",
            created.user
        ),
    );
    if let Some(source) = &created.bound_source {
        text.push_str(&cx.pick(
            format!(" 소스 '{source}'을(를) 새 키로 검증하고 연결했습니다."),
            format!(" Verified source '{source}' with it and switched the source to it."),
        ));
    }
    let json = serde_json::json!({
        "accessKeyId": created.access_key_id,
        "user": created.user,
        "boundSource": created.bound_source,
    });
    let secret = show_secret.then_some(&created.secret);
    Ok(Output::with_secret_once(text, json, secret, cx.lang))
}

async fn rotate_user(
    iam: &aws_sdk_iam::Client,
    cx: &Context,
    user: &str,
    retire_older: bool,
    delete_old: bool,
    show_secret: bool,
) -> Result<Output, ApiError> {
    let rotated = rotation::rotate_user(iam, &cx.sources, user, retire_older, delete_old, cx.lang)
        .await
        .in_language(cx.lang)?;
    let mut text = String::new();
    if let Some(retired) = &rotated.retired {
        text.push_str(&cx.pick(
            format!("오래된 키 {retired}를 먼저 삭제했습니다.\n"),
            format!("Deleted the older key {retired} first.\n"),
        ));
    }
    text.push_str(&cx.pick(
        format!(
            "{}의 키를 {}에서 {}(으)로 교체했습니다. 이전 키: {}. 새 비밀 키는 OS 키체인에 있습니다.",
            rotated.user,
            rotated.old_key,
            rotated.new_key,
            old_state_ko(&rotated.old_key_state)
        ),
        format!(
            "Rotated {}'s key from {} to {}; the old key is {}. The new secret is in the OS keychain.",
            rotated.user, rotated.old_key, rotated.new_key, rotated.old_key_state
        ),
    ));
    let json = serde_json::json!({
        "user": rotated.user,
        "oldKey": rotated.old_key,
        "newKey": rotated.new_key,
        "oldKeyState": rotated.old_key_state,
        "retired": rotated.retired,
    });
    let secret = show_secret.then_some(&rotated.secret);
    Ok(Output::with_secret_once(text, json, secret, cx.lang))
}

fn old_state_ko(state: &str) -> &'static str {
    if state == "deleted" {
        "삭제됨"
    } else {
        "비활성"
    }
}

fn list_table(keys: &[keys::KeyInfo], cx: &Context) -> String {
    let mut table = vec![
        [
            "ACCESS KEY ID",
            "STATUS",
            cx.pick("생성", "CREATED"),
            cx.pick("마지막 사용", "LAST USED"),
            cx.pick("소스", "SOURCES"),
        ]
        .map(str::to_owned),
    ];
    table.extend(keys.iter().map(|k| {
        [
            k.access_key_id.clone(),
            k.status.clone(),
            k.age_days
                .map(|d| cx.pick(format!("{d}일 전"), format!("{d} days ago")))
                .unwrap_or_default(),
            k.last_used
                .clone()
                .unwrap_or_else(|| cx.pick("없음", "never").to_owned()),
            k.sources.join(","),
        ]
    }));
    render_table(&table)
}
