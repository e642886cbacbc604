//! A progressive YCbCr JPEG decoded on two threads, one for the luma and one for the chroma.
//!
//! libjpeg-turbo decodes a JPEG's entropy-coded data on one thread, and in a progressive
//! JPEG that is nearly all the work (~90 % of a 17 MP photo's decode here). But a
//! progressive JPEG codes each AC scan for one component alone (ITU T.81, Annex G), so the
//! scans split cleanly: the DC scans and the Y scans make one valid JPEG, the DC scans and the
//! Cb/Cr scans another. Each is decoded to YUV planes, with the same DCT scaling, on its own
//! thread; the Y plane of the first and the Cb/Cr planes of the second are exactly the planes
//! of the whole file, because no component's coefficients depend on another's. One colour
//! conversion makes them RGB.
//!
//! Anything unusual (not three components, an AC scan with two components, no EOI, a
//! marker we don't follow) leaves the file to the ordinary one-thread decode.
//!
//! `scan_pipeline` decodes most progressive files faster and with less CPU; this split is
//! for those it does not take (4:2:0 unscaled, a progression that leaves coefficients
//! unknown).

use super::markers::{Parsed, Piece};
use turbojpeg::{DecompressHeader, Decompressor, ScalingFactor, Subsamp, YuvImage, raw};

/// Over this many, the second decoder's coefficient buffer (up to 6 bytes a pixel at 4:4:4)
/// costs more memory than the time saved is worth: one thread, one buffer.
const MAX_PIXELS: u64 = 25_000_000;

/// Whether a progressive JPEG of `pixels` is decoded on two threads (if it splits).
pub(super) fn worth_splitting(pixels: u64) -> bool {
    (super::TWO_THREADS_FROM_PIXELS..=MAX_PIXELS).contains(&pixels)
}

/// The two files: DC scans and luma AC scans, DC scans and chroma AC scans.
fn split(b: &[u8], parsed: &Parsed) -> Option<(Vec<u8>, Vec<u8>)> {
    let Parsed { frame, pieces } = parsed;
    if frame.marker != 0xC2 || frame.components.len() != 3 {
        return None;
    }
    let luma = frame.components[0].id;
    let mut luma_file = vec![0xFF, 0xD8];
    let mut chroma_file = vec![0xFF, 0xD8];
    let (mut luma_ac, mut chroma_ac) = (0, 0);
    for piece in pieces {
        match piece {
            Piece::Segment { range, .. } => {
                luma_file.extend_from_slice(&b[range.clone()]);
                chroma_file.extend_from_slice(&b[range.clone()]);
            }
            Piece::Scan {
                header,
                data,
                components,
                spectral_start,
                ..
            } => {
                let scan = &b[header.start..data.end];
                if *spectral_start == 0 {
                    luma_file.extend_from_slice(scan);
                    chroma_file.extend_from_slice(scan);
                } else if components.as_slice() == [luma] {
                    luma_file.extend_from_slice(scan);
                    luma_ac += 1;
                } else if components.len() == 1 {
                    chroma_file.extend_from_slice(scan);
                    chroma_ac += 1;
                } else {
                    return None; // an AC scan of two components is not a valid progressive scan
                }
            }
        }
    }
    if luma_ac == 0 || chroma_ac == 0 {
        return None;
    }
    luma_file.extend_from_slice(&[0xFF, 0xD9]);
    chroma_file.extend_from_slice(&[0xFF, 0xD9]);
    Some((luma_file, chroma_file))
}

/// Whether [`decode`] takes this file: progressive, YCbCr, large enough.
pub(super) fn applies(header: &DecompressHeader) -> bool {
    header.is_progressive
        && !header.is_arithmetic
        && !header.is_lossless
        && header.colorspace == turbojpeg::Colorspace::YCbCr
        && !matches!(header.subsamp, Subsamp::Gray)
        && worth_splitting((header.width as u64) * (header.height as u64))
}

/// Decodes `input` to packed RGB at `factor` on two threads; `None` when the file does not
/// split (see the module docs), and the caller decodes it the ordinary way.
pub(super) fn decode(
    input: &[u8],
    parsed: &Parsed,
    header: &DecompressHeader,
    factor: ScalingFactor,
    scan_limit: u32,
) -> Option<Result<Vec<u8>, turbojpeg::Error>> {
    let subsamp = header.subsamp;
    let scaled = header.scaled(factor);
    let (width, height) = (scaled.width, scaled.height);
    // How the ordinary decode gets chroma to the output's resolution, and how we do:
    // - 4:4:4: it is there already;
    // - subsampled, unscaled: libjpeg's fancy upsampling, done here the same way;
    // - 4:2:0, scaled: libjpeg scales the chroma IDCT up instead of upsampling, so the
    //   chroma file is decoded at twice the factor, which gives the same IDCT of the same
    //   coefficients, and its chroma planes are the output's size;
    // - 4:2:2 scaled, and other subsamplings: left to the ordinary decode.
    let unscaled = factor == ScalingFactor::ONE;
    let chroma_factor = match subsamp {
        Subsamp::None => factor,
        Subsamp::Sub2x2 | Subsamp::Sub2x1 if unscaled => factor,
        Subsamp::Sub2x2 => ScalingFactor::new(factor.num() * 2, factor.denom()),
        _ => return None,
    };
    let (luma_file, chroma_file) = split(input, parsed)?;
    let to_yuv = |file: &[u8], factor: ScalingFactor| -> Result<Planes, turbojpeg::Error> {
        let mut d = Decompressor::new()?;
        d.set_scaling_factor(factor)?;
        d.set_scan_limit(scan_limit)?;
        let size = header.scaled(factor);
        let planes = Planes::new(size.width, size.height, subsamp)?;
        let mut data = vec![0u8; planes.len()];
        d.decompress_to_yuv(
            file,
            YuvImage {
                pixels: &mut data[..],
                width: size.width,
                align: 1,
                height: size.height,
                subsamp,
            },
        )?;
        Ok(Planes { data, ..planes })
    };
    let (luma, chroma) = std::thread::scope(|s| {
        let chroma = s.spawn(|| to_yuv(&chroma_file, chroma_factor));
        let luma = to_yuv(&luma_file, factor);
        (luma, chroma.join())
    });
    let luma = match luma {
        Ok(planes) => planes,
        Err(e) => return Some(Err(e)),
    };
    let chroma = match chroma {
        Ok(Ok(planes)) => planes,
        Ok(Err(e)) => return Some(Err(e)),
        // A panic in libjpeg-turbo's wrapper: the ordinary decode will meet it again.
        Err(_) => return None,
    };
    let upsampled = chroma_factor == factor && subsamp != Subsamp::None;
    Some(to_rgb(&luma, &chroma, (width, height), upsampled))
}

/// Packed, unpadded YUV planes (align 1) as tj3DecompressToYUV8 writes them.
struct Planes {
    data: Vec<u8>,
    /// Luma plane: TurboJPEG pads each side to whole chroma samples.
    y: (usize, usize),
    /// Each chroma plane.
    c: (usize, usize),
}

impl Planes {
    fn new(width: usize, height: usize, subsamp: Subsamp) -> Result<Self, turbojpeg::Error> {
        let (h2, v2) = match subsamp {
            Subsamp::None => (false, false),
            Subsamp::Sub2x1 => (true, false),
            Subsamp::Sub2x2 => (true, true),
            other => return Err(turbojpeg::Error::BadSubsamp(other as i32)),
        };
        let y = (
            if h2 { width.next_multiple_of(2) } else { width },
            if v2 {
                height.next_multiple_of(2)
            } else {
                height
            },
        );
        let c = (
            if h2 { y.0 / 2 } else { y.0 },
            if v2 { y.1 / 2 } else { y.1 },
        );
        let planes = Planes {
            data: Vec::new(),
            y,
            c,
        };
        // The layout must be TurboJPEG's own.
        if turbojpeg::yuv_pixels_len(width, 1, height, subsamp)? != planes.len() {
            return Err(turbojpeg::Error::OutOfBounds);
        }
        Ok(planes)
    }

    fn len(&self) -> usize {
        self.y.0 * self.y.1 + 2 * self.c.0 * self.c.1
    }

    fn luma_rows(&self) -> impl Iterator<Item = &[u8]> {
        self.data[..self.y.0 * self.y.1].chunks_exact(self.y.0)
    }

    fn chroma(&self, which: usize) -> &[u8] {
        let (y_len, c_len) = (self.y.0 * self.y.1, self.c.0 * self.c.1);
        &self.data[y_len + which * c_len..y_len + (which + 1) * c_len]
    }
}

/// Joins the Y plane of `luma` and the Cb/Cr planes of `chroma` into a 4:4:4 image of
/// `width`×`height`, then converts it to RGB with TurboJPEG. When `upsample`, the chroma
/// planes are half the size and upsampled the way libjpeg-turbo's decoder does by default
/// ("fancy", triangular); otherwise they are the output's size already. (TurboJPEG's own YUV
/// decoding replicates chroma samples instead: up to 70 levels off the ordinary decode at
/// sharp colour edges.)
fn to_rgb(
    luma: &Planes,
    chroma: &Planes,
    (width, height): (usize, usize),
    upsample_chroma: bool,
) -> Result<Vec<u8>, turbojpeg::Error> {
    let mut planes = Vec::with_capacity(width * height * 3);
    for row in luma.luma_rows().take(height) {
        planes.extend_from_slice(row.get(..width).ok_or(turbojpeg::Error::OutOfBounds)?);
    }
    for which in 0..2 {
        let plane = chroma.chroma(which);
        if upsample_chroma {
            let h2 = chroma.c.0 < chroma.y.0;
            let v2 = chroma.c.1 < chroma.y.1;
            upsample(plane, chroma.c, (h2, v2), (width, height), &mut planes);
        } else {
            if chroma.c.0 < width || chroma.c.1 < height {
                return Err(turbojpeg::Error::OutOfBounds);
            }
            for row in plane.chunks_exact(chroma.c.0).take(height) {
                planes.extend_from_slice(&row[..width]);
            }
        }
    }
    yuv444_to_rgb(&planes, width, height)
}

/// libjpeg's fancy upsampling of one chroma plane (`jdsample.c`: h2v1 and h2v2), appended
/// to `out` as `width`×`height` samples.
fn upsample(
    plane: &[u8],
    (cw, ch): (usize, usize),
    (h2, v2): (bool, bool),
    (width, height): (usize, usize),
    out: &mut Vec<u8>,
) {
    let mut sums = vec![0u16; cw];
    let mut row_out = vec![0u8; 2 * cw];
    for y in 0..height {
        let cy = if v2 { y / 2 } else { y };
        let cur = &plane[cy * cw..(cy + 1) * cw];
        if !h2 {
            out.extend_from_slice(&cur[..width]);
            continue;
        }
        if v2 {
            // The nearer chroma row counts 3, the one beyond it 1 (edges replicated).
            let other = if y % 2 == 0 {
                cy.saturating_sub(1)
            } else {
                (cy + 1).min(ch - 1)
            };
            let nb = &plane[other * cw..(other + 1) * cw];
            for ((s, &a), &b) in sums.iter_mut().zip(cur).zip(nb) {
                *s = 3 * u16::from(a) + u16::from(b);
            }
            // Horizontally the same 3:1, on sums of 4: (3·this + next + 8) / 16, and +7.
            let last = cw - 1;
            row_out[0] = ((sums[0] * 4 + 8) >> 4) as u8;
            for i in 0..cw {
                let this = 3 * sums[i];
                if i > 0 {
                    row_out[2 * i] = ((this + sums[i - 1] + 8) >> 4) as u8;
                }
                if i < last {
                    row_out[2 * i + 1] = ((this + sums[i + 1] + 7) >> 4) as u8;
                }
            }
            row_out[2 * last + 1] = ((sums[last] * 4 + 7) >> 4) as u8;
        } else {
            let last = cw - 1;
            row_out[0] = cur[0];
            for i in 0..cw {
                let this = 3 * u16::from(cur[i]);
                if i > 0 {
                    row_out[2 * i] = ((this + u16::from(cur[i - 1]) + 1) >> 2) as u8;
                }
                if i < last {
                    row_out[2 * i + 1] = ((this + u16::from(cur[i + 1]) + 2) >> 2) as u8;
                }
            }
            row_out[2 * last + 1] = cur[last];
        }
        out.extend_from_slice(&row_out[..width]);
    }
}

/// TurboJPEG's colour conversion (SIMD) of packed, unpadded 4:4:4 YUV planes to RGB.
fn yuv444_to_rgb(planes: &[u8], width: usize, height: usize) -> Result<Vec<u8>, turbojpeg::Error> {
    struct Handle(raw::tjhandle);
    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: the handle came from tj3Init and is destroyed once.
            unsafe { raw::tj3Destroy(self.0) }
        }
    }
    let failed = |h: &Handle| {
        // SAFETY: the handle is valid; the string is owned by it and copied here.
        let text = unsafe { std::ffi::CStr::from_ptr(raw::tj3GetErrorStr(h.0)) };
        turbojpeg::Error::TurboJpegError(text.to_string_lossy().into_owned())
    };
    // SAFETY: tj3Init has no preconditions; a null handle is checked.
    let handle = Handle(unsafe { raw::tj3Init(raw::TJINIT_TJINIT_DECOMPRESS as libc::c_int) });
    if handle.0.is_null() {
        return Err(turbojpeg::Error::Null);
    }
    let (w, h) = (
        libc::c_int::try_from(width).map_err(|_| turbojpeg::Error::IntegerOverflow("width"))?,
        libc::c_int::try_from(height).map_err(|_| turbojpeg::Error::IntegerOverflow("height"))?,
    );
    let mut rgb = vec![0u8; width * height * 3];
    if planes.len() < width * height * 3 {
        return Err(turbojpeg::Error::OutOfBounds);
    }
    // SAFETY: `planes` holds three unpadded `width`×`height` planes (align 1, 4:4:4);
    // `rgb` holds `height` rows of `3 × width`.
    let status = unsafe {
        if raw::tj3Set(
            handle.0,
            raw::TJPARAM_TJPARAM_SUBSAMP as libc::c_int,
            Subsamp::None as libc::c_int,
        ) != 0
        {
            return Err(failed(&handle));
        }
        raw::tj3DecodeYUV8(
            handle.0,
            planes.as_ptr(),
            1,
            rgb.as_mut_ptr(),
            w,
            w * 3,
            h,
            raw::TJPF_TJPF_RGB as libc::c_int,
        )
    };
    if status != 0 {
        return Err(failed(&handle));
    }
    Ok(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progressive(width: usize, height: usize, subsamp: Subsamp) -> Vec<u8> {
        let image = turbojpeg::Image::mandelbrot(width, height, turbojpeg::PixelFormat::RGB);
        let mut c = turbojpeg::Compressor::new().unwrap();
        c.set_progressive(true).unwrap();
        c.set_subsamp(subsamp).unwrap();
        c.set_quality(90).unwrap();
        c.compress_to_vec(image.as_deref()).unwrap()
    }

    fn whole(input: &[u8], factor: ScalingFactor) -> Vec<u8> {
        super::super::bands::rgb_at(input, factor, 500).unwrap().1
    }

    #[test]
    fn the_two_halves_decode_to_the_whole_files_pixels() {
        for subsamp in [Subsamp::Sub2x2, Subsamp::None, Subsamp::Sub2x1] {
            let input = progressive(1203, 901, subsamp);
            let header = turbojpeg::read_header(&input).unwrap();
            assert!(applies(&header), "{subsamp:?}");
            for factor in [
                ScalingFactor::ONE,
                ScalingFactor::ONE_HALF,
                ScalingFactor::ONE_QUARTER,
                ScalingFactor::ONE_EIGHTH,
            ] {
                let parsed = super::super::markers::parse(&input).unwrap();
                let split = decode(&input, &parsed, &header, factor, 500);
                if subsamp == Subsamp::Sub2x1 && factor != ScalingFactor::ONE {
                    assert!(
                        split.is_none(),
                        "scaled 4:2:2 is left to the ordinary decode"
                    );
                    continue;
                }
                let split = split
                    .expect("a progressive YCbCr file splits")
                    .expect("both halves decode");
                let reference = whole(&input, factor);
                assert_eq!(split.len(), reference.len());
                // TurboJPEG's own YUV-to-RGB step and the decoder's fused upsampling may
                // round differently by one level; nothing more.
                let worst = split
                    .iter()
                    .zip(&reference)
                    .map(|(a, b)| a.abs_diff(*b))
                    .max()
                    .unwrap();
                assert!(worst <= 1, "{subsamp:?} at {factor:?}: off by {worst}");
            }
        }
    }

    #[test]
    fn baseline_and_odd_files_are_left_to_the_ordinary_decode() {
        let mut c = turbojpeg::Compressor::new().unwrap();
        c.set_quality(90).unwrap();
        let image = turbojpeg::Image::mandelbrot(1200, 900, turbojpeg::PixelFormat::RGB);
        let baseline = c.compress_to_vec(image.as_deref()).unwrap();
        assert!(!applies(&turbojpeg::read_header(&baseline).unwrap()));
        let parsed = |f: &[u8]| super::super::markers::parse(f).unwrap();
        assert_eq!(
            split(&baseline, &parsed(&baseline)),
            None,
            "no progressive frame"
        );

        let input = progressive(1203, 901, Subsamp::Sub2x2);
        assert!(split(&input, &parsed(&input)).is_some());
    }
}
