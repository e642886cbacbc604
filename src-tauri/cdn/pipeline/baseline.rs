//! A baseline JPEG with no restart markers, decoded on two threads.
//!
//! With no restart marker the entropy-coded data has no point where a decoder may start
//! afresh, so libjpeg-turbo decodes it on one thread; for a large photo its Huffman decoding
//! is most of the time. But Huffman codes resynchronise: a decoder started at an arbitrary
//! bit soon falls into step with the true decode. So:
//!
//! 1. **Speculate.** The second thread starts at the middle of the data as if an MCU began
//!    there, and records where each of its first MCUs begins, with its running DC
//!    predictions (starting from 0). A bad code sends it one bit further.
//! 2. **Meet.** The first thread decodes from the start. Past the middle, at each MCU it
//!    begins, it looks for the same bit position among the second thread's records. Parsing
//!    a baseline MCU depends on nothing but the bit position it starts at, so from a common
//!    position on both decode the same MCUs; only the DC values of the second differ from
//!    the true ones, by a constant per component known there. No common position within
//!    the window, and the file is decoded the ordinary way.
//! 3. **Render.** Both threads keep just the coefficients the scaled IDCT reads. Then each
//!    renders half of the MCU rows: IDCT, then YCbCr to RGB, one MCU row at a time.
//!
//! The layouts done here are those in which no sample depends on another MCU row: grey and
//! 4:4:4 at every scale; 4:2:2 at every scale, its chroma upsampled along the row
//! (`jdsample.c`); 4:2:0 scaled (1/2, 1/4, 1/8), where libjpeg-turbo scales the chroma IDCT
//! up instead of upsampling. The IDCTs (`jidctint.c`'s 8×8, `jidctred.c`'s 4×4, 2×2 and
//! 1×1), the upsampling and the colour conversion (`jdcolor.c`) are libjpeg-turbo's integer
//! arithmetic, so the pixels are the ordinary decode's, exactly (tested). Anything else — a bad Huffman code or table, too few or too
//! many MCUs, bytes left over, a layout not handled — gives `None`, and the caller's
//! ordinary decode reports what libjpeg-turbo reports.

use super::markers::{Parsed, Piece};
use std::sync::LazyLock;
use std::sync::mpsc;
use turbojpeg::{Colorspace, DecompressHeader, ScalingFactor};

/// How far past the middle the first thread's data reaches (stuffed bytes). The second
/// thread looks for a common position in its first quarter of that (unstuffed), which
/// leaves room for the stuffing and the MCU that straddles the window's end. Decoders fall
/// into step within a few MCUs on photos. Smaller data is decoded the ordinary way.
const MARGIN_BYTES: usize = 128 << 10;

/// Whether `decode` may apply: a large baseline or extended Huffman JPEG, grey or YCbCr,
/// but not 4:2:0 unscaled.
pub(super) fn applies(header: &DecompressHeader, factor: ScalingFactor) -> bool {
    let unscaled_420 = header.subsamp == turbojpeg::Subsamp::Sub2x2 && factor == ScalingFactor::ONE;
    !header.is_progressive
        && !header.is_arithmetic
        && !header.is_lossless
        && matches!(header.colorspace, Colorspace::YCbCr | Colorspace::Gray)
        && !unscaled_420
        && (header.width as u64) * (header.height as u64) >= super::TWO_THREADS_FROM_PIXELS
}

/// Decodes `input` to packed RGB at `factor` on two threads; `None` when the file is not one
/// this module handles (see the module docs) and the caller decodes it the ordinary way.
pub(super) fn decode(input: &[u8], parsed: &Parsed, factor: ScalingFactor) -> Option<Vec<u8>> {
    decode_with(input, parsed, factor, MARGIN_BYTES)
}

fn decode_with(
    input: &[u8],
    parsed: &Parsed,
    factor: ScalingFactor,
    margin: usize,
) -> Option<Vec<u8>> {
    let layout = Layout::new(input, parsed, factor)?;
    let data = &input[layout.data.clone()];
    if data.len() < 4 * margin {
        return None;
    }
    // The second thread starts at a byte that does not follow 0xFF (a stuffed zero).
    let mut middle = data.len() / 2;
    while data[middle - 1] == 0xFF {
        middle += 1;
    }
    let mut lead_end = (middle + margin).min(data.len());
    while lead_end < data.len() && data[lead_end - 1] == 0xFF {
        lead_end += 1;
    }
    let total = layout.mcus();
    // Grown as MCUs are decoded: nothing is zeroed or touched ahead.
    let mut lead_store = Vec::with_capacity(total * layout.stride);
    let mut follow_store = Vec::with_capacity(total * layout.stride);
    huge_pages(&mut lead_store);
    huge_pages(&mut follow_store);
    let (met, followed) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel(1);
        let layout = &layout;
        let follower = s.spawn(|| {
            let buf = unstuff(&data[middle..]);
            layout.follow(&buf, margin / 4, tx, &mut follow_store)
        });
        let (buf, origin) = unstuff_marking(&data[..lead_end], middle);
        let met = layout.lead(&buf, 8 * origin as u64, rx, &mut lead_store);
        (met, follower.join().ok().flatten())
    });
    let (met, followed) = (met?, followed?);
    // The second thread decoded the rest of the image from the meeting point, and only the
    // padding (under a byte) is left after it.
    let last = met.follower_mcu + (total - met.mcu);
    match followed.tail[last % TAIL] {
        (count, left) if count == last && left < 8 => {}
        _ => return None,
    }
    let mut dc_offset = [0i16; 3];
    for (c, offset) in dc_offset.iter_mut().enumerate() {
        *offset = met.lead_preds[c].wrapping_sub(met.follower_preds[c]) as i16;
    }
    let slot = |t: usize, b: &Block| -> (&[i16], i16) {
        let stride = layout.stride;
        if t < met.mcu {
            (&lead_store[t * stride + b.at..(t + 1) * stride], 0)
        } else {
            let at = t - met.mcu + met.follower_mcu;
            (
                &follow_store[at * stride + b.at..(at + 1) * stride],
                dc_offset[b.component],
            )
        }
    };
    // Every MCU is there (the follower's count was checked against the lead's).
    if lead_store.len() < met.mcu * layout.stride || follow_store.len() < last * layout.stride {
        return None;
    }
    Some(layout.render(&slot, 2))
}

/// A DQT segment's tables, in natural order.
pub(super) fn read_quant(body: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Option<()> {
    let mut rest = body;
    while let Some(&pq_tq) = rest.first() {
        let (wide, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
        let len = if wide == 0 { 64 } else { 128 };
        let values = rest.get(1..1 + len)?;
        let mut natural = [0u16; 64];
        for k in 0..64 {
            natural[usize::from(ZIGZAG[k])] = if wide == 0 {
                u16::from(values[k])
            } else {
                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
            };
        }
        *quant.get_mut(id)? = Some(natural);
        rest = &rest[1 + len..];
    }
    Some(())
}

/// A DHT segment's tables, appended to `tables` and made current.
pub(super) fn read_huffman(
    body: &[u8],
    current: &mut [[Option<usize>; 4]; 2],
    tables: &mut Vec<Huffman>,
) -> Option<()> {
    let mut rest = body;
    while let Some(&tc_th) = rest.first() {
        let (class, id) = (usize::from(tc_th >> 4), usize::from(tc_th & 15));
        let counts: [u8; 16] = rest.get(1..17)?.try_into().ok()?;
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = rest.get(17..17 + n)?;
        tables.push(Huffman::new(&counts, symbols, class == 0)?);
        *current.get_mut(class)?.get_mut(id)? = Some(tables.len() - 1);
        rest = &rest[17 + n..];
    }
    Some(())
}

/// Asks Linux to back a large buffer not yet touched with 2 MiB pages (`MADV_HUGEPAGE`;
/// transparent huge pages are commonly on for `madvise`): a fresh 30 MB store then costs a
/// few dozen page faults instead of thousands, which otherwise added ~20 ms to a 20 MP
/// decode whenever the allocator handed out fresh memory (measured on Kleiber, 57 against
/// 77 ms). Advice only: nothing changes where it is ignored.
pub(super) fn huge_pages<T>(store: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = store.as_mut_ptr() as usize;
        let end = start + store.capacity() * std::mem::size_of::<T>();
        let (from, to) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if to > from {
            // SAFETY: [from, to) lies inside the store's allocation, which lives on; madvise
            // only advises the kernel about it and reads or writes nothing.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = store;
}

/// Removes the zero byte stuffed after each 0xFF; also gives the length of the output for
/// the first `mark` input bytes (`mark` does not split a stuffed pair).
fn unstuff_marking(data: &[u8], mark: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(data.len());
    unstuff_into(&data[..mark], &mut out);
    let at = out.len();
    unstuff_into(&data[mark..], &mut out);
    (out, at)
}

pub(super) fn unstuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    unstuff_into(data, &mut out);
    out
}

/// Appends `data` without the zero byte stuffed after each 0xFF (the data holds no marker:
/// `markers` ended it at the first one).
fn unstuff_into(data: &[u8], out: &mut Vec<u8>) {
    let mut rest = data;
    while let Some(ff) = memchr::memchr(0xFF, rest) {
        out.extend_from_slice(&rest[..=ff]);
        let skip = usize::from(rest.get(ff + 1) == Some(&0));
        rest = &rest[ff + 1 + skip..];
    }
    out.extend_from_slice(rest);
}

/// The bits a Huffman table looks up at once (10 measured faster than 9 and 11 on Kleiber).
pub(super) const LOOKAHEAD: u32 = 10;

/// A Huffman table, decoded libjpeg's way (`jdhuff.c`): a lookahead of `LOOKAHEAD` bits,
/// then the canonical codes' bounds per length.
pub(super) struct Huffman {
    /// By the next `LOOKAHEAD` bits: (code length << 8) | symbol, 0 for a longer code.
    fast: Vec<u16>,
    /// For AC tables, by the next `LOOKAHEAD` bits when a code and its value bits fit in
    /// them: (value << 16) | (run << 8) | bits used; 0 otherwise.
    pub(super) fast_ac: Vec<i32>,
    /// Per length 1–16: the largest code, -1 for none.
    max_code: [i32; 17],
    /// Per length: what to add to a code to get its symbol's index in `values`.
    value_offset: [i32; 17],
    values: [u8; 256],
}

impl Huffman {
    /// From a DHT's counts and symbols; `None` for a table libjpeg refuses.
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8], dc: bool) -> Option<Self> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || symbols.len() < total || (dc && symbols[..total].iter().any(|&s| s > 15))
        {
            return None;
        }
        let mut values = [0u8; 256];
        values[..total].copy_from_slice(&symbols[..total]);
        let mut max_code = [-1i32; 17];
        let mut value_offset = [0i32; 17];
        let mut fast = vec![0u16; 1 << LOOKAHEAD];
        let mut code = 0i32;
        let mut index = 0usize;
        for len in 1..=16u32 {
            let n = usize::from(counts[len as usize - 1]);
            if n > 0 {
                value_offset[len as usize] = index as i32 - code;
                for _ in 0..n {
                    // No code may be all ones, nor longer than its length.
                    if i64::from(code) + 1 >= (1i64 << len) {
                        return None;
                    }
                    if len <= LOOKAHEAD {
                        let shift = LOOKAHEAD - len;
                        let first = (code as usize) << shift;
                        for entry in &mut fast[first..first + (1 << shift)] {
                            *entry = ((len as u16) << 8) | u16::from(values[index]);
                        }
                    }
                    code += 1;
                    index += 1;
                }
                max_code[len as usize] = code - 1;
            }
            if i64::from(code) >= (1i64 << len) {
                return None;
            }
            code <<= 1;
        }
        let mut fast_ac = vec![0i32; 1 << LOOKAHEAD];
        if !dc {
            for (look, entry) in fast_ac.iter_mut().enumerate() {
                let e = fast[look];
                let (len, symbol) = (u32::from(e >> 8), e as u8);
                let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
                if len == 0 || size == 0 || len + size > LOOKAHEAD {
                    continue;
                }
                let bits = ((look as u32) >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
                *entry = (extend(bits, size) << 16) | (run << 8) as i32 | (len + size) as i32;
            }
        }
        Some(Huffman {
            fast,
            fast_ac,
            max_code,
            value_offset,
            values,
        })
    }
}

/// A coefficient's value from its `size` bits (T.81 F.2.2.1, `HUFF_EXTEND`).
#[inline(always)]
pub(super) fn extend(bits: u32, size: u32) -> i32 {
    if bits < (1 << (size - 1)) {
        bits as i32 - (1 << size) + 1
    } else {
        bits as i32
    }
}

/// Bits of unstuffed data, most significant first; zeros past the end.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    /// The next byte to load.
    next: usize,
    /// Valid bits at the top of `acc`.
    pub(super) acc: u64,
    pub(super) n: u32,
}

impl<'a> Reader<'a> {
    pub(super) fn at(buf: &'a [u8], bit: u64) -> Self {
        let mut r = Reader {
            buf,
            next: (bit / 8) as usize,
            acc: 0,
            n: 0,
        };
        r.refill();
        r.skip((bit % 8) as u32);
        r
    }

    /// The position of the next bit.
    #[inline(always)]
    pub(super) fn pos(&self) -> u64 {
        self.next as u64 * 8 - u64::from(self.n)
    }

    /// At least 57 bits valid.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.n > 56 {
            return;
        }
        if let Some(word) = self.buf.get(self.next..self.next + 8) {
            let word = u64::from_be_bytes(word.try_into().expect("8 bytes"));
            // Bits past the bytes taken are the stream's next bits too: a later refill ORs
            // the same values there.
            self.acc |= word >> self.n;
            let take = (64 - self.n) / 8;
            self.next += take as usize;
            self.n += take * 8;
        } else {
            while self.n <= 56 {
                let byte = self.buf.get(self.next).copied().unwrap_or(0);
                self.acc |= u64::from(byte) << (56 - self.n);
                self.next += 1;
                self.n += 8;
            }
        }
    }

    #[inline(always)]
    pub(super) fn skip(&mut self, bits: u32) {
        self.acc <<= bits;
        self.n -= bits;
    }

    /// `bits` (1–16) bits.
    #[inline(always)]
    pub(super) fn take(&mut self, bits: u32) -> u32 {
        let v = (self.acc >> (64 - bits)) as u32;
        self.skip(bits);
        v
    }

    #[inline(always)]
    pub(super) fn symbol(&mut self, t: &Huffman) -> Option<u8> {
        let e = t.fast[(self.acc >> (64 - LOOKAHEAD)) as usize];
        if e != 0 {
            self.skip(u32::from(e >> 8));
            return Some(e as u8);
        }
        let code16 = (self.acc >> 48) as i32;
        for len in LOOKAHEAD + 1..=16 {
            let code = code16 >> (16 - len);
            if code <= t.max_code[len as usize] {
                self.skip(len);
                return t
                    .values
                    .get((code + t.value_offset[len as usize]) as usize)
                    .copied();
            }
        }
        None
    }
}

/// The zigzag order, natural index by coded index, with libjpeg's 16 extra entries that
/// catch a run past the end of the block (they write coefficient 63).
pub(super) const ZIGZAG: [u8; 80] = {
    let order = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];
    let mut out = [63u8; 80];
    let mut i = 0;
    while i < 64 {
        out[i] = order[i];
        i += 1;
    }
    out
};

/// Not kept (`Keep`), before `Keep::new` gives it the block's spare place.
const DROP: u8 = 255;

/// The rows and columns of the 8×8 coefficients each scaled IDCT reads (1×1: DC; 2×2: 0, 1,
/// 3, 5, 7; 4×4: all but 4), and each coded (zigzag) index's place among them. A block
/// takes `len + 1` places: a coefficient not kept is written to the last, which is never
/// read (no branch per coefficient).
pub(super) struct Keep {
    size: usize,
    pub(super) place: [u8; 80],
    pub(super) len: usize,
}

impl Keep {
    const fn new(size: usize) -> Keep {
        let lines: &[usize] = match size {
            1 => &[0],
            2 => &[0, 1, 3, 5, 7],
            4 => &[0, 1, 2, 3, 5, 6, 7],
            _ => &[0, 1, 2, 3, 4, 5, 6, 7],
        };
        let mut natural = [DROP; 64];
        let mut r = 0;
        while r < lines.len() {
            let mut c = 0;
            while c < lines.len() {
                natural[lines[r] * 8 + lines[c]] = (r * lines.len() + c) as u8;
                c += 1;
            }
            r += 1;
        }
        let len = lines.len() * lines.len();
        let mut place = [DROP; 80];
        let mut k = 0;
        while k < 80 {
            place[k] = match natural[ZIGZAG[k] as usize] {
                DROP => len as u8,
                p => p,
            };
            k += 1;
        }
        Keep { size, place, len }
    }
}

static KEEP: [Keep; 4] = [Keep::new(1), Keep::new(2), Keep::new(4), Keep::new(8)];

fn keep_for(size: usize) -> &'static Keep {
    match size {
        1 => &KEEP[0],
        2 => &KEEP[1],
        4 => &KEEP[2],
        _ => &KEEP[3],
    }
}

/// One block of an MCU.
pub(super) struct Block {
    /// The component's index in the frame (0 Y or grey, 1 Cb, 2 Cr).
    pub(super) component: usize,
    dc: usize,
    ac: usize,
    /// Where its coefficients start in the MCU's slot.
    at: usize,
    /// Its place in the MCU, in blocks.
    pub(super) x: usize,
    pub(super) y: usize,
}

pub(super) struct Component {
    pub(super) h: usize,
    pub(super) v: usize,
    pub(super) keep: &'static Keep,
    /// The quantization table in `keep`'s order.
    quant: Vec<i32>,
    /// The same as 16-bit values, padded for 8-lane loads (`simd`).
    quant16: [i16; 72],
    /// Upsampled to twice its width (4:2:2 chroma).
    twice: bool,
    /// Its width in samples at the scale decoded (libjpeg's `downsampled_width`).
    width: usize,
}

/// What the file is, for this decoder.
pub(super) struct Layout {
    data: std::ops::Range<usize>,
    pub(super) components: Vec<Component>,
    blocks: Vec<Block>,
    /// DC tables then AC tables, as the blocks index them.
    tables: Vec<Huffman>,
    /// Coefficients per MCU.
    stride: usize,
    pub(super) mcus_across: usize,
    pub(super) mcus_down: usize,
    /// The scaled output.
    width: usize,
    height: usize,
    /// Output pixels per MCU, across and down.
    mcu_width: usize,
    mcu_height: usize,
}

/// Where the first thread met the second.
struct Met {
    /// The MCU (in image order) at which they met.
    mcu: usize,
    /// The same MCU among the second thread's.
    follower_mcu: usize,
    lead_preds: [i32; 3],
    follower_preds: [i32; 3],
}

/// What the second thread decoded, from its final start.
struct Followed {
    /// For the last `TAIL` MCUs decoded completely, by their count modulo `TAIL`: (count, bits left after).
    /// Short MCUs (all-zero blocks of 1-bit codes) can fit in the padding after the last
    /// one, so the end is checked at the count the first thread gives.
    tail: [(usize, u64); TAIL],
}

const TAIL: usize = 64;

/// Where one of the second thread's MCUs starts, and its DC predictions there.
#[derive(Clone, Copy)]
struct Record {
    pos: u64,
    preds: [i32; 3],
}

impl Layout {
    fn new(b: &[u8], parsed: &Parsed, factor: ScalingFactor) -> Option<Layout> {
        let frame = &parsed.frame;
        if !matches!(frame.marker, 0xC0 | 0xC1) || b.get(frame.at.start + 4) != Some(&8) {
            return None;
        }
        let mut scans = parsed.pieces.iter().filter_map(|p| match p {
            Piece::Scan {
                header,
                data,
                components,
                restarts,
                restart_interval,
                ..
            } => Some((header, data, components, restarts, *restart_interval)),
            Piece::Segment { .. } => None,
        });
        let (header, data, scan_components, restarts, interval) = scans.next()?;
        if scans.next().is_some() || !restarts.is_empty() || interval != 0 {
            return None;
        }
        // Tables defined before the scan.
        let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
        let mut huffman: [[Option<usize>; 4]; 2] = [[None; 4]; 2];
        let mut dht = Vec::new();
        for piece in &parsed.pieces {
            let Piece::Segment { marker, range } = piece else {
                break;
            };
            let body = &b[range.start + 4..range.end];
            match marker {
                0xDB => read_quant(body, &mut quant)?,
                0xC4 => read_huffman(body, &mut huffman, &mut dht)?,
                _ => {}
            }
        }
        // The scan header: components with their tables; spectral selection 0–63, no
        // successive approximation.
        let sos = &b[header.start + 4..header.end];
        let n = usize::from(sos[0]);
        if sos.get(1 + 2 * n..4 + 2 * n)? != [0, 63, 0] {
            return None;
        }
        if n != frame.components.len() {
            return None;
        }
        let mut natural = Vec::new();
        for i in 0..frame.components.len() {
            let id = usize::from(*b.get(frame.at.start + 4 + 6 + 3 * i + 2)?);
            natural.push((*quant.get(id)?)?);
        }
        let mut order = Vec::new();
        for (k, &id) in scan_components.iter().enumerate() {
            let component = frame.components.iter().position(|c| c.id == id)?;
            let tables = sos[2 + 2 * k];
            let dc = (*huffman[0].get(usize::from(tables >> 4))?)?;
            let ac = (*huffman[1].get(usize::from(tables & 15))?)?;
            order.push((component, dc, ac));
        }
        Layout::for_frame(frame, factor, &natural, &order, dht, data.clone())
    }

    /// The layout of `frame` decoded at `factor`: `quant` is each frame component's
    /// quantization table in natural order, `order` the MCU's components in scan order with
    /// their DC and AC tables (indices into `tables`). `None` for a layout not handled.
    pub(super) fn for_frame(
        frame: &super::markers::Frame,
        factor: ScalingFactor,
        quant: &[[u16; 64]],
        order: &[(usize, usize, usize)],
        tables: Vec<Huffman>,
        data: std::ops::Range<usize>,
    ) -> Option<Layout> {
        let (w, h) = (usize::from(frame.width), usize::from(frame.height));
        let scaled = |side: usize, size: usize| (side * size).div_ceil(8);
        let luma_size = match factor {
            f if f == ScalingFactor::ONE => 8,
            f if f == ScalingFactor::ONE_HALF => 4,
            f if f == ScalingFactor::ONE_QUARTER => 2,
            f if f == ScalingFactor::ONE_EIGHTH => 1,
            _ => return None,
        };
        let fc = &frame.components;
        let subsampling: Vec<(u8, u8)> = fc.iter().map(|c| (c.h, c.v)).collect();
        let (sizes, mcus_across, mcus_down) = match subsampling[..] {
            // Grey: one component, not interleaved, one block an MCU whatever its factors.
            [_] => (vec![luma_size], w.div_ceil(8), h.div_ceil(8)),
            [(1, 1), (1, 1), (1, 1)] => (vec![luma_size; 3], w.div_ceil(8), h.div_ceil(8)),
            // 4:2:0 unscaled would need libjpeg's vertical upsampling across MCU rows.
            [(2, 2), (1, 1), (1, 1)] if luma_size < 8 => (
                vec![luma_size, 2 * luma_size, 2 * luma_size],
                w.div_ceil(16),
                h.div_ceil(16),
            ),
            // 4:2:2: the chroma IDCT is not scaled up (it would have to be in one direction
            // only); its rows are upsampled instead.
            [(2, 1), (1, 1), (1, 1)] => (vec![luma_size; 3], w.div_ceil(16), h.div_ceil(8)),
            _ => return None,
        };
        if order.len() != fc.len() {
            return None;
        }
        let grey = fc.len() == 1;
        let mut components = Vec::new();
        for (i, c) in fc.iter().enumerate() {
            let keep = keep_for(sizes[i]);
            let natural = quant.get(i)?;
            let mut q = vec![0i32; keep.len];
            for (k, &place) in keep.place[..64].iter().enumerate() {
                if usize::from(place) < keep.len {
                    q[usize::from(place)] = i32::from(natural[usize::from(ZIGZAG[k])]);
                }
            }
            let (h, v) = if grey {
                (1, 1)
            } else {
                (usize::from(c.h), usize::from(c.v))
            };
            let max_h = usize::from(frame.max_h());
            components.push(Component {
                h,
                v,
                keep,
                quant16: std::array::from_fn(|i| q.get(i).map_or(0, |&v| v as i16)),
                quant: q,
                twice: !grey && h * sizes[i] < max_h * luma_size,
                width: (w * h * sizes[i]).div_ceil(max_h * 8),
            });
        }
        let mut blocks = Vec::new();
        let mut at = 0;
        for &(component, dc, ac) in order {
            let c = components.get(component)?;
            for y in 0..c.v {
                for x in 0..c.h {
                    blocks.push(Block {
                        component,
                        dc,
                        ac,
                        at,
                        x,
                        y,
                    });
                    at += c.keep.len + 1;
                }
            }
        }
        // Each component once in the scan.
        let mut seen = [false; 3];
        for b in &blocks {
            seen[b.component] = true;
        }
        if seen.iter().filter(|&&s| s).count() != fc.len() {
            return None;
        }
        let (mh, mv) = (components[0].h, components[0].v);
        Some(Layout {
            data,
            tables,
            stride: at,
            mcus_across,
            mcus_down,
            width: scaled(w, luma_size),
            height: scaled(h, luma_size),
            mcu_width: mh * luma_size,
            mcu_height: mv * luma_size,
            components,
            blocks,
        })
    }

    fn mcus(&self) -> usize {
        self.mcus_across * self.mcus_down
    }

    /// Decodes one MCU into `slot` (zeroed), the DC predictions carried in `preds`; `None`
    /// for a bad code.
    #[inline(always)]
    fn mcu(&self, r: &mut Reader, preds: &mut [i32; 3], slot: &mut [i16]) -> Option<()> {
        for block in &self.blocks {
            let out = &mut slot[block.at..];
            let place = &self.components[block.component].keep.place;
            let (dc, ac) = (&self.tables[block.dc], &self.tables[block.ac]);
            r.refill();
            let size = u32::from(r.symbol(dc)?);
            // At most 15 (the table was checked), and 57 - 16 bits are left.
            let diff = if size != 0 {
                extend(r.take(size), size)
            } else {
                0
            };
            let pred = &mut preds[block.component];
            *pred = pred.wrapping_add(diff);
            out[0] = *pred as i16;
            let mut k = 1usize;
            while k < 64 {
                if r.n < 32 {
                    r.refill();
                }
                let e = ac.fast_ac[(r.acc >> (64 - LOOKAHEAD)) as usize];
                let (run, value) = if e != 0 {
                    r.skip((e & 255) as u32);
                    (((e >> 8) & 255) as usize, e >> 16)
                } else {
                    let symbol = r.symbol(ac)?;
                    let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
                    if size == 0 {
                        if run != 15 {
                            break;
                        }
                        k += 16;
                        continue;
                    }
                    (run, extend(r.take(size), size))
                };
                k += run;
                out[usize::from(place[k])] = value as i16;
                k += 1;
            }
        }
        Some(())
    }

    /// The first thread: MCUs from the start until one begins where one of the second
    /// thread's does (`origin` is where the second started, in this buffer's bits).
    fn lead(
        &self,
        buf: &[u8],
        origin: u64,
        rx: mpsc::Receiver<Vec<Record>>,
        store: &mut Vec<i16>,
    ) -> Option<Met> {
        let mut r = Reader::at(buf, 0);
        let mut preds = [0i32; 3];
        let mut records: Option<Vec<Record>> = None;
        let mut k = 0;
        let end = 8 * buf.len() as u64;
        for t in 0..self.mcus() {
            let pos = r.pos();
            if pos >= origin {
                let records = records.get_or_insert_with(|| rx.recv().unwrap_or_default());
                let rel = pos - origin;
                while k < records.len() && records[k].pos < rel {
                    k += 1;
                }
                let record = records.get(k)?;
                if record.pos == rel {
                    return Some(Met {
                        mcu: t,
                        follower_mcu: k,
                        lead_preds: preds,
                        follower_preds: record.preds,
                    });
                }
            }
            store.resize((t + 1) * self.stride, 0);
            self.mcu(&mut r, &mut preds, &mut store[t * self.stride..])?;
            if r.pos() > end {
                return None;
            }
        }
        None
    }

    /// The second thread: MCUs from the start of `buf`, recording where the first ones
    /// begin (sent on `tx` once past the window); after a bad code within the window it
    /// starts again one bit further. `None` for a bad code past the window.
    fn follow(
        &self,
        buf: &[u8],
        window: usize,
        tx: mpsc::SyncSender<Vec<Record>>,
        store: &mut Vec<i16>,
    ) -> Option<Followed> {
        let window = 8 * window.min(buf.len()) as u64;
        let end = 8 * buf.len() as u64;
        let mut start = 0u64;
        let mut records = Vec::new();
        'again: loop {
            if start >= window {
                let _ = tx.send(Vec::new());
                return None;
            }
            records.clear();
            let mut r = Reader::at(buf, start);
            let mut preds = [0i32; 3];
            let mut sent = false;
            let mut complete = 0;
            let mut tail = [(usize::MAX, 0); TAIL];
            store.clear();
            for i in 0..self.mcus() {
                store.resize((i + 1) * self.stride, 0);
                let slot = &mut store[i * self.stride..];
                let pos = r.pos();
                if !sent {
                    if pos < window {
                        records.push(Record { pos, preds });
                    } else {
                        let _ = tx.send(std::mem::take(&mut records));
                        sent = true;
                    }
                }
                if self.mcu(&mut r, &mut preds, slot).is_none() {
                    if sent {
                        return None;
                    }
                    // One bit further.
                    start = pos + 1;
                    continue 'again;
                }
                if r.pos() > end {
                    break;
                }
                complete += 1;
                tail[complete % TAIL] = (complete, end - r.pos());
            }
            if !sent {
                let _ = tx.send(std::mem::take(&mut records));
            }
            return Some(Followed { tail });
        }
    }

    /// RGB pixels from the coefficients: `block(t, b)` gives block `b` of MCU `t`, its
    /// coefficients in `Keep` order from the first, and the DC offset to add. Two threads,
    /// each half of the MCU rows (one with `threads` 1).
    pub(super) fn render<'s, F>(&self, block: &F, threads: usize) -> Vec<u8>
    where
        F: Fn(usize, &Block) -> (&'s [i16], i16) + Sync,
    {
        let row_bytes = self.width * 3;
        let mut rgb = vec![0u8; row_bytes * self.height];
        huge_pages(&mut rgb);
        if threads < 2 {
            self.render_rows(0..self.mcus_down, block, &mut rgb);
            return rgb;
        }
        let split_row = self.mcus_down / 2;
        let split = (split_row * self.mcu_height).min(self.height) * row_bytes;
        let (top, bottom) = rgb.split_at_mut(split);
        std::thread::scope(|s| {
            s.spawn(|| self.render_rows(0..split_row, block, top));
            self.render_rows(split_row..self.mcus_down, block, bottom);
        });
        rgb
    }

    fn render_rows<'s, F>(&self, rows: std::ops::Range<usize>, coefficients: &F, out: &mut [u8])
    where
        F: Fn(usize, &Block) -> (&'s [i16], i16) + Sync,
    {
        let plane_width = self.mcus_across * self.mcu_width;
        let mut planes = vec![vec![0u8; plane_width * self.mcu_height]; self.components.len()];
        let mut wide = [vec![0u8; plane_width + 1], vec![0u8; plane_width + 1]];
        // libjpeg-turbo upsamples smoothly ("fancy") unless the scaled blocks are 1×1.
        let fancy = self.mcu_height > 1;
        let first = rows.start;

        for row in rows {
            for mx in 0..self.mcus_across {
                let t = row * self.mcus_across + mx;
                for block in &self.blocks {
                    let c = &self.components[block.component];
                    let size = c.keep.size;
                    let (coefs, offset) = coefficients(t, block);
                    let coef = &coefs[..c.keep.len];
                    let dc = coef[0].wrapping_add(offset);
                    let x = (mx * c.h + block.x) * size;
                    let y = block.y * size;
                    let plane = &mut planes[block.component][y * plane_width + x..];
                    match size {
                        1 => idct_1x1(dc, &c.quant, plane),
                        #[cfg(target_arch = "x86_64")]
                        2 => simd::idct_2x2(coef, dc, &c.quant16, plane, plane_width),
                        #[cfg(target_arch = "x86_64")]
                        4 => simd::idct_4x4(coef, dc, &c.quant16, plane, plane_width),
                        #[cfg(not(target_arch = "x86_64"))]
                        2 => idct_2x2(coef, dc, &c.quant, plane, plane_width),
                        #[cfg(not(target_arch = "x86_64"))]
                        4 => idct_4x4(coef, dc, &c.quant, plane, plane_width),
                        _ => idct_islow(coef, dc, &c.quant, plane, plane_width),
                    }
                }
            }
            let y0 = (row - first) * self.mcu_height;
            let rows_here = self.mcu_height.min(self.height - row * self.mcu_height);
            for dy in 0..rows_here {
                let line = &mut out[(y0 + dy) * self.width * 3..(y0 + dy + 1) * self.width * 3];
                let at = dy * plane_width;
                if planes.len() == 1 {
                    for (px, &g) in line.chunks_exact_mut(3).zip(&planes[0][at..]) {
                        px.copy_from_slice(&[g, g, g]);
                    }
                } else {
                    let [cb, cr] = &mut wide;
                    let chroma = |c: usize, wide: &'_ mut Vec<u8>| -> bool {
                        let comp = &self.components[c];
                        if comp.twice {
                            upsample_twice(&planes[c][at..at + comp.width], wide, fancy);
                        }
                        comp.twice
                    };
                    let (cb_twice, cr_twice) = (chroma(1, cb), chroma(2, cr));
                    let cb = if cb_twice { &cb[..] } else { &planes[1][at..] };
                    let cr = if cr_twice { &cr[..] } else { &planes[2][at..] };
                    ycc_to_rgb(
                        &planes[0][at..at + self.width],
                        &cb[..self.width],
                        &cr[..self.width],
                        line,
                    );
                }
            }
        }
    }
}

// The scaled IDCTs of libjpeg-turbo's `jidctred.c`, 8-bit samples: the same constants,
// passes, shortcuts and rounding, on coefficients in `Keep` order.
const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;
const FIX_0_211164243: i64 = 1730;
const FIX_0_509795579: i64 = 4176;
const FIX_0_601344887: i64 = 4926;
const FIX_0_720959822: i64 = 5906;
const FIX_0_765366865: i64 = 6270;
const FIX_0_850430095: i64 = 6967;
const FIX_0_899976223: i64 = 7373;
const FIX_1_061594337: i64 = 8697;
const FIX_1_272758580: i64 = 10426;
const FIX_1_451774981: i64 = 11893;
const FIX_1_847759065: i64 = 15137;
const FIX_2_172734803: i64 = 17799;
const FIX_2_562915447: i64 = 20995;
const FIX_3_624509785: i64 = 29692;

#[inline(always)]
fn descale(x: i64, n: u32) -> i64 {
    (x + (1 << (n - 1))) >> n
}

/// libjpeg's post-IDCT range limit: the low 10 bits of a value, as a centred sample.
static IDCT_LIMIT: [u8; 1024] = {
    let mut t = [0u8; 1024];
    let mut i = 0;
    while i < 1024 {
        t[i] = if i < 128 {
            (i + 128) as u8
        } else if i < 512 {
            255
        } else if i < 896 {
            0
        } else {
            (i - 896) as u8
        };
        i += 1;
    }
    t
};

#[inline(always)]
fn limit(x: i64) -> u8 {
    IDCT_LIMIT[(x as i32 & 1023) as usize]
}

/// The coefficients dequantized, the DC given apart (with its offset added).
#[inline(always)]
fn dequantized<const N: usize>(coef: &[i16], dc: i16, quant: &[i32]) -> [i64; N] {
    let mut x: [i64; N] = std::array::from_fn(|i| i64::from(i32::from(coef[i]) * quant[i]));
    x[0] = i64::from(i32::from(dc) * quant[0]);
    x
}

// libjpeg-turbo skips the arithmetic for a column or row whose AC terms are zero; the
// full arithmetic gives the same values there (the DC term alone descales exactly), and
// without the branches it is faster here.

fn idct_1x1(dc: i16, quant: &[i32], out: &mut [u8]) {
    out[0] = limit(descale(i64::from(i32::from(dc) * quant[0]), 3));
}

// On x86-64, the reference of `simd`'s (tested against it).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
/// Rows and columns kept: 0, 1, 3, 5, 7 (5 a line).
fn idct_2x2(coef: &[i16], dc: i16, quant: &[i32], out: &mut [u8], stride: usize) {
    let x: [i64; 25] = dequantized(coef, dc, quant);
    let odd = |x1: i64, x3: i64, x5: i64, x7: i64| {
        x7 * -FIX_0_720959822 + x5 * FIX_0_850430095 + x3 * -FIX_1_272758580 + x1 * FIX_3_624509785
    };
    let mut ws = [[0i64; 5]; 2];
    for c in 0..5 {
        let tmp10 = x[c] << (CONST_BITS + 2);
        let tmp0 = odd(x[5 + c], x[10 + c], x[15 + c], x[20 + c]);
        ws[0][c] = i64::from(descale(tmp10 + tmp0, CONST_BITS - PASS1_BITS + 2) as i32);
        ws[1][c] = i64::from(descale(tmp10 - tmp0, CONST_BITS - PASS1_BITS + 2) as i32);
    }
    for (row, w) in ws.iter().enumerate() {
        let tmp10 = w[0] << (CONST_BITS + 2);
        let tmp0 = odd(w[1], w[2], w[3], w[4]);
        let o = &mut out[row * stride..row * stride + 2];
        o[0] = limit(descale(tmp10 + tmp0, CONST_BITS + PASS1_BITS + 3 + 2));
        o[1] = limit(descale(tmp10 - tmp0, CONST_BITS + PASS1_BITS + 3 + 2));
    }
}

/// One 4-point pass of `jidctred.c`'s 4×4 from inputs 0, 1, 2, 3, 5, 6, 7, before
/// descaling: outputs 0, 1, 2, 3.
#[inline(always)]
fn pass_4(x: [i64; 7]) -> [i64; 4] {
    let [x0, x1, x2, x3, x5, x6, x7] = x;
    let tmp0 = x0 << (CONST_BITS + 1);
    let tmp2 = x2 * FIX_1_847759065 + x6 * -FIX_0_765366865;
    let (tmp10, tmp12) = (tmp0 + tmp2, tmp0 - tmp2);
    let (z1, z2, z3, z4) = (x7, x5, x3, x1);
    let tmp0 =
        z1 * -FIX_0_211164243 + z2 * FIX_1_451774981 + z3 * -FIX_2_172734803 + z4 * FIX_1_061594337;
    let tmp2 =
        z1 * -FIX_0_509795579 + z2 * -FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    [tmp10 + tmp2, tmp12 + tmp0, tmp12 - tmp0, tmp10 - tmp2]
}

// On x86-64, the reference of `simd`'s (tested against it).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
/// Rows and columns kept: 0, 1, 2, 3, 5, 6, 7 (7 a line; 5, 6, 7 at places 4, 5, 6).
fn idct_4x4(coef: &[i16], dc: i16, quant: &[i32], out: &mut [u8], stride: usize) {
    let x: [i64; 49] = dequantized(coef, dc, quant);
    let mut ws = [[0i64; 7]; 4];
    for c in 0..7 {
        let v = pass_4(std::array::from_fn(|r| x[r * 7 + c]));
        for (r, v) in v.into_iter().enumerate() {
            ws[r][c] = i64::from(descale(v, CONST_BITS - PASS1_BITS + 1) as i32);
        }
    }
    for (row, w) in ws.iter().enumerate() {
        let o = &mut out[row * stride..row * stride + 4];
        for (px, v) in o.iter_mut().zip(pass_4(*w)) {
            *px = limit(descale(v, CONST_BITS + PASS1_BITS + 3 + 1));
        }
    }
}

/// The 2×2 and 4×4 IDCTs' first pass on SSE2 (every x86-64 has it), one lane a column,
/// as libjpeg-turbo's own SIMD code does it: coefficients dequantized in 16 bits
/// (`pmullw`), products summed in 32 (`pmaddwd`). The second pass is the scalar one. The
/// same values as the scalar functions for every coefficient libjpeg-turbo's SIMD code takes
/// (16-bit dequantized values; tested).
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::*;
    use std::arch::x86_64::*;

    /// Two 16-bit constants for `pmaddwd`: `a` times the first of each pair, `b` the second.
    fn pair(a: i64, b: i64) -> i32 {
        ((b as i32) << 16) | (a as i32 & 0xFFFF)
    }

    /// `n` rows of the compact block dequantized, `width` apart, 8 lanes each (the lanes past
    /// `width` hold the next row's values, never used).
    #[inline(always)]
    fn rows<const N: usize>(
        coef: &[i16],
        dc: i16,
        quant: &[i16; 72],
        width: usize,
    ) -> [__m128i; N] {
        let mut c = [0i16; 72];
        c[..width * width].copy_from_slice(&coef[..width * width]);
        c[0] = dc;
        // SAFETY: SSE2 is in x86-64's baseline; each load reads 8 values from offset
        // r·width ≤ 6·7, inside the 72 of `c` and `quant`.
        std::array::from_fn(|r| unsafe {
            let at = r * width;
            _mm_mullo_epi16(
                _mm_loadu_si128(c.as_ptr().add(at).cast()),
                _mm_loadu_si128(quant.as_ptr().add(at).cast()),
            )
        })
    }

    /// `a·x + b·y` per lane for the pairs (x, y) of the low (`lo`) or high four lanes.
    #[inline(always)]
    fn madd(x: __m128i, y: __m128i, a: i64, b: i64, lo: bool) -> __m128i {
        // SAFETY: SSE2 is in x86-64's baseline.
        unsafe {
            let xy = if lo {
                _mm_unpacklo_epi16(x, y)
            } else {
                _mm_unpackhi_epi16(x, y)
            };
            _mm_madd_epi16(xy, _mm_set1_epi32(pair(a, b)))
        }
    }

    /// `x << shift` as 32-bit lanes, from the low or high four 16-bit lanes.
    #[inline(always)]
    fn widen_shifted(x: __m128i, shift: i32, lo: bool) -> __m128i {
        // SAFETY: SSE2 is in x86-64's baseline. `x` at the top of each 32-bit lane, then
        // shifted down arithmetically: `x << 16 >> (16 - shift)`.
        unsafe {
            let zero = _mm_setzero_si128();
            let high = if lo {
                _mm_unpacklo_epi16(zero, x)
            } else {
                _mm_unpackhi_epi16(zero, x)
            };
            match 16 - shift {
                1 => _mm_srai_epi32(high, 1),
                2 => _mm_srai_epi32(high, 2),
                _ => unreachable!("shifts of 15 and 14 only"),
            }
        }
    }

    /// `(v + 2^(n-1)) >> n` per 32-bit lane, stored.
    #[inline(always)]
    fn descaled(v: __m128i, n: i32, out: &mut [i64]) {
        let mut lanes = [0i32; 4];
        // SAFETY: SSE2 is in x86-64's baseline; `lanes` holds 16 bytes.
        unsafe {
            let v = _mm_add_epi32(v, _mm_set1_epi32(1 << (n - 1)));
            let v = match n {
                13 => _mm_srai_epi32(v, 13),
                12 => _mm_srai_epi32(v, 12),
                _ => unreachable!("descales of 13 and 12 only"),
            };
            _mm_storeu_si128(lanes.as_mut_ptr().cast(), v);
        }
        for (o, l) in out.iter_mut().zip(lanes) {
            *o = i64::from(l);
        }
    }

    /// `jdcolor.c`'s table arithmetic in 16-bit lanes, 8 pixels at a time: with `x` the
    /// chroma less 128, its 16-bit fixed-point factors split so that no constant passes 16
    /// bits (91881 = 65536 + 26345, 116130 = 2·65536 − 14942, −46802 = −65536 + 18734):
    /// R = y + x_r + ((26345·x_r + 2^15) >> 16), B = y + 2·x_b + ((−14942·x_b + 2^15) >> 16),
    /// G = y − x_r + ((−22554·x_b + 18734·x_r + 2^15) >> 16), each the table's value exactly
    /// (tested). The pixels done, a multiple of 8; the caller does the rest.
    pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) -> usize {
        let n = y.len().min(cb.len()).min(cr.len()).min(out.len() / 3) / 8 * 8;
        let mut lanes = [[0u8; 16]; 3];
        for at in (0..n).step_by(8) {
            // SAFETY: SSE2 is in x86-64's baseline; each load reads 8 bytes at `at` <= n - 8
            // of slices at least n long; each store writes 16 bytes into `lanes`.
            unsafe {
                let zero = _mm_setzero_si128();
                let load =
                    |s: &[u8]| _mm_unpacklo_epi8(_mm_loadl_epi64(s.as_ptr().add(at).cast()), zero);
                let c128 = _mm_set1_epi16(128);
                let (luma, xb, xr) = (
                    load(y),
                    _mm_sub_epi16(load(cb), c128),
                    _mm_sub_epi16(load(cr), c128),
                );
                let twos = _mm_set1_epi16(2);
                // (a·x + b·y + add) >> 16 per lane, for the pairs (x, y) of the 8 lanes.
                let term = |x: __m128i, y: __m128i, a: i64, b: i64, add: i32| {
                    let k = _mm_set1_epi32(pair(a, b));
                    let add = _mm_set1_epi32(add);
                    let lo = _mm_madd_epi16(_mm_unpacklo_epi16(x, y), k);
                    let hi = _mm_madd_epi16(_mm_unpackhi_epi16(x, y), k);
                    _mm_packs_epi32(
                        _mm_srai_epi32(_mm_add_epi32(lo, add), 16),
                        _mm_srai_epi32(_mm_add_epi32(hi, add), 16),
                    )
                };
                let r = _mm_add_epi16(_mm_add_epi16(luma, xr), term(xr, twos, 26345, 16384, 0));
                let b = _mm_add_epi16(
                    _mm_add_epi16(luma, _mm_add_epi16(xb, xb)),
                    term(xb, twos, -14942, 16384, 0),
                );
                let g = _mm_add_epi16(
                    _mm_sub_epi16(luma, xr),
                    term(xb, xr, -22554, 18734, 1 << 15),
                );
                for (lane, v) in lanes.iter_mut().zip([r, g, b]) {
                    _mm_storeu_si128(lane.as_mut_ptr().cast(), _mm_packus_epi16(v, v));
                }
            }
            for (i, px) in out[3 * at..3 * at + 24].chunks_exact_mut(3).enumerate() {
                px.copy_from_slice(&[lanes[0][i], lanes[1][i], lanes[2][i]]);
            }
        }
        n
    }

    pub(super) fn idct_2x2(
        coef: &[i16],
        dc: i16,
        quant: &[i16; 72],
        out: &mut [u8],
        stride: usize,
    ) {
        let [x0, x1, x3, x5, x7] = rows::<5>(coef, dc, quant, 5);
        let mut ws = [[0i64; 8]; 2];
        for lo in [true, false] {
            let odd = {
                // SAFETY: SSE2 is in x86-64's baseline.
                unsafe {
                    _mm_add_epi32(
                        madd(x7, x5, -FIX_0_720959822, FIX_0_850430095, lo),
                        madd(x3, x1, -FIX_1_272758580, FIX_3_624509785, lo),
                    )
                }
            };
            let tmp10 = widen_shifted(x0, CONST_BITS as i32 + 2, lo);
            let lanes = if lo { 0..4 } else { 4..8 };
            let n = (CONST_BITS - PASS1_BITS + 2) as i32;
            // SAFETY: SSE2 is in x86-64's baseline.
            unsafe {
                descaled(_mm_add_epi32(tmp10, odd), n, &mut ws[0][lanes.clone()]);
                descaled(_mm_sub_epi32(tmp10, odd), n, &mut ws[1][lanes]);
            }
        }
        for (row, w) in ws.iter().enumerate() {
            let tmp10 = w[0] << (CONST_BITS + 2);
            let tmp0 = w[4] * -FIX_0_720959822
                + w[3] * FIX_0_850430095
                + w[2] * -FIX_1_272758580
                + w[1] * FIX_3_624509785;
            let o = &mut out[row * stride..row * stride + 2];
            o[0] = limit(descale(tmp10 + tmp0, CONST_BITS + PASS1_BITS + 3 + 2));
            o[1] = limit(descale(tmp10 - tmp0, CONST_BITS + PASS1_BITS + 3 + 2));
        }
    }

    pub(super) fn idct_4x4(
        coef: &[i16],
        dc: i16,
        quant: &[i16; 72],
        out: &mut [u8],
        stride: usize,
    ) {
        let [x0, x1, x2, x3, x5, x6, x7] = rows::<7>(coef, dc, quant, 7);
        let mut ws = [[0i64; 8]; 4];
        for lo in [true, false] {
            // SAFETY: SSE2 is in x86-64's baseline.
            unsafe {
                let tmp0 = widen_shifted(x0, CONST_BITS as i32 + 1, lo);
                let tmp2 = madd(x2, x6, FIX_1_847759065, -FIX_0_765366865, lo);
                let (tmp10, tmp12) = (_mm_add_epi32(tmp0, tmp2), _mm_sub_epi32(tmp0, tmp2));
                let t0 = _mm_add_epi32(
                    madd(x7, x5, -FIX_0_211164243, FIX_1_451774981, lo),
                    madd(x3, x1, -FIX_2_172734803, FIX_1_061594337, lo),
                );
                let t2 = _mm_add_epi32(
                    madd(x7, x5, -FIX_0_509795579, -FIX_0_601344887, lo),
                    madd(x3, x1, FIX_0_899976223, FIX_2_562915447, lo),
                );
                let lanes = if lo { 0..4 } else { 4..8 };
                let n = (CONST_BITS - PASS1_BITS + 1) as i32;
                descaled(_mm_add_epi32(tmp10, t2), n, &mut ws[0][lanes.clone()]);
                descaled(_mm_sub_epi32(tmp10, t2), n, &mut ws[3][lanes.clone()]);
                descaled(_mm_add_epi32(tmp12, t0), n, &mut ws[1][lanes.clone()]);
                descaled(_mm_sub_epi32(tmp12, t0), n, &mut ws[2][lanes]);
            }
        }
        for (row, w) in ws.iter().enumerate() {
            let o = &mut out[row * stride..row * stride + 4];
            let v = pass_4([w[0], w[1], w[2], w[3], w[4], w[5], w[6]]);
            for (px, v) in o.iter_mut().zip(v) {
                *px = limit(descale(v, CONST_BITS + PASS1_BITS + 3 + 1));
            }
        }
    }
}

// `jidctint.c`'s 8×8 ("islow"), same conventions.
const FIX_0_298631336: i64 = 2446;
const FIX_0_390180644: i64 = 3196;
const FIX_0_541196100: i64 = 4433;
const FIX_1_175875602: i64 = 9633;
const FIX_1_501321110: i64 = 12299;
const FIX_1_961570560: i64 = 16069;
const FIX_2_053119869: i64 = 16819;
const FIX_3_072711026: i64 = 25172;

/// One 8-point pass of `jidctint.c`: even inputs 0, 2, 4, 6 and odd 1, 3, 5, 7 (already
/// dequantized or from the first pass) to 8 outputs before descaling.
#[inline(always)]
fn islow_pass(x: [i64; 8]) -> [i64; 8] {
    let z1 = (x[2] + x[6]) * FIX_0_541196100;
    let tmp2 = z1 + x[6] * -FIX_1_847759065;
    let tmp3 = z1 + x[2] * FIX_0_765366865;
    let tmp0 = (x[0] + x[4]) << CONST_BITS;
    let tmp1 = (x[0] - x[4]) << CONST_BITS;
    let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
    let (t0, t1, t2, t3) = (x[7], x[5], x[3], x[1]);
    let (z1, z2, z3, z4) = (t0 + t3, t1 + t2, t0 + t2, t1 + t3);
    let z5 = (z3 + z4) * FIX_1_175875602;
    let (t0, t1, t2, t3) = (
        t0 * FIX_0_298631336,
        t1 * FIX_2_053119869,
        t2 * FIX_3_072711026,
        t3 * FIX_1_501321110,
    );
    let (z1, z2) = (z1 * -FIX_0_899976223, z2 * -FIX_2_562915447);
    let z3 = z3 * -FIX_1_961570560 + z5;
    let z4 = z4 * -FIX_0_390180644 + z5;
    let (t0, t1, t2, t3) = (t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4);
    [
        tmp10 + t3,
        tmp11 + t2,
        tmp12 + t1,
        tmp13 + t0,
        tmp13 - t0,
        tmp12 - t1,
        tmp11 - t2,
        tmp10 - t3,
    ]
}

/// All 64 coefficients, in natural order.
fn idct_islow(coef: &[i16], dc: i16, quant: &[i32], out: &mut [u8], stride: usize) {
    let x: [i64; 64] = dequantized(coef, dc, quant);
    let mut ws = [[0i64; 8]; 8];
    for c in 0..8 {
        let v = islow_pass(std::array::from_fn(|r| x[r * 8 + c]));
        for (r, v) in v.into_iter().enumerate() {
            ws[r][c] = i64::from(descale(v, CONST_BITS - PASS1_BITS) as i32);
        }
    }
    for (row, w) in ws.iter().enumerate() {
        let o = &mut out[row * stride..row * stride + 8];
        for (px, v) in o.iter_mut().zip(islow_pass(*w)) {
            *px = limit(descale(v, CONST_BITS + PASS1_BITS + 3));
        }
    }
}

/// A row to twice its width, as `jdsample.c` does: `h2v1_fancy_upsample` (3/4 of the
/// nearer sample and 1/4 of the further, rounding alternately down and up; the end samples
/// kept), or `h2v1_upsample` (each sample twice).
fn upsample_twice(row: &[u8], out: &mut [u8], fancy: bool) {
    let n = row.len();
    if !fancy || n <= 2 {
        for (pair, &v) in out.chunks_exact_mut(2).zip(row) {
            pair.copy_from_slice(&[v, v]);
        }
        return;
    }
    out[0] = row[0];
    out[1] = ((u32::from(row[0]) * 3 + u32::from(row[1]) + 2) >> 2) as u8;
    for i in 1..n - 1 {
        let near = u32::from(row[i]) * 3;
        out[2 * i] = ((near + u32::from(row[i - 1]) + 1) >> 2) as u8;
        out[2 * i + 1] = ((near + u32::from(row[i + 1]) + 2) >> 2) as u8;
    }
    out[2 * n - 2] = ((u32::from(row[n - 1]) * 3 + u32::from(row[n - 2]) + 1) >> 2) as u8;
    out[2 * n - 1] = row[n - 1];
}

/// `jdcolor.c`'s YCbCr→RGB tables (16-bit fixed point).
struct ColourTables {
    cr_r: [i32; 256],
    cb_b: [i32; 256],
    cr_g: [i32; 256],
    cb_g: [i32; 256],
}

static COLOUR: LazyLock<ColourTables> = LazyLock::new(|| {
    let fix = |x: f64| (x * 65536.0 + 0.5) as i64;
    let half = 1i64 << 15;
    let mut t = ColourTables {
        cr_r: [0; 256],
        cb_b: [0; 256],
        cr_g: [0; 256],
        cb_g: [0; 256],
    };
    for i in 0..256 {
        let x = i as i64 - 128;
        t.cr_r[i] = ((fix(1.40200) * x + half) >> 16) as i32;
        t.cb_b[i] = ((fix(1.77200) * x + half) >> 16) as i32;
        t.cr_g[i] = (-fix(0.71414) * x) as i32;
        t.cb_g[i] = (-fix(0.34414) * x + half) as i32;
    }
    t
});

fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    let done = simd::ycc_to_rgb(y, cb, cr, out);
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    ycc_to_rgb_tables(&y[done..], &cb[done..], &cr[done..], &mut out[3 * done..]);
}

fn ycc_to_rgb_tables(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    let t = &*COLOUR;
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    for (((px, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let (y, cb, cr) = (i32::from(y), usize::from(cb), usize::from(cr));
        px[0] = clamp(y + t.cr_r[cr]);
        px[1] = clamp(y + ((t.cb_g[cb] + t.cr_g[cr]) >> 16));
        px[2] = clamp(y + t.cb_b[cb]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::bands::rgb_at;
    use super::super::{fixtures, markers};
    use super::*;
    use turbojpeg::Subsamp;

    use fixtures::jpeg_as as encoded;

    /// Ours with a margin small enough for test-sized files.
    fn ours(file: &[u8], factor: ScalingFactor, margin: usize) -> Option<Vec<u8>> {
        decode_with(file, &markers::parse(file)?, factor, margin)
    }

    fn ordinary(file: &[u8], factor: ScalingFactor) -> Option<Vec<u8>> {
        rgb_at(file, factor, 500).ok().map(|(_, rgb)| rgb)
    }

    use fixtures::FACTORS;

    #[test]
    fn decodes_to_the_ordinary_decodes_pixels() {
        let mut checked = 0;
        for (case, file, subsamp) in fixtures::jpeg_decoder_cases(encoded) {
            let margin = file.len() / 8;
            for factor in FACTORS {
                let got = ours(&file, factor, margin);
                if subsamp == Subsamp::Sub2x2 && factor == ScalingFactor::ONE {
                    assert!(got.is_none(), "4:2:0 unscaled upsamples across MCU rows");
                    continue;
                }
                let label = format!("{case} {factor:?}");
                let got = got.unwrap_or_else(|| panic!("{label}: not decoded"));
                assert!(
                    got == ordinary(&file, factor).unwrap(),
                    "{label}: pixels differ"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 3 * 4 * 3 * 4 - 3 * 3);
    }

    #[test]
    fn the_wallpapers_decode_exactly_at_full_size() {
        let mut found = 0;
        for name in [
            "Kleiber_by_Lukas_Baubkus.jpg",
            "Painting-Colors_by__herobrine7gamer.jpg",
        ] {
            let Ok(file) = std::fs::read(format!("/usr/share/backgrounds/{name}")) else {
                continue;
            };
            found += 1;
            let parsed = markers::parse(&file).unwrap();
            // Painting-Colors has 0.5 MB of data, too little for `decode`'s margin.
            let margin = MARGIN_BYTES.min(file.len() / 8);
            for factor in [ScalingFactor::ONE_QUARTER, ScalingFactor::ONE_EIGHTH] {
                let got = decode_with(&file, &parsed, factor, margin);
                let got = got.unwrap_or_else(|| panic!("{name} {factor:?}: not decoded"));
                assert!(got == ordinary(&file, factor).unwrap(), "{name} {factor:?}");
            }
        }
        eprintln!("{found} wallpapers checked");
    }

    #[test]
    fn a_damaged_file_is_left_to_the_ordinary_decode_or_decodes_the_same() {
        let file = encoded(&fixtures::photo(750, 500), Subsamp::Sub2x2, 85);
        let parsed = markers::parse(&file).unwrap();
        let Some(Piece::Scan { data, .. }) = parsed
            .pieces
            .iter()
            .find(|p| matches!(p, Piece::Scan { .. }))
        else {
            panic!("no scan");
        };
        let margin = file.len() / 16;
        let factor = ScalingFactor::ONE_QUARTER;
        // Data cut short, or followed by more than padding: left to the ordinary decode.
        let mut short = file.clone();
        short.drain(data.end - 300..data.end);
        assert!(ours(&short, factor, margin).is_none(), "data cut short");
        let mut long = file.clone();
        long.splice(data.end..data.end, [0x12, 0x34, 0x56, 0x78, 0x9A]);
        assert!(
            ours(&long, factor, margin).is_none(),
            "bytes after the last MCU"
        );
        // A byte changed anywhere: ours only when the ordinary decode succeeds, and the same.
        let mut decoded = 0;
        for i in 0..200 {
            let mut bad = file.clone();
            let at = data.start + (data.len() - 1) * i / 199;
            bad[at] = if bad[at] == 0x5A { 0xA5 } else { 0x5A };
            if let Some(got) = ours(&bad, factor, margin) {
                let theirs = ordinary(&bad, factor);
                assert!(
                    theirs.is_some(),
                    "byte {at}: ours decoded, the ordinary decode failed"
                );
                assert!(Some(got) == theirs, "byte {at}: pixels differ");
                decoded += 1;
            }
        }
        eprintln!("{decoded} of 200 damaged files decoded");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_simd_idcts_give_the_scalar_values() {
        // Coefficients whose dequantized values fit 16 bits, as libjpeg-turbo's SIMD takes them.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |range: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % (2 * range as u64 + 1)) as i64 - range
        };
        for (size, len) in [(2, 25), (4, 49)] {
            for case in 0..20_000 {
                let q: Vec<i32> = (0..len)
                    .map(|_| 1 + next(40).unsigned_abs() as i32)
                    .collect();
                let sparse = case % 3 == 0;
                let coef: Vec<i16> = (0..len + 1)
                    .map(|i| {
                        let limit = if i == 0 {
                            1023
                        } else {
                            1023 / i64::from(q[i.min(len - 1)])
                        };
                        if sparse && i > 3 {
                            0
                        } else {
                            next(limit.max(1)) as i16
                        }
                    })
                    .collect();
                let dc = coef[0];
                let q16: [i16; 72] = std::array::from_fn(|i| q.get(i).map_or(0, |&v| v as i16));
                let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
                if size == 2 {
                    idct_2x2(&coef, dc, &q, &mut a, 8);
                    simd::idct_2x2(&coef, dc, &q16, &mut b, 8);
                } else {
                    idct_4x4(&coef, dc, &q, &mut a, 8);
                    simd::idct_4x4(&coef, dc, &q16, &mut b, 8);
                }
                assert_eq!(a, b, "{size}×{size}, case {case}");
            }
        }
    }

    #[test]
    fn the_colour_conversion_gives_the_tables_values_for_every_sample() {
        // Every (cb, cr) pair with a spread of y, through the SIMD lanes and the tail.
        let (mut y, mut cb, mut cr) = (Vec::new(), Vec::new(), Vec::new());
        for b in 0..=255u8 {
            for r in 0..=255u8 {
                y.push(b.wrapping_mul(7).wrapping_add(r.wrapping_mul(13)));
                cb.push(b);
                cr.push(r);
            }
        }
        for luma in [0, 255] {
            for (b, r) in [(0, 0), (0, 255), (255, 0), (255, 255)] {
                y.push(luma);
                cb.push(b);
                cr.push(r);
            }
        }
        y.extend([128, 3, 250]);
        cb.extend([128, 0, 255]);
        cr.extend([128, 255, 0]);
        let mut fast = vec![0u8; y.len() * 3];
        let mut tables = vec![0u8; y.len() * 3];
        ycc_to_rgb(&y, &cb, &cr, &mut fast);
        ycc_to_rgb_tables(&y, &cb, &cr, &mut tables);
        assert!(fast == tables);
    }

    #[test]
    fn a_table_libjpeg_refuses_is_refused() {
        // Three codes of length 1 cannot exist; a DC symbol above 15 is refused.
        let mut counts = [0u8; 16];
        counts[0] = 3;
        assert!(Huffman::new(&counts, &[1, 2, 3], false).is_none());
        counts[0] = 1;
        assert!(Huffman::new(&counts, &[16], true).is_none());
        assert!(Huffman::new(&counts, &[16], false).is_some());
        // Two codes of length 1 would use the all-ones code.
        counts[0] = 2;
        assert!(Huffman::new(&counts, &[0, 1], false).is_none());
    }
}
