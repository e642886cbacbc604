//! The sandbox: a local AWS-compatible endpoint (moto) seeded with real photographs and an
//! admin profile, so that every screen works on a machine with no AWS account.
//!
//! Everything in it is fresh on every start and gone when the app quits. Its AWS profile
//! lives in its own files (never the user's `~/.aws`), and IAM authorization is enforced
//! after seeding, as on AWS, so permission checks mean something. Where the session has no
//! Secret Service, the sandbox brings its own throwaway keychain ([`keychain`]).

pub mod keychain;
pub mod moto;

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde::Serialize;

use crate::aws::{self, Target};
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::secrets::SecretString;
pub use keychain::{KeychainError, KeychainKind};
pub use moto::{MotoError, MotoServer};

pub const BUCKET: &str = "bucketdesk-sandbox-photos";
pub const REGION: &str = "ap-northeast-2";
pub const PROFILE: &str = "bucketdesk-sandbox";
pub const ADMIN_USER: &str = "sandbox-admin";
/// Where the photographs come from: Debian's wallpaper packages (lomiri, ukui).
pub const PHOTO_DIR: &str = "/usr/share/backgrounds";
/// Overrides [`PHOTO_DIR`].
pub const PHOTO_DIR_ENV: &str = "BUCKETDESK_SANDBOX_PHOTOS";
/// `auto` (start when no AWS credentials are configured), `on`, `off` (the default).
pub const SANDBOX_ENV: &str = "BUCKETDESK_SANDBOX";

/// Keys for the first photographs: Korean names, spaces, parentheses and nested prefixes,
/// the cases that break naive URL and path handling.
const KOREAN_KEYS: &[&str] = &[
    "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
    "제품 이미지/봄 컬렉션/벚꽃 사진 02.jpg",
    "제품 이미지/여름 세일/바다 풍경.jpg",
    "배너/메인 배너 (가을).jpg",
    "사진 모음/서울 야경.jpg",
    "사진 모음/2024 여름/한강 공원 1.jpg",
    "사진 모음/2024 여름/한강 공원 2.jpg",
    "썸네일 테스트/세로 사진.jpg",
];

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Moto(#[from] MotoError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("no photographs found in {0}")]
    NoPhotos(PathBuf),
    #[error("seeding the sandbox failed at {step}: {detail}")]
    Seed { step: &'static str, detail: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Described for SandboxError {
    fn code(&self) -> ErrorCode {
        match self {
            SandboxError::Keychain(e) => e.code(),
            _ => ErrorCode::Internal,
        }
    }

    fn describe(&self, lang: Language) -> String {
        if let SandboxError::Keychain(e) = self {
            return e.describe(lang);
        }
        let detail = self.to_string();
        lang.pick(
            format!("샌드박스를 시작하지 못했습니다: {detail}"),
            format!("The sandbox could not start: {detail}"),
        )
    }
}

/// When to start the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxMode {
    Off,
    On,
    /// Only when the AWS credential chain has nothing configured.
    Auto,
}

impl SandboxMode {
    pub fn from_env() -> SandboxMode {
        match std::env::var(SANDBOX_ENV).as_deref() {
            Ok("on") | Ok("1") | Ok("true") => SandboxMode::On,
            Ok("auto") => SandboxMode::Auto,
            _ => SandboxMode::Off,
        }
    }

    pub fn wanted(self, credentials_configured: bool) -> bool {
        match self {
            SandboxMode::Off => false,
            SandboxMode::On => true,
            SandboxMode::Auto => !credentials_configured,
        }
    }
}

/// What the UI shows about a running sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SandboxInfo {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub profile: String,
    pub objects: u32,
    /// Where the sandbox's secrets go: the session's keychain, or the sandbox's own
    /// throwaway one when the session has none (the banner says "sandbox keychain").
    /// Always sent; optional in TypeScript only until the UI's fixtures carry it.
    #[specta(optional)]
    pub keychain: KeychainKind,
}

/// A running, seeded sandbox. Dropping it stops the endpoint.
#[derive(Debug)]
pub struct Sandbox {
    server: MotoServer,
    info: SandboxInfo,
    aws_config_file: PathBuf,
    aws_credentials_file: PathBuf,
}

impl Sandbox {
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    pub fn server(&self) -> &MotoServer {
        &self.server
    }

    /// The AWS shared config file holding the sandbox admin profile ([`PROFILE`]).
    pub fn aws_config_file(&self) -> &Path {
        &self.aws_config_file
    }

    pub fn aws_credentials_file(&self) -> &Path {
        &self.aws_credentials_file
    }

    pub fn stop(&self) {
        self.server.stop();
    }
}

/// The photographs to seed: every JPEG in [`PHOTO_DIR`] (or `BUCKETDESK_SANDBOX_PHOTOS`),
/// in name order.
pub fn photo_library() -> Result<Vec<PathBuf>, SandboxError> {
    let dir = std::env::var_os(PHOTO_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(PHOTO_DIR));
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|_| SandboxError::NoPhotos(dir.clone()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    photos.sort();
    if photos.is_empty() {
        return Err(SandboxError::NoPhotos(dir));
    }
    Ok(photos)
}

/// Which key each photograph gets: Korean names with spaces first, then the original file
/// names under `photos/`, every third one a level deeper.
pub fn seed_plan(photos: &[PathBuf]) -> Vec<(String, PathBuf)> {
    photos
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let key = match KOREAN_KEYS.get(i) {
                Some(key) => (*key).to_owned(),
                None => {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| format!("photo-{i}.jpg"));
                    if i % 3 == 0 {
                        format!("photos/landscape/{name}")
                    } else {
                        format!("photos/{name}")
                    }
                }
            };
            (key, path.clone())
        })
        .collect()
}

/// Starts moto, creates the admin user and its key, creates and fills the bucket, writes the
/// admin profile under `dir`, then turns IAM enforcement on. Refuses when
/// [`keychain::start_if_needed`] was called and could not give the sandbox a keychain: a
/// sandbox that cannot save a source is no use.
pub async fn start(program: &Path, dir: &Path) -> Result<Sandbox, SandboxError> {
    let keychain = keychain::status()?;
    let photos = photo_library()?;
    let program = program.to_owned();
    let server = tokio::task::spawn_blocking(move || MotoServer::start(&program))
        .await
        .map_err(|e| SandboxError::Seed {
            step: "start",
            detail: e.to_string(),
        })??;
    let endpoint = server.endpoint();

    // Authorization is off until the end: these first calls bootstrap the admin.
    let bootstrap = aws::sdk_config(&Target {
        endpoint_url: Some(endpoint.clone()),
        region: REGION.into(),
        access_key_id: "bootstrap".into(),
        secret: SecretString::new("bootstrap"),
    })
    .await;
    let iam = aws::iam_client(&bootstrap);
    let seed_err = |step: &'static str| {
        move |e: &dyn std::fmt::Display| SandboxError::Seed {
            step,
            detail: e.to_string(),
        }
    };
    iam.create_user()
        .user_name(ADMIN_USER)
        .send()
        .await
        .map_err(|e| seed_err("create admin user")(&aws_sdk_iam::error::DisplayErrorContext(e)))?;
    iam.attach_user_policy()
        .user_name(ADMIN_USER)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .map_err(|e| {
            seed_err("attach admin policy")(&aws_sdk_iam::error::DisplayErrorContext(e))
        })?;
    let key = iam
        .create_access_key()
        .user_name(ADMIN_USER)
        .send()
        .await
        .map_err(|e| seed_err("create admin key")(&aws_sdk_iam::error::DisplayErrorContext(e)))?;
    let key = key.access_key().ok_or_else(|| SandboxError::Seed {
        step: "create admin key",
        detail: "no key in the answer".into(),
    })?;
    let admin = Target {
        endpoint_url: Some(endpoint.clone()),
        region: REGION.into(),
        access_key_id: key.access_key_id().to_owned(),
        secret: SecretString::new(key.secret_access_key()),
    };

    let s3 = aws::s3_client(&aws::sdk_config(&admin).await);
    s3.create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .map_err(|e| seed_err("create bucket")(&aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let plan = seed_plan(&photos);
    for (key, path) in &plan {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| seed_err("read photo")(&e))?;
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .content_type("image/jpeg")
            .body(body)
            .send()
            .await
            .map_err(|e| seed_err("upload photo")(&aws_sdk_s3::error::DisplayErrorContext(e)))?;
    }

    let (aws_config_file, aws_credentials_file) = write_profile(dir, &admin)?;
    server.set_auth(true)?;
    Ok(Sandbox {
        info: SandboxInfo {
            endpoint,
            bucket: BUCKET.into(),
            region: REGION.into(),
            profile: PROFILE.into(),
            objects: plan.len() as u32,
            keychain,
        },
        server,
        aws_config_file,
        aws_credentials_file,
    })
}

/// Writes `dir/aws/config` and `dir/aws/credentials` with the [`PROFILE`] profile, in the
/// AWS shared-file formats (readable by the AWS CLI with `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`).
fn write_profile(dir: &Path, admin: &Target) -> Result<(PathBuf, PathBuf), SandboxError> {
    let aws_dir = dir.join("aws");
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SandboxError::Io { path, source }
    };
    std::fs::create_dir_all(&aws_dir).map_err(io(&aws_dir))?;
    let config = aws_dir.join("config");
    let credentials = aws_dir.join("credentials");
    let endpoint = admin.endpoint_url.as_deref().unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "[profile {PROFILE}]\nregion = {}\nendpoint_url = {endpoint}\n",
            admin.region
        ),
    )
    .map_err(io(&config))?;
    write_private(
        &credentials,
        &format!(
            "[{PROFILE}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            admin.access_key_id,
            admin.secret.expose()
        ),
    )
    .map_err(io(&credentials))?;
    Ok((config, credentials))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_follows_credentials_only_in_auto() {
        assert!(SandboxMode::Auto.wanted(false));
        assert!(!SandboxMode::Auto.wanted(true));
        assert!(SandboxMode::On.wanted(true));
        assert!(!SandboxMode::Off.wanted(false));
    }

    #[test]
    fn seed_plan_gives_korean_keys_first_and_unique_keys() {
        let photos: Vec<PathBuf> = (0..20)
            .map(|i| PathBuf::from(format!("/p/img{i}.jpg")))
            .collect();
        let plan = seed_plan(&photos);
        assert_eq!(plan.len(), 20);
        assert_eq!(plan[0].0, "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg");
        assert!(plan.iter().any(|(k, _)| k.starts_with("photos/landscape/")));
        let mut keys: Vec<_> = plan.iter().map(|(k, _)| k.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 20, "every photo gets its own key");
    }
}
