//! A JPEG with restart markers decoded as two bands of rows, on two threads.
//!
//! At a restart marker the entropy decoder starts afresh: DC predictions are reset, and in a
//! progressive scan so is the end-of-band run (ITU T.81, Annexes F and G). Cameras and
//! `jpegtran -restart` put them in, often once per row. When every scan's restart intervals
//! end at one common row of MCUs near the middle, the file is cut there into two valid JPEGs:
//! the same segments with the frame's height changed, and each scan's intervals above the
//! cut, or below it with its restart markers numbered from 0 again. The two are decoded at
//! the same scale on two threads and their rows are stacked.
//!
//! Only scaled decodes are cut when the chroma is subsampled: unscaled, libjpeg's fancy
//! upsampling reads one chroma row across the cut, and the bands would differ from the
//! whole there. Scaled, libjpeg-turbo scales the chroma IDCT up instead, within each block,
//! and the bands are exactly the whole (tested).

use super::markers::{Frame, Parsed, Piece};
use turbojpeg::{DecompressHeader, Decompressor, Image, PixelFormat, ScalingFactor};

/// Where the file is cut: the MCU row, and per scan the number of restart intervals above.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cut {
    mcu_row: u32,
    /// Per scan, in file order.
    intervals_above: Vec<usize>,
}

/// Per scan: (units per row, unit rows per MCU row, restart interval, restart markers).
fn scan_shapes(frame: &Frame, pieces: &[Piece]) -> Option<Vec<(u32, u32, u32, usize)>> {
    let (w, max_h) = (u32::from(frame.width), u32::from(frame.max_h()));
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Scan {
                components,
                restart_interval,
                restarts,
                ..
            } => Some((components, *restart_interval, restarts.len())),
            Piece::Segment { .. } => None,
        })
        .map(|(components, interval, markers)| {
            if interval == 0 {
                return None;
            }
            let (per_row, rows) = if components.len() > 1 {
                // Interleaved: MCUs, one row of them per MCU row.
                (w.div_ceil(8 * max_h), 1)
            } else {
                // One component: its blocks, `v` rows of them per MCU row.
                let c = frame.components.iter().find(|c| c.id == components[0])?;
                let width = (w * u32::from(c.h)).div_ceil(max_h);
                (width.div_ceil(8), u32::from(c.v))
            };
            Some((per_row, rows, u32::from(interval), markers))
        })
        .collect()
}

/// The MCU row nearest the middle at which every scan has a restart marker.
fn find_cut(frame: &Frame, pieces: &[Piece]) -> Option<Cut> {
    let shapes = scan_shapes(frame, pieces)?;
    if shapes.is_empty() {
        return None;
    }
    let mcu_h = 8 * u32::from(frame.max_v());
    let mcu_rows = u32::from(frame.height).div_ceil(mcu_h);
    let middle = mcu_rows / 2;
    let fits = |row: u32| -> Option<Vec<usize>> {
        shapes
            .iter()
            .map(|&(per_row, rows, interval, markers)| {
                let units = u64::from(row) * u64::from(rows) * u64::from(per_row);
                let above = units / u64::from(interval);
                (units % u64::from(interval) == 0 && above >= 1 && above as usize <= markers)
                    .then_some(above as usize)
            })
            .collect()
    };
    (0..middle).find_map(|d| {
        [middle - d, middle + d]
            .into_iter()
            .filter(|&row| row >= 1 && row < mcu_rows)
            .find_map(|row| {
                fits(row).map(|intervals_above| Cut {
                    mcu_row: row,
                    intervals_above,
                })
            })
    })
}

/// The two bands as JPEG files: rows `0..y` and `y..height`, `y` the cut's pixel row.
fn bands(b: &[u8], frame: &Frame, pieces: &[Piece], cut: &Cut) -> (Vec<u8>, Vec<u8>) {
    let y = (cut.mcu_row * 8 * u32::from(frame.max_v())) as u16;
    let mut top = vec![0xFF, 0xD8];
    let mut bottom = vec![0xFF, 0xD8];
    let mut scan = 0;
    for piece in pieces {
        match piece {
            Piece::Segment { range, .. } if *range == frame.at => {
                // FF Cn, length (2), precision (1), then the height: bytes 5 and 6.
                let mut sof = b[range.clone()].to_vec();
                sof[5..7].copy_from_slice(&y.to_be_bytes());
                top.extend_from_slice(&sof);
                sof[5..7].copy_from_slice(&(frame.height - y).to_be_bytes());
                bottom.extend_from_slice(&sof);
            }
            Piece::Segment { range, .. } => {
                top.extend_from_slice(&b[range.clone()]);
                bottom.extend_from_slice(&b[range.clone()]);
            }
            Piece::Scan {
                header,
                data,
                restarts,
                ..
            } => {
                let above = cut.intervals_above[scan];
                scan += 1;
                // The marker that ends the last interval above the cut.
                let marker = restarts[above - 1];
                top.extend_from_slice(&b[header.clone()]);
                top.extend_from_slice(&b[data.start..marker]);
                bottom.extend_from_slice(&b[header.clone()]);
                let mut from = marker + 2;
                for (n, &next) in restarts[above..].iter().enumerate() {
                    bottom.extend_from_slice(&b[from..next]);
                    bottom.extend_from_slice(&[0xFF, 0xD0 + (n % 8) as u8]);
                    from = next + 2;
                }
                bottom.extend_from_slice(&b[from..data.end]);
            }
        }
    }
    top.extend_from_slice(&[0xFF, 0xD9]);
    bottom.extend_from_slice(&[0xFF, 0xD9]);
    (top, bottom)
}

/// A whole JPEG decoded to packed RGB at `factor`: its scaled width and the pixels.
pub(super) fn rgb_at(
    file: &[u8],
    factor: ScalingFactor,
    scan_limit: u32,
) -> Result<(usize, Vec<u8>), turbojpeg::Error> {
    let mut d = Decompressor::new()?;
    d.set_scaling_factor(factor)?;
    d.set_scan_limit(scan_limit)?;
    let size = d.read_header(file)?.scaled(factor);
    let mut rgb = vec![0u8; size.width * size.height * 3];
    d.decompress(
        file,
        Image {
            pixels: &mut rgb[..],
            width: size.width,
            pitch: size.width * 3,
            height: size.height,
            format: PixelFormat::RGB,
        },
    )?;
    Ok((size.width, rgb))
}

/// Decodes `input` to packed RGB at `factor` in two bands on two threads; `None` when the
/// file has no common cut (see the module docs), and the caller decodes it the ordinary way.
pub(super) fn decode(
    input: &[u8],
    parsed: &Parsed,
    header: &DecompressHeader,
    factor: ScalingFactor,
    scan_limit: u32,
) -> Option<Result<Vec<u8>, turbojpeg::Error>> {
    if (header.width as u64) * (header.height as u64) < super::TWO_THREADS_FROM_PIXELS
        || header.is_lossless
    {
        return None;
    }
    let Parsed { frame, pieces } = parsed;
    let subsampled = frame.max_h() > 1 || frame.max_v() > 1;
    if factor == ScalingFactor::ONE && subsampled {
        return None;
    }
    let cut = find_cut(frame, pieces)?;
    let (top, bottom) = bands(input, frame, pieces, &cut);
    let width = factor.scale(header.width);
    let rgb_of = |file: &[u8]| -> Result<Vec<u8>, turbojpeg::Error> {
        let (band_width, rgb) = rgb_at(file, factor, scan_limit)?;
        if band_width != width {
            return Err(turbojpeg::Error::OutOfBounds);
        }
        Ok(rgb)
    };
    let (upper, lower) = std::thread::scope(|s| {
        let lower = s.spawn(|| rgb_of(&bottom));
        (rgb_of(&top), lower.join())
    });
    let mut rgb = match upper {
        Ok(rgb) => rgb,
        Err(e) => return Some(Err(e)),
    };
    match lower {
        Ok(Ok(lower)) => rgb.extend_from_slice(&lower),
        Ok(Err(e)) => return Some(Err(e)),
        Err(_) => return None,
    }
    let height = factor.scale(header.height);
    if rgb.len() != width * height * 3 {
        return Some(Err(turbojpeg::Error::OutOfBounds));
    }
    Some(Ok(rgb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use turbojpeg::{Subsamp, raw};

    /// A JPEG with a restart marker every `rows` MCU rows (or every `blocks` MCUs), through
    /// TurboJPEG's own parameters (the crate does not expose them).
    fn with_restarts(
        width: usize,
        height: usize,
        subsamp: Subsamp,
        progressive: bool,
        rows: i32,
        blocks: i32,
    ) -> Vec<u8> {
        let image = turbojpeg::Image::mandelbrot(width, height, PixelFormat::RGB);
        // SAFETY: a compressor handle used once and destroyed; the source is `height` rows
        // of `3 × width` bytes; the output buffer is TurboJPEG's and freed with tj3Free.
        unsafe {
            let h = raw::tj3Init(raw::TJINIT_TJINIT_COMPRESS as libc::c_int);
            assert!(!h.is_null());
            for (param, value) in [
                (raw::TJPARAM_TJPARAM_QUALITY, 90),
                (raw::TJPARAM_TJPARAM_SUBSAMP, subsamp as i32),
                (raw::TJPARAM_TJPARAM_PROGRESSIVE, i32::from(progressive)),
                (raw::TJPARAM_TJPARAM_RESTARTROWS, rows),
                (raw::TJPARAM_TJPARAM_RESTARTBLOCKS, blocks),
            ] {
                if value != 0 || param != raw::TJPARAM_TJPARAM_RESTARTBLOCKS {
                    assert_eq!(raw::tj3Set(h, param as libc::c_int, value), 0);
                }
            }
            let mut buf: *mut libc::c_uchar = std::ptr::null_mut();
            let mut size: raw::size_t = 0;
            let status = raw::tj3Compress8(
                h,
                image.pixels.as_ptr(),
                width as libc::c_int,
                (width * 3) as libc::c_int,
                height as libc::c_int,
                raw::TJPF_TJPF_RGB as libc::c_int,
                &mut buf,
                &mut size,
            );
            assert_eq!(status, 0);
            let out = std::slice::from_raw_parts(buf, size as usize).to_vec();
            raw::tj3Free(buf.cast());
            raw::tj3Destroy(h);
            out
        }
    }

    fn whole(input: &[u8], factor: ScalingFactor) -> Vec<u8> {
        rgb_at(input, factor, 500).unwrap().1
    }

    #[test]
    fn the_two_bands_decode_to_the_whole_files_pixels() {
        let factors = [
            ScalingFactor::ONE,
            ScalingFactor::ONE_HALF,
            ScalingFactor::ONE_QUARTER,
            ScalingFactor::ONE_EIGHTH,
        ];
        for (subsamp, progressive, rows, blocks) in [
            (Subsamp::Sub2x2, false, 1, 0),
            (Subsamp::Sub2x2, true, 1, 0),
            (Subsamp::None, true, 2, 0),
            (Subsamp::Sub2x1, false, 0, 6),
            (Subsamp::None, false, 0, 7),
        ] {
            let input = with_restarts(1211, 905, subsamp, progressive, rows, blocks);
            let header = turbojpeg::read_header(&input).unwrap();
            for factor in factors {
                let label = format!(
                    "{subsamp:?} progressive {progressive} rows {rows} blocks {blocks} at {factor:?}"
                );
                let parsed = super::super::markers::parse(&input).unwrap();
                let Some(bands) = decode(&input, &parsed, &header, factor, 500) else {
                    assert!(
                        factor == ScalingFactor::ONE && subsamp != Subsamp::None,
                        "{label}: not cut"
                    );
                    continue;
                };
                assert_eq!(
                    bands.expect("both bands decode"),
                    whole(&input, factor),
                    "{label}"
                );
            }
        }
    }

    #[test]
    fn files_without_a_common_cut_are_left_to_the_ordinary_decode() {
        let header = |f: &[u8]| turbojpeg::read_header(f).unwrap();
        let parsed = |f: &[u8]| super::super::markers::parse(f).unwrap();
        let half = ScalingFactor::ONE_HALF;
        let none = with_restarts(1211, 905, Subsamp::Sub2x2, false, 0, 0);
        assert!(
            decode(&none, &parsed(&none), &header(&none), half, 500).is_none(),
            "no restart markers"
        );
        let small = with_restarts(300, 200, Subsamp::Sub2x2, false, 1, 0);
        assert!(
            decode(&small, &parsed(&small), &header(&small), half, 500).is_none(),
            "too small"
        );
        let input = with_restarts(1211, 905, Subsamp::Sub2x2, true, 1, 0);
        let Parsed { frame, pieces } = parsed(&input);
        let cut = find_cut(&frame, &pieces).unwrap();
        assert_eq!(cut.mcu_row, 905u32.div_ceil(16) / 2, "the middle MCU row");
    }
}
