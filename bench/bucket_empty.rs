//! Empties one bucket with Bucketdesk's core: `bucket-empty <endpoint-url> <bucket>`.
//! Credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (moto takes any). Prints
//! one JSON line: `{"seconds": …, "deleted": …, "uploadsAborted": …, "verifiedEmpty": …}`.
//! Used by `bench/bucket-empty.sh` until the CLI's `bucket empty` exists.

use bucketdesk::aws::{self, Target};
use bucketdesk::buckets::empty::{self, EmptyOptions, EmptyProgress};
use bucketdesk::buckets::{AdminS3, CancelToken};
use bucketdesk::secrets::SecretString;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(bucket)) = (args.next(), args.next()) else {
        eprintln!("usage: bucket-empty <endpoint-url> <bucket>");
        std::process::exit(2);
    };
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| "testing".into());
    let target = Target {
        endpoint_url: Some(endpoint),
        region: "us-east-1".into(),
        access_key_id: env("AWS_ACCESS_KEY_ID"),
        secret: SecretString::new(env("AWS_SECRET_ACCESS_KEY")),
    };
    let admin = AdminS3::new(aws::sdk_config(&target).await);
    let start = std::time::Instant::now();
    let report = empty::run(
        &admin,
        &bucket,
        EmptyOptions::default(),
        &|_: &EmptyProgress| {},
        &CancelToken::new(),
    )
    .await
    .unwrap_or_else(|e| {
        eprintln!("empty failed: {e}");
        std::process::exit(1);
    });
    println!(
        "{}",
        serde_json::json!({
            "seconds": start.elapsed().as_secs_f64(),
            "deleted": report.deleted,
            "uploadsAborted": report.uploads_aborted,
            "failed": report.failed.len(),
            "verifiedEmpty": report.verified_empty,
        })
    );
}
