//! Pixels out of the original, as 8-bit RGB or RGBA.
//!
//! - JPEG: libjpeg-turbo, scaled in the DCT (1/2, 1/4, 1/8) when the resize allows it; a
//!   large one on two threads: in two bands of rows when its restart markers allow
//!   (`bands`), else a progressive one with luma and chroma apart (`progressive`), else a
//!   baseline one by our own decoder from both ends of its data (`baseline`). Any
//!   libjpeg warning (truncated data, extraneous bytes) fails the decode, as sharp's default
//!   `failOn: 'warning'` does. CMYK/YCCK JPEGs are decoded to CMYK and converted to RGB with
//!   libjpeg-turbo's (Adobe, inverted) convention, `R = C×K/255`: no ICC transform. The EXIF
//!   orientation is applied by the caller (see `probe`).
//! - PNG, GIF, WebP, TIFF: the `image` crate, under memory limits, EXIF orientation applied.
//!   16-bit images are reduced to 8 bits. Animated GIF/WebP: the first frame only.

use super::{Pixels, Probe};
use crate::cdn::transform::{Format, Limits, PipelineError};
use std::io::Cursor;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

/// Progressive JPEGs with more scans than this are refused (libjpeg-turbo's advice against
/// scan-count denial of service; real photos have ~10).
const MAX_JPEG_SCANS: u32 = 500;

/// Decodes `input`, shrinking a JPEG by up to `1/max_shrink` (1, 2, 4 or 8) on the way.
pub(super) fn decode(
    input: &[u8],
    probe: &Probe,
    limits: &Limits,
    max_shrink: u32,
) -> Result<Pixels, PipelineError> {
    match probe.format {
        Format::Jpeg => jpeg(input, probe, limits, max_shrink),
        format => with_image(input, format, limits),
    }
}

fn jpeg(
    input: &[u8],
    probe: &Probe,
    limits: &Limits,
    max_shrink: u32,
) -> Result<Pixels, PipelineError> {
    let corrupt = |e: turbojpeg::Error| PipelineError::Corrupt(format!("Jpeg: {e}"));
    let mut decompressor = Decompressor::new().map_err(corrupt)?;
    let header = decompressor.read_header(input).map_err(corrupt)?;
    // The probe read the SOF we saw first; libjpeg-turbo's is the one it will allocate for.
    super::check_pixels(header.width as u64, header.height as u64, limits)?;
    if (header.width, header.height) != (probe.width as usize, probe.height as usize) {
        return Err(PipelineError::Corrupt(
            "Jpeg: two different frame sizes".into(),
        ));
    }
    let factor = match max_shrink {
        8.. => ScalingFactor::ONE_EIGHTH,
        4..8 => ScalingFactor::ONE_QUARTER,
        2..4 => ScalingFactor::ONE_HALF,
        _ => ScalingFactor::ONE,
    };
    decompressor.set_scaling_factor(factor).map_err(corrupt)?;
    decompressor
        .set_scan_limit(MAX_JPEG_SCANS)
        .map_err(corrupt)?;
    let scaled = header.scaled(factor);
    let (width, height) = (scaled.width, scaled.height);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let format = if cmyk {
        PixelFormat::CMYK
    } else {
        PixelFormat::RGB
    };
    // Two threads where the file allows: two bands of rows at a common restart marker; a
    // progressive file's scans pipelined by our own decoder (on one thread when no core is
    // idle: it costs less CPU than libjpeg-turbo), or else its luma and chroma apart; a
    // baseline file's entropy-coded data from both ends, the second half started
    // speculatively. The whole file is walked only when one of them may apply.
    let pixels = (header.width as u64) * (header.height as u64);
    let bands = super::markers::restarts_declared(input);
    let idle = super::a_core_is_idle();
    let threads = if idle { 2 } else { 1 };
    let pipelined = super::scan_pipeline::applies(&header);
    let luma_chroma = super::progressive::applies(&header) && idle;
    let speculative = !bands && super::baseline::applies(&header, factor) && idle;
    if !cmyk
        && pixels >= super::TWO_THREADS_FROM_PIXELS
        && (bands || pipelined || luma_chroma || speculative)
        && let Some(parsed) = super::markers::parse(input)
    {
        let split = bands
            .then(|| super::bands::decode(input, &parsed, &header, factor, MAX_JPEG_SCANS))
            .flatten()
            .or_else(|| {
                pipelined
                    .then(|| {
                        super::scan_pipeline::decode(
                            input,
                            &parsed,
                            factor,
                            MAX_JPEG_SCANS,
                            threads,
                        )
                        .map(Ok)
                    })
                    .flatten()
            })
            .or_else(|| {
                luma_chroma
                    .then(|| {
                        super::progressive::decode(input, &parsed, &header, factor, MAX_JPEG_SCANS)
                    })
                    .flatten()
            })
            .or_else(|| {
                speculative
                    .then(|| super::baseline::decode(input, &parsed, factor).map(Ok))
                    .flatten()
            });
        if let Some(rgb) = split {
            return Ok(Pixels {
                width: width as u32,
                height: height as u32,
                alpha: false,
                data: rgb.map_err(corrupt)?,
            });
        }
    }
    let mut data = vec![0u8; width * height * format.size()];
    let image = Image {
        pixels: &mut data[..],
        width,
        pitch: width * format.size(),
        height,
        format,
    };
    decompressor.decompress(input, image).map_err(corrupt)?;
    if cmyk {
        data = cmyk_to_rgb(&data);
    }
    Ok(Pixels {
        width: width as u32,
        height: height as u32,
        alpha: false,
        data,
    })
}

/// libjpeg-turbo's CMYK is stored inverted (Adobe): 255 means no ink.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for p in cmyk.chunks_exact(4) {
        let k = u32::from(p[3]);
        for &c in &p[..3] {
            rgb.push(((u32::from(c) * k + 127) / 255) as u8);
        }
    }
    rgb
}

fn with_image(input: &[u8], format: Format, limits: &Limits) -> Result<Pixels, PipelineError> {
    let image_format = match format {
        Format::Png => image::ImageFormat::Png,
        Format::Gif => image::ImageFormat::Gif,
        Format::Webp => image::ImageFormat::WebP,
        Format::Tiff => image::ImageFormat::Tiff,
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Avif => {
            return Err(PipelineError::Unsupported(
                "AVIF originals are not read yet".into(),
            ));
        }
    };
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PipelineError::TooManyPixels {
            width: 0,
            height: 0,
            budget: limits.max_input_pixels,
        },
        image::ImageError::Unsupported(e) => PipelineError::Unsupported(format!("{format:?}: {e}")),
        e => PipelineError::Corrupt(format!("{format:?}: {e}")),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(input), image_format);
    let mut image_limits = image::Limits::default();
    // The header was checked against the pixel budget; this also bounds what a decoder
    // allocates when the data disagrees with it (16-bit RGBA: 8 bytes a pixel, plus room).
    image_limits.max_alloc = Some(limits.max_input_pixels.saturating_mul(8) + (64 << 20));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    use image::ImageDecoder;
    let (w, h) = decoder.dimensions();
    super::check_pixels(w.into(), h.into(), limits)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(Pixels::from_dynamic(image))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_converts_with_the_inverted_convention() {
        // No ink (255,255,255,255) is white; full K (…,0) is black; full C (0,…) is cyan.
        assert_eq!(cmyk_to_rgb(&[255, 255, 255, 255]), vec![255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[255, 255, 255, 0]), vec![0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[0, 255, 255, 255]), vec![0, 255, 255]);
    }
}
