//! `bucketdesk cdn …`: the local CDN in the foreground, the URLs of an image, formats compared
//! (`cdn::compare`) and the `srcset` HTML (`cdn::srcset`).

use clap::{Args, Subcommand};

use super::Context;
use super::output::Output;
use crate::cdn::compare;
use crate::cdn::server::{CdnServer, ServerConfig};
use crate::cdn::srcset::{self, SrcsetRequest};
use crate::cdn::urls::{self, LocalServer};
use crate::error::{ApiError, ErrorCode, InLanguage};

#[derive(Debug, Subcommand)]
// Parsed once per process: the size of the flag set does not matter.
#[allow(clippy::large_enum_variant)]
pub enum CdnCommand {
    /// Run the local CDN in the foreground
    Serve {
        #[arg(long)]
        port: Option<u16>,
    },
    /// Print the production URL and the local preview URL of an object
    Url {
        name: String,
        /// Object key, relative to the source's BasePath
        key: String,
        /// Image options as NAME=VALUE, e.g. w=400 h=300 fit=cover f=webp (DESIGN §2)
        options: Vec<String>,
        #[command(flatten)]
        flags: CdnOptionFlags,
    },
    /// Compare JPEG, WebP and AVIF of an image at one size: bytes, SSIM against the lossless
    /// render, and the smallest that keeps the threshold (through the running local CDN, or
    /// one started for the comparison)
    Compare {
        name: String,
        /// Object key, relative to the source's BasePath
        key: String,
        /// Image options as NAME=VALUE (any f is replaced by each format)
        options: Vec<String>,
        #[command(flatten)]
        flags: CdnOptionFlags,
        /// The lowest SSIM a format may have, 0.5-1 (default 0.95)
        #[arg(long)]
        threshold: Option<f64>,
    },
    /// Print <img srcset> and <picture> HTML with production URLs for the given widths
    Srcset {
        name: String,
        /// Object key, relative to the source's BasePath
        key: String,
        /// Widths in px, e.g. 320,640,1280
        #[arg(long, value_name = "W,W,…")]
        widths: String,
        /// The sizes attribute (default 100vw)
        #[arg(long, default_value = "")]
        sizes: String,
        /// The alt text
        #[arg(long, default_value = "")]
        alt: String,
        /// Other image options as NAME=VALUE (q, rotate, v; f for the plain <img>)
        options: Vec<String>,
        /// webp, avif, jpg, png, gif, tiff: the plain <img>'s format
        #[arg(long = "f", alias = "format")]
        format: Option<String>,
        /// 1-100
        #[arg(long = "q", alias = "quality")]
        quality: Option<String>,
    },
}

/// The image options as flags (the same rules as in a URL; each may be given once).
#[derive(Debug, Args, Default)]
pub struct CdnOptionFlags {
    /// Output width in px
    #[arg(long = "w", alias = "width", value_name = "PX")]
    pub width: Option<String>,
    /// Output height in px
    #[arg(long = "h", alias = "height", value_name = "PX")]
    pub height: Option<String>,
    /// WIDTHxHEIGHT
    #[arg(long = "s", alias = "size", value_name = "WxH")]
    pub size: Option<String>,
    /// cover, contain, fill, inside, outside
    #[arg(long)]
    pub fit: Option<String>,
    /// centre, top, bottom, left, right
    #[arg(long = "p", alias = "position")]
    pub position: Option<String>,
    /// webp, avif, jpg, png, gif, tiff
    #[arg(long = "f", alias = "format")]
    pub format: Option<String>,
    /// 1-100
    #[arg(long = "q", alias = "quality")]
    pub quality: Option<String>,
    /// Degrees clockwise, -360..360
    #[arg(long, allow_hyphen_values = true)]
    pub rotate: Option<String>,
    /// Cache-busting version
    #[arg(long = "v")]
    pub v: Option<String>,
}

impl CdnOptionFlags {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("w", &self.width),
            ("h", &self.height),
            ("s", &self.size),
            ("fit", &self.fit),
            ("p", &self.position),
            ("f", &self.format),
            ("q", &self.quality),
            ("rotate", &self.rotate),
            ("v", &self.v),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

pub async fn exec(command: CdnCommand, cx: &Context) -> Result<Output, ApiError> {
    match command {
        CdnCommand::Url {
            name,
            key,
            options,
            flags,
        } => url(cx, &name, &key, &options, &flags),
        CdnCommand::Serve { port } => serve(cx, port).await,
        CdnCommand::Compare {
            name,
            key,
            options,
            flags,
            threshold,
        } => compare(cx, &name, &key, &options, &flags, threshold).await,
        CdnCommand::Srcset {
            name,
            key,
            widths,
            sizes,
            alt,
            options,
            format,
            quality,
        } => {
            let flags = CdnOptionFlags {
                format,
                quality,
                ..CdnOptionFlags::default()
            };
            let pairs = option_pairs(cx, &flags, &options)?;
            let request = SrcsetRequest {
                source: &name,
                key: &key,
                widths: &widths,
                options: pairs,
                sizes: &sizes,
                alt: &alt,
            };
            let html = srcset::srcset_for_install(&cx.sources, &request).in_language(cx.lang)?;
            Ok(Output::new(
                format!("{}\n\n{}", html.img, html.picture),
                &html,
            ))
        }
    }
}

/// The flags, then the `NAME=VALUE` arguments, as decoded option pairs.
fn option_pairs<'a>(
    cx: &Context,
    flags: &'a CdnOptionFlags,
    positional: &'a [String],
) -> Result<Vec<(&'a str, &'a str)>, ApiError> {
    let mut pairs = flags.pairs();
    for option in positional {
        let (n, v) = option.split_once('=').ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidInput,
                cx.pick(
                    format!("이미지 옵션 '{option}'은(는) 이름=값 형식이어야 합니다(예: w=400)."),
                    format!("Image option '{option}' must be NAME=VALUE (e.g. w=400)."),
                ),
            )
        })?;
        pairs.push((n, v));
    }
    Ok(pairs)
}

/// `cdn compare`: one line per format (bytes, SSIM, the chosen one marked).
async fn compare(
    cx: &Context,
    name: &str,
    key: &str,
    positional: &[String],
    flags: &CdnOptionFlags,
    threshold: Option<f64>,
) -> Result<Output, ApiError> {
    cx.sources.get(name).in_language(cx.lang)?;
    let pairs = option_pairs(cx, flags, positional)?;
    let c = compare::compare_on_install(&cx.store, &cx.sources, name, key, pairs, threshold)
        .await
        .in_language(cx.lang)?;
    let mut text = cx.pick(
        format!("{}×{}, 기준 SSIM ≥ {}", c.width, c.height, c.threshold),
        format!("{}×{}, threshold SSIM ≥ {}", c.width, c.height, c.threshold),
    );
    for candidate in &c.candidates {
        let format = format!("{:?}", candidate.format).to_lowercase();
        let mark = if c.chosen == Some(candidate.format) {
            "  ← "
        } else {
            ""
        };
        let chosen = if mark.is_empty() {
            ""
        } else {
            cx.pick("가장 작음", "smallest")
        };
        let line = match (candidate.bytes, candidate.ssim, &candidate.refusal) {
            (Some(bytes), Some(ssim), _) => {
                format!("{format:5} {bytes:>9} B  SSIM {ssim:.4}{mark}{chosen}")
            }
            (_, _, refusal) => format!("{format:5} {}", refusal.as_deref().unwrap_or("?")),
        };
        text.push('\n');
        text.push_str(&line);
    }
    if c.chosen.is_none() {
        text.push('\n');
        text.push_str(cx.pick(
            "기준을 넘는 형식이 없습니다.",
            "No format keeps the threshold.",
        ));
    }
    Ok(Output::new(text, &c))
}

/// `cdn url`: the production URL (never a token) and the local preview URL (the install's
/// token, the port the running local CDN bound, else the configured one).
fn url(
    cx: &Context,
    name: &str,
    key: &str,
    positional: &[String],
    flags: &CdnOptionFlags,
) -> Result<Output, ApiError> {
    cx.sources.get(name).in_language(cx.lang)?;
    let pairs = option_pairs(cx, flags, positional)?;
    let token = crate::cdn::security::Token::load_or_create(cx.store.dir())
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    // The port a running server bound (the app's or `cdn serve`'s), else the configured one.
    let base = crate::cdn::server::running_base(&cx.store).in_language(cx.lang)?;
    let production_base = cx.sources.production_cdn_base().in_language(cx.lang)?;
    let local = LocalServer {
        production_base: &production_base,
        base_url: &base,
        token: &token,
    };
    let urls = urls::image_urls(name, key, pairs, local).in_language(cx.lang)?;
    Ok(Output::new(
        format!("{}\n{}", urls.production, urls.local),
        &serde_json::json!({ "production": urls.production, "local": urls.local, "query": urls.query }),
    ))
}

/// `cdn serve`: the local CDN in the foreground until the process is stopped. The base URL
/// and token are printed first (one JSON line with `--json`).
async fn serve(cx: &Context, port: Option<u16>) -> Result<Output, ApiError> {
    let mut config = ServerConfig::for_install(&cx.store, crate::cdn::pipeline::transform)
        .in_language(cx.lang)?;
    if let Some(port) = port {
        config.port = port;
    }
    let origin = std::sync::Arc::new(crate::cdn::origin::S3Origin::new(cx.sources.clone()));
    let server = CdnServer::start(config, origin)
        .await
        .in_language(cx.lang)?;
    let info = serde_json::json!({
        "baseUrl": server.base_url(),
        "port": server.port(),
        "token": server.token().expose(),
    });
    if cx.global.json {
        println!("{info}");
    } else {
        println!(
            "{}\n{} {}\n{}",
            cx.pick(
                format!("로컬 CDN: {}", server.base_url()),
                format!("Local CDN: {}", server.base_url())
            ),
            cx.pick("토큰:", "Token:"),
            server.token().expose(),
            cx.pick(
                "예: /image/{소스}/{경로}?w=400&token=…  (Ctrl-C로 종료)",
                "e.g. /image/{source}/{path}?w=400&token=…  (Ctrl-C stops it)"
            )
        );
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // Ctrl-C (or SIGTERM) stops it cleanly: in-flight requests end, the port is freed.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    server.shutdown().await;
    Ok(Output {
        text: cx
            .pick("로컬 CDN을 멈췄습니다.", "Stopped the local CDN.")
            .to_owned(),
        json: serde_json::json!({"stopped": true}).to_string(),
    })
}
