//! `bucketdesk keys …`: list, create, rotate, deactivate and delete access keys.

use clap::Subcommand;

use super::Context;
use super::output::{Output, render_table};
use crate::error::{ApiError, InLanguage};
use crate::iam::rotation::{OldKeyFate, Retire};
use crate::iam::{keys, rotation};
use crate::secrets::mask_key_id;
use crate::sources::handoff;

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
    /// Rotate a user's or a source's key safely. For a source, in two phases: first a new
    /// key that the source uses while the old one stays active (give the new one to
    /// Weekerp), then --finish (or --cancel)
    Rotate {
        /// Rotate the key of this user (a key no source uses)
        #[arg(long, conflicts_with = "source", required_unless_present = "source")]
        user: Option<String>,
        /// Rotate the key this source uses, verifying the source at every step
        #[arg(long)]
        source: Option<String>,
        /// With two keys already, delete the user's other key first: with --user the older
        /// one; with --source only an Inactive one no source uses
        #[arg(long)]
        retire_older: bool,
        /// With --source: with two keys already, delete this key first (never one a source uses)
        #[arg(long, value_name = "KEY_ID", conflicts_with = "retire_older")]
        retire: Option<String>,
        /// Delete the old key at the end instead of leaving it inactive (with --user,
        /// --one-shot or --finish)
        #[arg(long)]
        delete_old: bool,
        /// Print the new secret once (it is always kept in the OS keychain)
        #[arg(long)]
        show_secret: bool,
        /// With --source: phase 2, once Weekerp has the new key: deactivate the old key
        #[arg(long, requires = "source", conflicts_with_all = ["cancel", "one_shot"])]
        finish: bool,
        /// With --finish: delete the old key after this many hours instead of now
        #[arg(
            long,
            value_name = "HOURS",
            requires = "finish",
            conflicts_with = "delete_old"
        )]
        grace_hours: Option<u32>,
        /// With --finish: go on although the old key was used after the switch
        #[arg(long, requires = "finish")]
        confirm_used: bool,
        /// With --source: go back to the old key and delete the new one
        #[arg(long, requires = "source", conflicts_with = "one_shot")]
        cancel: bool,
        /// With --source: both phases at once, for a key no production system holds
        #[arg(long, requires = "source")]
        one_shot: bool,
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
            retire,
            delete_old,
            show_secret,
            finish,
            grace_hours,
            confirm_used,
            cancel,
            one_shot,
            ..
        } => {
            let phase = if finish {
                let fate = match (delete_old, grace_hours) {
                    (true, _) => OldKeyFate::DeleteNow,
                    (false, Some(hours)) => OldKeyFate::DeleteAfter { hours },
                    (false, None) => OldKeyFate::KeepInactive,
                };
                SourcePhase::Finish { fate, confirm_used }
            } else if cancel {
                SourcePhase::Cancel
            } else if one_shot {
                SourcePhase::OneShot {
                    retire_older,
                    delete_old,
                }
            } else {
                let retire = match (retire, retire_older) {
                    (Some(key), _) => Retire::Named(key),
                    (None, true) => Retire::Inactive,
                    (None, false) => Retire::Nothing,
                };
                SourcePhase::Begin {
                    retire,
                    show_secret,
                }
            };
            rotate_source(&iam, cx, &source, phase).await
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

/// What `keys rotate --source` was asked to do.
enum SourcePhase {
    Begin {
        retire: Retire,
        show_secret: bool,
    },
    Finish {
        fate: OldKeyFate,
        confirm_used: bool,
    },
    Cancel,
    OneShot {
        retire_older: bool,
        delete_old: bool,
    },
}

async fn rotate_source(
    iam: &aws_sdk_iam::Client,
    cx: &Context,
    source: &str,
    phase: SourcePhase,
) -> Result<Output, ApiError> {
    let (sources, lang) = (&cx.sources, cx.lang);
    match phase {
        SourcePhase::Begin {
            retire,
            show_secret,
        } => {
            let status = rotation::begin(iam, sources, source, retire, lang)
                .await
                .in_language(lang)?;
            let handoff = handoff::fields(sources, source, show_secret, lang).in_language(lang)?;
            let new = status
                .new_key
                .as_deref()
                .map(mask_key_id)
                .unwrap_or_default();
            let mut text = cx.pick(
                format!(
                    "1단계 완료: 소스 {}이(가) 새 키 {new}를 씁니다. 이전 키 {}는 아직 활성입니다. Weekerp에 새 키를 등록한 뒤 `keys rotate --source {source} --finish`로 마치세요(되돌리려면 --cancel).",
                    status.sources.join(", "),
                    mask_key_id(&status.old_key)
                ),
                format!(
                    "Phase 1 done: source {} uses the new key {new}; the old key {} is still active. Give Weekerp the new key, then finish with `keys rotate --source {source} --finish` (or --cancel).",
                    status.sources.join(", "),
                    mask_key_id(&status.old_key)
                ),
            );
            for field in &handoff.fields {
                if let Some(value) = &field.value {
                    text.push_str(&format!("\n  {}: {value}", field.label));
                }
            }
            let json = serde_json::json!({ "rotation": status, "handoff": handoff });
            Ok(Output::new(text, &json))
        }
        SourcePhase::Finish { fate, confirm_used } => {
            let done = rotation::finish(iam, sources, source, fate, confirm_used, lang)
                .await
                .in_language(lang)?;
            let text = cx.pick(
                format!(
                    "교체를 마쳤습니다: 이전 키 {}: {}.",
                    mask_key_id(&done.old_key),
                    done.old_key_state
                ),
                format!(
                    "Rotation finished: the old key {} is {}.",
                    mask_key_id(&done.old_key),
                    done.old_key_state
                ),
            );
            Ok(Output::new(text, &done))
        }
        SourcePhase::Cancel => {
            let done = rotation::cancel(iam, sources, source, lang)
                .await
                .in_language(lang)?;
            let text = cx.pick(
                format!(
                    "교체를 취소했습니다: 소스가 다시 {}를 씁니다.",
                    mask_key_id(&done.old_key)
                ),
                format!(
                    "Rotation cancelled: the source uses {} again.",
                    mask_key_id(&done.old_key)
                ),
            );
            Ok(Output::new(text, &done))
        }
        SourcePhase::OneShot {
            retire_older,
            delete_old,
        } => {
            let outcome = rotation::rotate(iam, sources, source, retire_older, delete_old, lang)
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
    }
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
