//! `bucketdesk put|get|rm`: moving objects in and out of a source.

use std::path::PathBuf;

use clap::Args;

use super::output::Output;
use super::{Context, not_available};
use crate::error::ApiError;

#[derive(Debug, Args)]
pub struct PutArgs {
    name: String,
    file: PathBuf,
    key: String,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    name: String,
    key: String,
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    name: String,
    #[arg(required = true)]
    keys: Vec<String>,
}

const AREA: (&str, &str) = ("파일 전송", "file transfer");

pub async fn put(_args: PutArgs, cx: &Context) -> Result<Output, ApiError> {
    Err(not_available("put", AREA.0, AREA.1, cx.lang))
}

pub async fn get(_args: GetArgs, cx: &Context) -> Result<Output, ApiError> {
    Err(not_available("get", AREA.0, AREA.1, cx.lang))
}

pub async fn rm(_args: RmArgs, cx: &Context) -> Result<Output, ApiError> {
    Err(not_available("rm", AREA.0, AREA.1, cx.lang))
}
