//! What a browser would show of a served image, as the luma plane the score is computed on:
//! JPEG, PNG and WebP decoded with the `image` crate, AVIF with `avif-parse` (the container)
//! and `rav1d` (the AV1 decoder, the Rust port of dav1d). Alpha is composited onto black
//! (what the JPEG output does), then luma is BT.601 `0.299 R + 0.587 G + 0.114 B`.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_MC_BT601, DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
    DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib as dav1d;

use super::ssim::Plane;
use crate::cdn::transform::Format;

/// Decoded pixels, 8-bit RGBA (opaque when the format has no alpha).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgba {
    /// Luma of the pixels composited onto black, as the JPEG encoder flattens them.
    pub fn luma(&self) -> Plane {
        let data = self
            .data
            .chunks_exact(4)
            .map(|p| {
                let a = u32::from(p[3]);
                let c = |v: u8| ((u32::from(v) * a + 127) / 255) as f32;
                0.299 * c(p[0]) + 0.587 * c(p[1]) + 0.114 * c(p[2])
            })
            .collect();
        Plane {
            width: self.width as usize,
            height: self.height as usize,
            data,
        }
    }
}

/// Decodes `bytes` in `format` (what the local CDN served for that format).
pub fn decode(bytes: &[u8], format: Format) -> Result<Rgba, String> {
    match format {
        // avif-parse asserts on some damaged files (a panic, not an error): contained here.
        Format::Avif => std::panic::catch_unwind(|| avif(bytes))
            .unwrap_or_else(|_| Err("the AVIF container or AV1 data is damaged".into())),
        other => {
            let kind = match other {
                Format::Jpeg => image::ImageFormat::Jpeg,
                Format::Png => image::ImageFormat::Png,
                Format::Webp => image::ImageFormat::WebP,
                Format::Gif => image::ImageFormat::Gif,
                Format::Tiff => image::ImageFormat::Tiff,
                Format::Avif => unreachable!("matched above"),
            };
            let image =
                image::load_from_memory_with_format(bytes, kind).map_err(|e| e.to_string())?;
            let rgba = image.to_rgba8();
            Ok(Rgba {
                width: rgba.width(),
                height: rgba.height(),
                data: rgba.into_raw(),
            })
        }
    }
}

/// An AVIF still: the colour item (and the alpha item when there is one), full-range BT.601
/// YCbCr as `ravif` writes it, converted to RGB as a browser would.
fn avif(bytes: &[u8]) -> Result<Rgba, String> {
    let data =
        avif_parse::read_avif(&mut std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let colour = av1(&data.primary_item)?;
    if !colour.full_range || colour.matrix != DAV1D_MC_BT601 || colour.planes.len() != 3 {
        return Err(format!(
            "an AV1 colour item this check does not convert (matrix {}, full range {}, {} planes)",
            colour.matrix,
            colour.full_range,
            colour.planes.len()
        ));
    }
    let alpha = match &data.alpha_item {
        Some(item) => Some(av1(item)?),
        None => None,
    };
    let (w, h) = (colour.width, colour.height);
    let mut out = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        for x in 0..w {
            let luma = f32::from(colour.sample(0, x, y));
            let cb = f32::from(colour.sample(1, x, y)) - 128.0;
            let cr = f32::from(colour.sample(2, x, y)) - 128.0;
            // The inverse of BT.601 full range (Kr 0.299, Kb 0.114).
            let r = luma + 1.402 * cr;
            let g = luma - 0.344_136 * cb - 0.714_136 * cr;
            let b = luma + 1.772 * cb;
            let a = alpha.as_ref().map_or(255, |a| a.sample(0, x, y));
            let px = |v: f32| v.round().clamp(0.0, 255.0) as u8;
            out.extend_from_slice(&[px(r), px(g), px(b), a]);
        }
    }
    Ok(Rgba {
        width: u32::try_from(w).map_err(|e| e.to_string())?,
        height: u32::try_from(h).map_err(|e| e.to_string())?,
        data: out,
    })
}

/// One decoded AV1 frame, 8 bits per sample.
struct Frame {
    width: usize,
    height: usize,
    /// Y, then Cb and Cr unless monochrome.
    planes: Vec<Vec<u8>>,
    /// Chroma subsampling shifts (horizontal, vertical).
    shift: (usize, usize),
    matrix: u32,
    full_range: bool,
}

impl Frame {
    fn sample(&self, plane: usize, x: usize, y: usize) -> u8 {
        if plane == 0 {
            return self.planes[0][y * self.width + x];
        }
        let cw = (self.width + (1 << self.shift.0) - 1) >> self.shift.0;
        self.planes[plane][(y >> self.shift.1) * cw + (x >> self.shift.0)]
    }
}

/// The one rav1d context of a decode, closed when dropped.
struct Context(Option<Dav1dContext>);

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from `dav1d_open` and is closed once, here.
        unsafe { dav1d::dav1d_close(Some(NonNull::from(&mut self.0))) };
    }
}

/// A picture rav1d handed out, unreferenced when dropped.
struct Picture(Dav1dPicture);

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: the picture was filled by `dav1d_get_picture` and is unreferenced once.
        unsafe { dav1d::dav1d_picture_unref(Some(NonNull::from(&mut self.0))) };
    }
}

const EAGAIN: i32 = -libc::EAGAIN;

/// Decodes one AV1 still (a sequence of OBUs) with rav1d on the calling thread.
fn av1(obus: &[u8]) -> Result<Frame, String> {
    let failed = |what: &str, code: i32| format!("AV1 {what} failed ({code})");
    let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
    // SAFETY: `dav1d_default_settings` writes every field of the settings.
    let mut settings = unsafe {
        dav1d::dav1d_default_settings(NonNull::new_unchecked(settings.as_mut_ptr()));
        settings.assume_init()
    };
    settings.n_threads = 1;
    settings.max_frame_delay = 1;
    let mut context = Context(None);
    // SAFETY: both pointers are to live locals of the right types.
    let opened = unsafe {
        dav1d::dav1d_open(
            Some(NonNull::from(&mut context.0)),
            Some(NonNull::from(&mut settings)),
        )
    };
    if opened.0 != 0 {
        return Err(failed("decoder start", opened.0));
    }
    let mut data = Dav1dData::default();
    // SAFETY: `data` is a live `Dav1dData`; the returned buffer has `obus.len()` bytes.
    let buffer = unsafe { dav1d::dav1d_data_create(Some(NonNull::from(&mut data)), obus.len()) };
    if buffer.is_null() {
        return Err("AV1 input buffer".into());
    }
    // SAFETY: `buffer` points to `obus.len()` writable bytes that rav1d owns.
    unsafe { std::ptr::copy_nonoverlapping(obus.as_ptr(), buffer, obus.len()) };
    let mut picture = Picture(Dav1dPicture::default());
    let mut got = false;
    // A still is one frame: send it all, then ask for the picture (a bounded number of tries).
    for _ in 0..64 {
        if data.sz > 0 {
            // SAFETY: the context is open; `data` came from `dav1d_data_create`.
            let sent = unsafe { dav1d::dav1d_send_data(context.0, Some(NonNull::from(&mut data))) };
            if sent.0 != 0 && sent.0 != EAGAIN {
                // SAFETY: `data` is unreferenced once, on this path.
                unsafe { dav1d::dav1d_data_unref(Some(NonNull::from(&mut data))) };
                return Err(failed("decode", sent.0));
            }
        }
        // SAFETY: the context is open; `picture` is a live `Dav1dPicture`.
        let res =
            unsafe { dav1d::dav1d_get_picture(context.0, Some(NonNull::from(&mut picture.0))) };
        if res.0 == 0 {
            got = true;
            break;
        }
        if res.0 != EAGAIN {
            break;
        }
    }
    if data.sz > 0 {
        // SAFETY: what rav1d did not consume is released once.
        unsafe { dav1d::dav1d_data_unref(Some(NonNull::from(&mut data))) };
    }
    if !got {
        return Err("AV1 decode gave no picture".into());
    }
    copy_frame(&picture.0)
}

/// Copies the planes out of a rav1d picture (which is freed afterwards).
fn copy_frame(p: &Dav1dPicture) -> Result<Frame, String> {
    if p.p.bpc != 8 {
        return Err(format!("{}-bit AV1 (only 8-bit is checked)", p.p.bpc));
    }
    let width = usize::try_from(p.p.w).map_err(|e| e.to_string())?;
    let height = usize::try_from(p.p.h).map_err(|e| e.to_string())?;
    let (shift, plane_count) = match p.p.layout {
        DAV1D_PIXEL_LAYOUT_I400 => ((0, 0), 1),
        DAV1D_PIXEL_LAYOUT_I420 => ((1, 1), 3),
        DAV1D_PIXEL_LAYOUT_I422 => ((1, 0), 3),
        DAV1D_PIXEL_LAYOUT_I444 => ((0, 0), 3),
        other => return Err(format!("AV1 pixel layout {other}")),
    };
    let seq = p.seq_hdr.ok_or("AV1 picture without a sequence header")?;
    // SAFETY: the sequence header lives as long as the picture, which outlives this call.
    let seq = unsafe { seq.as_ref() };
    let mut planes = Vec::with_capacity(plane_count);
    for i in 0..plane_count {
        let (w, h) = if i == 0 {
            (width, height)
        } else {
            (
                (width + (1 << shift.0) - 1) >> shift.0,
                (height + (1 << shift.1) - 1) >> shift.1,
            )
        };
        let stride = p.stride[usize::from(i > 0)];
        let base = p.data[i].ok_or("AV1 picture without a plane")?.as_ptr() as *const u8;
        let mut plane = Vec::with_capacity(w * h);
        for y in 0..h {
            // SAFETY: rav1d's planes hold `h` rows of at least `w` bytes, `stride` apart.
            let row = unsafe { std::slice::from_raw_parts(base.offset(stride * y as isize), w) };
            plane.extend_from_slice(row);
        }
        planes.push(plane);
    }
    Ok(Frame {
        width,
        height,
        planes,
        shift,
        matrix: seq.mtrx,
        full_range: seq.color_range != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdn::transform::{Limits, Transform};

    /// A small photo-like PNG made here: smooth gradients and a sharp edge.
    fn original(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let image = image::RgbaImage::from_fn(w, h, |x, y| {
            let edge = if x > w / 2 { 200 } else { 30 };
            image::Rgba([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                edge,
                if alpha { (x * 255 / w) as u8 } else { 255 },
            ])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn render(input: &[u8], format: Format) -> Vec<u8> {
        let t = Transform {
            width: Some(96),
            format: Some(format),
            ..Transform::default()
        };
        crate::cdn::pipeline::transform(input, &t, &Limits::default())
            .unwrap()
            .bytes
    }

    #[test]
    fn every_compared_format_decodes_to_the_rendered_size_and_close_to_the_reference() {
        for alpha in [false, true] {
            let input = original(192, 128, alpha);
            let reference = decode(&render(&input, Format::Png), Format::Png).unwrap();
            assert_eq!((reference.width, reference.height), (96, 64));
            for format in [Format::Jpeg, Format::Webp, Format::Avif] {
                let decoded = decode(&render(&input, format), format).unwrap();
                assert_eq!((decoded.width, decoded.height), (96, 64), "{format:?}");
                let score = super::super::ssim::ssim(&reference.luma(), &decoded.luma());
                assert!(
                    score > 0.9 && score <= 1.0,
                    "{format:?} (alpha {alpha}) scores {score}"
                );
            }
        }
    }

    #[test]
    fn avif_colours_come_back_as_rgb() {
        // A flat colour survives AV1 within a few levels: the matrix and range are right.
        let image = image::RgbImage::from_pixel(64, 64, image::Rgb([200, 40, 90]));
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let t = Transform {
            format: Some(Format::Avif),
            quality: Some(90),
            ..Transform::default()
        };
        let avif = crate::cdn::pipeline::transform(png.get_ref(), &t, &Limits::default())
            .unwrap()
            .bytes;
        let decoded = decode(&avif, Format::Avif).unwrap();
        let centre = &decoded.data[(32 * 64 + 32) * 4..][..4];
        for (got, want) in centre.iter().zip([200u8, 40, 90, 255]) {
            assert!(got.abs_diff(want) <= 4, "{centre:?}");
        }
    }

    #[test]
    fn a_damaged_avif_is_an_error_not_a_panic() {
        let input = original(64, 64, false);
        let mut avif = render(&input, Format::Avif);
        let n = avif.len();
        avif.truncate(n - n / 3);
        assert!(decode(&avif, Format::Avif).is_err());
        assert!(decode(b"not an image", Format::Avif).is_err());
    }
}
