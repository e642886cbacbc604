//! "Compare formats": one image at one size as JPEG, WebP and AVIF, each with its bytes and
//! its SSIM against the same size rendered losslessly, and the smallest whose score stays at
//! or above a threshold. Every image is asked of the local CDN by its Image API URL (the
//! same `cdn::urls` canonicalizer as the preview), so the bytes scored are the bytes the
//! preview shows, under the server's limits, caches and budget — and the same path and query
//! as production. The GUI (`cdn_compare`) and the CLI (`bucketdesk cdn compare`) both call
//! [`compare`] (the CLI through [`compare_on_install`]).
//!
//! The reference is the same request as `f=png` without `q`: the same decode, orientation,
//! rotation and resize, no lossy encoder. The score thus isolates what each format's encoder
//! costs at this size. Alpha is composited onto black everywhere (as the JPEG output is), and
//! SSIM is computed on BT.601 luma ([`ssim`]).

pub mod decode;
pub mod ssim;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use super::options::{ImageOptions, OptionError};
use super::security::Token;
use super::server::CdnError;
use super::transform::Format;
use super::urls::{self, ImageUrls, LocalServer};
use crate::config::ConfigStore;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::sources::Sources;

/// The formats compared, in the order shown (and preferred on equal bytes).
pub const COMPARED: [Format; 3] = [Format::Jpeg, Format::Webp, Format::Avif];

/// The SSIM a format must keep unless the request says otherwise: at 0.95 and above the
/// loss is hard to see at 1:1 on photos.
pub const DEFAULT_THRESHOLD: f64 = 0.95;

/// The lowest threshold accepted (SSIM is 1 for identical images).
pub const MIN_THRESHOLD: f64 = 0.5;

/// How long one image may take to come back from the local CDN (its own limit is 30 s).
const FETCH_TIMEOUT: Duration = Duration::from_secs(45);

/// The largest answer read (a 40 MP PNG reference is ~120 MB at worst).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// One format of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub format: Format,
    /// Its production and local URLs (`local` is what the GUI shows).
    pub urls: ImageUrls,
    /// Bytes as served; `None` when the local CDN refused this format.
    pub bytes: Option<u32>,
    /// SSIM against the lossless reference, 1 = identical.
    pub ssim: Option<f64>,
    /// Whether it keeps `ssim ≥ threshold`.
    pub above_threshold: bool,
    /// The local CDN's message when it refused this format (e.g. AVIF's lower area cap).
    pub refusal: Option<String>,
}

/// The answer of [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// The output size (the reference's; every candidate has it).
    pub width: u32,
    pub height: u32,
    pub threshold: f64,
    pub candidates: Vec<Candidate>,
    /// The smallest candidate with `ssim ≥ threshold`; `None` when none keeps it.
    pub chosen: Option<Format>,
    /// The canonical query of the lossless reference.
    pub reference_query: String,
}

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Option(#[from] OptionError),
    #[error("threshold {0}")]
    Threshold(String),
    /// The local CDN refused the reference itself (missing object, not an image, limits).
    #[error("the local CDN answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the local CDN could not be reached: {0}")]
    Unreachable(String),
    #[error("{format:?} as served could not be decoded: {reason}")]
    Decode { format: Format, reason: String },
    #[error(transparent)]
    Server(#[from] CdnError),
}

impl Described for CompareError {
    fn code(&self) -> ErrorCode {
        match self {
            CompareError::Option(_) | CompareError::Threshold(_) => ErrorCode::InvalidInput,
            CompareError::Refused { status: 404, .. } => ErrorCode::NotFound,
            CompareError::Refused { status, .. } if (400..500).contains(status) => {
                ErrorCode::InvalidInput
            }
            CompareError::Refused { .. } | CompareError::Unreachable(_) => ErrorCode::Unreachable,
            CompareError::Decode { .. } => ErrorCode::Internal,
            CompareError::Server(e) => e.code(),
        }
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            CompareError::Option(e) => e.describe(lang),
            CompareError::Threshold(value) => lang.pick(
                format!("기준값(threshold) '{value}'은(는) {MIN_THRESHOLD}에서 1 사이의 숫자여야 합니다."),
                format!("threshold: '{value}' must be a number from {MIN_THRESHOLD} to 1."),
            ),
            CompareError::Refused { status, message } => lang.pick(
                format!("로컬 CDN이 이미지를 거절했습니다({status}): {message}"),
                format!("The local CDN refused the image ({status}): {message}"),
            ),
            CompareError::Unreachable(detail) => lang.pick(
                format!("로컬 CDN에 연결할 수 없습니다: {detail}"),
                format!("The local CDN could not be reached: {detail}"),
            ),
            CompareError::Decode { format, reason } => lang.pick(
                format!("로컬 CDN이 보낸 {format:?} 이미지를 읽을 수 없습니다: {reason}"),
                format!("The {format:?} image the local CDN sent could not be read: {reason}"),
            ),
            CompareError::Server(e) => e.describe(lang),
        }
    }
}

/// The threshold asked for, checked (`None`: [`DEFAULT_THRESHOLD`]).
pub fn check_threshold(threshold: Option<f64>) -> Result<f64, CompareError> {
    match threshold {
        None => Ok(DEFAULT_THRESHOLD),
        Some(t) if t.is_finite() && (MIN_THRESHOLD..=1.0).contains(&t) => Ok(t),
        Some(t) => Err(CompareError::Threshold(t.to_string())),
    }
}

/// The smallest candidate that keeps `ssim ≥ threshold` (on equal bytes, the earlier in
/// [`COMPARED`], the more widely supported).
pub fn choose(candidates: &[Candidate], threshold: f64) -> Option<Format> {
    candidates
        .iter()
        .filter_map(|c| Some((c.bytes?, c.ssim?, c.format)))
        .filter(|(_, ssim, _)| *ssim >= threshold)
        .min_by_key(|(bytes, _, _)| *bytes)
        .map(|(_, _, format)| format)
}

/// `options` with the output format set to `format` (and `q` dropped for a lossless one).
fn as_format(options: &ImageOptions, format: Format) -> ImageOptions {
    let mut out = options.clone();
    out.transform.format = Some(format);
    if !format.is_lossy() {
        out.transform.quality = None;
    }
    out
}

/// Compares JPEG, WebP and AVIF of `key` with the preview's `options` (decoded pairs; any
/// `f` is replaced by each format in turn, a `q` applies to all three), as served by the
/// local CDN at `local`.
pub async fn compare<'a>(
    local: LocalServer<'_>,
    source: &str,
    key: &str,
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    threshold: Option<f64>,
) -> Result<Comparison, CompareError> {
    let threshold = check_threshold(threshold)?;
    let options = ImageOptions::parse_pairs(options)?;
    let reference = urls::urls_with(source, key, &as_format(&options, Format::Png), local);
    let urls: Vec<ImageUrls> = COMPARED
        .iter()
        .map(|&f| urls::urls_with(source, key, &as_format(&options, f), local))
        .collect();
    let (reference_answer, jpeg, webp, avif) = tokio::join!(
        fetch(&reference.local),
        fetch(&urls[0].local),
        fetch(&urls[1].local),
        fetch(&urls[2].local),
    );
    let reference_bytes = match reference_answer? {
        (200, body) => body,
        (status, body) => {
            return Err(CompareError::Refused {
                status,
                message: server_message(&body),
            });
        }
    };
    let answers = vec![jpeg?, webp?, avif?];
    let reference_query = reference.query.clone();
    let scored = tokio::task::spawn_blocking(move || score(&reference_bytes, answers))
        .await
        .map_err(|e| CompareError::Decode {
            format: Format::Png,
            reason: e.to_string(),
        })??;
    let (width, height, scores) = scored;
    let candidates: Vec<Candidate> = COMPARED
        .iter()
        .zip(urls)
        .zip(scores)
        .map(|((&format, urls), score)| {
            let (bytes, ssim, refusal) = match score {
                Ok((bytes, ssim)) => (Some(bytes), Some(ssim), None),
                Err(message) => (None, None, Some(message)),
            };
            Candidate {
                format,
                urls,
                bytes,
                ssim,
                above_threshold: ssim.is_some_and(|s| s >= threshold),
                refusal,
            }
        })
        .collect();
    Ok(Comparison {
        width,
        height,
        threshold,
        chosen: choose(&candidates, threshold),
        candidates,
        reference_query,
    })
}

/// Per candidate: `(bytes, ssim)` or the server's refusal. CPU work, off the runtime.
type Scores = (u32, u32, Vec<Result<(u32, f64), String>>);

fn score(reference: &[u8], answers: Vec<(u16, Bytes)>) -> Result<Scores, CompareError> {
    let undecodable = |format, reason| CompareError::Decode { format, reason };
    let reference =
        decode::decode(reference, Format::Png).map_err(|e| undecodable(Format::Png, e))?;
    let luma = reference.luma();
    let mut scores = Vec::with_capacity(answers.len());
    for (&format, (status, body)) in COMPARED.iter().zip(answers) {
        if status != 200 {
            scores.push(Err(format!("{status}: {}", server_message(&body))));
            continue;
        }
        let image = decode::decode(&body, format).map_err(|e| undecodable(format, e))?;
        if (image.width, image.height) != (reference.width, reference.height) {
            return Err(undecodable(
                format,
                format!(
                    "{}×{} where the reference is {}×{}",
                    image.width, image.height, reference.width, reference.height
                ),
            ));
        }
        let bytes = u32::try_from(body.len()).unwrap_or(u32::MAX);
        scores.push(Ok((bytes, ssim::ssim(&luma, &image.luma()))));
    }
    Ok((reference.width, reference.height, scores))
}

/// The `message` of the server's JSON error, else the body as text.
fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned())
}

/// One GET to the local CDN: the status and the body.
async fn fetch(url: &str) -> Result<(u16, Bytes), CompareError> {
    let unreachable = |e: &dyn std::fmt::Display| CompareError::Unreachable(e.to_string());
    let uri: hyper::Uri = url.parse().map_err(|e| unreachable(&e))?;
    let request = hyper::Request::get(uri)
        .body(Empty::<Bytes>::new())
        .map_err(|e| unreachable(&e))?;
    let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let exchange = async {
        let response = client.request(request).await.map_err(|e| unreachable(&e))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| unreachable(&e))?
            .to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(FETCH_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(unreachable(&"no answer in 45 s")))
}

/// For the CLI: [`compare`] on the local CDN that runs for this install (the app's or
/// `cdn serve`'s), or on one started for the comparison alone (any free port, stopped after).
pub async fn compare_on_install<'a>(
    store: &ConfigStore,
    sources: &Sources,
    source: &str,
    key: &str,
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    threshold: Option<f64>,
) -> Result<Comparison, CompareError> {
    let token = Token::load_or_create(store.dir()).map_err(|e| CdnError::Io {
        what: "the token file",
        detail: e.to_string(),
    })?;
    let settings = store
        .load()
        .map_err(|e| CdnError::Config(e.describe(Language::En)))?
        .settings;
    let production_base = settings.production_cdn_base();
    if let Some(base) = super::server::running_server_base(store) {
        let local = LocalServer {
            production_base,
            base_url: &base,
            token: &token,
        };
        return compare(local, source, key, options, threshold).await;
    }
    let mut config = super::server::ServerConfig::for_install(store, super::pipeline::transform)?;
    config.port = 0;
    config.running_file = None;
    let origin = std::sync::Arc::new(super::origin::S3Origin::new(sources.clone()));
    let server = super::server::CdnServer::start(config, origin).await?;
    let base = server.base_url();
    let local = LocalServer {
        production_base,
        base_url: &base,
        token: server.token(),
    };
    let result = compare(local, source, key, options, threshold).await;
    server.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(format: Format, bytes: Option<u32>, ssim: Option<f64>) -> Candidate {
        Candidate {
            format,
            urls: ImageUrls {
                production: String::new(),
                local: String::new(),
                local_file: String::new(),
                query: String::new(),
            },
            bytes,
            ssim,
            above_threshold: false,
            refusal: None,
        }
    }

    #[test]
    fn the_smallest_above_the_threshold_is_chosen() {
        let all = [
            candidate(Format::Jpeg, Some(14_000), Some(0.97)),
            candidate(Format::Webp, Some(9_000), Some(0.96)),
            candidate(Format::Avif, Some(5_000), Some(0.94)),
        ];
        assert_eq!(
            choose(&all, 0.95),
            Some(Format::Webp),
            "AVIF is smaller but under"
        );
        assert_eq!(choose(&all, 0.90), Some(Format::Avif));
        assert_eq!(
            choose(&all, 0.97),
            Some(Format::Jpeg),
            "at the threshold counts"
        );
        assert_eq!(choose(&all, 0.98), None, "none keeps it");
    }

    #[test]
    fn a_refused_format_is_never_chosen_and_ties_go_to_the_earlier() {
        let all = [
            candidate(Format::Jpeg, Some(8_000), Some(0.99)),
            candidate(Format::Webp, Some(8_000), Some(0.99)),
            candidate(Format::Avif, None, None),
        ];
        assert_eq!(choose(&all, 0.95), Some(Format::Jpeg));
    }

    #[test]
    fn the_threshold_is_checked_and_named() {
        assert_eq!(check_threshold(None).unwrap(), DEFAULT_THRESHOLD);
        assert_eq!(check_threshold(Some(1.0)).unwrap(), 1.0);
        assert_eq!(check_threshold(Some(0.5)).unwrap(), 0.5);
        for bad in [0.49, 1.01, f64::NAN, -1.0] {
            let err = check_threshold(Some(bad)).unwrap_err();
            assert!(
                err.describe(Language::En).starts_with("threshold:"),
                "{err}"
            );
            assert_eq!(err.code(), ErrorCode::InvalidInput);
        }
    }

    #[test]
    fn each_format_replaces_f_and_a_lossless_reference_drops_q() {
        let options =
            ImageOptions::parse_pairs([("w", "400"), ("f", "webp"), ("q", "70")]).unwrap();
        assert_eq!(
            as_format(&options, Format::Avif).to_query(),
            "w=400&f=avif&q=70"
        );
        assert_eq!(as_format(&options, Format::Png).to_query(), "w=400&f=png");
    }

    #[test]
    fn the_servers_message_is_read_from_its_json() {
        assert_eq!(
            server_message(br#"{"code":"too_large","message":"over 50 MP"}"#),
            "over 50 MP"
        );
        assert_eq!(server_message(b" plain \n"), "plain");
    }
}
