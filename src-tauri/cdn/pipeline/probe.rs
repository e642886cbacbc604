//! What an original is, from its first bytes: the format from the magic bytes (never from a
//! name), the size from the header, the EXIF orientation of a JPEG — without decoding a pixel.
//! Every read is bounds-checked: this runs on anything anyone uploaded.

use super::orient;
use crate::cdn::transform::{Format, PipelineError};

/// What the header of an original says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: Format,
    /// Stored width, before EXIF orientation.
    pub width: u32,
    /// Stored height, before EXIF orientation.
    pub height: u32,
    /// EXIF orientation 1–8 (JPEG only; other formats report 1 here and are oriented by
    /// their decoder).
    pub orientation: u8,
    /// A progressive JPEG (SOF2, SOF6, SOF10, SOF14): decoded with every coefficient kept.
    pub progressive: bool,
}

impl Probe {
    /// The size once EXIF orientation is applied.
    pub fn oriented_size(&self) -> (u32, u32) {
        if orient::swaps_sides(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Sniffs the format and reads the size from the header.
pub fn probe(input: &[u8]) -> Result<Probe, PipelineError> {
    let probe = match sniff(input)? {
        Format::Jpeg => jpeg(input)?,
        Format::Png => png(input)?,
        Format::Gif => gif(input)?,
        Format::Webp => webp(input)?,
        Format::Tiff => tiff(input)?,
        Format::Avif => {
            return Err(PipelineError::Unsupported(
                "AVIF originals are not read yet (AVIF is an output format only)".into(),
            ));
        }
    };
    if probe.width == 0 || probe.height == 0 {
        return Err(corrupt(
            probe.format,
            "the header says the image has no pixels",
        ));
    }
    Ok(probe)
}

/// The format, from the magic bytes alone.
pub fn sniff(input: &[u8]) -> Result<Format, PipelineError> {
    if input.is_empty() {
        return Err(PipelineError::Unsupported("the original is empty".into()));
    }
    let format = if input.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if input.starts_with(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if input.starts_with(b"GIF87a") || input.starts_with(b"GIF89a") {
        Format::Gif
    } else if input.len() >= 12 && &input[0..4] == b"RIFF" && &input[8..12] == b"WEBP" {
        Format::Webp
    } else if input.starts_with(b"II*\0") || input.starts_with(b"MM\0*") {
        Format::Tiff
    } else if input.len() >= 12 && &input[4..8] == b"ftyp" && is_avif_brand(&input[8..12]) {
        Format::Avif
    } else {
        return Err(PipelineError::Unsupported(
            "not a JPEG, PNG, GIF, WebP or TIFF image".into(),
        ));
    };
    Ok(format)
}

fn is_avif_brand(brand: &[u8]) -> bool {
    brand == b"avif" || brand == b"avis"
}

fn corrupt(format: Format, what: &str) -> PipelineError {
    PipelineError::Corrupt(format!("{format:?}: {what}"))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Walks the marker segments up to the first SOFn, noting the EXIF orientation on the way.
fn jpeg(b: &[u8]) -> Result<Probe, PipelineError> {
    let truncated = || corrupt(Format::Jpeg, "the header ends before the frame header");
    let mut at = 2;
    let mut orientation = 1;
    loop {
        // A marker is 0xFF, any number of 0xFF fill bytes, then the code.
        if *b.get(at).ok_or_else(truncated)? != 0xFF {
            return Err(corrupt(Format::Jpeg, "a marker was expected"));
        }
        while b.get(at) == Some(&0xFF) {
            at += 1;
        }
        let code = *b.get(at).ok_or_else(truncated)?;
        at += 1;
        match code {
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8..=0xDA => {
                return Err(corrupt(
                    Format::Jpeg,
                    "no frame header before the image data",
                ));
            }
            _ => {}
        }
        let len = usize::from(be16(b, at).ok_or_else(truncated)?);
        if len < 2 {
            return Err(corrupt(Format::Jpeg, "a segment length is under 2"));
        }
        let body = b.get(at + 2..at + len).ok_or_else(truncated)?;
        match code {
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                let height = be16(body, 1).ok_or_else(truncated)?;
                let width = be16(body, 3).ok_or_else(truncated)?;
                return Ok(Probe {
                    format: Format::Jpeg,
                    width: width.into(),
                    height: height.into(),
                    orientation,
                    progressive: matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE),
                });
            }
            0xE1 if body.starts_with(b"Exif\0\0") => {
                orientation = orient::exif_orientation(&body[6..]).unwrap_or(1);
            }
            _ => {}
        }
        at += len;
    }
}

fn png(b: &[u8]) -> Result<Probe, PipelineError> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err(corrupt(Format::Png, "the first chunk is not IHDR"));
    }
    let (Some(width), Some(height)) = (be32(b, 16), be32(b, 20)) else {
        return Err(corrupt(Format::Png, "the header is truncated"));
    };
    Ok(Probe {
        format: Format::Png,
        width,
        height,
        orientation: 1,
        progressive: false,
    })
}

/// The logical screen: every frame is drawn on it, so it is what a decode allocates.
fn gif(b: &[u8]) -> Result<Probe, PipelineError> {
    let (Some(width), Some(height)) = (le16(b, 6), le16(b, 8)) else {
        return Err(corrupt(Format::Gif, "the header is truncated"));
    };
    Ok(Probe {
        format: Format::Gif,
        width: width.into(),
        height: height.into(),
        orientation: 1,
        progressive: false,
    })
}

fn webp(b: &[u8]) -> Result<Probe, PipelineError> {
    let truncated = || corrupt(Format::Webp, "the header is truncated");
    let chunk = b.get(12..16).ok_or_else(truncated)?;
    // Sizes that run past the end: libwebp refuses them, some decoders read on regardless.
    let riff = le32(b, 4).ok_or_else(truncated)? as usize;
    let first = le32(b, 16).ok_or_else(truncated)? as usize;
    if riff.saturating_add(8) > b.len() || first.saturating_add(20) > b.len() {
        return Err(corrupt(
            Format::Webp,
            "a chunk runs past the end of the file",
        ));
    }
    let (width, height) = match chunk {
        b"VP8 " => {
            if b.get(23..26) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(corrupt(Format::Webp, "bad VP8 frame tag"));
            }
            let w = le16(b, 26).ok_or_else(truncated)? & 0x3FFF;
            let h = le16(b, 28).ok_or_else(truncated)? & 0x3FFF;
            (u32::from(w), u32::from(h))
        }
        b"VP8L" => {
            if b.get(20) != Some(&0x2F) {
                return Err(corrupt(Format::Webp, "bad VP8L signature"));
            }
            let bits = le32(b, 21).ok_or_else(truncated)?;
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => (
            le24(b, 24).ok_or_else(truncated)? + 1,
            le24(b, 27).ok_or_else(truncated)? + 1,
        ),
        _ => return Err(corrupt(Format::Webp, "unknown first chunk")),
    };
    Ok(Probe {
        format: Format::Webp,
        width,
        height,
        orientation: 1,
        progressive: false,
    })
}

/// Reads tags 256/257 (ImageWidth/ImageLength) of the first IFD.
fn tiff(b: &[u8]) -> Result<Probe, PipelineError> {
    let truncated = || corrupt(Format::Tiff, "the first directory is truncated");
    let little = b.starts_with(b"II");
    let u16_at = |at: usize| if little { le16(b, at) } else { be16(b, at) };
    let u32_at = |at: usize| if little { le32(b, at) } else { be32(b, at) };
    let ifd = u32_at(4).ok_or_else(truncated)? as usize;
    let count = usize::from(u16_at(ifd).ok_or_else(truncated)?);
    if ifd + 2 + count * 12 > b.len() {
        return Err(truncated());
    }
    let (mut width, mut height) = (None, None);
    for i in 0..count {
        let entry = ifd + 2 + i * 12;
        let tag = u16_at(entry).ok_or_else(truncated)?;
        let kind = u16_at(entry + 2).ok_or_else(truncated)?;
        let value = match kind {
            3 => u32::from(u16_at(entry + 8).ok_or_else(truncated)?),
            4 => u32_at(entry + 8).ok_or_else(truncated)?,
            _ => continue,
        };
        match tag {
            256 => width = Some(value),
            257 => height = Some(value),
            _ => {}
        }
    }
    match (width, height) {
        (Some(width), Some(height)) => Ok(Probe {
            format: Format::Tiff,
            width,
            height,
            orientation: 1,
            progressive: false,
        }),
        _ => Err(corrupt(Format::Tiff, "no image width or length")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_and_refuses_the_rest() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0").unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"GIF89a....").unwrap(), Format::Gif);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
        assert_eq!(sniff(b"MM\0*\0\0\0\x08").unwrap(), Format::Tiff);
        assert_eq!(sniff(b"\0\0\0\x1cftypavif").unwrap(), Format::Avif);
        for junk in [
            &b""[..],
            b"<svg xmlns",
            b"<!DOCTYPE html>",
            b"hello.jpg",
            b"BM6\0",
        ] {
            assert!(
                matches!(sniff(junk), Err(PipelineError::Unsupported(_))),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn reads_a_png_size_from_ihdr() {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&30000u32.to_be_bytes());
        b.extend_from_slice(&20000u32.to_be_bytes());
        let p = probe(&b).unwrap();
        assert_eq!((p.width, p.height), (30000, 20000));
    }

    #[test]
    fn a_jpeg_without_a_frame_header_is_corrupt() {
        assert!(matches!(
            probe(b"\xFF\xD8\xFF"),
            Err(PipelineError::Corrupt(_))
        ));
        assert!(matches!(
            probe(b"\xFF\xD8\xFF\xDA\0\x02"),
            Err(PipelineError::Corrupt(_))
        ));
        assert!(matches!(
            probe(b"\xFF\xD8\xFF\xE0\0\x01"),
            Err(PipelineError::Corrupt(_))
        ));
    }
}
