//! The image pipeline of the local CDN: original bytes in, transformed image out.
//!
//! The steps, in order ([`transform`]):
//! 1. size check (`max_input_bytes`) and [`probe`]: format from the magic bytes, size and
//!    EXIF orientation from the header;
//! 2. pixel budget check on the header's size — a decompression bomb is refused before a
//!    single pixel buffer is allocated;
//! 3. [`geometry::plan`] on the upright (EXIF-oriented, rotated) size, and the output size
//!    checks (`max_output_dimension`, naming `width` or `height`; the output area against
//!    `max_output_pixels`, lower for AVIF and GIF);
//! 4. [`decode`](decode::decode): JPEG shrunk in the DCT by the largest of 1/2, 1/4, 1/8 that
//!    still leaves at least 2× for the resize;
//! 5. [`orient`]: EXIF orientation, then `rotate`;
//! 6. [`resize`](resize::resize): scale + crop in one Lanczos3 pass, then the letterbox;
//! 7. [`encode`](encode::encode), in the requested format or the original's.
//!
//! Synchronous and CPU-bound: the server runs it on a bounded blocking pool, after reserving
//! [`memory_estimate`] bytes of its memory budget.

mod bands;
mod baseline;
mod decode;
mod encode;
pub mod geometry;
mod markers;
mod orient;
mod probe;
mod progressive;
mod resize;
mod scan_pipeline;

#[doc(hidden)]
pub mod corpus;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

pub use probe::{Probe, probe};

use crate::cdn::transform::{Format, Limits, PipelineError, Rendered, Transform};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    run(input, t, limits, &mut |_| {})
}

/// Under this many pixels a JPEG decode is not worth a second thread (`bands`,
/// `progressive`).
const TWO_THREADS_FROM_PIXELS: u64 = 1_000_000;

/// Transforms running now in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Counts one running transform while it lives.
struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::Relaxed);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Image requests of the server that will transform, counted from before their original
/// is fetched: work about to start, which `RUNNING` does not see yet.
static DEMAND: AtomicUsize = AtomicUsize::new(0);

/// Counts one request that will transform (a cache miss) while it lives.
pub struct Demand;

impl Demand {
    pub fn start() -> Self {
        DEMAND.fetch_add(1, Ordering::Relaxed);
        Demand
    }
}

impl Drop for Demand {
    fn drop(&mut self) {
        DEMAND.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a core is left over by the transforms running now (this one included) and the
/// server's requests about to transform: a decoder that takes a second thread to finish
/// sooner (`progressive`, `baseline`) only does so then, so a busy server's
/// throughput does not pay for one request's latency.
fn a_core_is_idle() -> bool {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    RUNNING
        .load(Ordering::Relaxed)
        .max(DEMAND.load(Ordering::Relaxed))
        < cores
}

/// The stages of [`transform`], for [`profile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The limit checks, the probe and the plan.
    Prepare,
    /// Decoding, including shrink-on-load and the decoder's colour conversion.
    Decode,
    /// EXIF orientation and `rotate`.
    Orient,
    /// Resize, crop and letterbox.
    Resize,
    /// Encoding, including the encoder's own pixel conversions.
    Encode,
}

/// [`transform`], timing each stage: the benchmark's profile (`bench/cdn_transform.rs`).
pub fn profile(
    input: &[u8],
    t: &Transform,
    limits: &Limits,
) -> Result<(Rendered, Vec<(Stage, std::time::Duration)>), PipelineError> {
    let mut times = Vec::new();
    let mut last = std::time::Instant::now();
    let rendered = run(input, t, limits, &mut |stage| {
        let now = std::time::Instant::now();
        times.push((stage, now - last));
        last = now;
    })?;
    Ok((rendered, times))
}

/// The steps of [`transform`]; `done` is told each stage as it finishes.
fn run(
    input: &[u8],
    t: &Transform,
    limits: &Limits,
    done: &mut dyn FnMut(Stage),
) -> Result<Rendered, PipelineError> {
    let _running = Running::start();
    let Prepared {
        probe,
        mut plan,
        format,
        max_shrink,
    } = prepare(input, t, limits)?;
    done(Stage::Prepare);
    let mut pixels = decode::decode(input, &probe, limits, max_shrink)?;
    done(Stage::Decode);
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
        check_canvas(plan.canvas, format, limits)?;
    }
    done(Stage::Orient);
    let pixels = resize::letterbox(resize::resize(pixels, &plan)?, &plan);
    done(Stage::Resize);
    let (width, height) = (pixels.width, pixels.height);
    let bytes = encode::encode(pixels, format, t.quality)?;
    done(Stage::Encode);
    Ok(Rendered {
        bytes,
        format,
        width,
        height,
    })
}

/// What the header and the request decide before any pixel exists.
struct Prepared {
    probe: Probe,
    plan: geometry::Plan,
    format: Format,
    /// The JPEG shrink-on-load denominator (1, 2, 4 or 8).
    max_shrink: u32,
}

/// The limit checks and the plan: everything that needs only the header.
fn prepare(input: &[u8], t: &Transform, limits: &Limits) -> Result<Prepared, PipelineError> {
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
    let plan = geometry::plan(upright, t.width, t.height, t.fit, t.position);
    let format = t.format.unwrap_or(probe.format);
    check_canvas(plan.canvas, format, limits)?;

    // Shrink-on-load: the largest 1/2ⁿ that leaves the resize at least 2× to do.
    let shrink = f64::min(
        f64::from(upright.0) / f64::from(plan.scaled.0),
        f64::from(upright.1) / f64::from(plan.scaled.1),
    );
    let max_shrink = [8, 4, 2]
        .into_iter()
        .find(|d| shrink >= f64::from(2 * d))
        .unwrap_or(1);
    Ok(Prepared {
        probe,
        plan,
        format,
        max_shrink,
    })
}

/// An upper bound of the bytes [`transform`] holds at its peak for this input and request,
/// from the header alone (cheap: no pixel is decoded). The server reserves it from its
/// memory budget before the transform runs. A request the pipeline will refuse costs only
/// its input.
pub fn memory_estimate(input: &[u8], t: &Transform, limits: &Limits) -> u64 {
    let Ok(p) = prepare(input, t, limits) else {
        return input.len() as u64;
    };
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let (w, h) = (u64::from(p.probe.width), u64::from(p.probe.height));
    let (decoded_px, decoded) = match p.probe.format {
        // libjpeg-turbo rounds a scaled side up; CMYK needs 4 bytes a pixel, then RGB.
        // A progressive one also keeps every coefficient until the last scan (2 bytes each,
        // up to 3 per pixel at 4:4:4) in libjpeg-turbo; twice when it is split in luma and
        // chroma, plus the two sets of planes (up to 3 bytes a scaled pixel each). A large
        // baseline or progressive one decoded by our own decoders keeps some of its
        // coefficients.
        Format::Jpeg => {
            let d = u64::from(p.max_shrink);
            let px = w.div_ceil(d) * h.div_ceil(d);
            // `baseline` and `scan_pipeline` keep, per block of each component, what the
            // scaled IDCT reads and one spare, 2 bytes each (at most 3 blocks per 64
            // pixels, at 4:4:4); `scan_pipeline` also a mask of 8 bytes, and the scan it
            // is decoding on each thread without its stuffing (under the input's size).
            let kept = match d {
                8.. => 1,
                4..8 => 25,
                2..4 => 49,
                _ => 64,
            };
            let blocks = w.div_ceil(8) * h.div_ceil(8) * 3;
            let pipelined = blocks * ((kept + 1) * 2 + 8) + input.len() as u64;
            let coefficients = match (p.probe.progressive, progressive::worth_splitting(w * h)) {
                (true, true) => (2 * (w * h * 3 * 2) + 2 * px * 3).max(pipelined),
                (true, false) => (w * h * 3 * 2).max(pipelined),
                (false, true) => blocks * (kept + 1) * 2,
                (false, false) => 0,
            };
            (px, px * (4 + 3) + coefficients)
        }
        // `image` may decode 16-bit RGBA (8 bytes a pixel) before the 8-bit copy (4).
        _ => (w * h, w * h * (8 + 4)),
    };
    // EXIF orientation and `rotate` each make one more copy (a free angle a larger one).
    let turned = if p.probe.orientation > 1 || t.rotate != 0 {
        decoded_px * 4 * 2
    } else {
        0
    };
    // The resize output, the letterbox, and the encoder's own copies (AVIF converts to its
    // pixel type and keeps planes; a few canvases' worth covers every encoder here).
    let output = area(p.plan.canvas) * 4 * 5;
    input.len() as u64 + decoded + turned + output
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

/// The output size: a side can outgrow the request (`outside`, one side given, no resize),
/// and the area is capped per format (lower for the slow AVIF and GIF encoders).
fn check_canvas(
    (width, height): (u32, u32),
    format: Format,
    limits: &Limits,
) -> Result<(), PipelineError> {
    check_side("width", Some(width.into()), limits)?;
    check_side("height", Some(height.into()), limits)?;
    let limit = limits.max_output_pixels_for(format);
    if u64::from(width) * u64::from(height) > limit {
        return Err(PipelineError::OutputAreaTooLarge {
            width,
            height,
            limit,
            format,
        });
    }
    Ok(())
}
