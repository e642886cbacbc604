//! A progressive JPEG decoded by our own entropy decoder, its scans in a pipeline on two
//! threads.
//!
//! libjpeg-turbo decodes a progressive JPEG's scans one after the other on one thread, and
//! that is nearly all of the work. Splitting the file into its luma and its chroma scans
//! (`progressive`) gives two threads, but the luma's share is most of the bits (Infinite-Sea:
//! 350 of 470 ms) and each half still decodes its scans one by one. Yet a scan (ITU T.81,
//! Annex G) needs from the scans before it only what they left in the same blocks: its own
//! component's coefficients in the bands it refines. So:
//!
//! 1. **Plan.** The scans, their tables and their bands are read from the file, and the
//!    progression is checked the way libjpeg-turbo checks it (`jdphuff.c`); each scan
//!    depends on the earlier scans of a component it codes whose bands overlap its own.
//! 2. **Pipeline.** Two threads each take the next scan not yet taken, in file order, and
//!    decode it one row of blocks at a time into the shared coefficients, after waiting until
//!    every scan it depends on has finished that row. The earliest unfinished scan never
//!    waits, so both always make progress. A refinement scan trails the scan it refines by a
//!    few rows, instead of waiting for its end.
//! 3. **Render.** `baseline`'s render: libjpeg-turbo's integer IDCTs (scaled), upsampling
//!    and colour conversion, on two threads, so the pixels are the ordinary decode's,
//!    exactly (tested).
//!
//! The coefficients are shared as atomics read and written `Relaxed` (plain moves on x86):
//! two threads never write the same coefficient except in the order the dependencies give,
//! and a damaged file, whatever it makes the decoders do, cannot be undefined behaviour.
//!
//! Only a file that libjpeg-turbo decodes without a warning, leaving every coefficient fully
//! known (so it smooths no block), in a layout `baseline` renders, is taken; anything else
//! gives `None`, and the caller decodes it another way. A bad code, data that runs out or
//! bytes left over also give `None`, and the ordinary decode reports them.

use super::baseline::{
    Block, Huffman, LOOKAHEAD, Layout, Reader, extend, huge_pages, read_huffman, read_quant,
};
use super::markers::{Parsed, Piece};
use std::ops::Range;
use std::sync::atomic::{
    AtomicBool, AtomicI16, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst,
};
use std::sync::{Condvar, Mutex};
use turbojpeg::{Colorspace, DecompressHeader, ScalingFactor};

/// Whether [`decode`] may apply: a large progressive Huffman JPEG, grey or YCbCr.
pub(super) fn applies(header: &DecompressHeader) -> bool {
    header.is_progressive
        && !header.is_arithmetic
        && !header.is_lossless
        && matches!(header.colorspace, Colorspace::YCbCr | Colorspace::Gray)
        && (header.width as u64) * (header.height as u64) >= super::TWO_THREADS_FROM_PIXELS
}

/// Decodes `input` to packed RGB at `factor`, on `threads` threads (1 or 2) for the scans;
/// `None` when the file is not one this module takes (see the module docs).
pub(super) fn decode(
    input: &[u8],
    parsed: &Parsed,
    factor: ScalingFactor,
    scan_limit: u32,
    threads: usize,
) -> Option<Vec<u8>> {
    let plan = Plan::new(input, parsed, factor, scan_limit)?;
    let mut stores: Vec<Vec<i16>> = plan
        .components
        .iter()
        .map(|c| {
            let mut store = vec![0i16; c.across * c.down * c.stride];
            huge_pages(&mut store);
            store
        })
        .collect();
    let mut masks: Vec<Vec<u64>> = plan
        .components
        .iter()
        .map(|c| vec![0u64; c.across * c.down])
        .collect();
    {
        let shared: Vec<&[AtomicI16]> = stores.iter_mut().map(|s| atomics(s)).collect();
        let shared_masks: Vec<&[AtomicU64]> = masks.iter_mut().map(|m| atomic_masks(m)).collect();
        let pipeline = Pipeline {
            input,
            plan: &plan,
            stores: &shared,
            masks: &shared_masks,
            next: AtomicUsize::new(0),
            progress: (0..plan.scans.len()).map(|_| AtomicUsize::new(0)).collect(),
            failed: AtomicBool::new(false),
            lock: Mutex::new(()),
            moved: Condvar::new(),
        };
        std::thread::scope(|s| {
            for _ in 1..threads.clamp(1, 2) {
                s.spawn(|| pipeline.work());
            }
            pipeline.work();
        });
        if pipeline.failed.load(SeqCst) {
            return None;
        }
    }
    let layout = &plan.layout;
    let block = |t: usize, b: &Block| -> (&[i16], i16) {
        let c = &plan.components[b.component];
        let (mx, my) = (t % layout.mcus_across, t / layout.mcus_across);
        let at = ((my * c.v + b.y) * c.across + mx * c.h + b.x) * c.stride;
        (&stores[b.component][at..at + c.stride], 0)
    };
    Some(layout.render(&block, threads))
}

/// `store` as atomics, for as long as it is borrowed.
fn atomics(store: &mut [i16]) -> &[AtomicI16] {
    // SAFETY: AtomicI16 has the size and alignment of i16, and the exclusive borrow of
    // `store` for the returned lifetime means every access goes through the atomics.
    unsafe { &*(store as *mut [i16] as *const [AtomicI16]) }
}

/// `masks` as atomics, for as long as they are borrowed.
fn atomic_masks(masks: &mut [u64]) -> &[AtomicU64] {
    // SAFETY: as in `atomics`, AtomicU64 having the size and alignment of u64 here
    // (x86_64 and aarch64; checked below).
    const _: () = assert!(std::mem::align_of::<AtomicU64>() == std::mem::align_of::<u64>());
    unsafe { &*(masks as *mut [u64] as *const [AtomicU64]) }
}

/// One component's coefficients: `across` × `down` blocks (whole MCUs) of `stride`
/// places: the coefficients the scaled IDCT reads, in `Keep` order, and one spare place
/// that every other coefficient is written to and never read (as in `baseline`). Which
/// coefficients of a block are non-zero, all 63 AC ones (a refinement scan's parse
/// depends on it), is kept apart in a mask per block, bit `k` for coded (zigzag) index `k`.
struct Coefficients {
    h: usize,
    v: usize,
    across: usize,
    down: usize,
    /// The blocks a scan of this component alone codes (libjpeg's `width_in_blocks`,
    /// `height_in_blocks`).
    coded_across: usize,
    coded_down: usize,
    /// By coded (zigzag) index, the coefficient's place in its block (`kept` for the spare).
    places: [u8; 64],
    kept: usize,
    stride: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    DcFirst,
    DcRefine,
    AcFirst,
    AcRefine,
}

struct Scan {
    data: Range<usize>,
    /// Per component in the scan: its index in the frame, its DC and AC tables (indices
    /// into `Plan::tables`; unused ones 0).
    components: Vec<(usize, usize, usize)>,
    pass: Pass,
    start: usize,
    end: usize,
    /// The bit position of this scan's successive approximation (Al).
    low: u32,
    /// The earlier scans this one reads what they write, each with a component both code.
    after: Vec<(usize, usize)>,
}

struct Plan {
    layout: Layout,
    components: Vec<Coefficients>,
    scans: Vec<Scan>,
    tables: Vec<Huffman>,
}

impl Plan {
    fn new(b: &[u8], parsed: &Parsed, factor: ScalingFactor, scan_limit: u32) -> Option<Plan> {
        let frame = &parsed.frame;
        if frame.marker != 0xC2 || b.get(frame.at.start + 4) != Some(&8) {
            return None;
        }
        let n = frame.components.len();
        if n != 1 && n != 3 {
            return None;
        }
        let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
        let mut latched: Vec<Option<[u16; 64]>> = vec![None; n];
        let mut current: [[Option<usize>; 4]; 2] = [[None; 4]; 2];
        let mut tables = Vec::new();
        // libjpeg's `coef_bits`: per component and coefficient, the bit position known so
        // far, -1 for none.
        let mut known = vec![[-1i32; 64]; n];
        let mut scans: Vec<Scan> = Vec::new();
        for piece in &parsed.pieces {
            match piece {
                Piece::Segment { marker, range } => {
                    let body = &b[range.start + 4..range.end];
                    match marker {
                        0xDB => read_quant(body, &mut quant)?,
                        0xC4 => read_huffman(body, &mut current, &mut tables)?,
                        _ => {}
                    }
                }
                Piece::Scan {
                    header,
                    data,
                    restarts,
                    restart_interval,
                    ..
                } => {
                    if !restarts.is_empty() || *restart_interval != 0 {
                        return None;
                    }
                    if scans.len() as u64 >= u64::from(scan_limit) {
                        return None;
                    }
                    let sos = &b[header.start + 4..header.end];
                    let count = usize::from(*sos.first()?);
                    let (start, end, approx) = match sos.get(1 + 2 * count..4 + 2 * count)? {
                        &[ss, se, a] => (usize::from(ss), usize::from(se), a),
                        _ => return None,
                    };
                    let (high, low) = (u32::from(approx >> 4), u32::from(approx & 15));
                    // `jdphuff.c`'s start_pass checks.
                    let bad_band = if start == 0 {
                        end != 0
                    } else {
                        end < start || end > 63 || count != 1
                    };
                    if count == 0 || bad_band || (high != 0 && low + 1 != high) || low > 13 {
                        return None;
                    }
                    let pass = match (start == 0, high == 0) {
                        (true, true) => Pass::DcFirst,
                        (true, false) => Pass::DcRefine,
                        (false, true) => Pass::AcFirst,
                        (false, false) => Pass::AcRefine,
                    };
                    let mut components = Vec::new();
                    for k in 0..count {
                        let id = *sos.get(1 + 2 * k)?;
                        let c = frame.components.iter().position(|c| c.id == id)?;
                        if components.iter().any(|&(seen, _, _)| seen == c) {
                            return None;
                        }
                        let ids = sos[2 + 2 * k];
                        let table = |class: usize, id: u8| current[class].get(usize::from(id));
                        let (dc, ac) = match pass {
                            Pass::DcFirst => ((*table(0, ids >> 4)?)?, 0),
                            Pass::DcRefine => (0, 0),
                            Pass::AcFirst | Pass::AcRefine => (0, (*table(1, ids & 15)?)?),
                        };
                        // The quantization table is latched at the component's first scan.
                        if latched[c].is_none() {
                            let tq = usize::from(*b.get(frame.at.start + 4 + 6 + 3 * c + 2)?);
                            latched[c] = Some((*quant.get(tq)?)?);
                        }
                        // The progression must be one libjpeg-turbo takes without a warning.
                        let bits = &mut known[c];
                        if start > 0 && bits[0] < 0 {
                            return None;
                        }
                        for bit in &mut bits[start..=end] {
                            let expected = if high == 0 { -1 } else { high as i32 };
                            if *bit != expected {
                                return None;
                            }
                            *bit = low as i32;
                        }
                        components.push((c, dc, ac));
                    }
                    let mut after = Vec::new();
                    for (i, earlier) in scans.iter().enumerate() {
                        if earlier.start <= end && start <= earlier.end {
                            for &(c, _, _) in &earlier.components {
                                if components.iter().any(|&(d, _, _)| c == d) {
                                    after.push((i, c));
                                }
                            }
                        }
                    }
                    scans.push(Scan {
                        data: data.clone(),
                        components,
                        pass,
                        start,
                        end,
                        low,
                        after,
                    });
                }
            }
        }
        // Every coefficient fully known: libjpeg-turbo then smooths no block.
        if known.iter().any(|bits| bits.iter().any(|&b| b != 0)) {
            return None;
        }
        let quant: Vec<[u16; 64]> = latched.into_iter().collect::<Option<_>>()?;
        let order: Vec<(usize, usize, usize)> = (0..n).map(|c| (c, 0, 0)).collect();
        let layout = Layout::for_frame(frame, factor, &quant, &order, Vec::new(), 0..0)?;
        let (w, h) = (usize::from(frame.width), usize::from(frame.height));
        let (max_h, max_v) = (usize::from(frame.max_h()), usize::from(frame.max_v()));
        let components = layout
            .components
            .iter()
            .zip(&frame.components)
            .map(|(c, f)| {
                let (fh, fv) = if n == 1 {
                    (1, 1)
                } else {
                    (usize::from(f.h), usize::from(f.v))
                };
                let (mh, mv) = if n == 1 { (1, 1) } else { (max_h, max_v) };
                Coefficients {
                    h: c.h,
                    v: c.v,
                    across: layout.mcus_across * c.h,
                    down: layout.mcus_down * c.v,
                    coded_across: (w * fh).div_ceil(mh * 8),
                    coded_down: (h * fv).div_ceil(mv * 8),
                    places: std::array::from_fn(|k| c.keep.place[k]),
                    kept: c.keep.len,
                    stride: c.keep.len + 1,
                }
            })
            .collect();
        Some(Plan {
            layout,
            components,
            scans,
            tables,
        })
    }
}

/// The two threads' shared state.
struct Pipeline<'a> {
    input: &'a [u8],
    plan: &'a Plan,
    stores: &'a [&'a [AtomicI16]],
    /// Per component, per block: its non-zero AC coefficients (see `Coefficients`).
    masks: &'a [&'a [AtomicU64]],
    /// The next scan not yet taken.
    next: AtomicUsize,
    /// Per scan, the rows done (of blocks; of MCUs when interleaved); `usize::MAX` when
    /// finished.
    progress: Vec<AtomicUsize>,
    failed: AtomicBool,
    lock: Mutex<()>,
    moved: Condvar,
}

impl Pipeline<'_> {
    fn work(&self) {
        loop {
            let s = self.next.fetch_add(1, SeqCst);
            if s >= self.plan.scans.len() || self.failed.load(SeqCst) {
                return;
            }
            let done = self.scan(s).is_some();
            if !done {
                self.failed.store(true, SeqCst);
            }
            self.report(s, usize::MAX);
            if !done {
                return;
            }
        }
    }

    fn report(&self, scan: usize, rows: usize) {
        self.progress[scan].store(rows, SeqCst);
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.moved.notify_all();
    }

    /// Waits until every scan `scan` depends on has done `rows` rows of blocks of each
    /// component they share (`rows(c)`); `None` when a scan failed.
    fn wait(&self, scan: usize, rows: impl Fn(usize) -> usize) -> Option<()> {
        let plan = self.plan;
        let ready = || {
            plan.scans[scan].after.iter().all(|&(d, c)| {
                let done = self.progress[d].load(SeqCst);
                // An interleaved scan counts MCU rows: `v` rows of the component's blocks.
                let interleaved = plan.scans[d].components.len() > 1;
                done == usize::MAX
                    || done * if interleaved { plan.components[c].v } else { 1 } >= rows(c)
            })
        };
        if ready() {
            return (!self.failed.load(SeqCst)).then_some(());
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while !ready() && !self.failed.load(SeqCst) {
            guard = self.moved.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        (!self.failed.load(SeqCst)).then_some(())
    }

    /// Decodes scan `s`; `None` for a bad code, data that runs out, or bytes left over.
    fn scan(&self, s: usize) -> Option<()> {
        let plan = self.plan;
        let scan = &plan.scans[s];
        let buf = super::baseline::unstuff(&self.input[scan.data.clone()]);
        let mut r = Reader::at(&buf, 0);
        let end = 8 * buf.len() as u64;
        if scan.components.len() > 1 {
            // Interleaved: DC only, MCU by MCU.
            let mut preds = [0i32; 3];
            let layout = &plan.layout;
            for my in 0..layout.mcus_down {
                self.wait(s, |c| (my + 1) * plan.components[c].v)?;
                for mx in 0..layout.mcus_across {
                    for &(c, dc, _) in &scan.components {
                        let k = &plan.components[c];
                        for y in 0..k.v {
                            for x in 0..k.h {
                                let at = ((my * k.v + y) * k.across + mx * k.h + x) * k.stride;
                                let block = &self.stores[c][at..at + k.stride];
                                match scan.pass {
                                    Pass::DcFirst => dc_first(
                                        &mut r,
                                        &plan.tables[dc],
                                        &mut preds[c],
                                        scan.low,
                                        block,
                                    )?,
                                    _ => dc_refine(&mut r, scan.low, block),
                                }
                            }
                        }
                    }
                }
                if r.pos() > end {
                    return None;
                }
                self.report(s, my + 1);
            }
        } else {
            let (c, dc, ac) = scan.components[0];
            let k = &plan.components[c];
            let store = self.stores[c];
            let masks = self.masks[c];
            let mut pred = 0i32;
            let mut eob_run = 0u32;
            for by in 0..k.coded_down {
                self.wait(s, |_| by + 1)?;
                let row = &store[by * k.across * k.stride..];
                for bx in 0..k.coded_across {
                    let block = &row[bx * k.stride..(bx + 1) * k.stride];
                    let mask = &masks[by * k.across + bx];
                    match scan.pass {
                        Pass::DcFirst => {
                            dc_first(&mut r, &plan.tables[dc], &mut pred, scan.low, block)?
                        }
                        Pass::DcRefine => dc_refine(&mut r, scan.low, block),
                        Pass::AcFirst => ac_first(
                            &mut r,
                            &plan.tables[ac],
                            scan,
                            &k.places,
                            &mut eob_run,
                            (block, mask),
                        )?,
                        Pass::AcRefine => ac_refine(
                            &mut r,
                            &plan.tables[ac],
                            scan,
                            k,
                            &mut eob_run,
                            (block, mask),
                        )?,
                    }
                }
                if r.pos() > end {
                    return None;
                }
                self.report(s, by + 1);
            }
        }
        // Only the padding (under a byte) is left.
        (end - r.pos() < 8).then_some(())
    }
}

/// `jdphuff.c`'s decode_mcu_DC_first, one block.
#[inline(always)]
fn dc_first(
    r: &mut Reader,
    table: &Huffman,
    pred: &mut i32,
    low: u32,
    block: &[AtomicI16],
) -> Option<()> {
    r.refill();
    let size = u32::from(r.symbol(table)?);
    let diff = if size != 0 {
        extend(r.take(size), size)
    } else {
        0
    };
    *pred = pred.checked_add(diff)?;
    block[0].store(((*pred as u32) << low) as i16, Relaxed);
    Some(())
}

/// `jdphuff.c`'s decode_mcu_DC_refine, one block.
#[inline(always)]
fn dc_refine(r: &mut Reader, low: u32, block: &[AtomicI16]) {
    r.refill();
    if r.take(1) != 0 {
        // No other scan writes the DC now (a load and a store, not a locked `or`).
        block[0].store(block[0].load(Relaxed) | (1 << low), Relaxed);
    }
}

/// `jdphuff.c`'s decode_mcu_AC_first, one block.
#[inline(always)]
fn ac_first(
    r: &mut Reader,
    table: &Huffman,
    scan: &Scan,
    places: &[u8; 64],
    eob_run: &mut u32,
    (block, mask): (&[AtomicI16], &AtomicU64),
) -> Option<()> {
    if *eob_run > 0 {
        *eob_run -= 1;
        return Some(());
    }
    let mut non_zero = 0u64;
    let mut k = scan.start;
    while k <= scan.end {
        if r.n < 32 {
            r.refill();
        }
        let e = table.fast_ac[(r.acc >> (64 - LOOKAHEAD)) as usize];
        let (run, value) = if e != 0 {
            r.skip((e & 255) as u32);
            (((e >> 8) & 255) as usize, e >> 16)
        } else {
            let symbol = r.symbol(table)?;
            let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                let mut n = 1u32 << run;
                if run != 0 {
                    n += r.take(run);
                }
                *eob_run = n - 1;
                break;
            }
            (run as usize, extend(r.take(size), size))
        };
        k += run;
        // A run past the band: libjpeg-turbo writes outside it, silently; left to it.
        if k > scan.end {
            return None;
        }
        let value = ((value as u32) << scan.low) as i16;
        block[usize::from(places[k])].store(value, Relaxed);
        non_zero |= u64::from(value != 0) << k;
        k += 1;
    }
    // Another scan of this component (another band) may be setting other bits of it.
    if non_zero != 0 {
        mask.fetch_or(non_zero, Relaxed);
    }
    Some(())
}

/// Bits `from..=to` (`from` ≤ 63).
fn bits(from: usize, to: usize) -> u64 {
    (u64::MAX << from) & (u64::MAX >> (63 - to.min(63)))
}

/// By byte value and `r`, the position of its `r`-th set bit (from 0); 8 for none.
static SELECT_IN_BYTE: [[u8; 8]; 256] = {
    let mut table = [[8u8; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let (mut bit, mut seen) = (0, 0);
        while bit < 8 {
            if byte & (1 << bit) != 0 {
                table[byte][seen] = bit as u8;
                seen += 1;
            }
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// The position of the `r`-th set bit (from 0, `r` < 64) of `x`, 64 when it has fewer:
/// the byte from prefix sums of the bytes' counts, then a table. No loop, no branch on `r`
/// (a loop dropping `r` bits cost a mispredicted exit per code).
#[inline(always)]
fn select(x: u64, r: u32) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let c2 = x - ((x >> 1) & 0x5555_5555_5555_5555);
    let c4 = (c2 & 0x3333_3333_3333_3333) + ((c2 >> 2) & 0x3333_3333_3333_3333);
    let counts = (c4 + (c4 >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // Byte i: the set bits in bytes 0..=i (at most 64, so no carry between bytes).
    let prefix = counts.wrapping_mul(ONES);
    // The high bit of each byte whose prefix is at most `r`: those bytes come before.
    let r8 = u64::from(r) * ONES;
    let before = ((r8 | (ONES << 7)) - prefix) & (ONES << 7);
    let byte = before.count_ones() as usize;
    if byte >= 8 {
        return 64;
    }
    let skipped = if byte == 0 {
        0
    } else {
        (prefix >> (8 * byte - 8)) as u32 & 0xFF
    };
    let within = SELECT_IN_BYTE[((x >> (8 * byte)) & 0xFF) as usize][(r - skipped) as usize];
    8 * byte + usize::from(within)
}

/// Bits `0..to` (`to` ≤ 64).
fn below(to: usize) -> u64 {
    if to >= 64 { u64::MAX } else { (1 << to) - 1 }
}

/// `jdphuff.c`'s decode_mcu_AC_refine, one block: a correction bit for each coefficient
/// already non-zero that it passes, found from the block's mask instead of one by one.
#[inline(always)]
fn ac_refine(
    r: &mut Reader,
    table: &Huffman,
    scan: &Scan,
    coefficients: &Coefficients,
    eob_run: &mut u32,
    (block, mask): (&[AtomicI16], &AtomicU64),
) -> Option<()> {
    let p1 = (1i32 << scan.low) as i16;
    let m1 = ((-1i32 as u32) << scan.low) as i16;
    let (places, kept) = (&coefficients.places, coefficients.kept);
    // The scans this one depends on have finished this block: its bits in the band are
    // final (other bits may be changing).
    let non_zero = mask.load(Relaxed) & bits(scan.start, scan.end);
    // The correction bits of the non-zero coefficients in `set`, in order.
    let correct = |r: &mut Reader, mut set: u64| {
        while set != 0 {
            let k = set.trailing_zeros() as usize;
            set &= set - 1;
            if r.n == 0 {
                r.refill();
            }
            let at = usize::from(places[k]);
            if r.take(1) != 0 && at < kept {
                let coef = block[at].load(Relaxed);
                if coef & p1 == 0 {
                    let step = if coef >= 0 { p1 } else { m1 };
                    block[at].store(coef.wrapping_add(step), Relaxed);
                }
            }
        }
    };
    let mut new = 0u64;
    let mut k = scan.start;
    if *eob_run == 0 {
        while k <= scan.end {
            if r.n < 32 {
                r.refill();
            }
            let symbol = r.symbol(table)?;
            let (run, size) = (symbol >> 4, symbol & 15);
            let mut value = 0i16;
            if size != 0 {
                if size != 1 {
                    return None; // libjpeg-turbo warns
                }
                value = if r.take(1) != 0 { p1 } else { m1 };
            } else if run != 15 {
                let mut n = 1u32 << run;
                if run != 0 {
                    n += r.take(u32::from(run));
                }
                *eob_run = n;
                break;
            }
            // Past `run` zero coefficients to the next zero (correcting the non-zero ones
            // on the way), or to the end of the band.
            let target = match select(!non_zero & bits(k, scan.end), u32::from(run)) {
                64 => scan.end + 1,
                at => at,
            };
            correct(r, non_zero & bits(k, scan.end) & below(target));
            k = target;
            if value != 0 {
                if k > scan.end {
                    return None; // past the band, as in `ac_first`
                }
                block[usize::from(places[k])].store(value, Relaxed);
                new |= 1 << k;
            }
            k += 1;
        }
    }
    if *eob_run > 0 {
        if k <= scan.end {
            correct(r, non_zero & bits(k, scan.end));
        }
        *eob_run -= 1;
    }
    if new != 0 {
        mask.fetch_or(new, Relaxed);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::bands::rgb_at;
    use super::super::{fixtures, markers};
    use super::*;
    use turbojpeg::Subsamp;

    use fixtures::{FACTORS, progressive_jpeg_as as progressive};

    fn ordinary(file: &[u8], factor: ScalingFactor) -> Vec<u8> {
        rgb_at(file, factor, 500).unwrap().1
    }

    #[test]
    fn decodes_to_the_ordinary_decodes_pixels_on_one_and_two_threads() {
        let mut checked = 0;
        for (case, file, subsamp) in fixtures::jpeg_decoder_cases(progressive) {
            let parsed = markers::parse(&file).unwrap();
            for factor in FACTORS {
                let label = format!("{case} {factor:?}");
                let reference = ordinary(&file, factor);
                for threads in [1, 2] {
                    let got = decode(&file, &parsed, factor, 500, threads);
                    if subsamp == Subsamp::Sub2x2 && factor == ScalingFactor::ONE {
                        assert!(got.is_none(), "{label}: 4:2:0 unscaled is not rendered");
                        continue;
                    }
                    let got = got.unwrap_or_else(|| panic!("{label}: not decoded"));
                    assert!(
                        got == reference,
                        "{label}, {threads} threads: pixels differ"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 2 * (3 * 4 * 3 * 4 - 3 * 3));
    }

    #[test]
    fn the_progressive_wallpaper_decodes_exactly_at_every_scale() {
        let Ok(file) = std::fs::read("/usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg") else {
            eprintln!("no Infinite-Sea wallpaper here: skipped");
            return;
        };
        let parsed = markers::parse(&file).unwrap();
        for factor in FACTORS {
            let got = decode(&file, &parsed, factor, 500, 2);
            let got = got.unwrap_or_else(|| panic!("{factor:?}: not decoded"));
            assert!(got == ordinary(&file, factor), "{factor:?}: pixels differ");
        }
    }

    /// The file without its scans from `from` on (a valid JPEG: libjpeg-turbo decodes what
    /// the scans before gave).
    fn first_scans(file: &[u8], from: usize) -> Vec<u8> {
        let parsed = markers::parse(file).unwrap();
        let header = parsed
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Scan { header, .. } => Some(header.start),
                Piece::Segment { .. } => None,
            })
            .nth(from)
            .unwrap();
        let mut out = file[..header].to_vec();
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn a_progression_that_leaves_coefficients_unknown_is_left_to_libjpeg() {
        let file = progressive(&fixtures::photo(750, 500), Subsamp::None, 85);
        let scans = markers::parse(&file)
            .unwrap()
            .pieces
            .iter()
            .filter(|p| matches!(p, Piece::Scan { .. }))
            .count();
        assert!(scans > 4);
        let factor = ScalingFactor::ONE_HALF;
        // Without its last scan (the luma's last bit), libjpeg-turbo smooths blocks.
        for from in [scans - 1, 1] {
            let cut = first_scans(&file, from);
            assert!(
                ordinary(&cut, factor).len() == 375 * 250 * 3,
                "libjpeg decodes it"
            );
            let parsed = markers::parse(&cut).unwrap();
            assert!(
                decode(&cut, &parsed, factor, 500, 2).is_none(),
                "{from} scans"
            );
        }
        // Fewer scans allowed than the file has.
        let parsed = markers::parse(&file).unwrap();
        let limit = u32::try_from(scans - 1).unwrap();
        assert!(decode(&file, &parsed, factor, limit, 2).is_none());
        assert!(decode(&file, &parsed, factor, limit + 1, 2).is_some());
    }

    #[test]
    fn a_damaged_file_is_left_to_the_ordinary_decode_or_decodes_the_same() {
        let file = progressive(&fixtures::photo(750, 500), Subsamp::Sub2x2, 85);
        let parsed = markers::parse(&file).unwrap();
        let scans: Vec<Range<usize>> = parsed
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Scan { data, .. } => Some(data.clone()),
                Piece::Segment { .. } => None,
            })
            .collect();
        let factor = ScalingFactor::ONE_QUARTER;
        let ours = |f: &[u8], threads| decode(f, &markers::parse(f)?, factor, 500, threads);
        // A scan cut short, or followed by more than padding: left to the ordinary decode.
        for data in [&scans[1], &scans[scans.len() - 1]] {
            let mut short = file.clone();
            short.drain(data.end - 100..data.end);
            assert!(ours(&short, 2).is_none(), "data cut short");
            let mut long = file.clone();
            long.splice(data.end..data.end, [0x12, 0x34, 0x56, 0x78, 0x9A]);
            assert!(ours(&long, 2).is_none(), "bytes after the last block");
        }
        // A byte changed anywhere: ours only when the ordinary decode succeeds, and the same
        // on one thread and on two.
        let all: Vec<usize> = scans.iter().flat_map(|d| d.clone()).collect();
        let mut decoded = 0;
        for i in 0..300 {
            let mut bad = file.clone();
            let at = all[(all.len() - 1) * i / 299];
            bad[at] = if bad[at] == 0x5A { 0xA5 } else { 0x5A };
            let two = ours(&bad, 2);
            assert!(two == ours(&bad, 1), "byte {at}: one thread and two differ");
            if let Some(got) = two {
                let theirs = rgb_at(&bad, factor, 500).ok().map(|(_, rgb)| rgb);
                assert!(
                    theirs.is_some(),
                    "byte {at}: ours decoded, the ordinary decode failed"
                );
                assert!(Some(got) == theirs, "byte {at}: pixels differ");
                decoded += 1;
            }
        }
        eprintln!("{decoded} of 300 damaged files decoded");
    }

    #[test]
    fn select_finds_the_rth_set_bit() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Sparse and dense words both.
            let word = if x & 1 == 0 {
                x
            } else {
                x & (x >> 3) & (x >> 7)
            };
            for r in 0..64 {
                let slow = (0..64)
                    .filter(|&b| word & (1 << b) != 0)
                    .nth(r as usize)
                    .unwrap_or(64);
                assert_eq!(select(word, r), slow, "{word:#x} r={r}");
            }
        }
        assert_eq!(select(0, 0), 64);
        assert_eq!(select(u64::MAX, 63), 63);
    }
}
