//! The two languages of the product and how the default one is chosen.

use serde::{Deserialize, Serialize};

/// A language the UI and the CLI speak.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ko,
    En,
}

impl Language {
    /// Reads a POSIX or BCP 47 locale tag (`ko_KR.UTF-8`, `ko-KR`, `en_US`, `C`):
    /// Korean for any `ko` tag, English for everything else.
    pub fn from_locale_tag(tag: &str) -> Language {
        let lang = tag
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if lang == "ko" {
            Language::Ko
        } else {
            Language::En
        }
    }

    /// The operating system's language: the POSIX variables first (what a terminal user set),
    /// then the platform's own setting.
    pub fn from_os() -> Language {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(tag) = std::env::var(var)
                && !tag.is_empty()
            {
                return Language::from_locale_tag(&tag);
            }
        }
        sys_locale::get_locale()
            .map(|tag| Language::from_locale_tag(&tag))
            .unwrap_or(Language::En)
    }

    /// Picks the text for this language.
    pub fn pick<T>(self, ko: T, en: T) -> T {
        match self {
            Language::Ko => ko,
            Language::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_map_to_languages() {
        for (tag, want) in [
            ("ko_KR.UTF-8", Language::Ko),
            ("ko-KR", Language::Ko),
            ("ko", Language::Ko),
            ("KO_kr", Language::Ko),
            ("en_US.UTF-8", Language::En),
            ("C", Language::En),
            ("POSIX", Language::En),
            ("", Language::En),
            ("kok_IN", Language::En), // Konkani is not Korean
        ] {
            assert_eq!(Language::from_locale_tag(tag), want, "tag {tag:?}");
        }
    }

    #[test]
    fn serializes_as_lowercase_code() {
        assert_eq!(serde_json::to_string(&Language::Ko).unwrap(), "\"ko\"");
        assert_eq!(
            serde_json::from_str::<Language>("\"en\"").unwrap(),
            Language::En
        );
    }
}
