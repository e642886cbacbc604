//! Turning the picture upright: the EXIF orientation (read here for JPEG with a small,
//! bounded APP1 parser) and the request's `rotate`.
//!
//! `rotate` is clockwise degrees. Multiples of 90 are exact. Any other angle rotates about
//! the centre with bilinear sampling and, as libvips `rotate` (sharp) does, grows the canvas
//! to the rotated image's bounding box (sides rounded up). The corners are filled with
//! transparency when the output format has alpha and with black otherwise (sharp's default
//! rotation background is opaque black whatever the format).

use super::Pixels;
use image::DynamicImage;
use image::metadata::Orientation;

/// The orientation tag (0x0112) of IFD0 in an EXIF block (the TIFF structure after
/// `Exif\0\0`). Only IFD0 is read and only once, so cyclic or wild IFD links cannot loop.
pub fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    // At most as many entries as the block can hold: a lying count cannot make us spin.
    let room = tiff.len().saturating_sub(ifd + 2) / 12;
    for i in 0..count.min(room) {
        let entry = ifd + 2 + i * 12;
        if u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3 {
            let value = u16_at(entry + 8)?;
            return (1..=8).contains(&value).then_some(value as u8);
        }
    }
    None
}

/// Whether an EXIF orientation turns the image by a quarter (width and height swap).
pub fn swaps_sides(orientation: u8) -> bool {
    (5..=8).contains(&orientation)
}

/// Applies an EXIF orientation (1–8; anything else is left alone).
pub fn apply_exif(pixels: Pixels, orientation: u8) -> Pixels {
    match Orientation::from_exif(orientation) {
        Some(Orientation::NoTransforms) | None => pixels,
        Some(o) => {
            let mut image = pixels.into_dynamic();
            image.apply_orientation(o);
            Pixels::from_dynamic(image)
        }
    }
}

/// The size after `rotate` degrees clockwise, for a `width`×`height` image.
pub fn rotated_size((width, height): (u32, u32), degrees: i16) -> (u32, u32) {
    match degrees.rem_euclid(360) {
        0 | 180 => (width, height),
        90 | 270 => (height, width),
        d => {
            let (sin, cos) = f64::from(d).to_radians().sin_cos();
            let (w, h) = (f64::from(width), f64::from(height));
            let side = |v: f64| (v - 1e-6).ceil().max(1.0) as u32;
            (
                side(w * cos.abs() + h * sin.abs()),
                side(w * sin.abs() + h * cos.abs()),
            )
        }
    }
}

/// Rotates by `degrees` clockwise. `transparent`: fill the corners of a free angle with
/// transparency (else black).
pub fn rotate(pixels: Pixels, degrees: i16, transparent: bool) -> Pixels {
    match degrees.rem_euclid(360) {
        0 => pixels,
        90 => Pixels::from_dynamic(pixels.into_dynamic().rotate90()),
        180 => Pixels::from_dynamic(pixels.into_dynamic().rotate180()),
        270 => Pixels::from_dynamic(pixels.into_dynamic().rotate270()),
        d => rotate_free(&pixels, f64::from(d), transparent),
    }
}

/// Bilinear rotation about the centre into the grown canvas.
fn rotate_free(src: &Pixels, degrees: f64, transparent: bool) -> Pixels {
    let alpha = src.alpha || transparent;
    let channels = if alpha { 4 } else { 3 };
    let (ow, oh) = rotated_size((src.width, src.height), degrees as i16);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (scx, scy) = (f64::from(src.width) / 2.0, f64::from(src.height) / 2.0);
    let (ocx, ocy) = (f64::from(ow) / 2.0, f64::from(oh) / 2.0);
    let fill_alpha = if transparent { 0 } else { 255 };
    let mut data = vec![0u8; ow as usize * oh as usize * channels];
    let sc = src.channels();
    let (sw, sh) = (src.width as i64, src.height as i64);
    // A source sample, with the fill outside the image.
    let sample = |x: i64, y: i64| -> [f64; 4] {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            return [0.0, 0.0, 0.0, f64::from(fill_alpha)];
        }
        let i = (y as usize * src.width as usize + x as usize) * sc;
        let p = &src.data[i..i + sc];
        let a = if sc == 4 { p[3] } else { 255 };
        [
            f64::from(p[0]),
            f64::from(p[1]),
            f64::from(p[2]),
            f64::from(a),
        ]
    };
    for oy in 0..oh {
        for ox in 0..ow {
            // Inverse mapping: rotate the output pixel centre back (counter-clockwise).
            let dx = f64::from(ox) + 0.5 - ocx;
            let dy = f64::from(oy) + 0.5 - ocy;
            let sx = dx * cos + dy * sin + scx - 0.5;
            let sy = -dx * sin + dy * cos + scy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let (a, b, c, d) = (
                sample(x0, y0),
                sample(x0 + 1, y0),
                sample(x0, y0 + 1),
                sample(x0 + 1, y0 + 1),
            );
            let weights = [
                (1.0 - fx) * (1.0 - fy),
                fx * (1.0 - fy),
                (1.0 - fx) * fy,
                fx * fy,
            ];
            // Premultiplied interpolation so transparent corners do not darken the edges.
            let mut acc = [0.0f64; 4];
            for (p, w) in [a, b, c, d].iter().zip(weights) {
                let wa = w * p[3];
                acc[0] += p[0] * wa;
                acc[1] += p[1] * wa;
                acc[2] += p[2] * wa;
                acc[3] += wa;
            }
            let i = (oy as usize * ow as usize + ox as usize) * channels;
            let out = &mut data[i..i + channels];
            if acc[3] > 0.0 {
                for k in 0..3 {
                    out[k] = (acc[k] / acc[3]).round().clamp(0.0, 255.0) as u8;
                }
            }
            if alpha {
                out[3] = acc[3].round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Pixels {
        width: ow,
        height: oh,
        alpha,
        data,
    }
}

/// For tests and the pipeline: the image as an `image` crate value, without copying.
impl Pixels {
    pub(super) fn into_dynamic(self) -> DynamicImage {
        if self.alpha {
            DynamicImage::ImageRgba8(
                image::RgbaImage::from_raw(self.width, self.height, self.data)
                    .expect("an RGBA buffer of width×height×4 bytes"),
            )
        } else {
            DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(self.width, self.height, self.data)
                    .expect("an RGB buffer of width×height×3 bytes"),
            )
        }
    }

    pub(super) fn from_dynamic(image: DynamicImage) -> Pixels {
        let (width, height) = (image.width(), image.height());
        match image {
            DynamicImage::ImageRgb8(b) => Pixels {
                width,
                height,
                alpha: false,
                data: b.into_raw(),
            },
            DynamicImage::ImageRgba8(b) => Pixels {
                width,
                height,
                alpha: true,
                data: b.into_raw(),
            },
            other if other.color().has_alpha() => Pixels {
                width,
                height,
                alpha: true,
                data: other.into_rgba8().into_raw(),
            },
            other => Pixels {
                width,
                height,
                alpha: false,
                data: other.into_rgb8().into_raw(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exif(little: bool, orientation: u16) -> Vec<u8> {
        let mut b = Vec::new();
        let w16 = |b: &mut Vec<u8>, v: u16| {
            b.extend_from_slice(&if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            })
        };
        let w32 = |b: &mut Vec<u8>, v: u32| {
            b.extend_from_slice(&if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            })
        };
        b.extend_from_slice(if little { b"II" } else { b"MM" });
        w16(&mut b, 42);
        w32(&mut b, 8);
        w16(&mut b, 1);
        w16(&mut b, 0x0112);
        w16(&mut b, 3);
        w32(&mut b, 1);
        w16(&mut b, orientation);
        w16(&mut b, 0);
        w32(&mut b, 0);
        b
    }

    #[test]
    fn reads_the_orientation_in_both_byte_orders() {
        assert_eq!(exif_orientation(&exif(true, 6)), Some(6));
        assert_eq!(exif_orientation(&exif(false, 8)), Some(8));
        assert_eq!(exif_orientation(&exif(true, 9)), None);
    }

    #[test]
    fn survives_lying_offsets_and_counts() {
        let mut b = exif(true, 6);
        b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(exif_orientation(&b), None);
        let mut b = exif(true, 6);
        b[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(
            exif_orientation(&b),
            Some(6),
            "the count is capped by the block size"
        );
        assert_eq!(exif_orientation(b"II*\0"), None);
    }

    #[test]
    fn free_rotation_grows_the_canvas_and_fills_the_corners() {
        let src = Pixels {
            width: 100,
            height: 50,
            alpha: false,
            data: vec![200; 100 * 50 * 3],
        };
        assert_eq!(rotated_size((100, 50), 45), (107, 107));
        assert_eq!(rotated_size((100, 50), -90), (50, 100));
        let out = rotate(src.clone(), 45, true);
        assert_eq!((out.width, out.height, out.alpha), (107, 107, true));
        assert_eq!(&out.data[..4], &[0, 0, 0, 0], "transparent corner");
        let centre = (53 * 107 + 53) * 4;
        assert_eq!(&out.data[centre..centre + 4], &[200, 200, 200, 255]);
        let out = rotate(src, 30, false);
        assert!(!out.alpha);
        assert_eq!(&out.data[..3], &[0, 0, 0], "black corner");
    }
}
