//! "Stop the costs": the guides' teardown as one planned flow. The plan says what will go —
//! everything in the bucket (the empty plan), the bucket, the sources that use it, the
//! access keys Bucketdesk made for it and, when asked, their IAM users — and what stays
//! and why. The run does the steps in that order, reporting each, and stops at the first
//! failure with what was done so far; run again (after a fresh plan), it continues.
//!
//! "Made for it" means: the IAM user is tagged `managed-by=bucketdesk`, and the key is
//! used by a source of this bucket or belongs to a user holding this bucket's reader
//! policy (`bucketdesk-cdn-reader-BUCKET`). A key another bucket's source also uses is
//! kept, and so is every key of a user Bucketdesk did not make.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::empty::{self, EmptyOptions, EmptyPlan, EmptyProgress, EmptyReport};
use super::{AdminS3, BucketError, CancelToken, delete};
use crate::aws::AwsFailure;
use crate::error::{Described, ErrorCode};
use crate::iam::keys::{self, KeyError};
use crate::iam::users;
use crate::locale::Language;
use crate::sources::{SourceError, Sources};

/// One step of the teardown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum TeardownStep {
    /// Delete every version, delete marker and unfinished upload.
    Empty,
    DeleteBucket,
    RemoveSource {
        name: String,
    },
    #[serde(rename_all = "camelCase")]
    DeleteKey {
        access_key_id: String,
        user: String,
    },
    DeleteUser {
        name: String,
    },
}

/// A key the teardown leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeptKey {
    pub access_key_id: String,
    pub user: Option<String>,
    /// Sources of other buckets that use it (kept so they keep working).
    pub used_elsewhere_by: Vec<String>,
    /// The key's user was not made by Bucketdesk (no `managed-by=bucketdesk` tag).
    pub not_made_by_bucketdesk: bool,
}

/// What the teardown will do.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeardownPlan {
    pub bucket: String,
    /// `None` when the bucket is already gone (a teardown run again after a failure).
    pub empty: Option<EmptyPlan>,
    pub sources: Vec<String>,
    pub kept_keys: Vec<KeptKey>,
    /// Users whose every key goes, made by Bucketdesk for this bucket.
    pub users: Vec<String>,
    pub delete_users: bool,
    /// The steps, in the order they run.
    pub steps: Vec<TeardownStep>,
    /// `false` when the empty plan refuses (Object Lock); the reason is in `empty`.
    pub can_run: bool,
}

/// Maps an IAM SDK error, naming the action.
fn iam_err<E>(
    action: &'static str,
) -> impl Fn(aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> BucketError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| BucketError::Aws {
        action,
        failure: AwsFailure::from_sdk(&e, action),
    }
}

const MANAGED_TAG: (&str, &str) = ("managed-by", "bucketdesk");

async fn managed(iam: &aws_sdk_iam::Client, user: &str) -> Result<bool, BucketError> {
    let tags = iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(iam_err("iam:ListUserTags"))?;
    Ok(tags
        .tags()
        .iter()
        .any(|t| t.key() == MANAGED_TAG.0 && t.value() == MANAGED_TAG.1))
}

async fn inline_policies(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<String>, BucketError> {
    Ok(iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(iam_err("iam:ListUserPolicies"))?
        .policy_names()
        .to_vec())
}

async fn user_keys(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<String>, BucketError> {
    Ok(iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(iam_err("iam:ListAccessKeys"))?
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect())
}

/// The reader policy `iam::reader` gives a user made for `bucket`.
fn reader_policy(bucket: &str) -> String {
    format!("bucketdesk-cdn-reader-{bucket}")
}

/// The plan: see the module docs. Reads the bucket (the empty plan), the config and IAM;
/// changes nothing.
pub async fn plan(
    admin: &AdminS3,
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    bucket: &str,
    delete_users: bool,
) -> Result<TeardownPlan, BucketError> {
    let empty = match empty::plan(admin, bucket).await {
        Ok(p) => Some(p),
        Err(BucketError::Aws {
            failure: AwsFailure::NoSuchBucket,
            ..
        }) => None,
        Err(e) => return Err(e),
    };
    let all = sources.store().load().map_err(SourceError::from)?.sources;
    let source_names: Vec<String> = all
        .iter()
        .filter(|s| s.bucket == bucket)
        .map(|s| s.name.clone())
        .collect();
    let (owner_of, readers_of_bucket) = candidate_keys(iam, &all, bucket).await?;
    let (delete_keys, kept_keys) = sort_keys(iam, &all, bucket, &owner_of).await?;
    let users = users_to_delete(iam, bucket, &delete_keys, &readers_of_bucket).await?;
    let steps = steps(
        empty.is_some(),
        &source_names,
        &delete_keys,
        &users,
        delete_users,
    );
    Ok(TeardownPlan {
        bucket: bucket.to_owned(),
        can_run: empty.as_ref().is_none_or(|e| e.can_run),
        empty,
        sources: source_names,
        kept_keys,
        users,
        delete_users,
        steps,
    })
}

/// Each candidate key with its owner (`None`: deleted already, or another account's), and
/// the reader users of this bucket. Candidates: the keys of this bucket's sources, and those
/// of Bucketdesk's users that hold this bucket's reader policy.
async fn candidate_keys(
    iam: &aws_sdk_iam::Client,
    all: &[crate::config::SourceConfig],
    bucket: &str,
) -> Result<(BTreeMap<String, Option<String>>, BTreeSet<String>), BucketError> {
    let mut owner_of: BTreeMap<String, Option<String>> = BTreeMap::new();
    for s in all.iter().filter(|s| s.bucket == bucket) {
        if owner_of.contains_key(&s.access_key_id) {
            continue;
        }
        let owner = match keys::owner(iam, &s.access_key_id).await {
            Ok(user) => Some(user),
            // Deleted already, or a key of another account: nothing to delete here.
            Err(KeyError::Aws(AwsFailure::NotFound)) => None,
            Err(e) => return Err(e.into()),
        };
        owner_of.insert(s.access_key_id.clone(), owner);
    }
    let mut readers_of_bucket = BTreeSet::new();
    let mut pages = iam.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        for u in page.map_err(iam_err("iam:ListUsers"))?.users() {
            let name = u.user_name();
            if managed(iam, name).await?
                && inline_policies(iam, name)
                    .await?
                    .contains(&reader_policy(bucket))
            {
                readers_of_bucket.insert(name.to_owned());
                for key in user_keys(iam, name).await? {
                    owner_of.insert(key, Some(name.to_owned()));
                }
            }
        }
    }
    Ok((owner_of, readers_of_bucket))
}

/// The candidates split into (key, user) pairs to delete and keys kept with the reason: a
/// key goes only when Bucketdesk made its user and no other bucket's source uses it.
async fn sort_keys(
    iam: &aws_sdk_iam::Client,
    all: &[crate::config::SourceConfig],
    bucket: &str,
    owner_of: &BTreeMap<String, Option<String>>,
) -> Result<(Vec<(String, String)>, Vec<KeptKey>), BucketError> {
    let used_elsewhere = |key: &str| -> Vec<String> {
        all.iter()
            .filter(|s| s.bucket != bucket && s.access_key_id == key)
            .map(|s| s.name.clone())
            .collect()
    };
    let mut delete_keys: Vec<(String, String)> = Vec::new();
    let mut kept_keys = Vec::new();
    let mut managed_cache: BTreeMap<String, bool> = BTreeMap::new();
    for (key, owner) in owner_of {
        let Some(user) = owner else { continue };
        let is_managed = match managed_cache.get(user) {
            Some(m) => *m,
            None => {
                let m = managed(iam, user).await?;
                managed_cache.insert(user.clone(), m);
                m
            }
        };
        let elsewhere = used_elsewhere(key);
        if is_managed && elsewhere.is_empty() {
            delete_keys.push((key.clone(), user.clone()));
        } else {
            kept_keys.push(KeptKey {
                access_key_id: key.clone(),
                user: Some(user.clone()),
                used_elsewhere_by: elsewhere,
                not_made_by_bucketdesk: !is_managed,
            });
        }
    }
    Ok((delete_keys, kept_keys))
}

/// Whether the user holds another bucket's reader policy.
async fn reads_other_buckets(
    iam: &aws_sdk_iam::Client,
    user: &str,
    bucket: &str,
) -> Result<bool, BucketError> {
    Ok(inline_policies(iam, user)
        .await?
        .iter()
        .any(|p| p.starts_with("bucketdesk-cdn-reader-") && *p != reader_policy(bucket)))
}

/// A user goes only when every key it has goes and it holds no other bucket's reader
/// policy: nothing that serves another bucket is removed. Reader users of this bucket that
/// have no key left are removed as well.
async fn users_to_delete(
    iam: &aws_sdk_iam::Client,
    bucket: &str,
    delete_keys: &[(String, String)],
    readers_of_bucket: &BTreeSet<String>,
) -> Result<Vec<String>, BucketError> {
    let mut users = Vec::new();
    let candidates: BTreeSet<&String> = delete_keys.iter().map(|(_, u)| u).collect();
    for user in candidates {
        let all_keys = user_keys(iam, user).await?;
        let every_key_goes = all_keys
            .iter()
            .all(|k| delete_keys.iter().any(|(d, _)| d == k));
        if every_key_goes && !reads_other_buckets(iam, user, bucket).await? {
            users.push(user.clone());
        }
    }
    for user in readers_of_bucket {
        if !users.contains(user)
            && user_keys(iam, user).await?.is_empty()
            && !reads_other_buckets(iam, user, bucket).await?
        {
            users.push(user.clone());
        }
    }
    Ok(users)
}

/// The steps in their order: empty and delete (when the bucket still exists), its sources,
/// then the keys, or with `delete_users` the users (whose keys go with them) and the keys of
/// users that stay.
fn steps(
    bucket_exists: bool,
    sources: &[String],
    delete_keys: &[(String, String)],
    users: &[String],
    delete_users: bool,
) -> Vec<TeardownStep> {
    let mut steps = Vec::new();
    if bucket_exists {
        steps.push(TeardownStep::Empty);
        steps.push(TeardownStep::DeleteBucket);
    }
    steps.extend(
        sources
            .iter()
            .map(|n| TeardownStep::RemoveSource { name: n.clone() }),
    );
    let key_step = |(key, user): &(String, String)| TeardownStep::DeleteKey {
        access_key_id: key.clone(),
        user: user.clone(),
    };
    if delete_users {
        // Deleting a user deletes its keys first (users::delete_cleanly).
        steps.extend(
            delete_keys
                .iter()
                .filter(|(_, user)| !users.contains(user))
                .map(key_step),
        );
        steps.extend(
            users
                .iter()
                .map(|u| TeardownStep::DeleteUser { name: u.clone() }),
        );
    } else {
        steps.extend(delete_keys.iter().map(key_step));
    }
    steps
}

/// Where the run is.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeardownProgress {
    /// Index into the plan's steps.
    pub index: u32,
    pub step: TeardownStep,
    /// While emptying.
    pub empty: Option<EmptyProgress>,
}

/// The step that failed, and why (in the caller's language).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailedStep {
    pub step: TeardownStep,
    pub code: ErrorCode,
    pub message: String,
}

/// What the run did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeardownReport {
    pub bucket: String,
    /// The steps done, in order.
    pub done: Vec<TeardownStep>,
    /// The first failure; the steps after it were not started.
    pub failed: Option<FailedStep>,
    pub empty: Option<EmptyReport>,
}

impl TeardownReport {
    pub fn finished(&self) -> bool {
        self.failed.is_none()
    }
}

/// Runs the plan's steps in order; see the module docs. Refused before anything unless
/// `typed` is the bucket's name and the plan can run.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    admin: &AdminS3,
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    plan: &TeardownPlan,
    typed: &str,
    lang: Language,
    progress: &(dyn Fn(&TeardownProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<TeardownReport, BucketError> {
    delete::confirm(&plan.bucket, typed)?;
    if let Some(e) = plan.empty.as_ref().filter(|e| !e.can_run) {
        return Err(BucketError::ObjectLocked {
            bucket: plan.bucket.clone(),
            versions: e.locked.compliance,
            retain_until: e.locked.compliance_until.clone(),
        });
    }
    let bucket = plan.bucket.as_str();
    let mut report = TeardownReport {
        bucket: bucket.to_owned(),
        done: Vec::new(),
        failed: None,
        empty: None,
    };
    for (index, step) in plan.steps.iter().enumerate() {
        let index = index as u32;
        progress(&TeardownProgress {
            index,
            step: step.clone(),
            empty: None,
        });
        let outcome: Result<(), (ErrorCode, String)> = match step {
            TeardownStep::Empty => {
                let on_progress = |p: &EmptyProgress| {
                    progress(&TeardownProgress {
                        index,
                        step: TeardownStep::Empty,
                        empty: Some(p.clone()),
                    })
                };
                match empty::run(admin, bucket, EmptyOptions::default(), &on_progress, cancel).await
                {
                    Ok(r) => {
                        let result = empty_outcome(&r, lang);
                        report.empty = Some(r);
                        result
                    }
                    Err(e) => Err(said(&e, lang)),
                }
            }
            TeardownStep::DeleteBucket => delete::delete(admin, sources, bucket, bucket, false)
                .await
                .map(|_| ())
                .map_err(|e| said(&e, lang)),
            TeardownStep::RemoveSource { name } => match sources.remove(name) {
                Ok(()) | Err(SourceError::NoSuchSource(_)) => Ok(()),
                Err(e) => Err(said(&e, lang)),
            },
            TeardownStep::DeleteKey { access_key_id, .. } => {
                match keys::delete(iam, sources, access_key_id, false).await {
                    Ok(_) | Err(KeyError::Aws(AwsFailure::NotFound)) => {
                        sources.forget_secret_unless_used(access_key_id);
                        Ok(())
                    }
                    Err(e) => Err(said(&e, lang)),
                }
            }
            TeardownStep::DeleteUser { name } => {
                match users::delete_cleanly(iam, sources, name, false).await {
                    Ok(deleted) => {
                        for key in &deleted.keys {
                            sources.forget_secret_unless_used(key);
                        }
                        Ok(())
                    }
                    Err(KeyError::Aws(AwsFailure::NotFound)) => Ok(()),
                    Err(e) => Err(said(&e, lang)),
                }
            }
        };
        match outcome {
            Ok(()) => report.done.push(step.clone()),
            Err((code, message)) => {
                report.failed = Some(FailedStep {
                    step: step.clone(),
                    code,
                    message,
                });
                break;
            }
        }
    }
    Ok(report)
}

fn said(e: &impl Described, lang: Language) -> (ErrorCode, String) {
    (e.code(), e.describe(lang))
}

/// An empty run that did not leave the bucket empty is the step's failure.
fn empty_outcome(r: &EmptyReport, lang: Language) -> Result<(), (ErrorCode, String)> {
    if r.cancelled {
        return Err((
            ErrorCode::InvalidInput,
            lang.pick(
                "비우기를 취소했습니다. 다시 실행하면 남은 것부터 이어서 지웁니다.".into(),
                "Emptying was cancelled. Run it again to continue with what is left.".into(),
            ),
        ));
    }
    if !r.failed.is_empty() {
        let first = &r.failed[0];
        return Err((
            ErrorCode::AccessDenied,
            lang.pick(
                format!(
                    "{}개 키를 지우지 못했습니다(첫 번째: '{}' — {} {}).",
                    r.failed.len(),
                    first.key,
                    first.code,
                    first.message
                ),
                format!(
                    "{} keys could not be deleted (the first: '{}' — {} {}).",
                    r.failed.len(),
                    first.key,
                    first.code,
                    first.message
                ),
            ),
        ));
    }
    if !r.verified_empty {
        return Err((
            ErrorCode::Internal,
            lang.pick(
                "다 지운 뒤에도 버킷에 무언가 남아 있습니다(그사이 누군가 올렸을 수 있습니다). 다시 실행하세요.".into(),
                "Something is still in the bucket after emptying (someone may have uploaded meanwhile). Run it again.".into(),
            ),
        ));
    }
    Ok(())
}
