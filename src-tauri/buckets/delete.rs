//! Delete a bucket: confirmed by typing its name, refused while anything is left in it
//! (with the offer to empty it first), and, when asked, the sources that point at it
//! removed afterwards.

use serde::Serialize;

use super::{AdminS3, BucketError, aws, empty, error_code, sources_using};
use crate::sources::Sources;

/// What deleting did.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBucket {
    pub bucket: String,
    /// Sources removed with it (when asked).
    pub removed_sources: Vec<String>,
    /// Sources that still point at the deleted bucket (when not asked to remove them).
    pub orphaned_sources: Vec<String>,
}

/// Checks the typed confirmation (the bucket's name, surrounding spaces forgiven).
pub fn confirm(bucket: &str, typed: &str) -> Result<(), BucketError> {
    if typed.trim() == bucket {
        Ok(())
    } else {
        Err(BucketError::NameMismatch {
            bucket: bucket.to_owned(),
            typed: typed.to_owned(),
        })
    }
}

/// Deletes the bucket; see the module docs. Nothing is touched unless `typed` is the
/// bucket's name and the bucket is empty.
pub async fn delete(
    admin: &AdminS3,
    sources: &Sources,
    bucket: &str,
    typed: &str,
    remove_sources: bool,
) -> Result<DeletedBucket, BucketError> {
    confirm(bucket, typed)?;
    let s3 = admin.for_bucket(bucket).await?;
    let (versions, uploads) = empty::remaining(&s3, bucket).await?;
    if versions > 0 || uploads > 0 {
        return Err(BucketError::NotEmpty {
            bucket: bucket.to_owned(),
            versions,
            uploads,
        });
    }
    if let Err(e) = s3.delete_bucket().bucket(bucket).send().await {
        // Something arrived between the check and the call.
        if error_code(&e) == Some("BucketNotEmpty") {
            let (versions, uploads) = empty::remaining(&s3, bucket).await.unwrap_or((1, 0));
            return Err(BucketError::NotEmpty {
                bucket: bucket.to_owned(),
                versions,
                uploads,
            });
        }
        return Err(aws("s3:DeleteBucket")(e));
    }
    admin.forget_region(bucket);
    let using = sources_using(sources, bucket)?;
    let mut removed = Vec::new();
    if remove_sources {
        for name in &using {
            sources.remove(name)?;
            removed.push(name.clone());
        }
    }
    Ok(DeletedBucket {
        bucket: bucket.to_owned(),
        orphaned_sources: if remove_sources { Vec::new() } else { using },
        removed_sources: removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_name_confirms() {
        assert!(confirm("my-images", "my-images").is_ok());
        assert!(confirm("my-images", " my-images\n").is_ok());
        for wrong in ["my-image", "MY-IMAGES", "", "my-images-2"] {
            assert!(
                matches!(
                    confirm("my-images", wrong),
                    Err(BucketError::NameMismatch { .. })
                ),
                "{wrong:?}"
            );
        }
    }
}
