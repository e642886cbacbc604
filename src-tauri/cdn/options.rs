//! The query of `/image/{source}/{path}?{options}` (DESIGN §2) parsed into a [`Transform`],
//! and its canonical form: the cache key part and the query of the URLs Bucketdesk builds.
//!
//! Rules beyond the table in DESIGN §2, decided here:
//! - Aliases fold (`s`→`size`, `w`→`width`, …); giving an option twice, under either name, is
//!   a 400: which one would win is not obvious, and the production CDN must not be guessed.
//! - An unknown option is a 400 that lists the known ones: a typo (`widht=400`) silently
//!   ignored would show the original and look like a broken transform. `token` is reserved
//!   for the local server's secret and never part of an option set.
//! - Values: `width`/`height` whole pixels from 1; `size` `WxH`; `quality` 1–100; `rotate`
//!   −360…360; enum values case-insensitive, `center` accepted for `centre`, `jpg` for `jpeg`.
//! - Canonical form (cache key, ETag, built URLs): fixed order, short names, defaults dropped
//!   (`p=centre`, `fit=cover` with both sides, `fit` with fewer than two sides, `rotate` 0 and
//!   taken modulo 360, `q` for an explicitly lossless format), `v` kept. Two queries that mean
//!   the same image have the same canonical form, and the pipeline is given the canonical
//!   [`Transform`], so what is cached under a key is exactly what that key asks for.

use std::fmt;

use super::transform::{Fit, Format, Limits, Position, Transform};

/// Every option name the parser knows, long names first, for messages.
pub const KNOWN: &str = "size (s), width (w), height (h), fit, position (p), format (f), \
                         quality (q), rotate, v";

/// The query parameter that carries the local server's token; never an option.
pub const TOKEN_PARAM: &str = "token";

/// One request's options: the transform and the cache-busting version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageOptions {
    pub transform: Transform,
    /// `v`: part of the cache key, no other effect.
    pub version: Option<String>,
}

/// A bad option: which one, and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option as the request named it (`w`, `width`, `widht`).
    pub option: String,
    pub message: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.option, self.message)
    }
}

impl std::error::Error for OptionError {}

fn bad(option: &str, message: impl Into<String>) -> OptionError {
    OptionError {
        option: option.to_owned(),
        message: message.into(),
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); `None` when an escape is
/// malformed or the result is not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn encode_query_value(value: &str) -> String {
    crate::sources::encode_segment(value)
}

/// The long name of an option, or `None` when it is not one.
fn canonical_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "size" | "s" => "size",
        "width" | "w" => "width",
        "height" | "h" => "height",
        "fit" => "fit",
        "position" | "p" => "position",
        "format" | "f" => "format",
        "quality" | "q" => "quality",
        "rotate" => "rotate",
        "v" => "v",
        _ => return None,
    })
}

fn pixels(option: &str, value: &str) -> Result<u32, OptionError> {
    match value.parse::<u32>() {
        Ok(n) if n >= 1 && !value.starts_with('+') => Ok(n),
        _ => Err(bad(
            option,
            format!("'{value}' is not a size: use a whole number of pixels from 1 (e.g. 400)"),
        )),
    }
}

fn parse_fit(option: &str, value: &str) -> Result<Fit, OptionError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "cover" => Fit::Cover,
        "contain" => Fit::Contain,
        "fill" => Fit::Fill,
        "inside" => Fit::Inside,
        "outside" => Fit::Outside,
        _ => {
            return Err(bad(
                option,
                format!("'{value}' is not a fit: use cover, contain, fill, inside or outside"),
            ));
        }
    })
}

fn parse_position(option: &str, value: &str) -> Result<Position, OptionError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "centre" | "center" => Position::Centre,
        "top" => Position::Top,
        "bottom" => Position::Bottom,
        "left" => Position::Left,
        "right" => Position::Right,
        "entropy" | "attention" => {
            return Err(bad(
                option,
                format!(
                    "'{value}' (smart crop) is not supported by the local preview: \
                     use centre, top, bottom, left or right"
                ),
            ));
        }
        _ => {
            return Err(bad(
                option,
                format!(
                    "'{value}' is not a position: use centre (or center), top, bottom, left or right"
                ),
            ));
        }
    })
}

fn parse_format(option: &str, value: &str) -> Result<Format, OptionError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Format::Jpeg,
        "png" => Format::Png,
        "webp" => Format::Webp,
        "avif" => Format::Avif,
        "gif" => Format::Gif,
        "tiff" => Format::Tiff,
        _ => {
            return Err(bad(
                option,
                format!("'{value}' is not a format: use webp, avif, jpg (jpeg), png, gif or tiff"),
            ));
        }
    })
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Jpeg => "jpeg",
        Format::Png => "png",
        Format::Webp => "webp",
        Format::Avif => "avif",
        Format::Gif => "gif",
        Format::Tiff => "tiff",
    }
}

fn fit_name(fit: Fit) -> &'static str {
    match fit {
        Fit::Cover => "cover",
        Fit::Contain => "contain",
        Fit::Fill => "fill",
        Fit::Inside => "inside",
        Fit::Outside => "outside",
    }
}

fn position_name(position: Position) -> &'static str {
    match position {
        Position::Centre => "centre",
        Position::Top => "top",
        Position::Bottom => "bottom",
        Position::Left => "left",
        Position::Right => "right",
    }
}

impl ImageOptions {
    /// Parses a raw (still percent-encoded) query string. `token` is skipped.
    pub fn parse_query(query: &str) -> Result<ImageOptions, OptionError> {
        let mut pairs = Vec::new();
        for piece in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = percent_decode(name, true)
                .ok_or_else(|| bad(name, "the option name has invalid percent-encoding"))?;
            let value = percent_decode(value, true)
                .ok_or_else(|| bad(&name, "the value has invalid percent-encoding"))?;
            pairs.push((name, value));
        }
        ImageOptions::parse_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// Parses decoded `name=value` pairs (also what the CLI and the app's URL builder give).
    pub fn parse_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ImageOptions, OptionError> {
        let mut seen: Vec<&'static str> = Vec::new();
        let mut size = None;
        let mut options = ImageOptions::default();
        let t = &mut options.transform;
        for (name, value) in pairs {
            if name == TOKEN_PARAM {
                continue;
            }
            let Some(long) = canonical_name(name) else {
                return Err(bad(
                    name,
                    format!("unknown option; the options are {KNOWN}"),
                ));
            };
            if seen.contains(&long) {
                return Err(bad(
                    name,
                    format!("given more than once (as {long} or its alias); give it once"),
                ));
            }
            seen.push(long);
            if value.is_empty() {
                return Err(bad(name, "has no value"));
            }
            match long {
                "size" => {
                    let parsed = value
                        .split_once('x')
                        .and_then(|(w, h)| Some((pixels(name, w).ok()?, pixels(name, h).ok()?)));
                    size = Some(parsed.ok_or_else(|| {
                        bad(
                            name,
                            format!(
                                "'{value}' is not a size: use WIDTHxHEIGHT in pixels (e.g. 400x300)"
                            ),
                        )
                    })?);
                }
                "width" => t.width = Some(pixels(name, value)?),
                "height" => t.height = Some(pixels(name, value)?),
                "fit" => t.fit = Some(parse_fit(name, value)?),
                "position" => t.position = Some(parse_position(name, value)?),
                "format" => t.format = Some(parse_format(name, value)?),
                "quality" => {
                    t.quality = Some(match value.parse::<u8>() {
                        Ok(q @ 1..=100) if !value.starts_with('+') => q,
                        _ => {
                            return Err(bad(
                                name,
                                format!(
                                    "'{value}' is not a quality: use a whole number from 1 to 100"
                                ),
                            ));
                        }
                    })
                }
                "rotate" => {
                    t.rotate = match value.parse::<i16>() {
                        Ok(r @ -360..=360) if !value.starts_with('+') => r,
                        _ => {
                            return Err(bad(
                                name,
                                format!(
                                    "'{value}' is not a rotation: use whole degrees from -360 to 360"
                                ),
                            ));
                        }
                    }
                }
                "v" => {
                    if value.len() > 128 || value.chars().any(char::is_control) {
                        return Err(bad(
                            name,
                            "use at most 128 characters without control characters",
                        ));
                    }
                    options.version = Some(value.to_owned());
                }
                _ => unreachable!("every canonical name is handled"),
            }
        }
        if let Some((w, h)) = size {
            t.width.get_or_insert(w);
            t.height.get_or_insert(h);
        }
        Ok(options.canonical())
    }

    /// The same request with defaults folded (see the module docs).
    pub fn canonical(mut self) -> ImageOptions {
        let t = &mut self.transform;
        let both = t.width.is_some() && t.height.is_some();
        if !both || t.fit == Some(Fit::Cover) {
            t.fit = None;
        }
        let fit = t.fit.unwrap_or(Fit::Cover);
        // The anchor matters only where the image is cropped or letterboxed.
        if t.position == Some(Position::Centre)
            || !both
            || !matches!(fit, Fit::Cover | Fit::Contain)
        {
            t.position = None;
        }
        if t.format.is_some_and(|f| !f.is_lossy()) {
            t.quality = None;
        }
        t.rotate = t.rotate.rem_euclid(360);
        self
    }

    /// The canonical query: fixed order, short names, no token. Empty for the original.
    pub fn to_query(&self) -> String {
        let t = &self.transform;
        let mut parts = Vec::new();
        if let Some(w) = t.width {
            parts.push(format!("w={w}"));
        }
        if let Some(h) = t.height {
            parts.push(format!("h={h}"));
        }
        if let Some(fit) = t.fit {
            parts.push(format!("fit={}", fit_name(fit)));
        }
        if let Some(p) = t.position {
            parts.push(format!("p={}", position_name(p)));
        }
        if let Some(f) = t.format {
            parts.push(format!("f={}", format_name(f)));
        }
        if let Some(q) = t.quality {
            parts.push(format!("q={q}"));
        }
        if t.rotate != 0 {
            parts.push(format!("rotate={}", t.rotate));
        }
        if let Some(v) = &self.version {
            parts.push(format!("v={}", encode_query_value(v)));
        }
        parts.join("&")
    }

    /// Refuses, before any fetch, an output side over the limit (the pipeline checks the
    /// sides it computes as well).
    pub fn check_limits(&self, limits: &Limits) -> Result<(), OptionError> {
        for (option, value) in [
            ("width", self.transform.width),
            ("height", self.transform.height),
        ] {
            if let Some(v) = value
                && v > limits.max_output_dimension
            {
                return Err(bad(
                    option,
                    format!(
                        "{v} px is over the {} px limit of an output side",
                        limits.max_output_dimension
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ImageOptions, OptionError> {
        ImageOptions::parse_query(q)
    }

    #[test]
    fn aliases_fold_to_one_canonical_query() {
        let a = parse("w=400&h=300&fit=contain&p=top&f=jpg&q=70&rotate=90&v=3").unwrap();
        let b = parse(
            "v=3&rotate=90&quality=70&format=jpeg&position=top&fit=contain&height=300&width=400",
        )
        .unwrap();
        assert_eq!(a, b, "aliases and order do not change the meaning");
        assert_eq!(
            a.to_query(),
            "w=400&h=300&fit=contain&p=top&f=jpeg&q=70&rotate=90&v=3"
        );
    }

    #[test]
    fn defaults_fold_so_equal_requests_share_a_key() {
        let plain = parse("w=400&h=300").unwrap();
        for same in [
            "w=400&h=300&fit=cover",
            "w=400&h=300&p=centre",
            "w=400&h=300&p=center&fit=COVER",
            "s=400x300",
            "h=300&w=400&rotate=0",
            "w=400&h=300&rotate=360",
            "w=400&h=300&token=secret",
        ] {
            assert_eq!(parse(same).unwrap().to_query(), plain.to_query(), "{same}");
        }
        assert_eq!(
            parse("w=400&fit=fill").unwrap().to_query(),
            "w=400",
            "fit needs two sides"
        );
        assert_eq!(
            parse("w=4&h=3&fit=fill&p=top").unwrap().to_query(),
            "w=4&h=3&fit=fill"
        );
        assert_eq!(
            parse("f=png&q=50").unwrap().to_query(),
            "f=png",
            "q is moot for png"
        );
        assert_eq!(parse("rotate=-90").unwrap().to_query(), "rotate=270");
        assert_ne!(
            parse("w=4&v=1").unwrap().to_query(),
            parse("w=4&v=2").unwrap().to_query()
        );
    }

    #[test]
    fn size_is_overridden_by_explicit_sides() {
        let o = parse("s=400x300&w=100").unwrap();
        assert_eq!(
            (o.transform.width, o.transform.height),
            (Some(100), Some(300))
        );
        let o = parse("size=400x300&h=50").unwrap();
        assert_eq!(
            (o.transform.width, o.transform.height),
            (Some(400), Some(50))
        );
    }

    #[test]
    fn bad_values_name_the_option_and_what_is_allowed() {
        for (query, option, allowed) in [
            ("w=abc", "w", "whole number"),
            ("width=0", "width", "from 1"),
            ("h=-5", "h", "whole number"),
            ("s=400", "s", "WIDTHxHEIGHT"),
            ("s=400x", "s", "WIDTHxHEIGHT"),
            (
                "fit=stretch",
                "fit",
                "cover, contain, fill, inside or outside",
            ),
            ("p=middle", "p", "centre"),
            ("p=entropy", "p", "not supported"),
            ("f=bmp", "f", "webp, avif"),
            ("q=0", "q", "1 to 100"),
            ("quality=101", "quality", "1 to 100"),
            ("rotate=361", "rotate", "-360 to 360"),
            ("rotate=9x", "rotate", "-360 to 360"),
            ("w=", "w", "no value"),
            ("widht=400", "widht", "unknown option"),
            ("w=%zz", "w", "percent-encoding"),
        ] {
            let err = parse(query).expect_err(query);
            assert_eq!(err.option, option, "{query}: {err}");
            assert!(err.to_string().contains(allowed), "{query}: {err}");
        }
    }

    #[test]
    fn a_repeated_option_is_refused_under_either_name() {
        for q in ["w=1&w=2", "w=1&width=1", "f=png&format=png", "v=1&v=1"] {
            let err = parse(q).expect_err(q);
            assert!(err.message.contains("more than once"), "{q}: {err}");
        }
    }

    #[test]
    fn the_limit_names_the_side() {
        let o = parse("w=9000").unwrap();
        let err = o.check_limits(&Limits::default()).unwrap_err();
        assert_eq!(err.option, "width");
        assert!(
            parse("w=8192")
                .unwrap()
                .check_limits(&Limits::default())
                .is_ok()
        );
    }

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(
            percent_decode("%ED%95%9C%20a", false).as_deref(),
            Some("한 a")
        );
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("%4", false), None);
        assert_eq!(percent_decode("%G0", false), None);
        assert_eq!(percent_decode("%FF", false), None, "not UTF-8");
    }
}
