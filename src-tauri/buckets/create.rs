//! Create a bucket: every naming rule checked before any call, in the chosen region, with
//! Block Public Access on and the "abort unfinished multipart uploads after 7 days"
//! lifecycle rule by default. Someone else's name (`BucketAlreadyExists`) and one's own
//! (`BucketAlreadyOwnedByYou`, or, in us-east-1 where AWS answers 200 for it, found in the
//! account's list first) are told apart. When a default fails after the bucket exists, the
//! new, empty bucket is removed again: never a half-made bucket.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde::{Deserialize, Serialize};

use super::public_access::PublicAccess;
use super::{AdminS3, BucketError, aws, error_code, lifecycle, naming};
use crate::aws::AwsFailure;

/// The default of the abort-incomplete-multipart rule (AWS's own best practice).
pub const DEFAULT_ABORT_DAYS: u32 = 7;

/// The regions the Create form offers (S3's commercial regions; the guides use
/// ap-northeast-2). Any other valid region name is accepted as typed.
pub const REGIONS: &[&str] = &[
    "ap-northeast-2",
    "ap-northeast-1",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "ap-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
];

fn yes() -> bool {
    true
}

fn seven() -> Option<u32> {
    Some(DEFAULT_ABORT_DAYS)
}

/// What the Create form (or `bucket create`) asks for.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    pub name: String,
    pub region: String,
    /// All four Block Public Access settings on (default).
    #[serde(default = "yes")]
    pub block_public_access: bool,
    /// Add the abort-incomplete-multipart rule after this many days (default 7; `None`:
    /// no rule).
    #[serde(default = "seven")]
    pub abort_multipart_after_days: Option<u32>,
}

impl CreateRequest {
    /// A request with the defaults: Block Public Access on, abort rule after 7 days.
    pub fn new(name: impl Into<String>, region: impl Into<String>) -> Self {
        CreateRequest {
            name: name.into(),
            region: region.into(),
            block_public_access: true,
            abort_multipart_after_days: Some(DEFAULT_ABORT_DAYS),
        }
    }
}

/// The bucket as created.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CreatedBucket {
    pub name: String,
    pub region: String,
    pub public_access: PublicAccess,
    pub abort_multipart_after_days: Option<u32>,
}

/// Checks the request without any network call: the name's rules, then the region's shape.
pub fn validate(request: &CreateRequest) -> Result<(), BucketError> {
    naming::check(&request.name).map_err(BucketError::Naming)?;
    crate::sources::validate_region(&request.region)?;
    if request.abort_multipart_after_days == Some(0) {
        return Err(crate::sources::SourceError::Invalid {
            field: crate::sources::Field::Expiry,
            rule_ko: "미완료 업로드를 중단할 날짜는 1일 이상이어야 합니다.",
            rule_en: "the days before unfinished uploads are aborted must be at least 1.",
        }
        .into());
    }
    Ok(())
}

/// Creates the bucket; see the module docs.
pub async fn create(
    admin: &AdminS3,
    request: &CreateRequest,
) -> Result<CreatedBucket, BucketError> {
    validate(request)?;
    let name = request.name.as_str();
    let owned = admin
        .client()
        .list_buckets()
        .send()
        .await
        .map_err(aws("s3:ListAllMyBuckets"))?;
    if owned.buckets().iter().any(|b| b.name() == Some(name)) {
        return Err(BucketError::AlreadyOwnedByYou {
            bucket: name.to_owned(),
        });
    }
    let s3 = admin.in_region(&request.region);
    let mut call = s3.create_bucket().bucket(name);
    if request.region != "us-east-1" {
        call = call.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(request.region.as_str()))
                .build(),
        );
    }
    if let Err(e) = call.send().await {
        return Err(match error_code(&e) {
            Some("BucketAlreadyExists") => BucketError::AlreadyExists {
                bucket: name.to_owned(),
            },
            Some("BucketAlreadyOwnedByYou") => BucketError::AlreadyOwnedByYou {
                bucket: name.to_owned(),
            },
            _ => aws("s3:CreateBucket")(e),
        });
    }
    admin.remember_region(name, &request.region);

    let public_access = if request.block_public_access {
        let put = s3
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(PublicAccess::ALL_ON.to_sdk())
            .send()
            .await;
        if let Err(e) = put {
            let failure = AwsFailure::from_sdk(&e, "s3:PutBucketPublicAccessBlock");
            return Err(undo(admin, &s3, name, "PutPublicAccessBlock", failure).await);
        }
        PublicAccess::ALL_ON
    } else {
        PublicAccess::ALL_OFF
    };
    if let Some(days) = request.abort_multipart_after_days
        && let Err(e) = lifecycle::add_abort_rule(admin, name, days).await
    {
        let failure = match e {
            BucketError::Aws { failure, .. } => failure,
            other => AwsFailure::Other {
                code: "Lifecycle".into(),
                message: other.to_string(),
            },
        };
        return Err(undo(admin, &s3, name, "PutBucketLifecycleConfiguration", failure).await);
    }
    Ok(CreatedBucket {
        name: name.to_owned(),
        region: request.region.clone(),
        public_access,
        abort_multipart_after_days: request.abort_multipart_after_days,
    })
}

/// Removes the bucket just created (it is empty) and says which step failed.
async fn undo(
    admin: &AdminS3,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    step: &'static str,
    failure: AwsFailure,
) -> BucketError {
    let _ = s3.delete_bucket().bucket(bucket).send().await;
    admin.forget_region(bucket);
    BucketError::CreateUndone {
        bucket: bucket.to_owned(),
        step,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_protect_and_clean_up() {
        let r = CreateRequest::new("my-images", "ap-northeast-2");
        assert!(r.block_public_access);
        assert_eq!(r.abort_multipart_after_days, Some(7));
        let from_ui: CreateRequest =
            serde_json::from_str(r#"{"name": "my-images", "region": "ap-northeast-2"}"#).unwrap();
        assert!(from_ui.block_public_access, "BPA is on unless turned off");
        assert_eq!(from_ui.abort_multipart_after_days, Some(7));
    }

    #[test]
    fn the_name_is_checked_before_the_region() {
        let bad_both = CreateRequest::new("Bad_Name", "Nowhere 1");
        assert!(matches!(
            validate(&bad_both),
            Err(BucketError::Naming(naming::NamingRule::Character { .. }))
        ));
        assert!(matches!(
            validate(&CreateRequest::new("good-name", "Nowhere 1")),
            Err(BucketError::Source(_))
        ));
    }
}
