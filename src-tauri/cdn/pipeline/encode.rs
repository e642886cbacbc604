//! Bytes out: JPEG with libjpeg-turbo (4:2:0, optimised Huffman tables, like sharp), lossy WebP with libwebp (method 4,
//! like sharp's effort 4), AVIF with rav1e through `ravif` (8-bit, speed 9), PNG, GIF and
//! TIFF with the `image` crate.
//!
//! Default qualities: 80 for JPEG and WebP, 60 for AVIF (`Transform::quality`). Alpha is kept
//! by PNG, WebP, AVIF, GIF and TIFF; JPEG has none, so the image is flattened onto black —
//! what sharp (libvips' save) does without an explicit `flatten`.

use super::Pixels;
use crate::cdn::transform::{Format, PipelineError};
use std::io::Cursor;

/// ravif's speed: 10 is its fastest; 9 costs a little time for visibly fewer artefacts.
const AVIF_SPEED: u8 = 9;

pub(super) fn encode(
    pixels: Pixels,
    format: Format,
    quality: Option<u8>,
) -> Result<Vec<u8>, PipelineError> {
    match format {
        Format::Jpeg => jpeg(&flatten(pixels), quality.unwrap_or(80)),
        Format::Webp => webp(&pixels, quality.unwrap_or(80)),
        Format::Avif => avif(&pixels, quality.unwrap_or(60)),
        Format::Png | Format::Gif | Format::Tiff => {
            with_image(pixels, format).map_err(failed(format))
        }
    }
}

/// The encoder of `format` refused: its own words become the reason.
fn failed<E: std::fmt::Display>(format: Format) -> impl Fn(E) -> PipelineError {
    move |e| PipelineError::Encode {
        format,
        reason: e.to_string(),
    }
}

/// Composites RGBA onto opaque black.
fn flatten(pixels: Pixels) -> Pixels {
    if !pixels.alpha {
        return pixels;
    }
    let mut data = Vec::with_capacity(pixels.data.len() / 4 * 3);
    for p in pixels.data.chunks_exact(4) {
        let a = u32::from(p[3]);
        data.extend(
            p[..3]
                .iter()
                .map(|&c| ((u32::from(c) * a + 127) / 255) as u8),
        );
    }
    Pixels {
        alpha: false,
        data,
        ..pixels
    }
}

fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, PipelineError> {
    let fail = failed(Format::Jpeg);
    let mut compressor = turbojpeg::Compressor::new().map_err(&fail)?;
    compressor
        .set_quality(i32::from(quality.clamp(1, 100)))
        .map_err(&fail)?;
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(&fail)?;
    // Optimised Huffman tables, as sharp's default `optimiseCoding`: ~5–10 % smaller for
    // well under a millisecond at thumbnail sizes.
    compressor.set_optimize(true).map_err(&fail)?;
    let image = turbojpeg::Image {
        pixels: &pixels.data[..],
        width: pixels.width as usize,
        pitch: pixels.width as usize * 3,
        height: pixels.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).map_err(fail)
}

fn webp(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, PipelineError> {
    let fail = failed(Format::Webp);
    let encoder = if pixels.alpha {
        webp::Encoder::from_rgba(&pixels.data, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.data, pixels.width, pixels.height)
    };
    let mut config = webp::WebPConfig::new().map_err(|()| fail("libwebp config".to_string()))?;
    config.quality = f32::from(quality.clamp(1, 100));
    config.method = 4;
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| fail(format!("{e:?}")))?;
    Ok(memory.to_vec())
}

fn avif(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, PipelineError> {
    let encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality.clamp(1, 100)))
        .with_alpha_quality(f32::from(quality.clamp(1, 100)))
        .with_bit_depth(ravif::BitDepth::Eight)
        .with_speed(AVIF_SPEED);
    let (w, h) = (pixels.width as usize, pixels.height as usize);
    let encoded = if pixels.alpha {
        let rgba: Vec<ravif::RGBA8> = (pixels.data.chunks_exact(4))
            .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(ravif::Img::new(&rgba[..], w, h))
    } else {
        let rgb: Vec<ravif::RGB8> = (pixels.data.chunks_exact(3))
            .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(ravif::Img::new(&rgb[..], w, h))
    };
    encoded.map(|e| e.avif_file).map_err(failed(Format::Avif))
}

fn with_image(pixels: Pixels, format: Format) -> image::ImageResult<Vec<u8>> {
    use image::ImageEncoder;
    let mut out = Cursor::new(Vec::new());
    let color = if pixels.alpha {
        image::ExtendedColorType::Rgba8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let (w, h) = (pixels.width, pixels.height);
    match format {
        Format::Png => image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(&pixels.data, w, h, color)?,
        Format::Gif => {
            // Speed 10 of 30 (NeuQuant sampling): good palettes at a tenth of speed 1's time.
            let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 10);
            let rgba = pixels.into_dynamic().into_rgba8();
            encoder.encode(rgba.as_raw(), w, h, image::ExtendedColorType::Rgba8)?;
        }
        _ => image::codecs::tiff::TiffEncoder::new(&mut out).write_image(
            &pixels.data,
            w,
            h,
            color,
        )?,
    }
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_goes_onto_black() {
        let p = Pixels {
            width: 2,
            height: 1,
            alpha: true,
            data: vec![200, 100, 50, 255, 200, 100, 50, 0],
        };
        assert_eq!(flatten(p).data, vec![200, 100, 50, 0, 0, 0]);
    }
}
