//! The image pipeline of the local CDN: original bytes in, transformed image out.
//!
//! The steps, in order ([`transform`]):
//! 1. size check (`max_input_bytes`) and [`probe`]: format from the magic bytes, size and
//!    EXIF orientation from the header;
//! 2. pixel budget check on the header's size — a decompression bomb is refused before a
//!    single pixel buffer is allocated;
//! 3. [`geometry::plan`] on the upright (EXIF-oriented, rotated) size, and the output size
//!    check (`max_output_dimension`, naming `width` or `height`);
//! 4. [`decode`](decode::decode): JPEG shrunk in the DCT by the largest of 1/2, 1/4, 1/8 that
//!    still leaves at least 2× for the resize;
//! 5. [`orient`]: EXIF orientation, then `rotate`;
//! 6. [`resize`](resize::resize): scale + crop in one Lanczos3 pass, then the letterbox;
//! 7. [`encode`](encode::encode), in the requested format or the original's.
//!
//! Synchronous and CPU-bound: the server runs it on a bounded blocking pool.

mod decode;
mod encode;
pub mod geometry;
mod orient;
mod probe;
mod resize;

#[doc(hidden)]
pub mod corpus;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

pub use probe::{Probe, probe};

use crate::cdn::transform::{Format, Limits, PipelineError, Rendered, Transform};

/// Decoded pixels: 8-bit RGB, or RGBA when `alpha`, rows packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub data: Vec<u8>,
}

impl Pixels {
    fn channels(&self) -> usize {
        if self.alpha { 4 } else { 3 }
    }
}

/// Whether the format can carry transparency.
fn has_alpha(format: Format) -> bool {
    !matches!(format, Format::Jpeg)
}

/// Transforms `input` as `t` asks, within `limits`.
pub fn transform(input: &[u8], t: &Transform, limits: &Limits) -> Result<Rendered, PipelineError> {
    // Requests that can never succeed fail before any work.
    check_side("width", t.width.map(u64::from), limits)?;
    check_side("height", t.height.map(u64::from), limits)?;
    if input.len() as u64 > limits.max_input_bytes {
        return Err(PipelineError::TooLarge {
            size: input.len() as u64,
            limit: limits.max_input_bytes,
        });
    }
    let probe = probe::probe(input)?;
    check_pixels(probe.width.into(), probe.height.into(), limits)?;
    let upright = orient::rotated_size(probe.oriented_size(), t.rotate);
    check_pixels(upright.0.into(), upright.1.into(), limits)?;
    let mut plan = geometry::plan(upright, t.width, t.height, t.fit, t.position);
    check_canvas(plan.canvas, limits)?;
    let format = t.format.unwrap_or(probe.format);

    // Shrink-on-load: the largest 1/2ⁿ that leaves the resize at least 2× to do.
    let shrink = f64::min(
        f64::from(upright.0) / f64::from(plan.scaled.0),
        f64::from(upright.1) / f64::from(plan.scaled.1),
    );
    let max_shrink = [8, 4, 2]
        .into_iter()
        .find(|d| shrink >= f64::from(2 * d))
        .unwrap_or(1);

    let mut pixels = decode::decode(input, &probe, limits, max_shrink)?;
    if probe.format == Format::Jpeg {
        pixels = orient::apply_exif(pixels, probe.orientation);
    }
    pixels = orient::rotate(pixels, t.rotate, has_alpha(format));
    if probe.format != Format::Jpeg {
        // Other decoders apply their own EXIF orientation: plan on what they gave.
        plan = geometry::plan(
            (pixels.width, pixels.height),
            t.width,
            t.height,
            t.fit,
            t.position,
        );
        check_canvas(plan.canvas, limits)?;
    }
    let pixels = resize::letterbox(resize::resize(pixels, &plan)?, &plan);
    let (width, height) = (pixels.width, pixels.height);
    let bytes = encode::encode(pixels, format, t.quality)?;
    Ok(Rendered {
        bytes,
        format,
        width,
        height,
    })
}

/// The pixel budget, on a size read from a header.
pub(crate) fn check_pixels(width: u64, height: u64, limits: &Limits) -> Result<(), PipelineError> {
    if width.saturating_mul(height) > limits.max_input_pixels {
        return Err(PipelineError::TooManyPixels {
            width,
            height,
            budget: limits.max_input_pixels,
        });
    }
    Ok(())
}

fn check_side(
    option: &'static str,
    value: Option<u64>,
    limits: &Limits,
) -> Result<(), PipelineError> {
    match value {
        Some(value) if value > u64::from(limits.max_output_dimension) => {
            Err(PipelineError::OutputTooLarge {
                option,
                value,
                limit: limits.max_output_dimension,
            })
        }
        _ => Ok(()),
    }
}

/// The output size: a side can outgrow the request (`outside`, one side given, no resize).
fn check_canvas((width, height): (u32, u32), limits: &Limits) -> Result<(), PipelineError> {
    check_side("width", Some(width.into()), limits)?;
    check_side("height", Some(height.into()), limits)
}
