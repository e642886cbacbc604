//! The Buckets screen's list: name, region, created, and badges (Block Public Access,
//! public by policy, versioning, unfinished multipart uploads), with the sources that use
//! each bucket; and one bucket's settings when it is opened.
//!
//! A badge the admin may not read (or the endpoint does not answer) is `None` with the
//! action named in `unreadable`: one missing permission never hides the whole list.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;

use super::empty::{self, ObjectLock};
use super::lifecycle::{self, Lifecycle};
use super::policy::{self, CurrentPolicy};
use super::public_access::{self, PublicAccess};
use super::{AdminS3, BucketError, aws, error_code, rfc3339};
use crate::sources::Sources;

/// How many buckets are looked at at once.
const IN_FLIGHT: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Versioning {
    /// Never turned on.
    Off,
    Enabled,
    Suspended,
}

/// A row of the list.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BucketSummary {
    pub name: String,
    pub region: Option<String>,
    pub created: Option<String>,
    pub public_access: Option<PublicAccess>,
    /// `GetBucketPolicyStatus`; `None` where the endpoint does not have it.
    pub public_by_policy: Option<bool>,
    pub versioning: Option<Versioning>,
    pub has_unfinished_uploads: Option<bool>,
    /// Sources of this config that use the bucket.
    pub sources: Vec<String>,
    /// The actions that could not be read for a badge (e.g. `s3:GetBucketVersioning`).
    pub unreadable: Vec<String>,
}

/// Every bucket of the account, sorted by name, each with its badges.
pub async fn list(admin: &AdminS3, sources: &Sources) -> Result<Vec<BucketSummary>, BucketError> {
    let out = admin
        .client()
        .list_buckets()
        .send()
        .await
        .map_err(aws("s3:ListAllMyBuckets"))?;
    let mut by_bucket: HashMap<String, Vec<String>> = HashMap::new();
    for s in sources.list()? {
        by_bucket.entry(s.bucket).or_default().push(s.name);
    }
    let limit = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for b in out.buckets() {
        let Some(name) = b.name().map(str::to_owned) else {
            continue;
        };
        if let Some(region) = b.bucket_region() {
            admin.remember_region(&name, region);
        }
        let created = b.creation_date().and_then(rfc3339);
        let used_by = by_bucket.remove(&name).unwrap_or_default();
        let (admin, limit) = (admin.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            summarize(&admin, name, created, used_by).await
        });
    }
    let mut rows = Vec::new();
    while let Some(row) = tasks.join_next().await {
        rows.push(row.map_err(|e| BucketError::Aws {
            action: "s3:ListAllMyBuckets",
            failure: crate::aws::AwsFailure::Other {
                code: "Internal".into(),
                message: e.to_string(),
            },
        })?);
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// One bucket's badges; what cannot be read is left `None` and named.
async fn summarize(
    admin: &AdminS3,
    name: String,
    created: Option<String>,
    sources: Vec<String>,
) -> BucketSummary {
    let mut unreadable = Vec::new();
    let region = match admin.region_of(&name).await {
        Ok(r) => Some(r),
        Err(_) => {
            unreadable.push("s3:GetBucketLocation".to_owned());
            None
        }
    };
    let s3 = match &region {
        Some(r) => admin.in_region(r),
        None => admin.client(),
    };
    let public_access = match public_access::get(admin, &name).await {
        Ok(p) => Some(p),
        Err(_) => {
            unreadable.push("s3:GetBucketPublicAccessBlock".to_owned());
            None
        }
    };
    let public_by_policy = match s3.get_bucket_policy_status().bucket(&name).send().await {
        Ok(out) => out.policy_status().and_then(|s| s.is_public()),
        Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => Some(false),
        Err(_) => {
            unreadable.push("s3:GetBucketPolicyStatus".to_owned());
            None
        }
    };
    let versioning = match versioning(&s3, &name).await {
        Ok(v) => Some(v),
        Err(_) => {
            unreadable.push("s3:GetBucketVersioning".to_owned());
            None
        }
    };
    let has_unfinished_uploads = match s3
        .list_multipart_uploads()
        .bucket(&name)
        .max_uploads(1)
        .send()
        .await
    {
        Ok(out) => Some(!out.uploads().is_empty()),
        Err(_) => {
            unreadable.push("s3:ListBucketMultipartUploads".to_owned());
            None
        }
    };
    BucketSummary {
        name,
        region,
        created,
        public_access,
        public_by_policy,
        versioning,
        has_unfinished_uploads,
        sources,
        unreadable,
    }
}

pub(crate) async fn versioning(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Versioning, BucketError> {
    let status = match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => out.status().map(|s| s.as_str().to_owned()),
        // Some S3-compatible endpoints (moto, the sandbox's) answer 200 with another root
        // element than S3's, which the SDK refuses to parse; the status is still in it.
        Err(aws_sdk_s3::error::SdkError::ServiceError(e)) if e.raw().status().as_u16() == 200 => {
            let body = e.raw().body().bytes().unwrap_or_default();
            let body = String::from_utf8_lossy(body);
            ["Enabled", "Suspended"]
                .into_iter()
                .find(|s| body.contains(&format!("<Status>{s}</Status>")))
                .map(str::to_owned)
        }
        Err(e) => return Err(aws("s3:GetBucketVersioning")(e)),
    };
    Ok(match status.as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => Versioning::Off,
    })
}

/// An opened bucket: its badges and its settings.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BucketDetails {
    pub summary: BucketSummary,
    pub policy: Option<CurrentPolicy>,
    pub lifecycle: Lifecycle,
    pub object_lock: ObjectLock,
}

/// One bucket's settings. The bucket must exist (`NoSuchBucket` otherwise).
pub async fn details(
    admin: &AdminS3,
    sources: &Sources,
    bucket: &str,
) -> Result<BucketDetails, BucketError> {
    let region = admin.region_of(bucket).await?;
    let s3 = admin.in_region(&region);
    let used_by = super::sources_using(sources, bucket)?;
    let created = admin
        .client()
        .list_buckets()
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.buckets()
                .iter()
                .find(|b| b.name() == Some(bucket))
                .and_then(|b| b.creation_date().and_then(rfc3339))
        });
    let summary = summarize(admin, bucket.to_owned(), created, used_by).await;
    Ok(BucketDetails {
        summary,
        policy: policy::get(admin, bucket).await?,
        lifecycle: lifecycle::show(admin, bucket).await?,
        object_lock: empty::object_lock(&s3, bucket).await?,
    })
}
