//! The HTTP server of the local CDN: axum on 127.0.0.1 only.
//!
//! Every request: `Host` check, token check (see [`super::security`]), then within the
//! per-request deadline (default 30 s → 504), which covers the revalidation, the fetch and
//! the transform:
//! - `/image/{source}/{path}?{options}`: options parsed ([`super::options`]), the original's
//!   ETag known or revalidated ([`super::cache::Freshness`]), `If-None-Match` → 304, then
//!   the memory cache, the disk cache, or one flight per stored key that fetches the original
//!   once and transforms it once. A flight takes, in order: an original slot (two per worker)
//!   before the original is buffered; its [`pipeline::memory_estimate`] from the memory
//!   budget (the two waits together at most `budget_wait`, then 503 with `Retry-After`); a
//!   worker permit
//!   (one per CPU) in front of `spawn_blocking`. A panic in the transform is caught, logged
//!   and remembered like a refusal; the client gets a 500 `internal` without its text.
//! - `/file/{source}/{path}`: the original passed through as a stream, with `Range`.
//! - `/metrics`: the counters as JSON.
//!
//! Errors are JSON `{"code", "message"}` with the status: bad option or path 400, unknown
//! source or object 404, origin refused 502, unreachable 502, origin timeout 504, pipeline
//! errors 413 (too many pixels, too large) / 415 (unsupported) / 422 (damaged) / 400 (output
//! over the limit). Messages are English: they name options of the URL API.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::cache::{
    DiskCache, Entry, Flights, Freshness, MemoryCache, if_none_match, response_etag, stored_key,
};
use super::options::{ImageOptions, OptionError};
use super::origin::{ObjectPath, Origin, OriginError, Passthrough, parse_object_path};
use super::pipeline;
use super::security::{TOKEN_HEADER, Token, host_allowed, token_in_query};
use super::transform::{Limits, PipelineError, Rendered, Transform};
use crate::config::ConfigStore;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The pipeline's entry point (a parameter so the server is tested on its own too).
pub type TransformFn = fn(&[u8], &Transform, &Limits) -> Result<Rendered, PipelineError>;

/// `Cache-Control` of every answer: the webview and browsers may keep a copy but must ask
/// again (a cheap 304 on loopback), so a changed original shows within the revalidation time.
pub const CACHE_CONTROL: &str = "private, no-cache";
/// Default time an original's ETag is trusted before a `HeadObject` checks it again.
pub const REVALIDATE_AFTER: Duration = Duration::from_secs(10);
/// Default per-request time limit.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound of the memory cache.
pub const MEMORY_BYTES: u64 = 128 * 1024 * 1024;
/// Environment override of the disk cache directory.
pub const CACHE_DIR_ENV: &str = "BUCKETDESK_CACHE_DIR";
/// Default memory budget of the transforms in flight (their [`pipeline::memory_estimate`]s).
pub const TRANSFORM_MEMORY: u64 = 1024 * 1024 * 1024;
/// Environment override of the transform memory budget, in MiB.
pub const TRANSFORM_MEMORY_ENV: &str = "BUCKETDESK_CDN_TRANSFORM_MB";
/// Environment override of the number of transform workers (default: one per CPU).
pub const WORKERS_ENV: &str = "BUCKETDESK_CDN_WORKERS";
/// How long a transform waits for room in the memory budget before a 503.
pub const BUDGET_WAIT: Duration = Duration::from_secs(10);
/// The file in the config dir where a running server records its bound port (and pid).
pub const RUNNING_FILE: &str = "cdn-running.json";

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Preferred port; when taken, any free port. 0: any free port.
    pub port: u16,
    pub token: Token,
    pub limits: Limits,
    pub memory_bytes: u64,
    pub disk_dir: PathBuf,
    pub disk_bytes: u64,
    pub revalidate_after: Duration,
    pub request_timeout: Duration,
    /// Transforms running at once.
    pub workers: usize,
    /// Bytes that the transforms in flight may hold together (by their estimates). One
    /// transform larger than the whole budget runs alone.
    pub transform_memory: u64,
    /// How long a flight waits in all for an original slot and for room in the budget
    /// before a 503 with `Retry-After`.
    pub budget_wait: Duration,
    /// Where to record the bound port while the server runs (see [`running_base`]).
    pub running_file: Option<PathBuf>,
    pub transform: TransformFn,
}

impl ServerConfig {
    /// Defaults around a token, a cache directory and a pipeline.
    pub fn new(token: Token, disk_dir: PathBuf, transform: TransformFn) -> ServerConfig {
        ServerConfig {
            port: 0,
            token,
            limits: Limits::default(),
            memory_bytes: MEMORY_BYTES,
            disk_dir,
            disk_bytes: 512 * 1024 * 1024,
            revalidate_after: REVALIDATE_AFTER,
            request_timeout: REQUEST_TIMEOUT,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            transform_memory: TRANSFORM_MEMORY,
            budget_wait: BUDGET_WAIT,
            running_file: None,
            transform,
        }
    }

    /// The install's server: port and disk bound from the settings, the token from the
    /// config dir, the disk cache in the OS cache dir (`BUCKETDESK_CACHE_DIR` overrides).
    pub fn for_install(
        store: &ConfigStore,
        transform: TransformFn,
    ) -> Result<ServerConfig, CdnError> {
        let settings = store
            .load()
            .map_err(|e| CdnError::Config(e.describe(Language::En)))?
            .settings;
        let token = Token::load_or_create(store.dir()).map_err(|e| CdnError::Io {
            what: "the token file",
            detail: e.to_string(),
        })?;
        let disk_dir = match std::env::var_os(CACHE_DIR_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::cache_dir()
                .map(|d| d.join("bucketdesk").join("cdn"))
                .unwrap_or_else(|| store.dir().join("cdn-cache")),
        };
        let mut config = ServerConfig::new(token, disk_dir, transform);
        config.port = settings.cdn_port;
        config.disk_bytes = u64::from(settings.cache_mb) * 1024 * 1024;
        config.memory_bytes = u64::from(settings.memory_cache_mb) * 1024 * 1024;
        config.running_file = Some(store.dir().join(RUNNING_FILE));
        let env_number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        if let Some(mb) = env_number(TRANSFORM_MEMORY_ENV) {
            config.transform_memory = mb * 1024 * 1024;
        }
        if let Some(n) = env_number(WORKERS_ENV) {
            config.workers = usize::try_from(n.min(256)).unwrap_or(256);
        }
        Ok(config)
    }
}

/// Why the server could not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdnError {
    #[error("cannot use {what}: {detail}")]
    Io { what: &'static str, detail: String },
    #[error("{0}")]
    Config(String),
    #[error("the local CDN is not running: {0}")]
    NotRunning(String),
}

impl Described for CdnError {
    fn code(&self) -> ErrorCode {
        match self {
            CdnError::Io { .. } => ErrorCode::Io,
            CdnError::Config(_) => ErrorCode::ConfigCorrupt,
            CdnError::NotRunning(_) => ErrorCode::NotAvailable,
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            CdnError::Io { what, detail } => lang.pick(
                format!("로컬 CDN이 {what}을(를) 쓸 수 없습니다: {detail}"),
                format!("The local CDN cannot use {what}: {detail}"),
            ),
            CdnError::Config(detail) => detail.clone(),
            CdnError::NotRunning(detail) => lang.pick(
                format!("로컬 CDN이 실행 중이 아닙니다: {detail}"),
                format!("The local CDN is not running: {detail}"),
            ),
        }
    }
}

impl Described for OptionError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }

    fn describe(&self, lang: Language) -> String {
        lang.pick(
            format!("이미지 옵션 {}", self),
            format!("Image option {}", self),
        )
    }
}

/// Counters of what the server did (tests and the benchmark read them).
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    /// Originals read whole for `/image` (`GetObject`).
    pub origin_fetches: AtomicU64,
    /// Revalidations (`HeadObject`).
    pub origin_heads: AtomicU64,
    /// `/file` passthroughs.
    pub file_fetches: AtomicU64,
    pub transforms: AtomicU64,
    pub memory_hits: AtomicU64,
    pub disk_hits: AtomicU64,
    /// Rendered images written to the disk cache (in the background, after the answer).
    pub disk_writes: AtomicU64,
    pub not_modified: AtomicU64,
    pub errors: AtomicU64,
    /// Transform memory reserved right now, and the most ever reserved at once (bytes).
    pub memory_reserved: AtomicU64,
    pub memory_reserved_peak: AtomicU64,
    /// Answers 503 because the memory budget stayed full.
    pub busy: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSnapshot {
    pub requests: u64,
    pub origin_fetches: u64,
    pub origin_heads: u64,
    pub file_fetches: u64,
    pub transforms: u64,
    pub memory_hits: u64,
    pub disk_hits: u64,
    pub disk_writes: u64,
    pub not_modified: u64,
    pub errors: u64,
    pub memory_reserved: u64,
    pub memory_reserved_peak: u64,
    pub busy: u64,
}

impl Metrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            requests: g(&self.requests),
            origin_fetches: g(&self.origin_fetches),
            origin_heads: g(&self.origin_heads),
            file_fetches: g(&self.file_fetches),
            transforms: g(&self.transforms),
            memory_hits: g(&self.memory_hits),
            disk_hits: g(&self.disk_hits),
            disk_writes: g(&self.disk_writes),
            not_modified: g(&self.not_modified),
            errors: g(&self.errors),
            memory_reserved: g(&self.memory_reserved),
            memory_reserved_peak: g(&self.memory_reserved_peak),
            busy: g(&self.busy),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// How many failed transforms are remembered (each is a key and a short message).
const REFUSALS_KEPT: usize = 4096;

/// An answer other than the image: status, a code a client may branch on, plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header (a 503 when the server is busy).
    pub retry_after: Option<u32>,
}

impl ServeError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ServeError {
        ServeError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Our own failure: the client hears that it is ours, the detail goes to the log only.
    fn internal() -> ServeError {
        ServeError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the local CDN failed on this request (an internal error; the details are in its log)",
        )
    }
}

impl From<OptionError> for ServeError {
    fn from(e: OptionError) -> Self {
        ServeError::new(StatusCode::BAD_REQUEST, "invalid_option", e.to_string())
    }
}

impl From<OriginError> for ServeError {
    fn from(e: OriginError) -> Self {
        let code = match &e {
            OriginError::NoSuchSource(_) => "no_such_source",
            OriginError::NotFound(_) => "not_found",
            OriginError::Refused(_) => "origin_refused",
            OriginError::Unreachable(_) => "origin_unreachable",
            OriginError::TimedOut => "origin_timeout",
            OriginError::TooLarge { .. } | OriginError::BodyTooLarge { .. } => "too_large",
            OriginError::BadRange => "bad_range",
            OriginError::Local(_) => "internal",
        };
        ServeError::new(e.status(), code, e.to_string())
    }
}

impl From<PipelineError> for ServeError {
    fn from(e: PipelineError) -> Self {
        let (status, code) = match &e {
            PipelineError::Unsupported(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported"),
            PipelineError::Corrupt(_) => (StatusCode::UNPROCESSABLE_ENTITY, "corrupt"),
            PipelineError::TooManyPixels { .. } | PipelineError::TooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
            }
            PipelineError::OutputTooLarge { .. } | PipelineError::OutputAreaTooLarge { .. } => {
                (StatusCode::BAD_REQUEST, "invalid_option")
            }
            PipelineError::Encode { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported"),
            PipelineError::Internal(detail) => {
                eprintln!("bucketdesk: internal error in the CDN pipeline: {detail}");
                return ServeError::internal();
            }
        };
        ServeError::new(status, code, e.to_string())
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// What every request handler shares.
struct Shared {
    port: u16,
    token: Token,
    limits: Limits,
    request_timeout: Duration,
    transform: TransformFn,
    origin: Arc<dyn Origin>,
    memory: MemoryCache,
    disk: Arc<DiskCache>,
    freshness: Freshness,
    images: Flights<String, Result<Arc<Entry>, ServeError>>,
    /// Transforms that failed, by stored key (which holds the original's ETag): a broken or
    /// hostile original is refused again without fetching and decoding it each time, until
    /// it changes.
    refusals: std::sync::Mutex<lru::LruCache<String, ServeError>>,
    heads: Flights<String, Result<String, ServeError>>,
    /// Originals buffered at once: a flight takes a slot before its `GetObject`.
    originals: Arc<Semaphore>,
    /// The transform memory budget, in KiB permits.
    budget: Arc<Semaphore>,
    budget_kib: u32,
    budget_wait: Duration,
    workers: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// A running server. Dropping it leaves the server running until the runtime ends;
/// [`CdnServer::shutdown`] stops it cleanly.
pub struct CdnServer {
    addr: SocketAddr,
    token: Token,
    metrics: Arc<Metrics>,
    disk: Arc<DiskCache>,
    running_file: Option<PathBuf>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for CdnServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CdnServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl CdnServer {
    /// Binds 127.0.0.1 on the preferred port (any free one when it is taken) and serves.
    pub async fn start(
        config: ServerConfig,
        origin: Arc<dyn Origin>,
    ) -> Result<CdnServer, CdnError> {
        return_large_buffers_to_the_os();
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await {
            Ok(l) => l,
            Err(_) if config.port != 0 => tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|e| CdnError::Io {
                    what: "a loopback port",
                    detail: e.to_string(),
                })?,
            Err(e) => {
                return Err(CdnError::Io {
                    what: "a loopback port",
                    detail: e.to_string(),
                });
            }
        };
        let addr = listener.local_addr().map_err(|e| CdnError::Io {
            what: "a loopback port",
            detail: e.to_string(),
        })?;
        let (dir, bytes) = (config.disk_dir.clone(), config.disk_bytes);
        let disk = tokio::task::spawn_blocking(move || DiskCache::open(&dir, bytes))
            .await
            .map_err(|e| CdnError::Io {
                what: "the cache directory",
                detail: e.to_string(),
            })?
            .map_err(|e| CdnError::Io {
                what: "the cache directory",
                detail: format!("{}: {e}", config.disk_dir.display()),
            })?;
        let metrics = Arc::new(Metrics::default());
        let disk = Arc::new(disk);
        let workers = config.workers.max(1);
        let budget_kib =
            u32::try_from(config.transform_memory.div_ceil(1024).max(1)).unwrap_or(u32::MAX >> 4);
        let shared = Arc::new(Shared {
            port: addr.port(),
            token: config.token.clone(),
            limits: config.limits,
            request_timeout: config.request_timeout,
            transform: config.transform,
            origin,
            memory: MemoryCache::new(config.memory_bytes),
            disk: disk.clone(),
            freshness: Freshness::new(config.revalidate_after),
            images: Flights::default(),
            refusals: std::sync::Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(REFUSALS_KEPT).expect("not zero"),
            )),
            heads: Flights::default(),
            originals: Arc::new(Semaphore::new(workers * 2)),
            budget: Arc::new(Semaphore::new(budget_kib as usize)),
            budget_kib,
            budget_wait: config.budget_wait,
            workers: Arc::new(Semaphore::new(workers)),
            metrics: metrics.clone(),
        });
        if let Some(path) = &config.running_file
            && let Err(e) = write_running_file(path, addr.port())
        {
            // `cdn url` then falls back to the configured port; serving is unaffected.
            eprintln!(
                "bucketdesk: cannot record the local CDN's port in {}: {e}",
                path.display()
            );
        }
        let app = Router::new().fallback(handle).with_state(shared);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(CdnServer {
            addr,
            token: config.token,
            metrics,
            disk,
            running_file: config.running_file,
            shutdown: Some(tx),
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    pub fn token(&self) -> &Token {
        &self.token
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// A handle that keeps reading the counters after the server moved elsewhere.
    pub fn metrics_handle(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    /// The disk cache folder and the running file are given up.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.release();
    }

    /// Asks the server to stop without waiting (from synchronous code).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.release();
    }

    fn release(&mut self) {
        self.disk.release();
        if let Some(path) = self.running_file.take() {
            remove_running_file(&path);
        }
    }
}

/// Pixel buffers (megabytes each) are allocated and freed on whichever blocking thread runs a
/// transform. glibc's dynamic mmap threshold rises to the size of the last buffer freed, and
/// from then on such buffers come from per-thread arenas that keep their pages: the RSS grows
/// with the number of threads that ever ran a transform, not with the work in flight, and the
/// memory budget would bound nothing real. A fixed threshold makes every allocation over
/// 1 MiB its own mapping, given back to the OS when freed.
fn return_large_buffers_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only tunes the allocator; it is safe to call at any time.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        });
    }
}

/// What a running server records in [`RUNNING_FILE`].
#[derive(Debug, Serialize, serde::Deserialize)]
struct Running {
    port: u16,
    pid: u32,
}

/// Writes the running file (0600, atomically): the bound port and our pid.
fn write_running_file(path: &Path, port: u16) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string(&Running {
        port,
        pid: std::process::id(),
    })
    .map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&tmp)?.write_all(text.as_bytes())?;
    std::fs::rename(&tmp, path)
}

/// Removes the running file if it is still ours (another server may have written it since).
fn remove_running_file(path: &Path) {
    let ours = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Running>(&t).ok())
        .is_some_and(|r| r.pid == std::process::id());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

/// The base URL (`http://127.0.0.1:PORT`) of this install's running local CDN: the port a
/// server recorded in [`RUNNING_FILE`] in the config dir, when that process is alive and the
/// port answers; otherwise the configured port (`settings.cdnPort`). For `cdn url`, whose
/// preview URL must name the port actually bound (the configured one may have been taken).
pub fn running_base(store: &ConfigStore) -> Result<String, CdnError> {
    if let Some(port) = running_port(&store.dir().join(RUNNING_FILE)) {
        return Ok(format!("http://127.0.0.1:{port}"));
    }
    let settings = store
        .load()
        .map_err(|e| CdnError::Config(e.describe(Language::En)))?
        .settings;
    Ok(format!("http://127.0.0.1:{}", settings.cdn_port))
}

/// The base URL of a local CDN that runs for this install now (the app's or `cdn serve`'s),
/// if one does.
pub fn running_server_base(store: &ConfigStore) -> Option<String> {
    running_port(&store.dir().join(RUNNING_FILE)).map(|port| format!("http://127.0.0.1:{port}"))
}

/// The port in a running file, if its process is alive and something listens there.
fn running_port(path: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(path).ok()?;
    let running: Running = serde_json::from_str(&text).ok()?;
    let pid = libc::pid_t::try_from(running.pid).ok()?;
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    let addr = SocketAddr::from(([127, 0, 0, 1], running.port));
    let listening = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok();
    (alive && listening && running.port != 0).then_some(running.port)
}

/// The path and query of an image URL: `/image/{source}/{key, segments encoded}?{options}`.
pub fn image_path(source: &str, key: &str, options: &ImageOptions) -> String {
    let path: Vec<String> = key
        .trim_start_matches('/')
        .split('/')
        .map(crate::sources::encode_segment)
        .collect();
    let query = options.to_query();
    let mut out = format!(
        "/image/{}/{}",
        crate::sources::encode_segment(source),
        path.join("/")
    );
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    out
}

/// The local preview URL of an image, token included.
pub fn local_url(
    base_url: &str,
    token: &Token,
    source: &str,
    key: &str,
    options: &ImageOptions,
) -> String {
    let path = image_path(source, key, options);
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{base_url}{path}{sep}token={}", token.expose())
}

/// The production URL of an image (`https://cdn.weekerp.com/image/…`): never a token.
pub fn production_url(source: &str, key: &str, options: &ImageOptions) -> String {
    format!(
        "{}{}",
        crate::sources::CDN_BASE,
        image_path(source, key, options)
    )
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    bump(&s.metrics.requests);
    // The body is never read; only the head travels across awaits (a Body is not Sync).
    let (req, _body) = req.into_parts();
    // The time limit is a deadline on the stages that wait (origin, transform): a warm hit
    // answers from memory without arming a timer.
    let deadline = tokio::time::Instant::now() + s.request_timeout;
    let response = match check_access(&s, &req) {
        Err(e) => e.into_response(),
        Ok(()) => match route(&s, &req, deadline).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        },
    };
    if response.status().is_client_error() || response.status().is_server_error() {
        bump(&s.metrics.errors);
    }
    with_app_cors(&req, response)
}

/// The app's own pages (the webview's custom-protocol origin, or the Vite dev server) may read
/// responses with `fetch`, to show a preview's bytes and error messages. Any other origin gets
/// no CORS header, so a web page cannot read them; every request still needs the token.
fn with_app_cors(req: &Parts, mut response: Response) -> Response {
    let origin = req.headers.get(header::ORIGIN);
    if let Some(origin) = origin.filter(|o| app_origin(o.as_bytes())) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.append(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    response
}

/// Origins of the app's webview: `tauri://localhost` (Linux, macOS), `http(s)://tauri.localhost`
/// (Windows), and, in debug builds only, the dev server on loopback (a release build never
/// loads the dev server, and any local web page could claim `http://localhost:*`).
fn app_origin(origin: &[u8]) -> bool {
    app_origin_in(origin, cfg!(debug_assertions))
}

fn app_origin_in(origin: &[u8], debug_build: bool) -> bool {
    matches!(
        origin,
        b"tauri://localhost" | b"http://tauri.localhost" | b"https://tauri.localhost"
    ) || (debug_build && origin.starts_with(b"http://localhost:"))
}

/// `work`, or a 504 when the request's deadline passes first.
async fn by_deadline<T>(
    s: &Shared,
    deadline: tokio::time::Instant,
    work: impl Future<Output = Result<T, ServeError>>,
) -> Result<T, ServeError> {
    match tokio::time::timeout_at(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(ServeError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s",
                s.request_timeout.as_secs_f32()
            ),
        )),
    }
}

fn check_access(s: &Shared, req: &Parts) -> Result<(), ServeError> {
    let host = req
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri.authority().map(|a| a.as_str()));
    let authority_ok = req
        .uri
        .authority()
        .is_none_or(|a| host_allowed(a.as_str(), s.port));
    if !(host.is_some_and(|h| host_allowed(h, s.port)) && authority_ok) {
        return Err(ServeError::new(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            format!(
                "the Host must be 127.0.0.1:{0} or localhost:{0}: the local CDN answers only to itself",
                s.port
            ),
        ));
    }
    let offered = req
        .headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri.query().and_then(token_in_query));
    match offered {
        None => Err(ServeError::new(
            StatusCode::UNAUTHORIZED,
            "token_missing",
            "the local CDN needs its token: ?token=… or the X-Bucketdesk-Token header",
        )),
        Some(t) if !s.token.matches(t) => Err(ServeError::new(
            StatusCode::FORBIDDEN,
            "token_wrong",
            "the token is not this install's local CDN token",
        )),
        Some(_) => Ok(()),
    }
}

async fn route(
    s: &Arc<Shared>,
    req: &Parts,
    deadline: tokio::time::Instant,
) -> Result<Response, ServeError> {
    if req.method != Method::GET && req.method != Method::HEAD {
        return Err(ServeError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "only GET and HEAD",
        ));
    }
    let path = req.uri.path();
    let query = req.uri.query().unwrap_or("");
    if let Some(rest) = path.strip_prefix("/image/") {
        image(s, rest, query, &req.headers, deadline).await
    } else if let Some(rest) = path.strip_prefix("/file/") {
        file(s, rest, &req.headers, deadline).await
    } else if path == "/metrics" {
        let body = serde_json::to_string(&s.metrics.snapshot()).expect("metrics serialize");
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    } else {
        Err(ServeError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the local CDN serves /image/{source}/{path} and /file/{source}/{path}",
        ))
    }
}

fn object(rest: &str) -> Result<ObjectPath, ServeError> {
    parse_object_path(rest)
        .map_err(|e| ServeError::new(StatusCode::BAD_REQUEST, "invalid_path", e.to_string()))
}

async fn image(
    s: &Arc<Shared>,
    rest: &str,
    query: &str,
    headers: &HeaderMap,
    deadline: tokio::time::Instant,
) -> Result<Response, ServeError> {
    let obj = object(rest)?;
    let options = ImageOptions::parse_query(query)?;
    options.check_limits(&s.limits)?;
    let original = format!("{}\n{}", obj.source, obj.key);
    let origin_etag = match s.freshness.fresh(&original) {
        Some(etag) => etag,
        None => by_deadline(s, deadline, revalidate(s, &obj, &original)).await?,
    };
    let variant = format!("{original}\n{}", options.to_query());
    let key = stored_key(&variant, &origin_etag);
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && if_none_match(inm, &response_etag(&key))
    {
        bump(&s.metrics.not_modified);
        return Ok(not_modified(&response_etag(&key)));
    }
    if let Some(entry) = s.memory.get(&key) {
        bump(&s.metrics.memory_hits);
        return Ok(image_response(&entry));
    }
    if let Some(refused) = s.refused(&key) {
        return Err(refused);
    }
    // The whole flight (fetch and transform) is under this request's deadline. When every
    // caller has given up, the flight is dropped: the fetch stops, and a transform already
    // running finishes on its worker, holding its permits and its memory reservation until
    // then (bounded by the limits), and its result is dropped.
    let entry = by_deadline(
        s,
        deadline,
        s.images.run(key.clone(), || {
            fill(s.clone(), obj, options, original, variant, key)
        }),
    )
    .await?;
    Ok(image_response(&entry))
}

impl Shared {
    /// The remembered refusal of a stored key, if any.
    fn refused(&self, key: &str) -> Option<ServeError> {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn remember_refusal(&self, key: String, refused: &ServeError) {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(key, refused.clone());
    }
}

/// The original's current ETag, one `HeadObject` for all concurrent askers.
async fn revalidate(
    s: &Arc<Shared>,
    obj: &ObjectPath,
    original: &str,
) -> Result<String, ServeError> {
    s.heads
        .run(original.to_owned(), || async {
            if let Some(etag) = s.freshness.fresh(original) {
                return Ok(etag);
            }
            bump(&s.metrics.origin_heads);
            let etag = s.origin.etag(&obj.source, &obj.key).await?;
            s.freshness.record(original, &etag);
            Ok(etag)
        })
        .await
}

/// A share of the transform memory budget, given back when dropped.
struct Reservation {
    _permit: OwnedSemaphorePermit,
    bytes: u64,
    metrics: Arc<Metrics>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.metrics
            .memory_reserved
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// The answer when the server stays saturated: come back shortly.
fn busy(s: &Shared) -> ServeError {
    bump(&s.metrics.busy);
    let mut busy = ServeError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the local CDN is busy with other images (its memory budget is in use): try again shortly",
    );
    busy.retry_after = Some(2);
    busy
}

/// Reserves `bytes` of the memory budget (all of it at most), waiting until `admission`;
/// then a 503 with `Retry-After`, never an allocation the budget has no room for.
async fn reserve(
    s: &Shared,
    bytes: u64,
    admission: tokio::time::Instant,
) -> Result<Reservation, ServeError> {
    let kib = u32::try_from(bytes.div_ceil(1024).clamp(1, u64::from(s.budget_kib)))
        .unwrap_or(s.budget_kib);
    let wait = s.budget.clone().acquire_many_owned(kib);
    // `timeout_at` polls the wait first: room that is free now is taken even if the
    // admission time has passed during the fetch.
    let Ok(permit) = tokio::time::timeout_at(admission, wait).await else {
        return Err(busy(s));
    };
    let permit = permit.expect("the budget is never closed");
    let bytes = u64::from(kib) * 1024;
    let now = s
        .metrics
        .memory_reserved
        .fetch_add(bytes, Ordering::Relaxed)
        + bytes;
    s.metrics
        .memory_reserved_peak
        .fetch_max(now, Ordering::Relaxed);
    Ok(Reservation {
        _permit: permit,
        bytes,
        metrics: s.metrics.clone(),
    })
}

/// The text of a caught panic, for the log.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// One flight: the disk cache, else the original fetched and transformed.
async fn fill(
    s: Arc<Shared>,
    obj: ObjectPath,
    options: ImageOptions,
    original: String,
    variant: String,
    key: String,
) -> Result<Arc<Entry>, ServeError> {
    if let Some(entry) = s.memory.get(&key) {
        return Ok(entry);
    }
    let (disk, k) = (s.disk.clone(), key.clone());
    if let Ok(Some(entry)) = tokio::task::spawn_blocking(move || disk.get(&k)).await {
        bump(&s.metrics.disk_hits);
        let entry = Arc::new(entry);
        s.memory.put(key, entry.clone());
        return Ok(entry);
    }
    // From here this flight will transform: a decoder that would take a second core for
    // itself sees it coming (`pipeline::Demand`).
    let _demand = pipeline::Demand::start();
    // Originals are buffered only with a slot: their number in memory is bounded by the
    // pool, not by the number of requests. The waits for a slot and for memory together
    // last at most `budget_wait`: a saturated server answers 503, not a late 504.
    let admission = tokio::time::Instant::now() + s.budget_wait;
    let slot = match tokio::time::timeout_at(admission, s.originals.clone().acquire_owned()).await {
        Ok(slot) => slot.expect("the original slots are never closed"),
        Err(_) => return Err(busy(&s)),
    };
    bump(&s.metrics.origin_fetches);
    let fetched = s
        .origin
        .get(&obj.source, &obj.key, s.limits.max_input_bytes)
        .await?;
    s.freshness.record(&original, &fetched.etag);
    // The original may have changed since its ETag was checked: store under what was read.
    let key = stored_key(&variant, &fetched.etag);
    if let Some(refused) = s.refused(&key) {
        return Err(refused);
    }
    let estimate = pipeline::memory_estimate(&fetched.bytes, &options.transform, &s.limits);
    let memory = reserve(&s, estimate, admission).await?;
    let permit = s
        .workers
        .clone()
        .acquire_owned()
        .await
        .expect("the worker pool is never closed");
    bump(&s.metrics.transforms);
    let (transform, limits) = (s.transform, s.limits);
    let joined = tokio::task::spawn_blocking(move || {
        let _held = (permit, memory, slot);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            transform(&fetched.bytes, &options.transform, &limits)
        }))
    })
    .await;
    let rendered = match joined {
        Ok(Ok(Ok(rendered))) => rendered,
        Ok(Ok(Err(e))) => {
            let refused = ServeError::from(e);
            s.remember_refusal(key, &refused);
            return Err(refused);
        }
        // A panic is remembered like a refusal (the same bytes would panic again); its
        // text goes to the log, never to the client.
        Ok(Err(payload)) => {
            eprintln!(
                "bucketdesk: the CDN transform panicked on {}: {}",
                variant.replace('\n', " "),
                panic_text(payload.as_ref())
            );
            let refused = ServeError::internal();
            s.remember_refusal(key, &refused);
            return Err(refused);
        }
        Err(e) => {
            eprintln!("bucketdesk: the CDN transform task failed: {e}");
            return Err(ServeError::internal());
        }
    };
    let entry = Arc::new(Entry {
        bytes: rendered.bytes.into(),
        content_type: rendered.format.content_type().to_owned(),
        etag: response_etag(&key),
    });
    s.memory.put(key.clone(), entry.clone());
    let (disk, stored, metrics) = (s.disk.clone(), entry.clone(), s.metrics.clone());
    tokio::task::spawn_blocking(move || match disk.put(&key, &stored) {
        Ok(()) => bump(&metrics.disk_writes),
        Err(e) => eprintln!("bucketdesk: the CDN disk cache could not store an image: {e}"),
    });
    Ok(entry)
}

fn image_response(entry: &Entry) -> Response {
    let mut response = Response::new(Body::from(entry.bytes.clone()));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&entry.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&entry.etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// A content type from the key's extension, for objects stored without a useful one.
pub fn guess_content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css",
        "html" | "htm" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        _ => "application/octet-stream",
    }
}

async fn file(
    s: &Arc<Shared>,
    rest: &str,
    headers: &HeaderMap,
    deadline: tokio::time::Instant,
) -> Result<Response, ServeError> {
    let obj = object(rest)?;
    // One `bytes=` range is passed to the origin; anything else is ignored (the whole file
    // is a valid answer to a Range request the server does not support).
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|r| r.starts_with("bytes=") && !r.contains(','));
    bump(&s.metrics.file_fetches);
    let Passthrough {
        body,
        content_type,
        content_length,
        content_range,
        etag,
    } = by_deadline(s, deadline, async {
        Ok(s.origin.open(&obj.source, &obj.key, range).await?)
    })
    .await?;
    let content_type = content_type
        .filter(|t| !t.is_empty() && t != "binary/octet-stream" && t != "application/octet-stream")
        .unwrap_or_else(|| guess_content_type(&obj.key).to_owned());
    let mut response = Response::new(body);
    if content_range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: Option<String>| {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, Some(content_type));
    set(
        header::CONTENT_LENGTH,
        content_length.map(|n| n.to_string()),
    );
    set(header::CONTENT_RANGE, content_range);
    set(header::ETAG, etag);
    set(header::ACCEPT_RANGES, Some("bytes".into()));
    set(header::CACHE_CONTROL, Some(CACHE_CONTROL.into()));
    set(header::X_CONTENT_TYPE_OPTIONS, Some("nosniff".into()));
    // A bucket's HTML or SVG must not run scripts in the local CDN's origin.
    set(header::CONTENT_SECURITY_POLICY, Some("sandbox".into()));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_put_the_token_only_in_the_local_one() {
        let token = Token::new("t0k");
        let o = ImageOptions::parse_query("width=400&f=webp").unwrap();
        let local = local_url(
            "http://127.0.0.1:7390",
            &token,
            "shop",
            "제품/벚꽃 01.jpg",
            &o,
        );
        assert_eq!(
            local,
            "http://127.0.0.1:7390/image/shop/%EC%A0%9C%ED%92%88/%EB%B2%9A%EA%BD%83%2001.jpg?w=400&f=webp&token=t0k"
        );
        let prod = production_url("shop", "제품/벚꽃 01.jpg", &o);
        assert_eq!(
            prod,
            "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88/%EB%B2%9A%EA%BD%83%2001.jpg?w=400&f=webp"
        );
        assert!(!prod.contains("token"));
        let plain = local_url(
            "http://x",
            &token,
            "shop",
            "a.jpg",
            &ImageOptions::default(),
        );
        assert_eq!(plain, "http://x/image/shop/a.jpg?token=t0k");
    }

    #[test]
    fn pipeline_errors_map_to_4xx() {
        let s = |e: PipelineError| ServeError::from(e).status;
        assert_eq!(
            s(PipelineError::Unsupported("x".into())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            s(PipelineError::Corrupt("x".into())),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            s(PipelineError::TooManyPixels {
                width: 30000,
                height: 30000,
                budget: 50_000_000
            }),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            s(PipelineError::OutputTooLarge {
                option: "width",
                value: 9000,
                limit: 8192
            }),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn internal_failures_are_a_500_that_keeps_the_detail_in_the_log() {
        let e = ServeError::from(PipelineError::Internal(
            "resize: Size of the crop box is out of the image boundaries".into(),
        ));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, "internal");
        assert!(!e.message.contains("crop box"), "{}", e.message);
        assert!(!e.message.contains("damaged"), "{}", e.message);
        let area = ServeError::from(PipelineError::OutputAreaTooLarge {
            width: 5000,
            height: 5000,
            limit: 4_194_304,
            format: crate::cdn::transform::Format::Avif,
        });
        assert_eq!(
            (area.status, area.code),
            (StatusCode::BAD_REQUEST, "invalid_option")
        );
        assert!(
            area.message.starts_with("width, height:"),
            "{}",
            area.message
        );
    }

    #[test]
    fn the_running_file_names_the_bound_port_only_while_it_serves() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let path = dir.path().join(RUNNING_FILE);
        assert_eq!(running_base(&store).unwrap(), "http://127.0.0.1:7390");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        write_running_file(&path, port).unwrap();
        assert_eq!(
            running_base(&store).unwrap(),
            format!("http://127.0.0.1:{port}")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(listener);
        assert_eq!(
            running_base(&store).unwrap(),
            "http://127.0.0.1:7390",
            "nothing listens there any more: the configured port"
        );
        remove_running_file(&path);
        assert!(!path.exists(), "our own file is removed");
    }

    #[test]
    fn only_the_apps_own_origins_may_read_responses() {
        assert!(app_origin(b"tauri://localhost"));
        assert!(app_origin(b"http://tauri.localhost"));
        assert!(app_origin(b"http://localhost:5173"));
        assert!(!app_origin(b"https://evil.example"));
        assert!(!app_origin(b"http://localhost.evil.example"));
        assert!(!app_origin(b"null"));
        // A release build: only the webview's own origins, not the dev server's.
        assert!(app_origin_in(b"tauri://localhost", false));
        assert!(app_origin_in(b"https://tauri.localhost", false));
        assert!(!app_origin_in(b"http://localhost:1420", false));
        assert!(!app_origin_in(b"http://localhost:5173", false));
        assert!(app_origin_in(b"http://localhost:1420", true));
    }

    #[test]
    fn content_types_are_guessed_from_extensions() {
        assert_eq!(guess_content_type("a/b.JPG"), "image/jpeg");
        assert_eq!(guess_content_type("video.mp4"), "video/mp4");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }
}
