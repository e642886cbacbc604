//! `bucketdesk ls` and `bucketdesk presign`: looking at a source's objects.

use clap::Args;

use super::Context;
use super::output::Output;
use crate::error::{ApiError, InLanguage};
use crate::sources::browse::{self, Depth};

#[derive(Debug, Args)]
pub struct LsArgs {
    name: String,
    /// Folder or prefix, relative to the source's BasePath
    prefix: Option<String>,
    /// Every key below the prefix, not just one folder level
    #[arg(long, short)]
    recursive: bool,
}

#[derive(Debug, Args)]
pub struct PresignArgs {
    name: String,
    key: String,
    /// How long the URL works: 1h, 24h, 7d at most
    #[arg(long, default_value = "1h")]
    expires: String,
}

pub async fn ls(args: LsArgs, cx: &Context) -> Result<Output, ApiError> {
    let (source, s3) = cx.sources.open(&args.name).await.in_language(cx.lang)?;
    let depth = if args.recursive {
        Depth::Recursive
    } else {
        Depth::Folder
    };
    let prefix = args.prefix.unwrap_or_default();
    let listing = browse::list_all(&s3, &source, &prefix, depth)
        .await
        .in_language(cx.lang)?;
    let mut lines: Vec<String> = listing
        .folders
        .iter()
        .map(|f| format!("{:>12}  {f}", "DIR"))
        .collect();
    lines.extend(
        listing
            .objects
            .iter()
            .map(|o| format!("{:>12}  {}", o.size, o.key)),
    );
    Ok(Output::new(lines.join("\n"), &listing))
}

pub async fn presign(args: PresignArgs, cx: &Context) -> Result<Output, ApiError> {
    let expires = browse::parse_expiry(&args.expires).in_language(cx.lang)?;
    let (source, s3) = cx.sources.open(&args.name).await.in_language(cx.lang)?;
    let url = browse::presign_get(&s3, &source, &args.key, expires)
        .await
        .in_language(cx.lang)?;
    Ok(Output::new(
        url.clone(),
        &serde_json::json!({ "url": url, "expiresSecs": expires.as_secs() }),
    ))
}
