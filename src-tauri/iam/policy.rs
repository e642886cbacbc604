//! The policy generator's templates (DESIGN §3). Each action is granted only on the
//! resource it applies to: bucket-level actions on the bucket ARN, object actions on its
//! objects (or only those under the BasePath).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sources::{self, SourceError};

/// The templates the generator offers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    /// What the CDN needs: list and locate the bucket, read its objects.
    CdnReader,
    /// A backend that uploads: the reader plus PutObject and multipart housekeeping.
    Uploader,
    /// A bucket policy letting anyone read the objects (public website/images).
    PublicRead,
}

/// The object ARN pattern: `arn:aws:s3:::BUCKET/*` or `arn:aws:s3:::BUCKET/BASE/PATH/*`.
fn objects_arn(bucket: &str, base_path: &str) -> String {
    let base = base_path.trim_matches('/');
    if base.is_empty() {
        format!("arn:aws:s3:::{bucket}/*")
    } else {
        format!("arn:aws:s3:::{bucket}/{base}/*")
    }
}

/// The policy document for a template. The bucket and BasePath are validated first;
/// `base_path` scopes object access (pass `/` for the whole bucket).
pub fn generate(template: Template, bucket: &str, base_path: &str) -> Result<Value, SourceError> {
    sources::validate_bucket(bucket)?;
    let base_path = sources::normalize_base_path(base_path)?;
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let objects = objects_arn(bucket, &base_path);
    let reader = vec![
        json!({
            "Sid": "LocateAndListBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": bucket_arn,
        }),
        json!({
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": objects,
        }),
    ];
    let statements = match template {
        Template::CdnReader => reader,
        Template::Uploader => {
            let mut s = reader;
            s.push(json!({
                "Sid": "WriteObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": objects,
            }));
            s
        }
        Template::PublicRead => vec![json!({
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject"],
            "Resource": objects,
        })],
    };
    Ok(json!({ "Version": "2012-10-17", "Statement": statements }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_grants_each_action_only_where_it_applies() {
        let p = generate(Template::CdnReader, "my-images", "assets/").unwrap();
        assert_eq!(p["Statement"][0]["Resource"], "arn:aws:s3:::my-images");
        assert_eq!(
            p["Statement"][1]["Resource"],
            "arn:aws:s3:::my-images/assets/*"
        );
        assert_eq!(p["Statement"].as_array().unwrap().len(), 2);
        let whole = generate(Template::CdnReader, "my-images", "/").unwrap();
        assert_eq!(
            whole["Statement"][1]["Resource"],
            "arn:aws:s3:::my-images/*"
        );
    }

    #[test]
    fn the_uploader_never_gets_delete_or_full_access() {
        let p = generate(Template::Uploader, "b-1", "/").unwrap();
        let text = p.to_string();
        assert!(text.contains("s3:PutObject"));
        assert!(!text.contains("Delete") && !text.contains("s3:*"), "{text}");
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(generate(Template::CdnReader, "Bad_Bucket", "/").is_err());
        assert!(generate(Template::CdnReader, "ok-bucket", "/a/../b").is_err());
    }
}

/// A generated policy as the GUI and the CLI show it: pretty JSON and what the lint finds.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedPolicy {
    pub document: String,
    pub findings: Vec<crate::iam::lint::Finding>,
}

/// The template's policy, pretty-printed, with the lint's findings.
pub fn preview(
    template: Template,
    bucket: &str,
    base_path: &str,
) -> Result<GeneratedPolicy, SourceError> {
    let policy = generate(template, bucket, base_path)?;
    Ok(GeneratedPolicy {
        findings: crate::iam::lint::lint(&policy),
        document: serde_json::to_string_pretty(&policy).expect("policy serializes"),
    })
}
