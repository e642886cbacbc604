//! "Check Weekerp": asks the production CDN for a small rendition of a sample object,
//! `{base}/image/{id}/{sample}?w=64`, and says in plain words what came back: an image
//! (Weekerp serves this source), 401/403/404 with the likely cause and the fix, another
//! answer, or nothing at all (unreachable, timed out).
//!
//! Weekerp documents 5–10 minutes for a new source to reach every edge, so
//! [`until_served`] asks again, a bounded number of times (up to 15 minutes), reporting
//! progress and stopping as soon as it works or the caller cancels.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use super::{SourceError, Sources, encode_segment, full_key, relative_key};
use crate::locale::Language;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long "check again until it works" keeps trying.
pub const PROPAGATION_LIMIT: Duration = Duration::from_secs(15 * 60);
/// The pause between two tries.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(30);
/// Enough of an answer to tell an image; a rendition 64 px wide is far smaller.
const MAX_BODY: usize = 16 << 20;

/// What the production CDN answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Verdict {
    /// An image: Weekerp serves this source.
    Served {
        #[serde(rename = "contentType")]
        content_type: String,
    },
    Unauthorized,
    Forbidden,
    NotFound,
    /// A success that is not an image (a login page, an error page with 200).
    NotAnImage {
        status: u16,
        #[serde(rename = "contentType")]
        content_type: Option<String>,
    },
    OtherStatus {
        status: u16,
    },
    Unreachable {
        detail: String,
    },
    TimedOut,
}

/// One check, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProductionCheck {
    pub url: String,
    pub verdict: Verdict,
    pub served: bool,
    /// What came back.
    pub message: String,
    /// The likely cause and the fix, when it did not work.
    pub fix: Option<String>,
}

/// The URL that is checked: the production base, the source's identifier, the sample path
/// relative to the BasePath (each segment percent-encoded), 64 px wide.
pub fn check_url(base: &str, source: &str, sample: &str) -> String {
    let path: Vec<String> = sample
        .trim_start_matches('/')
        .split('/')
        .map(encode_segment)
        .collect();
    format!(
        "{}/image/{}/{}?w=64",
        base.trim_end_matches('/'),
        encode_segment(source),
        path.join("/")
    )
}

fn looks_like_an_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"\x89PNG")
        || bytes.starts_with(b"GIF8")
        || (bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
        || (bytes.len() > 12 && &bytes[4..8] == b"ftyp")
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
}

/// Turns an answer (or its absence) into a verdict and words.
pub fn classify(
    url: &str,
    answer: Result<(u16, Option<String>, Bytes), Verdict>,
    lang: Language,
) -> ProductionCheck {
    let verdict = match answer {
        Err(v) => v,
        Ok((status, content_type, body)) => match status {
            200..=299 => {
                let image_type = content_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("image/"));
                if (image_type && !body.is_empty()) || looks_like_an_image(&body) {
                    Verdict::Served {
                        content_type: content_type.unwrap_or_else(|| "image".into()),
                    }
                } else {
                    Verdict::NotAnImage {
                        status,
                        content_type,
                    }
                }
            }
            401 => Verdict::Unauthorized,
            403 => Verdict::Forbidden,
            404 => Verdict::NotFound,
            status => Verdict::OtherStatus { status },
        },
    };
    let (message, fix) = words(&verdict, lang);
    ProductionCheck {
        url: url.to_owned(),
        served: matches!(verdict, Verdict::Served { .. }),
        verdict,
        message,
        fix,
    }
}

fn words(verdict: &Verdict, lang: Language) -> (String, Option<String>) {
    match verdict {
        Verdict::Served { content_type } => (
            lang.pick(
                format!("Weekerp가 이 소스의 이미지를 제공합니다({content_type})."),
                format!("Weekerp serves this source: an image came back ({content_type})."),
            ),
            None,
        ),
        Verdict::Unauthorized => (
            lang.pick(
                "Weekerp가 401 Unauthorized로 답했습니다.".into(),
                "Weekerp answered 401 Unauthorized.".into(),
            ),
            Some(lang.pick(
                "Weekerp가 이 키로 버킷에 로그인하지 못합니다. Weekerp의 소스 설정에 Access Key ID와 Secret Access Key를 Bucketdesk의 'Weekerp에 등록' 값 그대로 다시 입력하세요.".into(),
                "Weekerp cannot sign in to the bucket with its key. In Weekerp's source settings, enter the Access Key ID and Secret Access Key again, exactly as the \"Register in Weekerp\" panel shows them.".into(),
            )),
        ),
        Verdict::Forbidden => (
            lang.pick(
                "Weekerp가 403 Forbidden으로 답했습니다.".into(),
                "Weekerp answered 403 Forbidden.".into(),
            ),
            Some(lang.pick(
                "Weekerp가 가진 키로는 이 이미지를 읽을 수 없습니다. 흔한 원인: Weekerp에 아직 이전 키(비활성화됨)가 있거나, 키의 정책에 이 BasePath의 s3:GetObject가 없습니다. Weekerp에 현재 키를 입력하고 소스를 다시 검증하세요.".into(),
                "The key Weekerp has cannot read this image. Likely causes: Weekerp still has an old (deactivated) key, or the key's policy lacks s3:GetObject on this BasePath. Enter the current key in Weekerp, and verify the source again here.".into(),
            )),
        ),
        Verdict::NotFound => (
            lang.pick(
                "Weekerp가 404 Not Found로 답했습니다.".into(),
                "Weekerp answered 404 Not Found.".into(),
            ),
            Some(lang.pick(
                "Weekerp가 이 고유 식별자를 아직 모르거나(등록 전, 오타, 또는 전파 중: 5~10분), 이미지가 BasePath 아래에 없습니다. Weekerp의 고유 식별자와 BasePath가 여기와 같은지 확인하고, 몇 분 뒤 다시 확인하세요.".into(),
                "Weekerp does not know this unique identifier yet (not registered, a typo, or still propagating: 5–10 minutes), or the image is not under the BasePath. Check that the unique identifier and BasePath in Weekerp match these, and check again in a few minutes.".into(),
            )),
        ),
        Verdict::NotAnImage {
            status,
            content_type,
        } => (
            lang.pick(
                format!(
                    "Weekerp가 {status}로 답했지만 이미지가 아닙니다({}).",
                    content_type.as_deref().unwrap_or("형식 없음")
                ),
                format!(
                    "Weekerp answered {status}, but not with an image ({}).",
                    content_type.as_deref().unwrap_or("no content type")
                ),
            ),
            Some(lang.pick(
                "설정의 운영 CDN 주소가 Weekerp의 이미지 CDN인지 확인하세요.".into(),
                "Check that the production CDN base in Settings is Weekerp's image CDN.".into(),
            )),
        ),
        Verdict::OtherStatus { status } => (
            lang.pick(
                format!("Weekerp가 {status}로 답했습니다."),
                format!("Weekerp answered {status}."),
            ),
            Some(lang.pick(
                "잠시 후 다시 확인하세요. 계속되면 Weekerp에 문의하세요.".into(),
                "Check again in a moment; if it stays, ask Weekerp.".into(),
            )),
        ),
        Verdict::Unreachable { detail } => (
            lang.pick(
                format!("운영 CDN에 연결할 수 없습니다: {detail}"),
                format!("The production CDN could not be reached: {detail}"),
            ),
            Some(lang.pick(
                "네트워크 연결과 설정의 운영 CDN 주소를 확인하세요.".into(),
                "Check the network connection and the production CDN base in Settings.".into(),
            )),
        ),
        Verdict::TimedOut => (
            lang.pick(
                format!(
                    "운영 CDN이 {}초 안에 답하지 않았습니다.",
                    REQUEST_TIMEOUT.as_secs()
                ),
                format!(
                    "The production CDN did not answer within {} seconds.",
                    REQUEST_TIMEOUT.as_secs()
                ),
            ),
            Some(lang.pick(
                "잠시 후 다시 확인하세요.".into(),
                "Check again in a moment.".into(),
            )),
        ),
    }
}

async fn send<C>(
    client: Client<C, Empty<Bytes>>,
    request: hyper::Request<Empty<Bytes>>,
) -> Result<(u16, Option<String>, Bytes), Verdict>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let response = client.request(request).await.map_err(|e| {
        let mut cause: &dyn std::error::Error = &e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        Verdict::Unreachable {
            detail: cause.to_string(),
        }
    })?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok((status, content_type, body))
}

/// One GET, bounded by `timeout`.
async fn get(url: &str, timeout: Duration) -> Result<(u16, Option<String>, Bytes), Verdict> {
    let unreachable = |detail: String| Verdict::Unreachable { detail };
    let uri: hyper::Uri = url.parse().map_err(|e| unreachable(format!("{e}")))?;
    let request = hyper::Request::get(uri)
        .header(hyper::header::USER_AGENT, "Bucketdesk (Check Weekerp)")
        .header(hyper::header::ACCEPT, "image/webp,image/*;q=0.9,*/*;q=0.1")
        .body(Empty::<Bytes>::new())
        .map_err(|e| unreachable(e.to_string()))?;
    let exchange = async {
        if url.starts_with("https://") {
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                .map_err(|e| unreachable(format!("no TLS root certificates: {e}")))?
                .https_only()
                .enable_http1()
                .build();
            send(Client::builder(TokioExecutor::new()).build(https), request).await
        } else {
            send(
                Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
                request,
            )
            .await
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(Verdict::TimedOut))
}

/// Checks once.
pub async fn check(base: &str, source: &str, sample: &str, lang: Language) -> ProductionCheck {
    check_with_timeout(base, source, sample, REQUEST_TIMEOUT, lang).await
}

pub async fn check_with_timeout(
    base: &str,
    source: &str,
    sample: &str,
    timeout: Duration,
    lang: Language,
) -> ProductionCheck {
    let url = check_url(base, source, sample);
    let answer = get(&url, timeout).await;
    classify(&url, answer, lang)
}

/// Where "check again until it works" is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub attempt: u32,
    pub elapsed_secs: u32,
    pub limit_secs: u32,
    pub last: ProductionCheck,
}

/// How "check again until it works" ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum UntilServed {
    Served {
        check: ProductionCheck,
        attempts: u32,
    },
    /// The limit passed without an image; `check` is the last answer.
    GaveUp {
        check: ProductionCheck,
        attempts: u32,
    },
    Cancelled {
        check: Option<ProductionCheck>,
        attempts: u32,
    },
}

/// Checks until an image comes back, `limit` has passed, or `cancel` is set; waits
/// `interval` between tries and calls `progress` after each. Bounded: at most
/// `limit / interval + 1` tries.
#[allow(clippy::too_many_arguments)]
pub async fn until_served(
    base: &str,
    source: &str,
    sample: &str,
    limit: Duration,
    interval: Duration,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&Progress),
    lang: Language,
) -> UntilServed {
    let started = Instant::now();
    let mut attempts = 0;
    let mut last = None;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return UntilServed::Cancelled {
                check: last,
                attempts,
            };
        }
        let remaining = limit.saturating_sub(started.elapsed());
        let timeout = REQUEST_TIMEOUT.min(remaining.max(Duration::from_secs(1)));
        let check = check_with_timeout(base, source, sample, timeout, lang).await;
        attempts += 1;
        progress(&Progress {
            attempt: attempts,
            elapsed_secs: started.elapsed().as_secs() as u32,
            limit_secs: limit.as_secs() as u32,
            last: check.clone(),
        });
        if check.served {
            return UntilServed::Served { check, attempts };
        }
        if started.elapsed() + interval > limit {
            return UntilServed::GaveUp { check, attempts };
        }
        last = Some(check);
        // Sleep in short slices so that a cancel is seen within a quarter second.
        let wake = Instant::now() + interval;
        while Instant::now() < wake {
            if cancel.load(Ordering::SeqCst) {
                return UntilServed::Cancelled {
                    check: last,
                    attempts,
                };
            }
            let left = wake.saturating_duration_since(Instant::now());
            tokio::time::sleep(Duration::from_millis(250).min(left)).await;
        }
    }
}

/// An image under the source's BasePath to check with (relative to the BasePath), listed
/// with the source's own key: `None` when there is none.
pub async fn sample_image(sources: &Sources, name: &str) -> Result<Option<String>, SourceError> {
    let source = sources.get(name)?;
    let target = sources.target(&source)?;
    let s3 = crate::aws::s3_client(&crate::aws::sdk_config(&target).await);
    let prefix = match full_key(&source.base_path, "") {
        p if p.is_empty() => String::new(),
        p => format!("{}/", p.trim_end_matches('/')),
    };
    let out = s3
        .list_objects_v2()
        .bucket(&source.bucket)
        .prefix(&prefix)
        .max_keys(200)
        .send()
        .await
        .map_err(|e| SourceError::Aws(crate::aws::AwsFailure::from_sdk(&e, "s3:ListBucket")))?;
    let image = |k: &&str| {
        let lower = k.to_ascii_lowercase();
        [
            ".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".tif", ".tiff",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
    };
    Ok(out
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .find(image)
        .map(|k| relative_key(&source.base_path, k).to_owned()))
}

/// Checks source `name` once against the production CDN base of the settings, with
/// `sample` or else an image found under its BasePath.
pub async fn check_source(
    sources: &Sources,
    name: &str,
    sample: Option<&str>,
    lang: Language,
) -> Result<ProductionCheck, SourceError> {
    let (base, sample) = base_and_sample(sources, name, sample).await?;
    Ok(check(&base, name, &sample, lang).await)
}

/// [`until_served`] for source `name`, with the settings' base and a sample as in
/// [`check_source`], up to [`PROPAGATION_LIMIT`], every [`RETRY_INTERVAL`].
pub async fn until_source_served(
    sources: &Sources,
    name: &str,
    sample: Option<&str>,
    cancel: &AtomicBool,
    progress: impl FnMut(&Progress),
    lang: Language,
) -> Result<UntilServed, SourceError> {
    let (base, sample) = base_and_sample(sources, name, sample).await?;
    Ok(until_served(
        &base,
        name,
        &sample,
        PROPAGATION_LIMIT,
        RETRY_INTERVAL,
        cancel,
        progress,
        lang,
    )
    .await)
}

async fn base_and_sample(
    sources: &Sources,
    name: &str,
    sample: Option<&str>,
) -> Result<(String, String), SourceError> {
    let base = sources
        .store()
        .load()?
        .settings
        .production_cdn_base()
        .to_owned();
    let sample = match sample {
        Some(s) => s.to_owned(),
        None => sample_image(sources, name).await?.ok_or_else(|| {
            super::invalid(
                super::Field::Key,
                "BasePath 아래에 확인할 이미지가 없습니다. 이미지를 하나 올리거나 직접 지정하세요.",
                "there is no image under the BasePath to check with: upload one, or name one.",
            )
        })?,
    };
    Ok((base, sample))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_url_is_weekerps_image_url_at_64_px() {
        assert_eq!(
            check_url(
                "https://cdn.weekerp.com/",
                "shop",
                "제품 이미지/벚꽃 01.jpg"
            ),
            "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg?w=64"
        );
    }

    #[test]
    fn answers_are_classified_with_a_cause_and_a_fix() {
        let url = "http://x/image/s/a.jpg?w=64";
        let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n....");
        let ok = classify(
            url,
            Ok((200, Some("image/png".into()), png.clone())),
            Language::En,
        );
        assert!(ok.served && ok.fix.is_none());
        let sniffed = classify(url, Ok((200, None, png)), Language::En);
        assert!(
            sniffed.served,
            "an image without a content type is still an image"
        );
        let page = classify(
            url,
            Ok((200, Some("text/html".into()), Bytes::from_static(b"<html>"))),
            Language::En,
        );
        assert!(!page.served);
        for (status, word) in [(401, "401"), (403, "403"), (404, "404")] {
            let c = classify(url, Ok((status, None, Bytes::new())), Language::En);
            assert!(!c.served);
            assert!(c.message.contains(word), "{}", c.message);
            assert!(c.fix.is_some(), "{status} comes with a fix");
            let ko = classify(url, Ok((status, None, Bytes::new())), Language::Ko);
            assert_ne!(ko.fix, c.fix, "the fix is in Korean too");
        }
        let gone = classify(url, Err(Verdict::TimedOut), Language::En);
        assert_eq!(gone.verdict, Verdict::TimedOut);
    }
}
