//! Block Public Access: the four settings of a bucket, each explained, read and written
//! together or one by one. Turning any of them off needs the typed acknowledgement (the
//! bucket's name), checked here in the core so that no caller can skip it.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use serde::{Deserialize, Serialize};

use super::{AdminS3, BucketError, aws, error_code};
use crate::locale::Language;

/// One of the four settings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, clap::ValueEnum,
)]
#[serde(rename_all = "camelCase")]
pub enum Setting {
    BlockPublicAcls,
    IgnorePublicAcls,
    BlockPublicPolicy,
    RestrictPublicBuckets,
}

impl Setting {
    pub const ALL: [Setting; 4] = [
        Setting::BlockPublicAcls,
        Setting::IgnorePublicAcls,
        Setting::BlockPublicPolicy,
        Setting::RestrictPublicBuckets,
    ];

    /// AWS's name of the setting (as in the console and the API).
    pub fn name(self) -> &'static str {
        match self {
            Setting::BlockPublicAcls => "BlockPublicAcls",
            Setting::IgnorePublicAcls => "IgnorePublicAcls",
            Setting::BlockPublicPolicy => "BlockPublicPolicy",
            Setting::RestrictPublicBuckets => "RestrictPublicBuckets",
        }
    }

    /// What the setting does, in one line.
    pub fn explain(self, lang: Language) -> &'static str {
        match self {
            Setting::BlockPublicAcls => lang.pick(
                "버킷이나 객체를 공개하는 새 ACL을 거부합니다.",
                "Refuses new ACLs that would make the bucket or its objects public.",
            ),
            Setting::IgnorePublicAcls => lang.pick(
                "이미 있는 공개 ACL을 무시합니다. ACL로는 누구도 공개 접근을 얻지 못합니다.",
                "Ignores public ACLs already in place: no one gets public access through an ACL.",
            ),
            Setting::BlockPublicPolicy => lang.pick(
                "공개 접근을 허용하는 버킷 정책의 저장을 거부합니다.",
                "Refuses to save a bucket policy that grants public access.",
            ),
            Setting::RestrictPublicBuckets => lang.pick(
                "버킷 정책이 공개여도 AWS 서비스와 이 계정의 사용자만 접근할 수 있게 합니다.",
                "Even with a public bucket policy, only AWS services and this account's users get in.",
            ),
        }
    }
}

/// The four settings of a bucket (`true`: protection on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PublicAccess {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccess {
    /// Every protection on (the default of a new bucket).
    pub const ALL_ON: PublicAccess = PublicAccess {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
    /// No protection (a bucket without a configuration).
    pub const ALL_OFF: PublicAccess = PublicAccess {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };

    pub fn get(&self, setting: Setting) -> bool {
        match setting {
            Setting::BlockPublicAcls => self.block_public_acls,
            Setting::IgnorePublicAcls => self.ignore_public_acls,
            Setting::BlockPublicPolicy => self.block_public_policy,
            Setting::RestrictPublicBuckets => self.restrict_public_buckets,
        }
    }

    pub fn with(mut self, setting: Setting, on: bool) -> Self {
        match setting {
            Setting::BlockPublicAcls => self.block_public_acls = on,
            Setting::IgnorePublicAcls => self.ignore_public_acls = on,
            Setting::BlockPublicPolicy => self.block_public_policy = on,
            Setting::RestrictPublicBuckets => self.restrict_public_buckets = on,
        }
        self
    }

    pub fn all_on(&self) -> bool {
        Setting::ALL.iter().all(|s| self.get(*s))
    }

    /// The settings that are on in `self` and off in `next`.
    pub fn turned_off_by(&self, next: &PublicAccess) -> Vec<Setting> {
        Setting::ALL
            .into_iter()
            .filter(|s| self.get(*s) && !next.get(*s))
            .collect()
    }

    pub(crate) fn to_sdk(self) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(self.block_public_acls)
            .ignore_public_acls(self.ignore_public_acls)
            .block_public_policy(self.block_public_policy)
            .restrict_public_buckets(self.restrict_public_buckets)
            .build()
    }
}

/// One setting with its explanation, for the screen.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingView {
    pub setting: Setting,
    pub name: String,
    pub on: bool,
    pub explanation: String,
}

/// The four settings, each with its state and explanation.
pub fn explain(access: &PublicAccess, lang: Language) -> Vec<SettingView> {
    Setting::ALL
        .into_iter()
        .map(|s| SettingView {
            setting: s,
            name: s.name().to_owned(),
            on: access.get(s),
            explanation: s.explain(lang).to_owned(),
        })
        .collect()
}

/// The bucket's settings; a bucket without a configuration has every protection off.
pub async fn get(admin: &AdminS3, bucket: &str) -> Result<PublicAccess, BucketError> {
    let s3 = admin.for_bucket(bucket).await?;
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let c = out.public_access_block_configuration();
            Ok(PublicAccess {
                block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
                ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
                block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
                restrict_public_buckets: c
                    .and_then(|c| c.restrict_public_buckets())
                    .unwrap_or(false),
            })
        }
        Err(e) if error_code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
            Ok(PublicAccess::ALL_OFF)
        }
        Err(e) => Err(aws("s3:GetBucketPublicAccessBlock")(e)),
    }
}

/// Whether the typed acknowledgement is the bucket's name (surrounding spaces forgiven).
pub fn acknowledged(bucket: &str, typed: Option<&str>) -> bool {
    typed.is_some_and(|t| t.trim() == bucket)
}

/// Writes all four settings. Turning any protection off is refused unless `acknowledgement`
/// is the bucket's name typed out; turning protection on needs nothing. Returns what the
/// bucket has afterwards (read back).
pub async fn set(
    admin: &AdminS3,
    bucket: &str,
    next: PublicAccess,
    acknowledgement: Option<&str>,
) -> Result<PublicAccess, BucketError> {
    let current = get(admin, bucket).await?;
    let turned_off = current.turned_off_by(&next);
    if !turned_off.is_empty() && !acknowledged(bucket, acknowledgement) {
        return Err(BucketError::AcknowledgementNeeded {
            bucket: bucket.to_owned(),
            settings: turned_off,
        });
    }
    let s3 = admin.for_bucket(bucket).await?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(next.to_sdk())
        .send()
        .await
        .map_err(aws("s3:PutBucketPublicAccessBlock"))?;
    get(admin, bucket).await
}

/// Changes one setting, keeping the other three as they are.
pub async fn set_one(
    admin: &AdminS3,
    bucket: &str,
    setting: Setting,
    on: bool,
    acknowledgement: Option<&str>,
) -> Result<PublicAccess, BucketError> {
    let current = get(admin, bucket).await?;
    set(admin, bucket, current.with(setting, on), acknowledgement).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_turning_protection_off_needs_the_acknowledgement() {
        let on = PublicAccess::ALL_ON;
        assert!(on.turned_off_by(&on).is_empty());
        assert!(PublicAccess::ALL_OFF.turned_off_by(&on).is_empty());
        assert_eq!(
            on.turned_off_by(&on.with(Setting::BlockPublicPolicy, false)),
            [Setting::BlockPublicPolicy]
        );
        assert_eq!(on.turned_off_by(&PublicAccess::ALL_OFF), Setting::ALL);
        assert!(acknowledged("my-images", Some(" my-images ")));
        assert!(!acknowledged("my-images", Some("my-image")));
        assert!(!acknowledged("my-images", None));
    }

    #[test]
    fn each_setting_is_explained_in_both_languages() {
        for lang in [Language::Ko, Language::En] {
            let views = explain(&PublicAccess::ALL_ON, lang);
            assert_eq!(views.len(), 4);
            let mut texts: Vec<&str> = views.iter().map(|v| v.explanation.as_str()).collect();
            texts.dedup();
            assert_eq!(texts.len(), 4, "one explanation per setting");
        }
    }
}
