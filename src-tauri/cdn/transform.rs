//! The shared vocabulary of the local CDN: what a request asks for ([`Transform`]), the
//! limits it runs under ([`Limits`]), what the pipeline gives back ([`Rendered`]) and how it
//! fails ([`PipelineError`]). The option parser (`options`) produces a [`Transform`]; the
//! pipeline (`pipeline`) consumes it; the server maps [`PipelineError`] to a status.

use serde::{Deserialize, Serialize};

/// How the image lands in a `width`×`height` box, as sharp documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Crop to exactly W×H (the default when both sides are given).
    Cover,
    /// Letterbox to exactly W×H.
    Contain,
    /// Stretch to exactly W×H.
    Fill,
    /// Keep the aspect ratio; as large as possible, no side over the box.
    Inside,
    /// Keep the aspect ratio; as small as possible, no side under the box.
    Outside,
}

/// The crop anchor for `cover` (and where `contain` puts the image inside its letterbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Centre,
    Top,
    Bottom,
    Left,
    Right,
}

/// Output (and recognised input) formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Avif,
    Gif,
    Tiff,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
            Format::Gif => "image/gif",
            Format::Tiff => "image/tiff",
        }
    }

    /// Whether `quality` means anything for this format.
    pub fn is_lossy(self) -> bool {
        matches!(self, Format::Jpeg | Format::Webp | Format::Avif)
    }
}

/// One request's transformation, aliases already folded (`s`→width/height, `w`→width, …).
/// Rotation is applied after EXIF orientation and before the resize.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Transform {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `None`: `cover` when both sides are given (irrelevant otherwise).
    pub fit: Option<Fit>,
    /// `None`: centre.
    pub position: Option<Position>,
    /// `None`: the original's format.
    pub format: Option<Format>,
    /// 1–100; `None`: the encoder's default (80 for JPEG/WebP, 60 for AVIF).
    pub quality: Option<u8>,
    /// Degrees clockwise, −360…360.
    pub rotate: i16,
}

/// Bounds every request runs under (from settings; defaults per the CDN issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Source width × height, checked from the header before any full decode.
    pub max_input_pixels: u64,
    /// Largest output side.
    pub max_output_dimension: u32,
    /// Largest original, in bytes.
    pub max_input_bytes: u64,
    /// Largest output area (width × height), for the fast encoders (JPEG, WebP, PNG, TIFF).
    pub max_output_pixels: u64,
    /// Largest output area for the slow encoders (AVIF, GIF), as imgproxy caps them lower:
    /// an 8192×8192 AVIF would hold a worker for minutes.
    pub max_slow_output_pixels: u64,
}

impl Limits {
    /// The output area cap for an output format.
    pub fn max_output_pixels_for(&self, format: Format) -> u64 {
        match format {
            Format::Avif | Format::Gif => self.max_slow_output_pixels,
            _ => self.max_output_pixels,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_pixels: 50_000_000,
            max_output_dimension: 8192,
            max_input_bytes: 64 * 1024 * 1024,
            max_output_pixels: 40_000_000,
            max_slow_output_pixels: 4_194_304,
        }
    }
}

/// A transformed image.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// Why a transformation failed. Every variant but [`PipelineError::Internal`] is the input's
/// or the request's fault (4xx); the message says what is wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// Not an image format the pipeline reads (→ 415).
    #[error("unsupported input: {0}")]
    Unsupported(String),
    /// A recognised format whose data is broken or truncated (→ 422).
    #[error("the image data is damaged: {0}")]
    Corrupt(String),
    /// Width × height over the pixel budget, found from the header (→ 413).
    #[error("the original is {width}×{height}, over the {budget} pixel limit")]
    TooManyPixels {
        width: u64,
        height: u64,
        budget: u64,
    },
    /// The original is larger than the byte limit (→ 413).
    #[error("the original is {size} bytes, over the {limit} byte limit")]
    TooLarge { size: u64, limit: u64 },
    /// The requested output is over the dimension limit (→ 400, naming the option).
    #[error("{option}: the output would be {value} px, over the {limit} px limit")]
    OutputTooLarge {
        option: &'static str,
        value: u64,
        limit: u32,
    },
    /// The output's area is over the cap for its format (→ 400, naming the sides).
    #[error(
        "width, height: the output would be {width}×{height} px, over the {limit} pixel limit for {format:?}"
    )]
    OutputAreaTooLarge {
        width: u32,
        height: u32,
        limit: u64,
        format: Format,
    },
    /// The encoder cannot produce this output (→ 415 for the requested format).
    #[error("cannot encode {format:?}: {reason}")]
    Encode { format: Format, reason: String },
    /// Our own fault, not the image's (a resizer refusing a box we computed): → 500
    /// `internal`; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}
