//! The `srcset` generator: `<img srcset sizes>` and `<picture>` (AVIF, WebP, then a JPEG
//! `<img>`) HTML for chosen widths, with production URLs from the one canonicalizer
//! (`cdn::urls`) on the install's production base (`settings.productionCdnBase`, else
//! Weekerp's). The GUI (`cdn_srcset`) and the CLI (`bucketdesk cdn srcset`) both call
//! [`srcset_for_install`].
//!
//! The widths are the `w` of each URL, so each `Nw` descriptor is true; a height (`h`, `s`)
//! would make them lie for `inside`/`outside`, and is refused, as is `w` (the widths set it).
//! `f` chooses the format of the plain `<img>` (the original's when absent); `q`, `rotate`
//! and `v` apply to every URL. Attribute values are HTML-escaped (`&` in the queries becomes
//! `&amp;`); keys are percent-encoded by the canonicalizer, so a quote, a space, a comma or
//! Korean in a key can never end an attribute or split a `srcset` candidate.

use serde::Serialize;

use super::options::{ImageOptions, OptionError};
use super::transform::{Format, Limits};
use super::urls::production_url_at;
use crate::error::{Described, ErrorCode};
use crate::locale::Language;
use crate::sources::{SourceError, Sources};

/// At most this many widths in one `srcset`.
pub const MAX_WIDTHS: usize = 12;

/// What `sizes` says when nothing is given: the image spans the viewport.
pub const DEFAULT_SIZES: &str = "100vw";

/// The generated HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Srcset {
    /// The widths used, ascending, each once.
    pub widths: Vec<u32>,
    /// The `sizes` attribute's value (unescaped).
    pub sizes: String,
    /// `<img src srcset sizes alt>` in the requested format (or the original's).
    pub img: String,
    /// `<picture>` with AVIF and WebP `<source>`s and a JPEG `<img>`.
    pub picture: String,
}

/// Why no HTML could be made.
#[derive(Debug, thiserror::Error)]
pub enum SrcsetError {
    #[error(transparent)]
    Option(#[from] OptionError),
    #[error("widths: {0}")]
    Widths(WidthsProblem),
    #[error("{0}: the widths set it")]
    SetByWidths(String),
    #[error("sizes: control characters or over 512 characters")]
    Sizes,
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// What is wrong with the widths as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WidthsProblem {
    None,
    NotAWidth(String),
    TooMany(usize),
}

impl std::fmt::Display for WidthsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WidthsProblem::None => f.write_str("none given"),
            WidthsProblem::NotAWidth(w) => write!(f, "'{w}' is not a width"),
            WidthsProblem::TooMany(n) => write!(f, "{n} widths"),
        }
    }
}

impl Described for SrcsetError {
    fn code(&self) -> ErrorCode {
        match self {
            SrcsetError::Source(e) => e.code(),
            _ => ErrorCode::InvalidInput,
        }
    }

    fn describe(&self, lang: Language) -> String {
        let max = Limits::default().max_output_dimension;
        match self {
            SrcsetError::Option(e) => e.describe(lang),
            SrcsetError::Widths(WidthsProblem::None) => lang.pick(
                "너비(widths): 너비를 하나 이상 쉼표로 구분해 입력하세요(예: 320,640,1280).".into(),
                "widths: give at least one width, separated by commas (e.g. 320,640,1280).".into(),
            ),
            SrcsetError::Widths(WidthsProblem::NotAWidth(w)) => lang.pick(
                format!("너비(widths): '{w}'은(는) 1에서 {max} 사이의 정수여야 합니다."),
                format!("widths: '{w}' must be a whole number of pixels from 1 to {max}."),
            ),
            SrcsetError::Widths(WidthsProblem::TooMany(n)) => lang.pick(
                format!("너비(widths): {n}개는 너무 많습니다. 최대 {MAX_WIDTHS}개까지 됩니다."),
                format!("widths: {n} is too many; at most {MAX_WIDTHS}."),
            ),
            SrcsetError::SetByWidths(option) => lang.pick(
                format!(
                    "이미지 옵션 {option}: srcset에서는 너비 목록이 너비를 정하고, 높이는 w 설명자를 틀리게 만들 수 있어 쓸 수 없습니다."
                ),
                format!(
                    "Image option {option}: in a srcset the widths set the width, and a height could make the w descriptors untrue."
                ),
            ),
            SrcsetError::Sizes => lang.pick(
                "sizes: 제어 문자 없이 512자 이하여야 합니다.".into(),
                "sizes: must be at most 512 characters, without control characters.".into(),
            ),
            SrcsetError::Source(e) => e.describe(lang),
        }
    }
}

/// `320, 640,1280 640` → `[320, 640, 1280]` (commas or spaces; sorted, each once).
pub fn parse_widths(text: &str) -> Result<Vec<u32>, SrcsetError> {
    let max = Limits::default().max_output_dimension;
    let mut widths = Vec::new();
    for part in text
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let w = part
            .strip_suffix('w')
            .unwrap_or(part)
            .parse::<u32>()
            .ok()
            .filter(|w| (1..=max).contains(w))
            .ok_or_else(|| SrcsetError::Widths(WidthsProblem::NotAWidth(part.to_owned())))?;
        widths.push(w);
    }
    widths.sort_unstable();
    widths.dedup();
    match widths.len() {
        0 => Err(SrcsetError::Widths(WidthsProblem::None)),
        n if n > MAX_WIDTHS => Err(SrcsetError::Widths(WidthsProblem::TooMany(n))),
        _ => Ok(widths),
    }
}

/// Escapes text for a double-quoted HTML attribute value.
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// What the admin asked for.
#[derive(Debug, Clone, Default)]
pub struct SrcsetRequest<'a> {
    pub source: &'a str,
    /// Relative to the source's BasePath.
    pub key: &'a str,
    /// As typed: `320,640,1280`.
    pub widths: &'a str,
    /// Decoded `name=value` image options (no `w`, `h` or `s`).
    pub options: Vec<(&'a str, &'a str)>,
    /// The `sizes` attribute; empty: [`DEFAULT_SIZES`].
    pub sizes: &'a str,
    /// The `alt` text.
    pub alt: &'a str,
}

/// The HTML for `request` with production URLs on `base`.
pub fn srcset(base: &str, request: &SrcsetRequest<'_>) -> Result<Srcset, SrcsetError> {
    let widths = parse_widths(request.widths)?;
    if let Some((name, _)) = request
        .options
        .iter()
        .find(|(n, _)| matches!(*n, "w" | "width" | "h" | "height" | "s" | "size"))
    {
        return Err(SrcsetError::SetByWidths((*name).to_owned()));
    }
    let options = ImageOptions::parse_pairs(request.options.iter().copied())?;
    let sizes = match request.sizes.trim() {
        "" => DEFAULT_SIZES,
        s if s.len() > 512 || s.chars().any(char::is_control) => return Err(SrcsetError::Sizes),
        s => s,
    };
    let url = |width: u32, format: Option<Format>| {
        let mut o = options.clone();
        o.transform.width = Some(width);
        if format.is_some() {
            o.transform.format = format;
        }
        escape_attribute(&production_url_at(base, request.source, request.key, &o))
    };
    let candidates = |format: Option<Format>| {
        widths
            .iter()
            .map(|&w| format!("{} {w}w", url(w, format)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let largest = *widths.last().expect("at least one width");
    let (sizes_attr, alt) = (escape_attribute(sizes), escape_attribute(request.alt));
    let img = |format: Option<Format>| {
        format!(
            r#"<img src="{}" srcset="{}" sizes="{sizes_attr}" alt="{alt}">"#,
            url(largest, format),
            candidates(format)
        )
    };
    let source = |format: Format| {
        format!(
            r#"  <source type="{}" srcset="{}" sizes="{sizes_attr}">"#,
            format.content_type(),
            candidates(Some(format))
        )
    };
    let picture = format!(
        "<picture>\n{}\n{}\n  {}\n</picture>",
        source(Format::Avif),
        source(Format::Webp),
        img(Some(Format::Jpeg))
    );
    Ok(Srcset {
        img: img(None),
        picture,
        widths,
        sizes: sizes.to_owned(),
    })
}

/// [`srcset`] for a configured source, on the install's production base.
pub fn srcset_for_install(
    sources: &Sources,
    request: &SrcsetRequest<'_>,
) -> Result<Srcset, SrcsetError> {
    sources.get(request.source)?;
    let config = sources.store().load().map_err(SourceError::from)?;
    srcset(config.settings.production_cdn_base(), request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(key: &'a str, widths: &'a str) -> SrcsetRequest<'a> {
        SrcsetRequest {
            source: "shop",
            key,
            widths,
            ..SrcsetRequest::default()
        }
    }

    #[test]
    fn an_img_with_canonical_production_urls_for_each_width() {
        let mut r = request("a.jpg", "640, 320,1280 640");
        r.options = vec![("format", "webp"), ("quality", "70")];
        r.sizes = "(max-width: 640px) 100vw, 640px";
        r.alt = "A & B";
        let out = srcset("https://cdn.weekerp.com", &r).unwrap();
        assert_eq!(out.widths, [320, 640, 1280]);
        let u =
            |w: u32| format!("https://cdn.weekerp.com/image/shop/a.jpg?w={w}&amp;f=webp&amp;q=70");
        assert_eq!(
            out.img,
            format!(
                r#"<img src="{}" srcset="{} 320w, {} 640w, {} 1280w" sizes="(max-width: 640px) 100vw, 640px" alt="A &amp; B">"#,
                u(1280),
                u(320),
                u(640),
                u(1280)
            )
        );
    }

    #[test]
    fn a_picture_has_avif_then_webp_then_a_jpeg_img() {
        let out = srcset("https://cdn.example/", &request("a.png", "320,640")).unwrap();
        let u = |w: u32, f: &str| format!("https://cdn.example/image/shop/a.png?w={w}&amp;f={f}");
        assert_eq!(
            out.picture,
            format!(
                "<picture>\n  <source type=\"image/avif\" srcset=\"{} 320w, {} 640w\" sizes=\"100vw\">\n  <source type=\"image/webp\" srcset=\"{} 320w, {} 640w\" sizes=\"100vw\">\n  <img src=\"{}\" srcset=\"{} 320w, {} 640w\" sizes=\"100vw\" alt=\"\">\n</picture>",
                u(320, "avif"),
                u(640, "avif"),
                u(320, "webp"),
                u(640, "webp"),
                u(640, "jpeg"),
                u(320, "jpeg"),
                u(640, "jpeg"),
            )
        );
        assert_eq!(
            out.img,
            "<img src=\"https://cdn.example/image/shop/a.png?w=640\" srcset=\"https://cdn.example/image/shop/a.png?w=320 320w, https://cdn.example/image/shop/a.png?w=640 640w\" sizes=\"100vw\" alt=\"\">",
            "no f: the original's format"
        );
    }

    #[test]
    fn keys_with_spaces_korean_quotes_and_commas_cannot_break_the_html() {
        let key = "봄 컬렉션/\"벚꽃\" 01, <b>'x'</b>&y.jpg";
        let mut r = request(key, "320");
        r.alt = "\"벚꽃\" <사진>";
        let out = srcset("https://cdn.weekerp.com", &r).unwrap();
        let url = "https://cdn.weekerp.com/image/shop/%EB%B4%84%20%EC%BB%AC%EB%A0%89%EC%85%98/%22%EB%B2%9A%EA%BD%83%22%2001%2C%20%3Cb%3E%27x%27%3C/b%3E%26y.jpg?w=320";
        assert_eq!(
            out.img,
            format!(
                r#"<img src="{url}" srcset="{url} 320w" sizes="100vw" alt="&quot;벚꽃&quot; &lt;사진&gt;">"#
            )
        );
        for html in [&out.img, &out.picture] {
            // Every quote is an attribute delimiter of ours: an even number per tag, none inside.
            for tag in html.split('>').filter(|t| !t.trim().is_empty()) {
                assert_eq!(tag.matches('"').count() % 2, 0, "{tag}");
            }
            assert!(!html.contains('\''), "{html}");
        }
        assert!(out.picture.contains(&format!("{}&amp;f=avif 320w", &url)));
    }

    #[test]
    fn the_urls_are_the_canonicalizers() {
        let mut r = request("a.jpg", "400");
        r.options = vec![
            ("f", "jpg"),
            ("rotate", "-90"),
            ("fit", "cover"),
            ("position", "center"),
        ];
        let out = srcset("https://cdn.weekerp.com", &r).unwrap();
        let options = ImageOptions::parse_pairs([
            ("w", "400"),
            ("f", "jpg"),
            ("rotate", "-90"),
            ("fit", "cover"),
            ("position", "center"),
        ])
        .unwrap();
        let canonical = crate::cdn::urls::production_url_at(
            "https://cdn.weekerp.com",
            "shop",
            "a.jpg",
            &options,
        );
        assert_eq!(
            canonical,
            "https://cdn.weekerp.com/image/shop/a.jpg?w=400&f=jpeg&rotate=270"
        );
        assert!(
            out.img.contains(&escape_attribute(&canonical)),
            "{}",
            out.img
        );
    }

    #[test]
    fn bad_widths_sizes_and_options_are_named() {
        let problem = |widths: &str, options: Vec<(&'static str, &'static str)>, sizes: &str| {
            let mut r = request("a.jpg", widths);
            r.options = options;
            r.sizes = sizes;
            srcset("https://cdn.weekerp.com", &r)
                .unwrap_err()
                .describe(Language::En)
        };
        assert!(problem("", vec![], "").starts_with("widths: give at least one"));
        assert!(problem("320,abc", vec![], "").starts_with("widths: 'abc' must be a whole number"));
        assert!(problem("0", vec![], "").contains("'0' must be"));
        assert!(problem("8193", vec![], "").contains("from 1 to 8192"));
        assert!(problem("1,2,3,4,5,6,7,8,9,10,11,12,13", vec![], "").contains("13 is too many"));
        assert!(problem("320", vec![("h", "200")], "").starts_with("Image option h:"));
        assert!(problem("320", vec![("width", "200")], "").starts_with("Image option width:"));
        assert!(problem("320", vec![("q", "0")], "").starts_with("Image option q"));
        assert!(problem("320", vec![], "a\u{7}b").starts_with("sizes:"));
        assert_eq!(
            parse_widths("320w 640w").unwrap(),
            [320, 640],
            "a trailing w is allowed"
        );
    }
}
