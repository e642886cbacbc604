//! Scaling and cropping in one pass (`fast_image_resize`, Lanczos3, SIMD), then the
//! `contain` letterbox.
//!
//! The plan is made on the full-size, upright image; the pixels may be smaller (a JPEG
//! decoded at 1/2–1/8). The kept region is mapped onto the pixels at hand, so a cover crop
//! never materialises the whole scaled image, however much it is enlarged.
//!
//! Alpha is premultiplied during the resize (no dark fringes). The letterbox is sharp's
//! default `contain` background: opaque black.

use super::Pixels;
use super::geometry::Plan;
use crate::cdn::transform::PipelineError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// Scales and crops `pixels` as `plan` says; the result is `plan.crop`-sized.
pub(super) fn resize(pixels: Pixels, plan: &Plan) -> Result<Pixels, PipelineError> {
    let (cw, ch) = (plan.crop.width, plan.crop.height);
    // Source pixels per scaled pixel, on each axis.
    let sx = f64::from(pixels.width) / f64::from(plan.scaled.0);
    let sy = f64::from(pixels.height) / f64::from(plan.scaled.1);
    let left = f64::from(plan.crop.x) * sx;
    let top = f64::from(plan.crop.y) * sy;
    let (width, height) = (f64::from(cw) * sx, f64::from(ch) * sy);
    if (pixels.width, pixels.height) == plan.scaled && (cw, ch) == plan.scaled {
        return Ok(pixels);
    }
    let pixel_type = if pixels.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let internal = |e: &dyn std::fmt::Display| PipelineError::Corrupt(format!("resize: {e}"));
    let src = ImageRef::new(pixels.width, pixels.height, &pixels.data, pixel_type)
        .map_err(|e| internal(&e))?;
    let mut dst = Image::new(cw, ch, pixel_type);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(left, top, width, height);
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| internal(&e))?;
    Ok(Pixels {
        width: cw,
        height: ch,
        alpha: pixels.alpha,
        data: dst.into_vec(),
    })
}

/// Puts `pixels` on the `plan.canvas` at `plan.offset`, over opaque black.
pub(super) fn letterbox(pixels: Pixels, plan: &Plan) -> Pixels {
    if !plan.letterboxed() {
        return pixels;
    }
    let c = pixels.channels();
    let (w, h) = plan.canvas;
    let mut data = vec![0u8; w as usize * h as usize * c];
    if c == 4 {
        data.chunks_exact_mut(4).for_each(|p| p[3] = 255);
    }
    let row = pixels.width as usize * c;
    for y in 0..pixels.height as usize {
        let at = ((y + plan.offset.1 as usize) * w as usize + plan.offset.0 as usize) * c;
        data[at..at + row].copy_from_slice(&pixels.data[y * row..(y + 1) * row]);
    }
    Pixels {
        width: w,
        height: h,
        alpha: pixels.alpha,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::geometry::plan;
    use super::*;
    use crate::cdn::transform::{Fit, Position};

    /// Left half red, right half blue, 200×100.
    fn halves() -> Pixels {
        let mut data = Vec::new();
        for _y in 0..100 {
            for x in 0..200 {
                data.extend_from_slice(if x < 100 { &[255, 0, 0] } else { &[0, 0, 255] });
            }
        }
        Pixels {
            width: 200,
            height: 100,
            alpha: false,
            data,
        }
    }

    fn at(p: &Pixels, x: u32, y: u32) -> &[u8] {
        let i = ((y * p.width + x) as usize) * p.channels();
        &p.data[i..i + p.channels()]
    }

    #[test]
    fn cover_keeps_the_anchored_side() {
        let p = plan((200, 100), Some(50), Some(50), None, Some(Position::Left));
        let out = resize(halves(), &p).unwrap();
        assert_eq!((out.width, out.height), (50, 50));
        assert!(at(&out, 25, 25)[0] > 250, "left anchor keeps the red half");
        let p = plan((200, 100), Some(50), Some(50), None, Some(Position::Right));
        let out = resize(halves(), &p).unwrap();
        assert!(at(&out, 25, 25)[2] > 250, "right keeps blue");
    }

    #[test]
    fn a_half_size_source_maps_the_crop() {
        // Planned on 400×200, given the 200×100 pixels a 1/2 JPEG decode would give.
        let p = plan((400, 200), Some(50), Some(50), None, Some(Position::Right));
        let out = resize(halves(), &p).unwrap();
        assert!(at(&out, 25, 25)[2] > 250 && at(&out, 25, 25)[0] < 5);
    }

    #[test]
    fn contain_puts_black_bars_where_the_position_says() {
        let p = plan(
            (200, 100),
            Some(100),
            Some(100),
            Some(Fit::Contain),
            Some(Position::Top),
        );
        let out = letterbox(resize(halves(), &p).unwrap(), &p);
        assert_eq!((out.width, out.height), (100, 100));
        assert!(at(&out, 10, 10)[0] > 250, "picture at the top");
        assert_eq!(at(&out, 10, 90), &[0, 0, 0], "black bar at the bottom");
    }
}
