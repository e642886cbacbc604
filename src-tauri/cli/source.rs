//! `bucketdesk source …`: add, list, verify, remove.

use clap::Subcommand;
use serde::Serialize;

use super::output::{Output, render_report, render_table};
use super::{Context, not_available};
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::locale::Language;
use crate::secrets::SecretString;
use crate::sources::{SourceError, SourceInput, SourceSummary};

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a source; the secret is read from stdin and kept only in the OS keychain
    Add {
        name: String,
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        access_key_id: String,
        /// Read the Secret Access Key from standard input
        #[arg(long, required = true)]
        secret_stdin: bool,
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
        #[arg(long, default_value = "/")]
        base_path: String,
    },
    /// List sources
    List,
    /// Check a source's key and permissions
    Verify { name: String },
    /// Remove a source and its keychain entry
    Remove { name: String },
    /// Print the values of Weekerp's Add Source → Amazon S3 form for a source
    Handoff {
        name: String,
        /// Also print the Secret Access Key (read from the OS keychain)
        #[arg(long)]
        show_secret: bool,
    },
}

pub async fn exec(command: SourceCommand, cx: &Context) -> Result<Output, ApiError> {
    match command {
        SourceCommand::Add {
            name,
            bucket,
            access_key_id,
            secret_stdin: _,
            region,
            endpoint_url,
            base_path,
        } => {
            let input = SourceInput {
                name,
                endpoint_url: endpoint_url.or_else(|| cx.global.endpoint_url.clone()),
                region,
                bucket,
                base_path,
                access_key_id,
                secret_access_key: read_secret_stdin(cx.lang)?,
            };
            add(&input, cx).await
        }
        SourceCommand::List => list(cx),
        SourceCommand::Verify { name } => {
            let report = cx
                .sources
                .verify_saved(&name, cx.lang)
                .await
                .in_language(cx.lang)?;
            if !report.ok {
                return Err(SourceError::NotVerified(Box::new(report))).in_language(cx.lang);
            }
            Ok(Output::new(render_report(&report, cx.lang), &report))
        }
        SourceCommand::Remove { name } => {
            cx.sources.remove(&name).in_language(cx.lang)?;
            Ok(Output::new(
                cx.pick(
                    format!("소스 '{name}'과(와) 키체인 항목을 삭제했습니다."),
                    format!("Removed source '{name}' and its keychain entry."),
                ),
                &serde_json::json!({ "removed": name }),
            ))
        }
        SourceCommand::Handoff { .. } => Err(not_available(
            "source handoff",
            "Weekerp 등록",
            "Weekerp hand-off",
            cx.lang,
        )),
    }
}

/// Verifies, then saves: the report is printed either way.
async fn add(input: &SourceInput, cx: &Context) -> Result<Output, ApiError> {
    let (summary, report) = cx
        .sources
        .add_verified(input, cx.lang)
        .await
        .in_language(cx.lang)?;
    let text = format!(
        "{}\n{}",
        render_report(&report, cx.lang),
        cx.pick(
            format!(
                "소스 '{}'을(를) 저장했습니다. 비밀 키는 OS 키체인에만 있습니다.",
                summary.name
            ),
            format!(
                "Saved source '{}'. The secret is only in the OS keychain.",
                summary.name
            ),
        )
    );
    Ok(Output::new(text, &summary))
}

/// One source as `source list` prints it: never the secret, the key ID masked.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRow {
    name: String,
    bucket: String,
    region: String,
    base_path: String,
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_url: Option<String>,
}

impl From<SourceSummary> for SourceRow {
    fn from(s: SourceSummary) -> Self {
        SourceRow {
            name: s.name,
            bucket: s.bucket,
            region: s.region,
            base_path: s.base_path,
            key_id: s.key_id_masked,
            endpoint_url: s.endpoint_url,
        }
    }
}

fn list(cx: &Context) -> Result<Output, ApiError> {
    let rows: Vec<SourceRow> = cx
        .sources
        .list()
        .in_language(cx.lang)?
        .into_iter()
        .map(SourceRow::from)
        .collect();
    if rows.is_empty() {
        let text = cx.pick(
            "등록된 소스가 없습니다. `bucketdesk source add`로 추가하세요.",
            "No sources yet. Add one with `bucketdesk source add`.",
        );
        return Ok(Output::new(text.to_owned(), &rows));
    }
    let mut table = vec![
        [
            cx.pick("이름", "NAME"),
            cx.pick("버킷", "BUCKET"),
            cx.pick("리전", "REGION"),
            "BASEPATH",
            cx.pick("키 ID", "KEY ID"),
        ]
        .map(str::to_owned),
    ];
    table.extend(rows.iter().map(|r| {
        [
            r.name.clone(),
            r.bucket.clone(),
            r.region.clone(),
            r.base_path.clone(),
            r.key_id.clone(),
        ]
    }));
    Ok(Output::new(render_table(&table), &rows))
}

/// The Secret Access Key from standard input: the first line, surrounding white space
/// removed (so `echo`, a file and a password manager's pipe all work).
fn read_secret_stdin(lang: Language) -> Result<SecretString, ApiError> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
    let secret = SecretString::new(text.lines().next().unwrap_or_default().trim());
    text.clear();
    if secret.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            lang.pick(
                "표준 입력에서 비밀 액세스 키를 읽지 못했습니다(예: echo \"$SECRET\" | bucketdesk source add …).",
                "No Secret Access Key on standard input (e.g. echo \"$SECRET\" | bucketdesk source add …).",
            ),
        ));
    }
    Ok(secret)
}
