//! Where the picture goes: the pure arithmetic of `width`/`height`/`fit`/`position`, as sharp
//! (lovell/sharp `src/common.cc` `ResolveShrink`, `CalculateCrop`, `CalculateEmbedPosition`;
//! libvips rounds a resized side half up) does it. No pixels here.
//!
//! - Both sides, `cover` (the default): scale so the box is covered, crop to exactly W×H.
//! - Both sides, `contain`: scale so the image fits, letterbox to exactly W×H.
//! - Both sides, `fill`: stretch to exactly W×H.
//! - Both sides, `inside` / `outside`: keep the aspect ratio, no side over / under the box.
//! - One side: the other follows the aspect ratio, whatever the fit (DESIGN §2; sharp would
//!   leave the other side untouched for `fill`).
//! - Neither: the original size.
//!
//! Like sharp, images are enlarged when the box is larger (no `withoutEnlargement`), and no
//! side is ever scaled below 1 px.

use crate::cdn::transform::{Fit, Position};

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// What to do with a `source`-sized image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The size the whole source is scaled to (sharp's resize step).
    pub scaled: (u32, u32),
    /// The part of the scaled image that is kept (all of it unless `cover` crops).
    pub crop: Rect,
    /// The output's size.
    pub canvas: (u32, u32),
    /// Where the kept part lands on the canvas (non-zero only for a `contain` letterbox).
    pub offset: (u32, u32),
}

impl Plan {
    /// Whether the output needs a background around the picture.
    pub fn letterboxed(&self) -> bool {
        (self.crop.width, self.crop.height) != self.canvas
    }
}

/// The plan for a `source` (width, height) image, both sides ≥ 1.
pub fn plan(
    source: (u32, u32),
    width: Option<u32>,
    height: Option<u32>,
    fit: Option<Fit>,
    position: Option<Position>,
) -> Plan {
    let (sw, sh) = (source.0.max(1), source.1.max(1));
    let width = width.filter(|w| *w > 0);
    let height = height.filter(|h| *h > 0);
    let fit = match (width, height) {
        (Some(_), Some(_)) => fit.unwrap_or(Fit::Cover),
        // One side or none: the aspect ratio is kept whatever the fit.
        _ => Fit::Inside,
    };
    let position = position.unwrap_or(Position::Centre);

    let (mut hshrink, mut vshrink) = match (width, height) {
        (Some(w), Some(h)) => {
            let (hs, vs) = (f64::from(sw) / f64::from(w), f64::from(sh) / f64::from(h));
            match fit {
                Fit::Cover | Fit::Outside => (hs.min(vs), hs.min(vs)),
                Fit::Contain | Fit::Inside => (hs.max(vs), hs.max(vs)),
                Fit::Fill => (hs, vs),
            }
        }
        (Some(w), None) => {
            let s = f64::from(sw) / f64::from(w);
            (s, s)
        }
        (None, Some(h)) => {
            let s = f64::from(sh) / f64::from(h);
            (s, s)
        }
        (None, None) => (1.0, 1.0),
    };
    // Never send an axis to 0.
    hshrink = hshrink.min(f64::from(sw));
    vshrink = vshrink.min(f64::from(sh));
    let scaled = (scale_side(sw, hshrink), scale_side(sh, vshrink));

    match (fit, width, height) {
        (Fit::Cover, Some(w), Some(h)) => {
            let (cw, ch) = (w.min(scaled.0), h.min(scaled.1));
            let (x, y) = crop_origin(scaled, (cw, ch), position);
            Plan {
                scaled,
                crop: Rect {
                    x,
                    y,
                    width: cw,
                    height: ch,
                },
                canvas: (cw, ch),
                offset: (0, 0),
            }
        }
        (Fit::Contain, Some(w), Some(h)) => {
            let canvas = (w.max(scaled.0), h.max(scaled.1));
            Plan {
                scaled,
                crop: whole(scaled),
                canvas,
                offset: embed_origin(scaled, canvas, position),
            }
        }
        _ => Plan {
            scaled,
            crop: whole(scaled),
            canvas: scaled,
            offset: (0, 0),
        },
    }
}

/// libvips' rounding of a resized side: half up, at least 1.
fn scale_side(side: u32, shrink: f64) -> u32 {
    let v = (f64::from(side) / shrink + 0.5).floor();
    if v < 1.0 {
        1
    } else if v >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}

fn whole((width, height): (u32, u32)) -> Rect {
    Rect {
        x: 0,
        y: 0,
        width,
        height,
    }
}

/// sharp's `CalculateCrop`: a centred crop rounds its offset up.
fn crop_origin(inner: (u32, u32), out: (u32, u32), position: Position) -> (u32, u32) {
    let (dx, dy) = (inner.0 - out.0, inner.1 - out.1);
    let (cx, cy) = (dx.div_ceil(2), dy.div_ceil(2));
    match position {
        Position::Centre => (cx, cy),
        Position::Top => (cx, 0),
        Position::Bottom => (cx, dy),
        Position::Left => (0, cy),
        Position::Right => (dx, cy),
    }
}

/// sharp's `CalculateEmbedPosition`: a centred letterbox rounds its offset down.
fn embed_origin(inner: (u32, u32), canvas: (u32, u32), position: Position) -> (u32, u32) {
    let (dx, dy) = (canvas.0 - inner.0, canvas.1 - inner.1);
    let (cx, cy) = (dx / 2, dy / 2);
    match position {
        Position::Centre => (cx, cy),
        Position::Top => (cx, 0),
        Position::Bottom => (cx, dy),
        Position::Left => (0, cy),
        Position::Right => (dx, cy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// (source, box, fit, expected output size).
    type Case = ((u32, u32), (u32, u32), Fit, (u32, u32));

    /// The expected sizes are worked out by hand from sharp's rules:
    /// shrink = source/box per axis; cover/outside take the smaller, contain/inside the larger;
    /// a scaled side is round-half-up(source/shrink); cover and contain then crop or letterbox
    /// to exactly the box.
    #[test]
    fn output_sizes_follow_sharp_for_every_fit_and_position() {
        let landscape = (6000, 4000);
        let portrait = (3264, 4896);
        let square = (3000, 3000);
        #[rustfmt::skip]
        let table: &[Case] = &[
            // landscape 6000×4000 into 400×300: hs 15, vs 13.333
            (landscape, (400, 300), Fit::Cover, (400, 300)),
            (landscape, (400, 300), Fit::Contain, (400, 300)),
            (landscape, (400, 300), Fit::Fill, (400, 300)),
            (landscape, (400, 300), Fit::Inside, (400, 267)),   // 4000/15 = 266.67
            (landscape, (400, 300), Fit::Outside, (450, 300)),  // 6000/13.333 = 450
            // landscape into a portrait box 300×500: hs 20, vs 8
            (landscape, (300, 500), Fit::Cover, (300, 500)),
            (landscape, (300, 500), Fit::Contain, (300, 500)),
            (landscape, (300, 500), Fit::Fill, (300, 500)),
            (landscape, (300, 500), Fit::Inside, (300, 200)),
            (landscape, (300, 500), Fit::Outside, (750, 500)),
            // portrait 3264×4896 into 400×400: hs 8.16, vs 12.24
            (portrait, (400, 400), Fit::Cover, (400, 400)),
            (portrait, (400, 400), Fit::Contain, (400, 400)),
            (portrait, (400, 400), Fit::Fill, (400, 400)),
            (portrait, (400, 400), Fit::Inside, (267, 400)),    // 3264/12.24 = 266.67
            (portrait, (400, 400), Fit::Outside, (400, 600)),   // 4896/8.16 = 600
            // portrait into 500×333: hs 6.528, vs 14.703
            (portrait, (500, 333), Fit::Inside, (222, 333)),    // 3264/14.7027 = 222.0
            (portrait, (500, 333), Fit::Outside, (500, 750)),   // 4896/6.528 = 750
            (portrait, (500, 333), Fit::Cover, (500, 333)),
            // square 3000×3000 into 400×250: hs 7.5, vs 12
            (square, (400, 250), Fit::Cover, (400, 250)),
            (square, (400, 250), Fit::Contain, (400, 250)),
            (square, (400, 250), Fit::Fill, (400, 250)),
            (square, (400, 250), Fit::Inside, (250, 250)),
            (square, (400, 250), Fit::Outside, (400, 400)),
            // enlarging (sharp enlarges by default): square into 5000×4000
            (square, (5000, 4000), Fit::Inside, (4000, 4000)),
            (square, (5000, 4000), Fit::Outside, (5000, 5000)),
            (square, (5000, 4000), Fit::Cover, (5000, 4000)),
            // a half rounds up (libvips), not to even: 1000×501 inside 500×500 → 250.5 → 251
            ((1000, 501), (500, 500), Fit::Inside, (500, 251)),
            ((1001, 500), (500, 500), Fit::Inside, (500, 250)), // 249.75
            ((999, 333), (500, 500), Fit::Inside, (500, 167)),  // 333/1.998 = 166.67
        ];
        for &(source, (w, h), fit, expected) in table {
            for position in POSITIONS {
                let p = plan(source, Some(w), Some(h), Some(fit), Some(position));
                assert_eq!(
                    p.canvas, expected,
                    "{source:?} into {w}×{h} {fit:?} {position:?}"
                );
            }
        }
        // Every fit × position on the three shapes lands in a box-sized canvas for cover,
        // contain and fill.
        for source in [landscape, portrait, square] {
            for fit in FITS {
                for position in POSITIONS {
                    let p = plan(source, Some(320), Some(240), Some(fit), Some(position));
                    if matches!(fit, Fit::Cover | Fit::Contain | Fit::Fill) {
                        assert_eq!(p.canvas, (320, 240), "{source:?} {fit:?} {position:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn one_side_keeps_the_aspect_ratio_and_none_keeps_the_size() {
        for fit in [None, Some(Fit::Cover), Some(Fit::Fill), Some(Fit::Contain)] {
            assert_eq!(
                plan((6000, 4000), Some(400), None, fit, None).canvas,
                (400, 267)
            );
            assert_eq!(
                plan((6000, 4000), None, Some(400), fit, None).canvas,
                (600, 400)
            );
            assert_eq!(
                plan((3264, 4896), Some(400), None, fit, None).canvas,
                (400, 600)
            );
        }
        assert_eq!(plan((640, 480), None, None, None, None).canvas, (640, 480));
        assert_eq!(
            plan((640, 480), Some(1280), None, None, None).canvas,
            (1280, 960)
        );
        // A 1000×10 strip at width 10: the height would be 0.1, it stays 1.
        assert_eq!(plan((1000, 10), Some(10), None, None, None).canvas, (10, 1));
    }

    #[test]
    fn cover_crops_at_the_anchor() {
        // 6000×4000 → cover 400×400: scaled 600×400, 200 px to drop horizontally.
        let at = |p| plan((6000, 4000), Some(400), Some(400), None, Some(p));
        assert_eq!(at(Position::Centre).scaled, (600, 400));
        assert_eq!(
            (at(Position::Centre).crop.x, at(Position::Centre).crop.y),
            (100, 0)
        );
        assert_eq!(at(Position::Left).crop.x, 0);
        assert_eq!(at(Position::Right).crop.x, 200);
        assert_eq!(at(Position::Top).crop.x, 100);
        // Portrait 3264×4896 → cover 400×400: scaled 400×600.
        let at = |p| plan((3264, 4896), Some(400), Some(400), None, Some(p));
        assert_eq!(at(Position::Top).crop.y, 0);
        assert_eq!(at(Position::Bottom).crop.y, 200);
        assert_eq!(at(Position::Centre).crop.y, 100);
        // An odd margin: a centred crop rounds up (sharp `(in - out + 1) / 2`).
        let p = plan((401, 100), Some(100), Some(100), None, None);
        assert_eq!((p.scaled, p.crop.x), ((401, 100), 151));
    }

    #[test]
    fn contain_letterboxes_at_the_anchor() {
        // 6000×4000 → contain 400×400: scaled 400×267, 133 px of bars.
        let at = |p| {
            plan(
                (6000, 4000),
                Some(400),
                Some(400),
                Some(Fit::Contain),
                Some(p),
            )
        };
        assert_eq!(at(Position::Centre).scaled, (400, 267));
        assert_eq!(at(Position::Centre).offset, (0, 66)); // rounds down
        assert_eq!(at(Position::Top).offset, (0, 0));
        assert_eq!(at(Position::Bottom).offset, (0, 133));
        assert!(at(Position::Centre).letterboxed());
        assert!(!plan((400, 400), Some(400), Some(400), Some(Fit::Contain), None).letterboxed());
    }
}
