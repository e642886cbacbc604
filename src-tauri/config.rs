//! The config file: settings and sources, never secrets.
//!
//! One versioned JSON file, `config.json`, in the OS config dir (`BUCKETDESK_CONFIG_DIR`
//! overrides). Writes are atomic (a temp file in the same dir, flushed, then renamed over).
//! A file that cannot be read as a config is reported and left exactly as it is: saving
//! refuses to replace it, and only [`ConfigStore::set_aside`] moves it (to a name that keeps
//! its bytes) so that a fresh config can start.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The config format this build reads and writes.
pub const CONFIG_VERSION: u32 = 1;
const FILE_NAME: &str = "config.json";
pub const CONFIG_DIR_ENV: &str = "BUCKETDESK_CONFIG_DIR";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// What the Settings screen edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `None`: follow the OS language.
    pub language: Option<Language>,
    pub theme: Theme,
    /// Preferred loopback port of the local CDN.
    pub cdn_port: u16,
    /// Size bound of the CDN's disk cache, in MiB.
    pub cache_mb: u32,
    /// Size bound of the CDN's memory cache, in MiB.
    pub memory_cache_mb: u32,
    /// The AWS profile used for admin work (IAM, buckets); `None`: the default chain.
    pub admin_profile: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: None,
            theme: Theme::System,
            cdn_port: 7390,
            cache_mb: 512,
            memory_cache_mb: 128,
            admin_profile: None,
        }
    }
}

impl Settings {
    /// Checks what a user can type; the field is named in the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.cdn_port < 1024 {
            return Err(ConfigError::Invalid {
                field: "cdnPort",
                reason: InvalidReason::PortRange,
            });
        }
        if !(16..=1_048_576).contains(&self.cache_mb) {
            return Err(ConfigError::Invalid {
                field: "cacheMb",
                reason: InvalidReason::CacheRange,
            });
        }
        if !(8..=16_384).contains(&self.memory_cache_mb) {
            return Err(ConfigError::Invalid {
                field: "memoryCacheMb",
                reason: InvalidReason::MemoryCacheRange,
            });
        }
        if let Some(profile) = &self.admin_profile
            && (profile.trim().is_empty()
                || profile.len() > 128
                || profile.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(ConfigError::Invalid {
                field: "adminProfile",
                reason: InvalidReason::ProfileName,
            });
        }
        Ok(())
    }
}

/// One CDN source: what the CDN's "Add Source → Amazon S3" form holds, minus the secret,
/// which lives in the OS keychain under the access key ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceConfig {
    /// The unique identifier, used in `…/image/{name}/…`.
    pub name: String,
    pub bucket: String,
    pub region: String,
    pub base_path: String,
    pub access_key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// When the source was added (RFC 3339); the key's age as Bucketdesk knows it.
    #[serde(default)]
    pub added_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified: Option<LastVerified>,
    /// Uploads send checksums only where S3 requires them, for S3-compatible endpoints that
    /// reject CRC32C headers; `false` (the default): a CRC32C on every part and object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub checksums_when_required: bool,
}

/// The outcome of the last verification of a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LastVerified {
    /// RFC 3339.
    pub at: String,
    pub ok: bool,
}

/// Everything the config file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<SourceConfig>,
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    version: u32,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    sources: Vec<SourceConfig>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidReason {
    PortRange,
    CacheRange,
    MemoryCacheRange,
    ProfileName,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path} is not a valid Bucketdesk config ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} was written by a newer Bucketdesk (config version {found}, this build reads {CONFIG_VERSION})"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} loads fine; there is nothing to set aside")]
    NothingToSetAside { path: PathBuf },
    #[error("no config directory: set {CONFIG_DIR_ENV}")]
    NoConfigDir,
    #[error("invalid {field}: {reason:?}")]
    Invalid {
        field: &'static str,
        reason: InvalidReason,
    },
}

impl Described for ConfigError {
    fn code(&self) -> ErrorCode {
        match self {
            ConfigError::Corrupt { .. } => ErrorCode::ConfigCorrupt,
            ConfigError::TooNew { .. } => ErrorCode::ConfigTooNew,
            ConfigError::Io { .. } | ConfigError::NoConfigDir => ErrorCode::Io,
            ConfigError::Invalid { .. } | ConfigError::NothingToSetAside { .. } => {
                ErrorCode::InvalidInput
            }
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            ConfigError::Corrupt { path, detail } => lang.pick(
                format!(
                    "설정 파일 {}을(를) 읽을 수 없습니다({detail}). 파일은 그대로 두었습니다. \
                     따로 보관하고 새로 시작하거나 직접 고치세요.",
                    path.display()
                ),
                format!(
                    "The config file {} cannot be read ({detail}). It was left untouched: \
                     set it aside and start fresh, or repair it by hand.",
                    path.display()
                ),
            ),
            ConfigError::TooNew { path, found } => lang.pick(
                format!(
                    "설정 파일 {}은(는) 더 새로운 Bucketdesk가 만든 것입니다(버전 {found}, \
                     이 버전은 {CONFIG_VERSION}까지 읽음). Bucketdesk를 업데이트하세요.",
                    path.display()
                ),
                format!(
                    "The config file {} was written by a newer Bucketdesk (version {found}; \
                     this one reads version {CONFIG_VERSION}). Update Bucketdesk.",
                    path.display()
                ),
            ),
            ConfigError::Io {
                action,
                path,
                source,
            } => lang.pick(
                format!("파일 작업({action}) 실패: {}: {source}", path.display()),
                format!("Cannot {action} {}: {source}", path.display()),
            ),
            ConfigError::NothingToSetAside { path } => lang.pick(
                format!(
                    "설정 파일 {}은(는) 정상이라 따로 보관할 필요가 없습니다.",
                    path.display()
                ),
                format!(
                    "The config file {} is fine; there is nothing to set aside.",
                    path.display()
                ),
            ),
            ConfigError::NoConfigDir => lang.pick(
                format!("설정 폴더를 찾을 수 없습니다. {CONFIG_DIR_ENV}를 지정하세요."),
                format!("No config folder could be found. Set {CONFIG_DIR_ENV}."),
            ),
            ConfigError::Invalid { field, reason } => {
                let (ko, en) = match reason {
                    InvalidReason::PortRange => (
                        "1024에서 65535 사이의 포트여야 합니다",
                        "must be a port from 1024 to 65535",
                    ),
                    InvalidReason::CacheRange => (
                        "16MB에서 1TB 사이여야 합니다",
                        "must be between 16 MB and 1 TB",
                    ),
                    InvalidReason::MemoryCacheRange => (
                        "8MB에서 16384MB 사이여야 합니다",
                        "must be between 8 MB and 16384 MB",
                    ),
                    InvalidReason::ProfileName => (
                        "공백 없는 AWS 프로필 이름이어야 합니다",
                        "must be an AWS profile name without spaces",
                    ),
                };
                lang.pick(format!("{field}: {ko}"), format!("{field}: {en}"))
            }
        }
    }
}

/// Where the config lives, and the only way to read or write it.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    dir: PathBuf,
}

impl ConfigStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ConfigStore { dir: dir.into() }
    }

    /// `BUCKETDESK_CONFIG_DIR`, else the OS config dir (`~/.config/bucketdesk` on Linux).
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var_os(CONFIG_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Ok(ConfigStore::new(dir)),
            _ => dirs::config_dir()
                .map(|d| ConfigStore::new(d.join("bucketdesk")))
                .ok_or(ConfigError::NoConfigDir),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads the config; a missing file is the default config.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        parse(&path, &bytes)
    }

    /// Writes the config atomically. Refuses to replace a file that does not load, so a
    /// damaged config is never silently lost.
    pub fn save(&self, config: &Config) -> Result<(), ConfigError> {
        config.settings.validate()?;
        self.load()?;
        fs::create_dir_all(&self.dir).map_err(|source| ConfigError::Io {
            action: "create",
            path: self.dir.clone(),
            source,
        })?;
        let file = FileV1 {
            version: CONFIG_VERSION,
            settings: config.settings.clone(),
            sources: config.sources.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&file).expect("config serializes");
        json.push(b'\n');
        write_atomically(&self.path(), &json)
    }

    /// Load, change, save: the way every edit goes.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Config) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let mut config = self.load()?;
        let out = change(&mut config)?;
        self.save(&config)?;
        Ok(out)
    }

    /// Moves a config file that does not load out of the way, keeping its bytes under a
    /// dated name beside it, and returns that name. A config that loads is not moved.
    pub fn set_aside(&self) -> Result<PathBuf, ConfigError> {
        let path = self.path();
        if self.load().is_ok() {
            return Err(ConfigError::NothingToSetAside { path });
        }
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut target = self.dir.join(format!("config.corrupt-{stamp}.json"));
        let mut n = 1;
        while target.exists() {
            target = self.dir.join(format!("config.corrupt-{stamp}-{n}.json"));
            n += 1;
        }
        fs::rename(&path, &target).map_err(|source| ConfigError::Io {
            action: "set aside",
            path: path.clone(),
            source,
        })?;
        Ok(target)
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
    let corrupt = |detail: String| ConfigError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let version: VersionOnly = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if version.version > CONFIG_VERSION {
        return Err(ConfigError::TooNew {
            path: path.to_owned(),
            found: version.version,
        });
    }
    if version.version == 0 {
        return Err(corrupt("version 0 does not exist".into()));
    }
    let file: FileV1 = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    file.settings
        .validate()
        .map_err(|e| corrupt(e.describe(Language::En)))?;
    Ok(Config {
        settings: file.settings,
        sources: file.sources,
    })
}

/// Temp file in the same directory, flushed to disk, renamed over the target, directory
/// flushed: a crash leaves either the old file or the new one, never half of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    let dir = path.parent().expect("config path has a parent");
    let io_err = |action: &'static str, p: &Path| {
        let p = p.to_owned();
        move |source| ConfigError::Io {
            action,
            path: p,
            source,
        }
    };
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(io_err("write", &tmp))?;
        file.write_all(bytes).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("replace", path))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_validation_names_the_field() {
        let bad = Settings {
            cdn_port: 80,
            ..Settings::default()
        };
        match bad.validate() {
            Err(ConfigError::Invalid { field, .. }) => assert_eq!(field, "cdnPort"),
            other => panic!("port 80 must be refused, got {other:?}"),
        }
        let bad = Settings {
            admin_profile: Some("my profile".into()),
            ..Settings::default()
        };
        assert!(
            matches!(
                bad.validate(),
                Err(ConfigError::Invalid {
                    field: "adminProfile",
                    ..
                })
            ),
            "a profile name with a space is not a profile name"
        );
        Settings::default().validate().expect("defaults are valid");
    }

    #[test]
    fn a_version_1_file_with_only_a_version_loads_as_defaults() {
        let cfg = parse(Path::new("x"), br#"{"version": 1}"#).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn settings_serialize_in_camel_case() {
        let json = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"language": null, "theme": "system", "cdnPort": 7390,
                               "cacheMb": 512, "memoryCacheMb": 128, "adminProfile": null})
        );
    }

    #[test]
    fn the_memory_cache_bound_is_checked_and_old_files_get_the_default() {
        let mut settings = Settings {
            memory_cache_mb: 4,
            ..Settings::default()
        };
        assert!(matches!(
            settings.validate(),
            Err(ConfigError::Invalid {
                field: "memoryCacheMb",
                ..
            })
        ));
        settings.memory_cache_mb = 256;
        settings.validate().expect("256 MB is fine");
        let old: Settings = serde_json::from_str(r#"{"cdnPort": 8000, "cacheMb": 64}"#).unwrap();
        assert_eq!(old.memory_cache_mb, 128, "a file from before the setting");
    }
}
