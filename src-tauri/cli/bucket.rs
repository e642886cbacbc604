//! `bucketdesk bucket …`: the bucket's lifecycle.

use clap::Subcommand;

use super::output::Output;
use super::{Context, not_available};
use crate::error::ApiError;

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Create a bucket
    Create {
        bucket: String,
        #[arg(long)]
        region: Option<String>,
    },
    /// Show or change Block Public Access
    PublicAccess {
        bucket: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        settings: Vec<String>,
    },
    /// Show or set the bucket policy
    Policy {
        bucket: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Delete every object, version and unfinished upload
    Empty { bucket: String },
    /// Delete an empty bucket
    Delete { bucket: String },
}

pub async fn exec(command: BucketCommand, cx: &Context) -> Result<Output, ApiError> {
    let name = match command {
        BucketCommand::Create { .. } => "bucket create",
        BucketCommand::PublicAccess { .. } => "bucket public-access",
        BucketCommand::Policy { .. } => "bucket policy",
        BucketCommand::Empty { .. } => "bucket empty",
        BucketCommand::Delete { .. } => "bucket delete",
    };
    Err(not_available(
        name,
        "버킷 관리",
        "bucket management",
        cx.lang,
    ))
}
