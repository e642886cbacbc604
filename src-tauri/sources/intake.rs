//! What comes into the core from an adapter (the wizard, `bucketdesk source add`): checked
//! without a call, verified over the network, saved only when every check passed. The CLI
//! and the GUI call these same functions, so they cannot disagree on the order of things.

use super::verify::{self, VerifyReport};
use super::{
    Credentials, SourceError, SourceInput, SourceSummary, Sources, normalize_endpoint,
    validate_key, validate_region,
};
use crate::config::SourceConfig;
use crate::locale::Language;

impl Credentials {
    /// The key checked and the endpoint normalized, before any call.
    pub fn checked(mut self) -> Result<Credentials, SourceError> {
        validate_key(&self.access_key_id, &self.secret_access_key)?;
        self.endpoint_url = normalize_endpoint(self.endpoint_url.as_deref())?;
        if let Some(r) = &self.region {
            validate_region(r)?;
        }
        Ok(self)
    }
}

impl Sources {
    /// Checks the input (no call), then runs every verification with its secret. Saves
    /// nothing and never writes to the bucket.
    pub async fn verify_input(
        &self,
        input: &SourceInput,
        lang: Language,
    ) -> Result<(SourceInput, VerifyReport), SourceError> {
        let input = self.validate(input)?;
        let report = verify::verify(
            &verify::Subject {
                credentials: &input.credentials(),
                bucket: &input.bucket,
                base_path: &input.base_path,
                name: Some(&input.name),
            },
            lang,
        )
        .await;
        Ok((input, report))
    }

    /// Verifies, then saves (secret into the keychain, the rest into the config). A report
    /// with a failed check saves nothing and comes back inside the error.
    pub async fn add_verified(
        &self,
        input: &SourceInput,
        lang: Language,
    ) -> Result<(SourceSummary, VerifyReport), SourceError> {
        let (input, report) = self.verify_input(input, lang).await?;
        let summary = self.add(&input, &report)?;
        Ok((summary, report))
    }

    /// A saved source and an S3 client on its own key (the secret from the keychain).
    pub async fn open(
        &self,
        name: &str,
    ) -> Result<(SourceConfig, aws_sdk_s3::Client), SourceError> {
        let source = self.get(name)?;
        let target = self.target(&source)?;
        let s3 = crate::aws::s3_client(&crate::aws::sdk_config(&target).await);
        Ok((source, s3))
    }
}
