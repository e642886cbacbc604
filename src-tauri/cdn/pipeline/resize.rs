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
    if (pixels.width, pixels.height) == plan.scaled && (cw, ch) == plan.scaled {
        return Ok(pixels);
    }
    let area = source_box((pixels.width, pixels.height), plan);
    let pixel_type = if pixels.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    // The box is ours and the buffers are ours: a refusal here is our bug, not the image's.
    let internal = |e: &dyn std::fmt::Display| PipelineError::Internal(format!("resize: {e}"));
    let src = ImageRef::new(pixels.width, pixels.height, &pixels.data, pixel_type)
        .map_err(|e| internal(&e))?;
    let mut dst = Image::new(cw, ch, pixel_type);
    let mut resizer = Resizer::new();
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    match pre_shrunk_size(&area, (cw, ch)) {
        // A large reduction (an original that was not shrunk on load: PNG, WebP, GIF, TIFF,
        // or a JPEG beyond 1/8) is first averaged in boxes down to at least 2× the output, as
        // libvips does, then Lanczos3 does the rest: Lanczos3 straight from 24 MP to 400 px
        // reads 6 lobes of every source pixel, several times the box's cost.
        Some((iw, ih)) => {
            let mut between = Image::new(iw, ih, pixel_type);
            let boxed = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Box))
                .crop(area.left, area.top, area.width, area.height);
            resizer
                .resize(&src, &mut between, &boxed)
                .map_err(|e| internal(&e))?;
            resizer
                .resize(&between, &mut dst, &lanczos)
                .map_err(|e| internal(&e))?;
        }
        None => {
            let options = lanczos.crop(area.left, area.top, area.width, area.height);
            resizer
                .resize(&src, &mut dst, &options)
                .map_err(|e| internal(&e))?;
        }
    }
    Ok(Pixels {
        width: cw,
        height: ch,
        alpha: pixels.alpha,
        data: dst.into_vec(),
    })
}

/// The reduction from which a box pre-shrink pays: under it, one Lanczos3 pass.
const PRE_SHRINK_FROM: f64 = 4.0;

/// The intermediate size of a two-step resize of `area` to `out`, when both axes shrink by
/// at least [`PRE_SHRINK_FROM`]: the box step divides by the largest whole factor that
/// still leaves Lanczos3 at least 2× (the same margin as JPEG shrink-on-load).
fn pre_shrunk_size(area: &SourceBox, (cw, ch): (u32, u32)) -> Option<(u32, u32)> {
    let (fx, fy) = (area.width / f64::from(cw), area.height / f64::from(ch));
    let shrink = fx.min(fy);
    if shrink < PRE_SHRINK_FROM {
        return None;
    }
    let k = (shrink / 2.0).floor();
    let side = |len: f64, out: u32| ((len / k).round() as u32).max(out);
    Some((side(area.width, cw), side(area.height, ch)))
}

/// A rectangle in the decoded pixels' coordinates, in fractions of a pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SourceBox {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// The part of the decoded `have`-sized pixels that `plan.crop` (in scaled coordinates)
/// covers. The mapping `crop × have / scaled` is done in f64 and can land one ulp past the
/// decoded edge (about 3 % of size pairs): each axis is clamped so that `start + size`,
/// computed exactly as `fast_image_resize` checks it, never exceeds the decoded side.
pub(super) fn source_box(have: (u32, u32), plan: &Plan) -> SourceBox {
    let (left, width) = source_span(plan.crop.x, plan.crop.width, plan.scaled.0, have.0);
    let (top, height) = source_span(plan.crop.y, plan.crop.height, plan.scaled.1, have.1);
    SourceBox {
        left,
        top,
        width,
        height,
    }
}

/// One axis of [`source_box`]: `start` and `len` of `scaled`, mapped onto `have` pixels.
fn source_span(start: u32, len: u32, scaled: u32, have: u32) -> (f64, f64) {
    let have_f = f64::from(have.max(1));
    let per = have_f / f64::from(scaled.max(1));
    let end = (f64::from(start.saturating_add(len)) * per).min(have_f);
    // The start stays inside the image (fast_image_resize wants `start < have`) and leaves
    // room for a non-empty span.
    let start = (f64::from(start) * per).min(end).min(have_f.next_down());
    let mut size = (end - start).max(f64::MIN_POSITIVE);
    while start + size > have_f {
        size = size.next_down();
    }
    (start, size)
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

    const FITS: [Fit; 5] = [
        Fit::Cover,
        Fit::Contain,
        Fit::Fill,
        Fit::Inside,
        Fit::Outside,
    ];
    const POSITIONS: [Position; 5] = [
        Position::Centre,
        Position::Top,
        Position::Bottom,
        Position::Left,
        Position::Right,
    ];

    /// A deterministic generator (SplitMix64): the same cases on every run.
    struct Cases(u64);

    impl Cases {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// 1..=max, often small and often near a power of two or a round size.
        fn side(&mut self, max: u32) -> u32 {
            let v = match self.next() % 4 {
                0 => self.next() % 16 + 1,
                1 => {
                    [300, 400, 500, 640, 1024, 2560, 2880, 3837, 4000, 5120]
                        [(self.next() % 10) as usize]
                        + self.next() % 3
                        - 1
                }
                _ => self.next() % u64::from(max) + 1,
            };
            u32::try_from(v).unwrap_or(max).clamp(1, max)
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    /// The decoded size of a `source` JPEG at 1/`d` (libjpeg-turbo rounds up).
    fn decoded((w, h): (u32, u32), d: u32) -> (u32, u32) {
        (w.div_ceil(d), h.div_ceil(d))
    }

    /// The checks `fast_image_resize` makes on a crop box, exactly as it makes them.
    fn inside(b: &SourceBox, (w, h): (u32, u32)) -> bool {
        let (w, h) = (f64::from(w), f64::from(h));
        b.width > 0.0
            && b.height > 0.0
            && b.left >= 0.0
            && b.top >= 0.0
            && b.left < w
            && b.top < h
            && b.left + b.width <= w
            && b.top + b.height <= h
    }

    #[test]
    fn the_crop_box_never_leaves_the_decoded_image() {
        // The cases: w=300 on 5120×2880 decoded at 1/8, fill 500×200 of 2560×3837.
        for (source, w, h, fit, d) in [
            ((5120, 2880), Some(300), None, None, 8),
            ((2560, 3837), Some(500), Some(200), Some(Fit::Fill), 2),
            ((2560, 3837), Some(500), Some(200), Some(Fit::Fill), 1),
        ] {
            let p = plan(source, w, h, fit, None);
            let b = source_box(decoded(source, d), &p);
            assert!(
                inside(&b, decoded(source, d)),
                "{source:?} {w:?}×{h:?}: {b:?}"
            );
        }
        // 400 000 generated (source, shrink-on-load, size, fit, position) combinations.
        let mut cases = Cases(12);
        for _ in 0..400_000 {
            let source = (cases.side(12_000), cases.side(12_000));
            let d = cases.pick(&[1, 2, 4, 8]);
            let w = (!cases.next().is_multiple_of(5)).then(|| cases.side(8192));
            let h = (!cases.next().is_multiple_of(5)).then(|| cases.side(8192));
            let (fit, position) = (cases.pick(&FITS), cases.pick(&POSITIONS));
            let p = plan(source, w, h, Some(fit), Some(position));
            let have = decoded(source, d);
            let b = source_box(have, &p);
            assert!(
                inside(&b, have),
                "{source:?} at 1/{d} = {have:?}, {w:?}×{h:?} {fit:?} {position:?}: {b:?}"
            );
        }
    }

    #[test]
    fn generated_sizes_fits_and_positions_all_render() {
        // Real resizes, on sources small enough to run a few thousand in a debug build.
        let mut cases = Cases(7);
        for _ in 0..1_200 {
            let source = (cases.side(480), cases.side(480));
            let d = cases.pick(&[1, 2, 4, 8]);
            let w = (!cases.next().is_multiple_of(5)).then(|| cases.side(160));
            let h = (!cases.next().is_multiple_of(5)).then(|| cases.side(160));
            let (fit, position) = (cases.pick(&FITS), cases.pick(&POSITIONS));
            let p = plan(source, w, h, Some(fit), Some(position));
            if u64::from(p.canvas.0) * u64::from(p.canvas.1) > 250_000 {
                // `outside` on a thin strip: a huge canvas the pipeline refuses before this.
                continue;
            }
            let (dw, dh) = decoded(source, d);
            let alpha = cases.next().is_multiple_of(2);
            let channels = if alpha { 4 } else { 3 };
            let pixels = Pixels {
                width: dw,
                height: dh,
                alpha,
                data: vec![128; dw as usize * dh as usize * channels],
            };
            let out = resize(pixels, &p).unwrap_or_else(|e| {
                panic!("{source:?} at 1/{d}, {w:?}×{h:?} {fit:?} {position:?}: {e}")
            });
            let out = letterbox(out, &p);
            assert_eq!(
                (out.width, out.height),
                p.canvas,
                "{source:?} at 1/{d}, {w:?}×{h:?} {fit:?} {position:?}"
            );
        }
    }

    #[test]
    fn large_reductions_are_box_shrunk_first_leaving_lanczos_at_least_2x() {
        let whole = |w: f64, h: f64| SourceBox {
            left: 0.0,
            top: 0.0,
            width: w,
            height: h,
        };
        assert_eq!(
            pre_shrunk_size(&whole(1600.0, 900.0), (400, 225)),
            Some((800, 450)),
            "from 4×: box by 2"
        );
        assert_eq!(pre_shrunk_size(&whole(1599.0, 900.0), (400, 225)), None);
        // 6000×4000 → 400×267: 15×, box by 7, then Lanczos3 2.14×.
        assert_eq!(
            pre_shrunk_size(&whole(6000.0, 4000.0), (400, 267)),
            Some((857, 571))
        );
        assert_eq!(
            pre_shrunk_size(&whole(1700.0, 1700.0), (400, 400)),
            Some((850, 850))
        );
        // Fill with one axis barely shrinking: one pass.
        assert_eq!(pre_shrunk_size(&whole(6000.0, 400.0), (400, 200)), None);
        // Each side of the intermediate stays at least the output's.
        for (w, h, cw, ch) in [
            (9000.0, 40.0, 1, 9),
            (80_000.0, 5.0, 2, 1),
            (10.0, 10.0, 1, 1),
        ] {
            if let Some((iw, ih)) = pre_shrunk_size(&whole(w, h), (cw, ch)) {
                assert!(iw >= cw && ih >= ch, "{w}×{h} → {cw}×{ch}: {iw}×{ih}");
                assert!(f64::from(iw) / f64::from(cw) >= 2.0 - 1e-9 || iw == cw);
            }
        }
    }

    #[test]
    fn a_box_shrunk_reduction_keeps_the_picture() {
        // 2000×1000 halves (left red, right blue) → 100×50: the two-step path.
        let mut data = Vec::new();
        for _y in 0..1000 {
            for x in 0..2000 {
                data.extend_from_slice(if x < 1000 { &[255, 0, 0] } else { &[0, 0, 255] });
            }
        }
        let big = Pixels {
            width: 2000,
            height: 1000,
            alpha: false,
            data,
        };
        let p = plan((2000, 1000), Some(100), None, None, None);
        let out = resize(big, &p).unwrap();
        assert_eq!((out.width, out.height), (100, 50));
        assert!(at(&out, 10, 25)[0] > 250 && at(&out, 10, 25)[2] < 5);
        assert!(at(&out, 90, 25)[2] > 250 && at(&out, 90, 25)[0] < 5);
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
