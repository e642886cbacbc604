//! Handing a source to Weekerp: the values of Weekerp's own "Sources → Add Source → Amazon
//! S3" form, in its order, and whether the admin has confirmed that the source is
//! registered there (with its current key).
//!
//! The secret is part of the answer only when asked for, and then read from the keychain at
//! that moment: it is never kept anywhere else.

use serde::Serialize;

use super::{SourceError, Sources, now_rfc3339};
use crate::config::{Config, SourceConfig, WeekerpRegistration};
use crate::locale::Language;

/// Weekerp's form fields, in the order the form asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum HandoffFieldId {
    Region,
    AccessKeyId,
    SecretAccessKey,
    BucketName,
    BasePath,
    UniqueIdentifier,
}

impl HandoffFieldId {
    /// The order of Weekerp's form.
    pub const ORDER: [HandoffFieldId; 6] = [
        HandoffFieldId::Region,
        HandoffFieldId::AccessKeyId,
        HandoffFieldId::SecretAccessKey,
        HandoffFieldId::BucketName,
        HandoffFieldId::BasePath,
        HandoffFieldId::UniqueIdentifier,
    ];

    /// The label as Weekerp's form shows it (the form is in English in both languages;
    /// the Korean label adds the meaning).
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            HandoffFieldId::Region => lang.pick("Region (리전)", "Region"),
            HandoffFieldId::AccessKeyId => {
                lang.pick("Access Key ID (액세스 키 ID)", "Access Key ID")
            }
            HandoffFieldId::SecretAccessKey => {
                lang.pick("Secret Access Key (비밀 액세스 키)", "Secret Access Key")
            }
            HandoffFieldId::BucketName => lang.pick("Bucket Name (버킷 이름)", "Bucket Name"),
            HandoffFieldId::BasePath => lang.pick("BasePath (기본 경로)", "BasePath"),
            HandoffFieldId::UniqueIdentifier => {
                lang.pick("unique identifier (고유 식별자)", "unique identifier")
            }
        }
    }
}

/// One field of the form.
#[derive(Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HandoffField {
    pub id: HandoffFieldId,
    pub label: String,
    /// `None` only for the secret when it was not asked for.
    pub value: Option<String>,
    pub secret: bool,
}

impl std::fmt::Debug for HandoffField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.secret {
            self.value.as_ref().map(|_| "<redacted>")
        } else {
            self.value.as_deref()
        };
        f.debug_struct("HandoffField")
            .field("id", &self.id)
            .field("value", &value)
            .finish()
    }
}

/// What the "Register in Weekerp" panel and `source handoff` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    pub source: String,
    pub fields: Vec<HandoffField>,
    /// The admin confirmed Weekerp has this source with its current key.
    pub registered: bool,
    pub registration: Option<WeekerpRegistration>,
}

impl Handoff {
    pub fn value(&self, id: HandoffFieldId) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.value.as_deref())
    }
}

/// Whether the source is registered in Weekerp with the key it uses now.
pub fn is_registered(config: &Config, source: &SourceConfig) -> bool {
    config
        .weekerp
        .get(&source.name)
        .is_some_and(|r| r.access_key_id == source.access_key_id)
}

/// The fields of Weekerp's form for source `name`, in Weekerp's order. With
/// `reveal_secret`, the Secret Access Key is read from the keychain now (an error when it
/// cannot be); without, its value is `None`.
pub fn fields(
    sources: &Sources,
    name: &str,
    reveal_secret: bool,
    lang: Language,
) -> Result<Handoff, SourceError> {
    let config = sources.store().load()?;
    let source = config
        .sources
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| SourceError::NoSuchSource(name.to_owned()))?;
    let secret = if reveal_secret {
        Some(
            sources
                .keychain()
                .get(&source.access_key_id)?
                .expose()
                .to_owned(),
        )
    } else {
        None
    };
    let fields = HandoffFieldId::ORDER
        .iter()
        .map(|&id| HandoffField {
            id,
            label: id.label(lang).to_owned(),
            value: match id {
                HandoffFieldId::Region => Some(source.region.clone()),
                HandoffFieldId::AccessKeyId => Some(source.access_key_id.clone()),
                HandoffFieldId::SecretAccessKey => secret.clone(),
                HandoffFieldId::BucketName => Some(source.bucket.clone()),
                HandoffFieldId::BasePath => Some(source.base_path.clone()),
                HandoffFieldId::UniqueIdentifier => Some(source.name.clone()),
            },
            secret: id == HandoffFieldId::SecretAccessKey,
        })
        .collect();
    Ok(Handoff {
        source: source.name.clone(),
        fields,
        registered: is_registered(&config, source),
        registration: config.weekerp.get(name).cloned(),
    })
}

/// Records the admin's confirmation that Weekerp has source `name` with its current key.
/// `registered = false` takes the confirmation back.
pub fn confirm_registered(
    sources: &Sources,
    name: &str,
    registered: bool,
) -> Result<(), SourceError> {
    let found = sources.store().update(|c| {
        let Some(source) = c.sources.iter().find(|s| s.name == name) else {
            return Ok(false);
        };
        let key = source.access_key_id.clone();
        if registered {
            c.weekerp.insert(
                name.to_owned(),
                WeekerpRegistration {
                    access_key_id: key,
                    confirmed_at: now_rfc3339(),
                },
            );
        } else {
            c.weekerp.remove(name);
        }
        Ok(true)
    })?;
    if found {
        Ok(())
    } else {
        Err(SourceError::NoSuchSource(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_come_in_weekerps_order() {
        let labels: Vec<&str> = HandoffFieldId::ORDER
            .iter()
            .map(|f| f.label(Language::En))
            .collect();
        assert_eq!(
            labels,
            [
                "Region",
                "Access Key ID",
                "Secret Access Key",
                "Bucket Name",
                "BasePath",
                "unique identifier"
            ]
        );
    }

    #[test]
    fn a_revealed_secret_never_prints() {
        let field = HandoffField {
            id: HandoffFieldId::SecretAccessKey,
            label: "Secret Access Key".into(),
            value: Some("wJalrXUtnFEMI".into()),
            secret: true,
        };
        let shown = format!("{field:?}");
        assert!(
            !shown.contains("wJalr") && shown.contains("redacted"),
            "{shown}"
        );
    }

    #[test]
    fn a_registration_counts_only_for_the_key_it_was_made_with() {
        let source = SourceConfig {
            name: "shop".into(),
            bucket: "b".into(),
            region: "us-east-1".into(),
            base_path: "/".into(),
            access_key_id: "AKIANEW".into(),
            endpoint_url: None,
            added_at: String::new(),
            last_verified: None,
            checksums_when_required: false,
        };
        let mut config = Config {
            sources: vec![source.clone()],
            ..Config::default()
        };
        assert!(!is_registered(&config, &source), "not yet in Weekerp");
        config.weekerp.insert(
            "shop".into(),
            WeekerpRegistration {
                access_key_id: "AKIAOLD".into(),
                confirmed_at: String::new(),
            },
        );
        assert!(
            !is_registered(&config, &source),
            "registered with the old key: Weekerp still needs the new one"
        );
        config.weekerp.get_mut("shop").unwrap().access_key_id = "AKIANEW".into();
        assert!(is_registered(&config, &source));
    }
}
