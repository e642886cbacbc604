//! What comes into the core from an adapter (the wizard, `bucketdesk source add`): checked
//! without a call, verified over the network, saved only when every check passed. The CLI
//! and the GUI call these same functions, so they cannot disagree on the order of things.

use super::verify::{self, VerifyReport};
use serde::{Deserialize, Serialize};

use super::{
    Credentials, SourceError, SourceInput, SourceSummary, Sources, cdn_url_at, normalize_base_path,
    normalize_endpoint, validate_bucket, validate_key, validate_name, validate_region,
};
use crate::config::SourceConfig;
use crate::error::Described;
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
                production_base: &self.production_cdn_base()?,
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

/// A field of the Add Source and Edit Source forms, checked as it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum FormField {
    /// An S3-compatible provider's endpoint URL.
    Endpoint,
    /// The IAM user the wizard creates for a dedicated reader.
    User,
    Bucket,
    BasePath,
    /// The unique identifier (Weekerp's source name).
    Name,
}

/// What the core says of one typed value, before any call: the same rules that saving
/// applies, so the form never lets through what the core would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FieldCheck {
    /// What is wrong, in plain words with the field named; `None` when the value is fine.
    pub problem: Option<String>,
    /// The value as it will be saved (a BasePath normalized, an endpoint without its
    /// trailing slash), when it is fine.
    pub saved_as: Option<String>,
    /// For a valid identifier (free or taken): where its images' production URLs start
    /// (`{productionCdnBase}/image/{name}/`).
    pub url_prefix: Option<String>,
}

impl FieldCheck {
    fn fine(saved_as: impl Into<String>) -> FieldCheck {
        FieldCheck {
            problem: None,
            saved_as: Some(saved_as.into()),
            url_prefix: None,
        }
    }

    fn refused(err: &impl Described, lang: Language) -> FieldCheck {
        FieldCheck {
            problem: Some(err.describe(lang)),
            saved_as: None,
            url_prefix: None,
        }
    }
}

impl Sources {
    /// Checks one typed value of a source form (no network call). A name is also checked
    /// against the saved sources, and a valid one gets its production URL prefix.
    pub fn check_field(
        &self,
        field: FormField,
        value: &str,
        lang: Language,
    ) -> Result<FieldCheck, SourceError> {
        let result = match field {
            FormField::Endpoint => match normalize_endpoint(Some(value)) {
                Ok(Some(url)) => FieldCheck::fine(url),
                Ok(None) => FieldCheck::refused(
                    &SourceError::Invalid {
                        field: super::Field::EndpointUrl,
                        rule_ko: "S3 호환 제공자는 엔드포인트 URL이 필요합니다.",
                        rule_en: "an S3-compatible provider needs its endpoint URL.",
                    },
                    lang,
                ),
                Err(e) => FieldCheck::refused(&e, lang),
            },
            FormField::User => match crate::iam::reader::validate_user(value.trim()) {
                Ok(()) => FieldCheck::fine(value.trim()),
                Err(e) => FieldCheck::refused(&e, lang),
            },
            FormField::Bucket => match validate_bucket(value.trim()) {
                Ok(()) => FieldCheck::fine(value.trim()),
                Err(e) => FieldCheck::refused(&e, lang),
            },
            FormField::BasePath => match normalize_base_path(value) {
                Ok(path) => FieldCheck::fine(path),
                Err(e) => FieldCheck::refused(&e, lang),
            },
            FormField::Name => {
                let config = self.store().load()?;
                let taken = config.sources.iter().any(|s| s.name == value);
                let prefix = || cdn_url_at(config.settings.production_cdn_base(), value, "");
                match validate_name(value) {
                    Err(e) => FieldCheck::refused(&e, lang),
                    Ok(()) if taken => FieldCheck {
                        url_prefix: Some(prefix()),
                        ..FieldCheck::refused(&SourceError::NameTaken(value.to_owned()), lang)
                    },
                    Ok(()) => FieldCheck {
                        url_prefix: Some(prefix()),
                        ..FieldCheck::fine(value)
                    },
                }
            }
        };
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigStore;
    use crate::secrets::Keychain;

    fn sources(dir: &std::path::Path) -> Sources {
        Sources::new(
            ConfigStore::new(dir.to_path_buf()),
            Keychain::new("bucketdesk-test-unused"),
        )
    }

    #[test]
    fn each_form_field_is_checked_by_the_rule_that_saving_applies() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(dir.path());
        let check = |f, v: &str| s.check_field(f, v, Language::En).unwrap();
        assert_eq!(
            check(FormField::BasePath, "//assets//").saved_as.as_deref(),
            Some("/assets")
        );
        assert!(
            check(FormField::BasePath, "a/../b")
                .problem
                .unwrap()
                .contains("'..'")
        );
        assert!(
            check(FormField::Bucket, "Bucket")
                .problem
                .unwrap()
                .starts_with("Bucket:")
        );
        assert_eq!(
            check(FormField::Endpoint, "http://127.0.0.1:9000/")
                .saved_as
                .as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert!(check(FormField::Endpoint, "").problem.is_some());
        assert!(check(FormField::User, "bad user").problem.is_some());
        let free = check(FormField::Name, "shop-2");
        assert_eq!(free.problem, None);
        assert_eq!(
            free.url_prefix.as_deref(),
            Some("https://cdn.weekerp.com/image/shop-2/")
        );
        assert!(
            check(FormField::Name, "Ab")
                .problem
                .unwrap()
                .contains("lowercase")
        );
    }
}
