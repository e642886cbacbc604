//! Where originals come from: the request path turned into a source and a key, and the
//! [`Origin`] that fetches them — [`S3Origin`] for a source's bucket (config + keychain, the
//! BasePath applied), behind a trait so the server can be driven and counted in tests.
//!
//! Status mapping: unknown source and missing object → 404; the origin refusing (access
//! denied, unknown key, wrong secret, no such bucket, wrong region) → 502 with a message that
//! says the origin refused; unreachable → 502, timed out → 504; over the byte limit → 413.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use aws_sdk_s3::error::ProvideErrorMetadata;
use axum::http::StatusCode;
use bytes::Bytes;

use crate::aws::{self, AwsFailure};
use crate::config::SourceConfig;
use crate::error::Described;
use crate::locale::Language;
use crate::sources::{SourceError, Sources, full_key};

use super::options::percent_decode;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request path's object: the source's identifier and the key relative to its BasePath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub source: String,
    pub key: String,
}

/// A path that cannot name an object (→ 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub &'static str);

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Parses `{source}/{path}` (still percent-encoded, as it came on the request line).
/// Refused: invalid percent-encoding or UTF-8, empty segments (`//`), `.` and `..` segments
/// (also when encoded), backslashes, NUL and other control characters.
pub fn parse_object_path(raw: &str) -> Result<ObjectPath, PathError> {
    let (source, rest) = raw.split_once('/').ok_or(PathError(
        "the path needs a source and a key: /{source}/{key}",
    ))?;
    let decoded =
        percent_decode(rest, false).ok_or(PathError("the path has invalid percent-encoding"))?;
    let source =
        percent_decode(source, false).ok_or(PathError("the path has invalid percent-encoding"))?;
    if source.is_empty() || decoded.is_empty() {
        return Err(PathError(
            "the path needs a source and a key: /{source}/{key}",
        ));
    }
    for text in [&source, &decoded] {
        if text.contains('\\') || text.chars().any(char::is_control) {
            return Err(PathError(
                "the path may not contain backslashes or control characters",
            ));
        }
    }
    if source.contains('/') {
        return Err(PathError("the source identifier may not contain '/'"));
    }
    if decoded
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(PathError(
            "the path may not contain empty, '.' or '..' segments",
        ));
    }
    Ok(ObjectPath {
        source,
        key: decoded,
    })
}

/// An original, read whole.
#[derive(Debug, Clone)]
pub struct Original {
    pub bytes: Bytes,
    /// The origin's ETag, quotes included as S3 sends it.
    pub etag: String,
    pub content_type: Option<String>,
}

/// An object (or a range of it) to pass through untouched.
pub struct Passthrough {
    pub body: axum::body::Body,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    /// Set when a range was served (`bytes 0-99/1234`).
    pub content_range: Option<String>,
    pub etag: Option<String>,
}

/// Why an original could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("there is no source named '{0}'")]
    NoSuchSource(String),
    #[error("there is no object '{0}' in this source")]
    NotFound(String),
    #[error("the origin refused the request: {0}")]
    Refused(String),
    #[error("the origin cannot be reached: {0}")]
    Unreachable(String),
    #[error("the origin did not answer in time")]
    TimedOut,
    #[error("the original is {size} bytes, over the {limit} byte limit")]
    TooLarge { size: u64, limit: u64 },
    /// No size declared (a chunked answer): reading stopped at the limit.
    #[error(
        "the original is over the {limit} byte limit (it declared no size; reading stopped at the limit)"
    )]
    BodyTooLarge { limit: u64 },
    #[error("the requested range is not satisfiable")]
    BadRange,
    /// Local trouble: the config or the keychain.
    #[error("{0}")]
    Local(String),
}

impl OriginError {
    pub fn status(&self) -> StatusCode {
        match self {
            OriginError::NoSuchSource(_) | OriginError::NotFound(_) => StatusCode::NOT_FOUND,
            OriginError::Refused(_) | OriginError::Unreachable(_) => StatusCode::BAD_GATEWAY,
            OriginError::TimedOut => StatusCode::GATEWAY_TIMEOUT,
            OriginError::TooLarge { .. } | OriginError::BodyTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            OriginError::BadRange => StatusCode::RANGE_NOT_SATISFIABLE,
            OriginError::Local(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_aws(failure: AwsFailure, key: &str) -> OriginError {
        match failure {
            AwsFailure::NotFound => OriginError::NotFound(key.to_owned()),
            AwsFailure::Unreachable { detail } if detail == "timed out" => OriginError::TimedOut,
            AwsFailure::Unreachable { detail } => OriginError::Unreachable(detail),
            AwsFailure::Other { code, .. } if code == "InvalidRange" => OriginError::BadRange,
            other => OriginError::Refused(other.describe(Language::En)),
        }
    }

    fn from_source(err: SourceError) -> OriginError {
        match err {
            SourceError::NoSuchSource(name) => OriginError::NoSuchSource(name),
            other => OriginError::Local(other.describe(Language::En)),
        }
    }
}

/// Where the server gets originals. Object keys are relative to the source's BasePath.
pub trait Origin: Send + Sync + 'static {
    /// The whole object, refused over `max_bytes`: before its body is read when it declares
    /// its size, else as soon as the bytes read pass the budget.
    fn get<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Original, OriginError>>;

    /// The object's current ETag (a `HeadObject`): how a cached variant is revalidated.
    fn etag<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, OriginError>>;

    /// The object as a stream, optionally one `bytes=` range of it.
    fn open<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
        range: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Passthrough, OriginError>>;
}

/// The sources' buckets through the AWS SDK. Clients are kept per source and rebuilt when
/// the source's config changes (a rotated key, a new endpoint).
pub struct S3Origin {
    sources: Sources,
    clients: Mutex<HashMap<String, (SourceConfig, aws_sdk_s3::Client)>>,
}

impl S3Origin {
    pub fn new(sources: Sources) -> Self {
        S3Origin {
            sources,
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self, name: &str) -> Result<(SourceConfig, aws_sdk_s3::Client), OriginError> {
        let sources = self.sources.clone();
        let owned = name.to_owned();
        // Config file and keychain are blocking calls.
        let source = tokio::task::spawn_blocking(move || sources.get(&owned))
            .await
            .map_err(|e| OriginError::Local(e.to_string()))?
            .map_err(OriginError::from_source)?;
        if let Some((known, client)) = self.lock().get(name)
            && *known == source
        {
            return Ok((source, client.clone()));
        }
        let sources = self.sources.clone();
        let for_target = source.clone();
        let target = tokio::task::spawn_blocking(move || sources.target(&for_target))
            .await
            .map_err(|e| OriginError::Local(e.to_string()))?
            .map_err(OriginError::from_source)?;
        let client = aws::s3_client(&aws::sdk_config(&target).await);
        self.lock()
            .insert(name.to_owned(), (source.clone(), client.clone()));
        Ok((source, client))
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (SourceConfig, aws_sdk_s3::Client)>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn aws_error<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    key: &str,
) -> OriginError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    OriginError::from_aws(AwsFailure::from_sdk(err, "s3:GetObject"), key)
}

impl Origin for S3Origin {
    fn get<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Original, OriginError>> {
        Box::pin(async move {
            let (config, s3) = self.client(source).await?;
            let out = s3
                .get_object()
                .bucket(&config.bucket)
                .key(full_key(&config.base_path, key))
                .send()
                .await
                .map_err(|e| aws_error(&e, key))?;
            let declared = out.content_length().and_then(|n| u64::try_from(n).ok());
            if let Some(size) = declared.filter(|size| *size > max_bytes) {
                return Err(OriginError::TooLarge {
                    size,
                    limit: max_bytes,
                });
            }
            let etag = out.e_tag().unwrap_or_default().to_owned();
            let content_type = out.content_type().map(str::to_owned);
            let bytes = read_within(out.body, declared, max_bytes).await?;
            Ok(Original {
                bytes,
                etag,
                content_type,
            })
        })
    }

    fn etag<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, OriginError>> {
        Box::pin(async move {
            let (config, s3) = self.client(source).await?;
            let out = s3
                .head_object()
                .bucket(&config.bucket)
                .key(full_key(&config.base_path, key))
                .send()
                .await
                .map_err(|e| aws_error(&e, key))?;
            Ok(out.e_tag().unwrap_or_default().to_owned())
        })
    }

    fn open<'a>(
        &'a self,
        source: &'a str,
        key: &'a str,
        range: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Passthrough, OriginError>> {
        Box::pin(async move {
            let (config, s3) = self.client(source).await?;
            let out = s3
                .get_object()
                .bucket(&config.bucket)
                .key(full_key(&config.base_path, key))
                .set_range(range.map(str::to_owned))
                .send()
                .await
                .map_err(|e| aws_error(&e, key))?;
            Ok(Passthrough {
                content_type: out.content_type().map(str::to_owned),
                content_length: out.content_length().map(|n| n.max(0) as u64),
                content_range: out.content_range().map(str::to_owned),
                etag: out.e_tag().map(str::to_owned),
                body: axum::body::Body::new(out.body.into_inner()),
            })
        })
    }
}

/// Reads a body chunk by chunk, refusing it as soon as it passes `max_bytes`: a response
/// without (or with a false) `Content-Length` is never read past the budget.
async fn read_within(
    mut body: aws_sdk_s3::primitives::ByteStream,
    declared: Option<u64>,
    max_bytes: u64,
) -> Result<Bytes, OriginError> {
    let start = declared.unwrap_or(64 * 1024).min(max_bytes);
    let mut buffer = bytes::BytesMut::with_capacity(usize::try_from(start).unwrap_or(0));
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| OriginError::Unreachable(e.to_string()))?
    {
        if (buffer.len() + chunk.len()) as u64 > max_bytes {
            return Err(OriginError::BodyTooLarge { limit: max_bytes });
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_keys_with_spaces_decode() {
        let p = parse_object_path(
            "shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg",
        )
        .unwrap();
        assert_eq!(p.source, "shop");
        assert_eq!(p.key, "제품 이미지/벚꽃 01.jpg");
        assert_eq!(
            parse_object_path("shop/a+b.jpg").unwrap().key,
            "a+b.jpg",
            "+ is a plus in paths"
        );
    }

    #[test]
    fn traversal_and_bad_encoding_are_refused() {
        for bad in [
            "shop/../secret.jpg",
            "shop/a/../../b.jpg",
            "shop/%2e%2e/b.jpg",
            "shop/a%2F..%2Fb.jpg",
            "shop/a//b.jpg",
            "shop//a.jpg",
            "shop/a\\b.jpg",
            "shop/a%5Cb.jpg",
            "shop/a%00b.jpg",
            "shop/a%0Ab.jpg",
            "shop/%E",
            "shop/%zz.jpg",
            "shop/%FF.jpg",
            "shop/./a.jpg",
            "shop/",
            "shop",
            "/a.jpg",
            "sh%2Fop/a.jpg",
        ] {
            assert!(parse_object_path(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn failures_map_to_statuses() {
        let refused = OriginError::from_aws(
            AwsFailure::AccessDenied {
                action: "s3:GetObject",
            },
            "k",
        );
        assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
        assert!(refused.to_string().contains("origin refused"), "{refused}");
        assert_eq!(
            OriginError::from_aws(AwsFailure::NotFound, "k").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            OriginError::from_aws(
                AwsFailure::Unreachable {
                    detail: "Connection refused".into()
                },
                "k"
            )
            .status(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            OriginError::NoSuchSource("x".into()).status(),
            StatusCode::NOT_FOUND
        );
    }
}
