//! AWS SDK configuration: one place that turns an endpoint, a region and credentials into
//! SDK clients, so a real account, an S3-compatible service and the local test endpoint all
//! go through the same code path.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};

use crate::secrets::SecretString;

/// Where requests go and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// `None`: the AWS endpoint of the region. `Some`: an S3-compatible or local endpoint.
    pub endpoint_url: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret: SecretString,
}

/// An SDK config for a static key. Reads nothing from the environment that could redirect
/// the requests: endpoint, region and credentials are all explicit.
pub async fn sdk_config(target: &Target) -> SdkConfig {
    let credentials = Credentials::new(
        &target.access_key_id,
        target.secret.expose(),
        None,
        None,
        "bucketdesk",
    );
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .credentials_provider(SharedCredentialsProvider::new(credentials));
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// An S3 client; path-style addressing wherever a custom endpoint is used (local endpoints
/// and most S3-compatible services have no per-bucket DNS names).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

pub fn iam_client(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

pub fn sts_client(config: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(config)
}

/// Whether the AWS credential chain has anything to offer: keys in the environment, a
/// named profile, a web identity, or the shared config/credentials files.
pub fn credentials_configured() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID")
        || set("AWS_PROFILE")
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    {
        return true;
    }
    let home_aws = dirs::home_dir().map(|h| h.join(".aws"));
    let file = |env: &str, name: &str| {
        std::env::var_os(env)
            .map(std::path::PathBuf::from)
            .or_else(|| home_aws.as_ref().map(|d| d.join(name)))
    };
    [
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    ]
    .into_iter()
    .flatten()
    .any(|path| {
        std::fs::read_to_string(path)
            .map(|text| text.lines().any(|l| l.trim_start().starts_with('[')))
            .unwrap_or(false)
    })
}
