//! A JPEG's marker structure, for the decoders that split a file into smaller valid JPEGs
//! (`progressive`, `bands`): the frame header, each marker segment and each scan with its
//! entropy-coded data and restart markers. Nothing is decoded here.

use std::ops::Range;

/// One image component of the frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Component {
    pub id: u8,
    /// Horizontal and vertical sampling factors (1–4).
    pub h: u8,
    pub v: u8,
}

/// The frame header (SOFn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Frame {
    /// The SOF marker's code: 0xC0 baseline, 0xC1 extended, 0xC2 progressive (Huffman).
    pub marker: u8,
    pub width: u16,
    pub height: u16,
    pub components: Vec<Component>,
    /// Where the segment is in the file (the bands rewrite its height).
    pub at: Range<usize>,
}

impl Frame {
    pub fn max_h(&self) -> u8 {
        self.components.iter().map(|c| c.h).max().unwrap_or(1)
    }

    pub fn max_v(&self) -> u8 {
        self.components.iter().map(|c| c.v).max().unwrap_or(1)
    }
}

/// A parsed file: its frame header and its pieces in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parsed {
    pub frame: Frame,
    pub pieces: Vec<Piece>,
}

/// One piece of the file between SOI and EOI, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// A marker segment other than SOS (tables, restart interval, frame header, APPn…).
    Segment { marker: u8, range: Range<usize> },
    /// An SOS header (`header`) and its entropy-coded data (`data`, restart markers included).
    Scan {
        header: Range<usize>,
        data: Range<usize>,
        components: Vec<u8>,
        spectral_start: u8,
        /// The restart interval in force (DRI), 0 for none.
        restart_interval: u16,
        /// Where each restart marker's two bytes start, in order.
        restarts: Vec<usize>,
    },
}

/// The marker at `at` (after any fill bytes): `Ok((code, segment))` for a marker segment,
/// its bytes from 0xFF to the end of its body; `Err(Some(code))` for EOI; `Err(None)` for
/// anything else (not a marker, a stand-alone marker out of place, a length past the end).
fn segment_at(b: &[u8], mut at: usize) -> Result<(u8, Range<usize>), Option<u8>> {
    loop {
        if *b.get(at).ok_or(None)? != 0xFF {
            return Err(None);
        }
        match *b.get(at + 1).ok_or(None)? {
            0xFF => at += 1, // fill byte
            0xD9 => return Err(Some(0xD9)),
            0x01 | 0xD0..=0xD8 => return Err(None),
            code => {
                let len = b.get(at + 2..at + 4).ok_or(None)?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 || b.len() < at + 2 + len {
                    return Err(None);
                }
                return Ok((code, at..at + 2 + len));
            }
        }
    }
}

/// Whether a restart interval is in force at the first scan: read from the segments before
/// it, without walking the entropy-coded data (cheap; what `bands` needs at the least).
pub(super) fn restarts_declared(b: &[u8]) -> bool {
    if b.get(..2) != Some(&[0xFF, 0xD8]) {
        return false;
    }
    let mut at = 2;
    let mut interval = 0;
    while let Ok((code, segment)) = segment_at(b, at) {
        match code {
            0xDA => return interval > 0,
            0xDD => match b[segment.clone()].get(4..6) {
                Some(&[hi, lo]) => interval = u16::from_be_bytes([hi, lo]),
                _ => return false,
            },
            _ => {}
        }
        at = segment.end;
    }
    false
}

/// The frame and the pieces of a Huffman-coded JPEG (baseline, extended or progressive), or
/// `None` for anything unusual: arithmetic coding, a second frame, no EOI, a marker out of
/// place, a length that runs past the end.
pub(super) fn parse(b: &[u8]) -> Option<Parsed> {
    if b.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    let mut out = Vec::new();
    let mut frame: Option<Frame> = None;
    let mut restart_interval = 0;
    loop {
        let (marker, header) = match segment_at(b, at) {
            Ok(segment) => segment,
            Err(Some(_eoi)) => {
                return Some(Parsed {
                    frame: frame?,
                    pieces: out,
                });
            }
            Err(None) => return None,
        };
        let body = &b[header.start + 4..header.end];
        match marker {
            0xDA => {
                frame.as_ref()?;
                let n = usize::from(*body.first()?);
                let components: Vec<u8> = (0..n)
                    .map(|i| body.get(1 + 2 * i).copied())
                    .collect::<Option<_>>()?;
                let spectral_start = *body.get(1 + 2 * n)?;
                // The entropy-coded data runs to the next marker that is neither a stuffed
                // 0xFF00 nor a restart marker.
                let mut end = header.end;
                let mut restarts = Vec::new();
                loop {
                    let ff = end + memchr::memchr(0xFF, b.get(end..)?)?;
                    match *b.get(ff + 1)? {
                        0x00 => end = ff + 2,
                        0xD0..=0xD7 => {
                            restarts.push(ff);
                            end = ff + 2;
                        }
                        _ => {
                            end = ff;
                            break;
                        }
                    }
                }
                out.push(Piece::Scan {
                    data: header.end..end,
                    header,
                    components,
                    spectral_start,
                    restart_interval,
                    restarts,
                });
                at = end;
                continue;
            }
            0xC0..=0xC2 => {
                if frame.is_some() {
                    return None;
                }
                let n = usize::from(*body.get(5)?);
                let components = (0..n)
                    .map(|i| {
                        let s = *body.get(7 + 3 * i)?;
                        let (h, v) = (s >> 4, s & 15);
                        ((1..=4).contains(&h) && (1..=4).contains(&v)).then_some(Component {
                            id: *body.get(6 + 3 * i)?,
                            h,
                            v,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                frame = Some(Frame {
                    marker,
                    height: u16::from_be_bytes([*body.get(1)?, *body.get(2)?]),
                    width: u16::from_be_bytes([*body.get(3)?, *body.get(4)?]),
                    components,
                    at: header.clone(),
                });
            }
            // Lossless, hierarchical and arithmetic-coded frames are left alone.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDD => restart_interval = u16::from_be_bytes([*body.first()?, *body.get(1)?]),
            _ => {}
        }
        out.push(Piece::Segment {
            marker,
            range: header.clone(),
        });
        at = header.end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(progressive: bool) -> Vec<u8> {
        let image = turbojpeg::Image::mandelbrot(320, 200, turbojpeg::PixelFormat::RGB);
        let mut c = turbojpeg::Compressor::new().unwrap();
        c.set_progressive(progressive).unwrap();
        c.set_subsamp(turbojpeg::Subsamp::Sub2x2).unwrap();
        c.compress_to_vec(image.as_deref()).unwrap()
    }

    #[test]
    fn reads_the_frame_and_every_scan() {
        let Parsed { frame, pieces } = parse(&encoded(false)).unwrap();
        assert_eq!((frame.marker, frame.width, frame.height), (0xC0, 320, 200));
        assert_eq!(frame.components.len(), 3);
        assert_eq!((frame.max_h(), frame.max_v()), (2, 2));
        let scans = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Scan { .. }))
            .count();
        assert_eq!(scans, 1, "a baseline file has one interleaved scan");

        let Parsed { frame, pieces } = parse(&encoded(true)).unwrap();
        assert_eq!(frame.marker, 0xC2);
        let scans = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Scan { .. }))
            .count();
        assert!(scans > 5, "{scans} scans");
    }

    #[test]
    fn a_restart_interval_is_seen_in_the_header() {
        assert!(!restarts_declared(&encoded(false)));
        assert!(!restarts_declared(&encoded(true)));
        // DRI (interval 4) inserted right after SOI: declared, whatever follows.
        let mut file = encoded(false);
        file.splice(2..2, [0xFF, 0xDD, 0x00, 0x04, 0x00, 0x04]);
        assert!(restarts_declared(&file));
        file[7] = 0; // interval 0: none
        assert!(!restarts_declared(&file));
        assert!(
            !restarts_declared(b"\xFF\xD8\xFF\xDD\x00\x02"),
            "a DRI too short"
        );
        assert!(!restarts_declared(b""));
    }

    #[test]
    fn anything_unusual_is_none() {
        let file = encoded(true);
        assert_eq!(parse(&file[..file.len() - 2]), None, "no EOI");
        assert_eq!(parse(&file[..file.len() / 2]), None);
        assert_eq!(parse(b"\xFF\xD8\xFF"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"\xFF\xD8\xFF\xD9"), None, "no frame");
    }
}
