//! The config file: settings and sources, never secrets.
//!
//! One versioned JSON file, `config.json`, in the OS config dir (`BUCKETDESK_CONFIG_DIR`
//! overrides). Writes are atomic (a temp file of its own in the same dir, flushed, then
//! renamed over). Updates are serialized: in this process by a mutex, and across processes
//! (the GUI and the CLI run together) by an advisory lock on the config folder (a
//! `.config.lock` file in it where folders cannot be locked), held from the load to the
//! rename, so no update is lost.
//! A file that cannot be read as a config is reported and left exactly as it is: saving
//! refuses to replace it, and only [`ConfigStore::set_aside`] moves it (to a name that keeps
//! its bytes) so that a fresh config can start.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The config format this build reads and writes.
pub const CONFIG_VERSION: u32 = 1;
const FILE_NAME: &str = "config.json";
#[cfg(not(unix))]
const LOCK_NAME: &str = ".config.lock";
pub const CONFIG_DIR_ENV: &str = "BUCKETDESK_CONFIG_DIR";
/// Where Weekerp serves images in production, unless the settings say otherwise.
pub const PRODUCTION_CDN_BASE: &str = "https://cdn.weekerp.com";

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
    /// The production CDN base that "Check Weekerp" asks; `None`: [`PRODUCTION_CDN_BASE`].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub production_cdn_base: Option<String>,
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
            production_cdn_base: None,
        }
    }
}

impl Settings {
    /// The production CDN base, without a trailing slash.
    pub fn production_cdn_base(&self) -> &str {
        self.production_cdn_base
            .as_deref()
            .map(|b| b.trim_end_matches('/'))
            .unwrap_or(PRODUCTION_CDN_BASE)
    }

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
        if let Some(base) = &self.production_cdn_base {
            let rest = base
                .strip_prefix("https://")
                .or_else(|| base.strip_prefix("http://"));
            let host_ok = rest.is_some_and(|r| {
                let host = r.split('/').next().unwrap_or_default();
                !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains('@')
            });
            if !host_ok || base.contains(['?', '#']) || base.len() > 512 {
                return Err(ConfigError::Invalid {
                    field: "productionCdnBase",
                    reason: InvalidReason::CdnBase,
                });
            }
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

/// The admin's confirmation that a source is registered in Weekerp, with the key it was
/// registered with: after a rotation Weekerp needs the new key, so the registration of the
/// old key no longer counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WeekerpRegistration {
    pub access_key_id: String,
    /// RFC 3339.
    pub confirmed_at: String,
}

/// Everything the config file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<SourceConfig>,
    /// Source name → its registration in Weekerp (kept apart from [`SourceConfig`] so the
    /// source's own fields stay what Weekerp's form holds).
    pub weekerp: BTreeMap<String, WeekerpRegistration>,
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    version: u32,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    sources: Vec<SourceConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    weekerp: BTreeMap<String, WeekerpRegistration>,
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
    CdnBase,
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
                    InvalidReason::CdnBase => (
                        "https://cdn.weekerp.com 같은 http(s) 주소여야 합니다",
                        "must be an http(s) address such as https://cdn.weekerp.com",
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

    /// Writes the config atomically, under the update lock. Refuses to replace a file that
    /// does not load, so a damaged config is never silently lost.
    pub fn save(&self, config: &Config) -> Result<(), ConfigError> {
        config.settings.validate()?;
        let _lock = self.lock()?;
        self.load()?;
        self.write(config)
    }

    fn write(&self, config: &Config) -> Result<(), ConfigError> {
        let file = FileV1 {
            version: CONFIG_VERSION,
            settings: config.settings.clone(),
            sources: config.sources.clone(),
            weekerp: config.weekerp.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&file).expect("config serializes");
        json.push(b'\n');
        write_atomically(&self.path(), &json)
    }

    /// Load, change, save: the way every edit goes. The whole of it holds the update lock
    /// (in process and across processes), so concurrent updates are applied one after the
    /// other and none is lost. `change` must not update the config itself.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Config) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let _lock = self.lock()?;
        let mut config = self.load()?;
        let out = change(&mut config)?;
        config.settings.validate()?;
        self.write(&config)?;
        Ok(out)
    }

    /// Takes the update lock: the process-wide mutex, then the advisory lock on the config
    /// folder (which blocks while another process holds it). Both are released when
    /// the guard drops, and the file lock also when the process dies.
    fn lock(&self) -> Result<UpdateLock, ConfigError> {
        static IN_PROCESS: Mutex<()> = Mutex::new(());
        let guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
        fs::create_dir_all(&self.dir).map_err(|source| ConfigError::Io {
            action: "create",
            path: self.dir.clone(),
            source,
        })?;
        // On Unix the directory itself is locked (flock works on any descriptor), so the
        // folder holds nothing but the config; elsewhere a lock file beside it.
        #[cfg(unix)]
        let (path, file) = (
            self.dir.clone(),
            fs::File::open(&self.dir).map_err(|source| ConfigError::Io {
                action: "open",
                path: self.dir.clone(),
                source,
            })?,
        );
        #[cfg(not(unix))]
        let (path, file) = {
            let path = self.dir.join(LOCK_NAME);
            let file = lock_file(&path)?;
            (path, file)
        };
        file.lock().map_err(|source| ConfigError::Io {
            action: "lock",
            path,
            source,
        })?;
        Ok(UpdateLock {
            _file: file,
            _guard: guard,
        })
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

/// The held update lock; dropping it releases the file lock, then the mutex.
struct UpdateLock {
    _file: fs::File,
    _guard: std::sync::MutexGuard<'static, ()>,
}

/// Opens (creating) a lock file, private to the user.
pub(crate) fn lock_file(path: &Path) -> Result<fs::File, ConfigError> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|source| ConfigError::Io {
        action: "open",
        path: path.to_owned(),
        source,
    })
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
        weekerp: file.weekerp,
    })
}

/// A temp file of its own (a unique name, created exclusively, mode 0600) in the same
/// directory, flushed to disk, renamed over the target, directory flushed: a crash leaves
/// either the old file or the new one, never half of one, and two writers (threads or
/// processes) never share a temp file.
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
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".bucketdesk-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err("write", dir))?;
    tmp.write_all(bytes).map_err(io_err("write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("write", tmp.path()))?;
    // On failure the temp file is removed when the error drops it.
    tmp.persist(path).map_err(|e| ConfigError::Io {
        action: "replace",
        path: path.to_owned(),
        source: e.error,
    })?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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
    fn the_production_cdn_base_defaults_to_weekerp_and_is_checked() {
        let mut settings = Settings::default();
        assert_eq!(settings.production_cdn_base(), "https://cdn.weekerp.com");
        settings.production_cdn_base = Some("http://127.0.0.1:8080/".into());
        settings.validate().expect("a loopback stand-in is fine");
        assert_eq!(settings.production_cdn_base(), "http://127.0.0.1:8080");
        for bad in ["cdn.weekerp.com", "https://", "ftp://x", "https://x/?a=1"] {
            settings.production_cdn_base = Some(bad.into());
            assert!(
                matches!(
                    settings.validate(),
                    Err(ConfigError::Invalid {
                        field: "productionCdnBase",
                        ..
                    })
                ),
                "{bad} is not a CDN base"
            );
        }
    }

    #[test]
    fn concurrent_atomic_writes_each_use_their_own_temp_file() {
        // Before, every writer of one process shared `.config.json.<pid>.tmp`: one thread's
        // rename took the other's file away and its write failed (or renamed half a file).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let body = format!(
                            "{{\"writer\": {t}, \"n\": {i}, \"pad\": \"{}\"}}",
                            "x".repeat(4096)
                        );
                        write_atomically(&path, body.as_bytes())
                            .unwrap_or_else(|e| panic!("writer {t} write {i} failed: {e}"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no writer failed");
        }
        let last: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).expect("a whole file is left");
        assert!(last["writer"].is_u64());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != "config.json")
            .collect();
        assert!(
            leftovers.is_empty(),
            "no temp file is left behind: {leftovers:?}"
        );
    }

    #[test]
    fn concurrent_updates_in_one_process_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        store
                            .update(|c| {
                                c.sources.push(SourceConfig {
                                    name: format!("s-{t}-{i}"),
                                    bucket: "b".into(),
                                    region: "us-east-1".into(),
                                    base_path: "/".into(),
                                    access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                                    endpoint_url: None,
                                    added_at: String::new(),
                                    last_verified: None,
                                    checksums_when_required: false,
                                });
                                Ok(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            store.load().unwrap().sources.len(),
            80,
            "every update is kept"
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
