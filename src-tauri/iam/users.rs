//! IAM users and groups for the IAM screen: list users with what they have, create users
//! (tagged `managed-by=bucketdesk`) with an inline or AWS managed policy, groups, and delete
//! a user cleanly (keys, policies, groups, login profile, then the user).

use serde::{Deserialize, Serialize};

use super::keys::{self, KeyError, KeyInfo, aws};
use crate::aws::AwsFailure;
use crate::sources::Sources;

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub name: String,
    pub arn: String,
    pub created: Option<String>,
    pub tags: Vec<(String, String)>,
    pub groups: Vec<String>,
    pub inline_policies: Vec<String>,
    pub attached_policies: Vec<String>,
    pub keys: Vec<KeyInfo>,
    /// IAM's limit of access keys per user is reached (inactive keys count): no new key
    /// until one is deleted.
    pub at_key_limit: bool,
}

/// A policy to give a user or group.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PolicyAttachment {
    /// An AWS managed policy by ARN (e.g. `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`).
    Managed { arn: String },
    /// An inline policy document (JSON text).
    #[serde(rename_all = "camelCase")]
    Inline { name: String, document: String },
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GroupInfo {
    pub name: String,
    pub users: Vec<String>,
    pub attached_policies: Vec<String>,
}

/// What deleting a user removed, in the order it was removed.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeletedUser {
    pub user: String,
    pub keys: Vec<String>,
    pub inline_policies: Vec<String>,
    pub detached_policies: Vec<String>,
    pub groups: Vec<String>,
    pub login_profile: bool,
}

fn rfc3339(t: &aws_sdk_iam::primitives::DateTime) -> Option<String> {
    t.fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
        .ok()
}

async fn groups_of(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<String>, KeyError> {
    let out = iam
        .list_groups_for_user()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListGroupsForUser"))?;
    Ok(out
        .groups()
        .iter()
        .map(|g| g.group_name().to_owned())
        .collect())
}

async fn inline_of(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<String>, KeyError> {
    let out = iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListUserPolicies"))?;
    Ok(out.policy_names().to_vec())
}

async fn attached_of(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<String>, KeyError> {
    let out = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:ListAttachedUserPolicies"))?;
    Ok(out
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect())
}

/// Every user with its tags, groups, policies and keys (age, last use, sources using them).
pub async fn list(iam: &aws_sdk_iam::Client, sources: &Sources) -> Result<Vec<UserInfo>, KeyError> {
    let mut users = Vec::new();
    let mut pages = iam.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("iam:ListUsers"))?;
        for u in page.users() {
            let name = u.user_name().to_owned();
            let tags = iam
                .list_user_tags()
                .user_name(&name)
                .send()
                .await
                .map_err(aws("iam:ListUserTags"))?;
            let user_keys = keys::list(iam, sources, &name).await?;
            let at_key_limit = user_keys.len() >= keys::KEYS_PER_USER;
            users.push(UserInfo {
                arn: u.arn().to_owned(),
                created: rfc3339(u.create_date()),
                tags: tags
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
                groups: groups_of(iam, &name).await?,
                inline_policies: inline_of(iam, &name).await?,
                attached_policies: attached_of(iam, &name).await?,
                keys: user_keys,
                at_key_limit,
                name,
            });
        }
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}

/// Gives a user a policy.
pub async fn attach(
    iam: &aws_sdk_iam::Client,
    user: &str,
    policy: &PolicyAttachment,
) -> Result<(), KeyError> {
    match policy {
        PolicyAttachment::Managed { arn } => {
            iam.attach_user_policy()
                .user_name(user)
                .policy_arn(arn)
                .send()
                .await
                .map_err(aws("iam:AttachUserPolicy"))?;
        }
        PolicyAttachment::Inline { name, document } => {
            // Checked and sent compact: a document that is not JSON is refused here, in plain
            // words, rather than by IAM.
            let parsed: serde_json::Value = serde_json::from_str(document).map_err(|e| {
                KeyError::Aws(AwsFailure::Other {
                    code: "MalformedPolicyDocument".into(),
                    message: e.to_string(),
                })
            })?;
            iam.put_user_policy()
                .user_name(user)
                .policy_name(name)
                .policy_document(parsed.to_string())
                .send()
                .await
                .map_err(aws("iam:PutUserPolicy"))?;
        }
    }
    Ok(())
}

/// IAM user names: 1–64 of letters, digits and `+=,.@_-`.
pub fn is_valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// Creates a user tagged `managed-by=bucketdesk`, with a policy when given; a failure while
/// attaching removes the user again.
pub async fn create(
    iam: &aws_sdk_iam::Client,
    user: &str,
    policy: Option<&PolicyAttachment>,
) -> Result<(), KeyError> {
    if !is_valid_user_name(user) {
        return Err(KeyError::Aws(AwsFailure::Other {
            code: "InvalidUserName".into(),
            message: "use 1 to 64 letters, digits and +=,.@_-".into(),
        }));
    }
    let tag = aws_sdk_iam::types::Tag::builder()
        .key("managed-by")
        .value("bucketdesk")
        .build()
        .expect("key and value");
    iam.create_user()
        .user_name(user)
        .tags(tag)
        .send()
        .await
        .map_err(aws("iam:CreateUser"))?;
    if let Some(policy) = policy
        && let Err(e) = attach(iam, user, policy).await
    {
        let _ = iam.delete_user().user_name(user).send().await;
        return Err(e);
    }
    Ok(())
}

/// Deletes a user and everything IAM requires gone first. Refuses when a source uses one
/// of its keys (unless `force`), so no source is left without a key by accident.
pub async fn delete_cleanly(
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    user: &str,
    force: bool,
) -> Result<DeletedUser, KeyError> {
    let keys = keys::list(iam, sources, user).await?;
    if let Some(used) = keys.iter().find(|k| !k.sources.is_empty())
        && !force
    {
        return Err(KeyError::InUse {
            key: used.access_key_id.clone(),
            sources: used.sources.clone(),
        });
    }
    let mut done = DeletedUser {
        user: user.to_owned(),
        keys: Vec::new(),
        inline_policies: Vec::new(),
        detached_policies: Vec::new(),
        groups: Vec::new(),
        login_profile: false,
    };
    for key in &keys {
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(&key.access_key_id)
            .send()
            .await
            .map_err(aws("iam:DeleteAccessKey"))?;
        let _ = sources.keychain().delete(&key.access_key_id);
        done.keys.push(key.access_key_id.clone());
    }
    for name in inline_of(iam, user).await? {
        iam.delete_user_policy()
            .user_name(user)
            .policy_name(&name)
            .send()
            .await
            .map_err(aws("iam:DeleteUserPolicy"))?;
        done.inline_policies.push(name);
    }
    for arn in attached_of(iam, user).await? {
        iam.detach_user_policy()
            .user_name(user)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(aws("iam:DetachUserPolicy"))?;
        done.detached_policies.push(arn);
    }
    for group in groups_of(iam, user).await? {
        iam.remove_user_from_group()
            .user_name(user)
            .group_name(&group)
            .send()
            .await
            .map_err(aws("iam:RemoveUserFromGroup"))?;
        done.groups.push(group);
    }
    match iam.delete_login_profile().user_name(user).send().await {
        Ok(_) => done.login_profile = true,
        Err(e) => match AwsFailure::from_sdk(&e, "iam:DeleteLoginProfile") {
            AwsFailure::NotFound => {}
            other => return Err(KeyError::Aws(other)),
        },
    }
    iam.delete_user()
        .user_name(user)
        .send()
        .await
        .map_err(aws("iam:DeleteUser"))?;
    Ok(done)
}

/// Every group with its users and attached policies.
pub async fn list_groups(iam: &aws_sdk_iam::Client) -> Result<Vec<GroupInfo>, KeyError> {
    let out = iam
        .list_groups()
        .send()
        .await
        .map_err(aws("iam:ListGroups"))?;
    let mut groups = Vec::new();
    for g in out.groups() {
        let name = g.group_name().to_owned();
        let members = iam
            .get_group()
            .group_name(&name)
            .send()
            .await
            .map_err(aws("iam:GetGroup"))?;
        let attached = iam
            .list_attached_group_policies()
            .group_name(&name)
            .send()
            .await
            .map_err(aws("iam:ListAttachedGroupPolicies"))?;
        groups.push(GroupInfo {
            users: members
                .users()
                .iter()
                .map(|u| u.user_name().to_owned())
                .collect(),
            attached_policies: attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
            name,
        });
    }
    Ok(groups)
}

pub async fn create_group(iam: &aws_sdk_iam::Client, group: &str) -> Result<(), KeyError> {
    iam.create_group()
        .group_name(group)
        .send()
        .await
        .map_err(aws("iam:CreateGroup"))?;
    Ok(())
}

pub async fn attach_group_policy(
    iam: &aws_sdk_iam::Client,
    group: &str,
    arn: &str,
) -> Result<(), KeyError> {
    iam.attach_group_policy()
        .group_name(group)
        .policy_arn(arn)
        .send()
        .await
        .map_err(aws("iam:AttachGroupPolicy"))?;
    Ok(())
}

/// Creates a group and attaches a managed policy when one is given.
pub async fn create_group_with_policy(
    iam: &aws_sdk_iam::Client,
    group: &str,
    policy_arn: Option<&str>,
) -> Result<(), KeyError> {
    create_group(iam, group).await?;
    if let Some(arn) = policy_arn {
        attach_group_policy(iam, group, arn).await?;
    }
    Ok(())
}

/// Adds (`member = true`) or removes a user from a group.
pub async fn set_membership(
    iam: &aws_sdk_iam::Client,
    group: &str,
    user: &str,
    member: bool,
) -> Result<(), KeyError> {
    if member {
        iam.add_user_to_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
            .map_err(aws("iam:AddUserToGroup"))?;
    } else {
        iam.remove_user_from_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
            .map_err(aws("iam:RemoveUserFromGroup"))?;
    }
    Ok(())
}
