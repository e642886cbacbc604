//! `bucketdesk iam …`: least-privilege policies and dedicated readers.

use clap::Subcommand;

use super::Context;
use super::output::Output;
use crate::error::{ApiError, ErrorCode, InLanguage};
use crate::iam::policy::{self, Template};
use crate::iam::reader;
use crate::secrets::mask_key_id;

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print a generated policy (cdn-reader, uploader, public-read)
    Policy {
        #[arg(value_enum)]
        template: Template,
        #[arg(long)]
        bucket: String,
        /// Scope object access to this BasePath (default: the whole bucket)
        #[arg(long)]
        base_path: Option<String>,
    },
    /// Dedicated reader users
    #[command(subcommand)]
    Reader(ReaderCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Create a least-privilege reader user and key (optionally bound to a source)
    Create {
        #[arg(long)]
        bucket: String,
        /// IAM user name [default: weekerp-cdn-reader]
        #[arg(long)]
        user: Option<String>,
        /// Also add a verified source of this name with the new key
        #[arg(long)]
        source: Option<String>,
        /// Scope reading to this BasePath (and use it for the source)
        #[arg(long, default_value = "/")]
        base_path: String,
        /// Attach AWS's AmazonS3ReadOnlyAccess (all buckets) instead of the least-privilege policy
        #[arg(long)]
        managed_read_only: bool,
    },
}

pub async fn exec(command: IamCommand, cx: &Context) -> Result<Output, ApiError> {
    match command {
        IamCommand::Policy {
            template,
            bucket,
            base_path,
        } => {
            let policy = policy::preview(template, &bucket, base_path.as_deref().unwrap_or("/"))
                .in_language(cx.lang)?;
            if !policy.findings.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::Internal,
                    format!("generated policy has lint findings: {:?}", policy.findings),
                ));
            }
            Ok(Output::same(policy.document))
        }
        IamCommand::Reader(ReaderCommand::Create {
            bucket,
            user,
            source,
            base_path,
            managed_read_only,
        }) => {
            let admin = cx.admin()?;
            let request = reader::ReaderRequest {
                bucket,
                base_path,
                user: reader::user_or_default(user),
                source,
                endpoint_url: admin.endpoint_url.clone(),
                region: None,
                managed_read_only,
            };
            let iam = crate::aws::iam_client(&crate::aws::admin_config(&admin).await);
            let created =
                reader::create(&iam, cx.sources.keychain(), &cx.sources, &request, cx.lang)
                    .await
                    .in_language(cx.lang)?;
            let key = mask_key_id(&created.access_key_id);
            let saved = created.source.as_ref().map(|s| s.name.as_str());
            let text = cx.pick(
                format!(
                    "리더 사용자 {}와(과) 키 {key}를 만들었습니다. 비밀 키는 OS 키체인에만 있습니다.{}",
                    created.user,
                    saved
                        .map(|s| format!(" 소스 '{s}'을(를) 검증하고 저장했습니다."))
                        .unwrap_or_default()
                ),
                format!(
                    "Created reader user {} and key {key}. The secret is only in the OS keychain.{}",
                    created.user,
                    saved
                        .map(|s| format!(" Verified and saved source '{s}'."))
                        .unwrap_or_default()
                ),
            );
            Ok(Output::new(text, &created))
        }
    }
}
