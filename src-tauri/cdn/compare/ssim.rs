//! SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) on one channel: an 11×11 Gaussian window of
//! σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, over the windows that lie wholly inside the image
//! ("valid"), averaged. The same definition as scikit-image's `structural_similarity` with
//! `gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255` (the
//! tests hold values computed with it), and as the paper's reference code without its
//! optional downsampling.

/// A one-channel image: `width × height` samples, rows packed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

const RADIUS: usize = 5;
const SIGMA: f64 = 1.5;
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// The normalised 11-tap Gaussian.
fn kernel() -> [f64; 2 * RADIUS + 1] {
    let mut k = [0.0; 2 * RADIUS + 1];
    for (i, w) in k.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *w = (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f64 = k.iter().sum();
    k.iter_mut().for_each(|w| *w /= sum);
    k
}

/// The mean SSIM of `a` against `b` (same size). An image smaller than the window on a side
/// is scored as one window of equal weights over the whole image.
pub fn ssim(a: &Plane, b: &Plane) -> f64 {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "SSIM compares images of one size"
    );
    let n = 2 * RADIUS + 1;
    if a.width < n || a.height < n {
        return whole_image(a, b);
    }
    // Separable valid filtering of x, y, x², y², xy: along each row, then down the columns
    // over a ring of the last 11 filtered rows (memory in the width, not the area).
    let k = kernel();
    let (w, h) = (a.width, a.height);
    let ow = w - 2 * RADIUS;
    let oh = h - 2 * RADIUS;
    let horizontal = |y: usize, out: &mut [[f64; 5]]| {
        let (ra, rb) = (&a.data[y * w..(y + 1) * w], &b.data[y * w..(y + 1) * w]);
        for (x, slot) in out.iter_mut().enumerate() {
            let mut acc = [0.0f64; 5];
            for (i, &kw) in k.iter().enumerate() {
                let (p, q) = (f64::from(ra[x + i]), f64::from(rb[x + i]));
                acc[0] += kw * p;
                acc[1] += kw * q;
                acc[2] += kw * p * p;
                acc[3] += kw * q * q;
                acc[4] += kw * p * q;
            }
            *slot = acc;
        }
    };
    let mut ring = vec![[0.0f64; 5]; n * ow];
    for y in 0..n - 1 {
        horizontal(y, &mut ring[y * ow..(y + 1) * ow]);
    }
    let mut total = 0.0;
    for y in 0..oh {
        let newest = (y + n - 1) % n;
        horizontal(y + n - 1, &mut ring[newest * ow..(newest + 1) * ow]);
        for x in 0..ow {
            let mut m = [0.0f64; 5];
            for (i, &kw) in k.iter().enumerate() {
                let r = &ring[((y + i) % n) * ow + x];
                for (mc, rc) in m.iter_mut().zip(r) {
                    *mc += kw * rc;
                }
            }
            total += index(m);
        }
    }
    total / (ow * oh) as f64
}

/// SSIM of one window from its weighted moments `[μx, μy, E x², E y², E xy]`.
fn index([mx, my, xx, yy, xy]: [f64; 5]) -> f64 {
    let (vx, vy, cov) = (xx - mx * mx, yy - my * my, xy - mx * my);
    ((2.0 * mx * my + C1) * (2.0 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
}

fn whole_image(a: &Plane, b: &Plane) -> f64 {
    let n = a.data.len().max(1) as f64;
    let mut m = [0.0f64; 5];
    for (&p, &q) in a.data.iter().zip(&b.data) {
        let (p, q) = (f64::from(p), f64::from(q));
        m[0] += p;
        m[1] += q;
        m[2] += p * p;
        m[3] += q * q;
        m[4] += p * q;
    }
    index(m.map(|v| v / n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test images, made the same way in the Python that computed the expected values
    /// (scikit-image 0.26, `structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=255)`):
    /// `a[y][x] = (x·7 + y·13 + (x·y) mod 11) mod 256`,
    /// `b = clip(a + ((x² + 3y) mod 17) − 8, 0, 255)`, and `c = 255 − a`.
    fn images(w: usize, h: usize) -> (Plane, Plane, Plane) {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let v = ((x * 7 + y * 13 + (x * y) % 11) % 256) as f32;
                a.push(v);
                let noise = ((x * x + 3 * y) % 17) as f32 - 8.0;
                b.push((v + noise).clamp(0.0, 255.0));
            }
        }
        let c = a.iter().map(|v| 255.0 - v).collect();
        let plane = |data| Plane {
            width: w,
            height: h,
            data,
        };
        (plane(a), plane(b), plane(c))
    }

    #[test]
    fn an_image_against_itself_scores_one() {
        let (a, _, _) = images(40, 30);
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-12);
        let (small, _, _) = images(6, 4);
        assert!((ssim(&small, &small) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn matches_scikit_image() {
        for (w, h, expected_noisy, expected_inverted) in [
            (40, 30, EXPECTED[0].0, EXPECTED[0].1),
            (64, 17, EXPECTED[1].0, EXPECTED[1].1),
            (11, 11, EXPECTED[2].0, EXPECTED[2].1),
        ] {
            let (a, b, c) = images(w, h);
            let noisy = ssim(&a, &b);
            let inverted = ssim(&a, &c);
            assert!(
                (noisy - expected_noisy).abs() < 1e-9,
                "{w}×{h} noisy: {noisy} vs scikit-image {expected_noisy}"
            );
            assert!(
                (inverted - expected_inverted).abs() < 1e-9,
                "{w}×{h} inverted: {inverted} vs scikit-image {expected_inverted}"
            );
        }
    }

    /// (noisy, inverted) for 40×30, 64×17 and 11×11.
    const EXPECTED: [(f64, f64); 3] = [
        (0.985_704_398_075_547_4, -0.675_766_057_244_525),
        (0.985_795_013_657_072_2, -0.666_773_445_819_671_9),
        (0.977_427_283_390_784_8, -0.838_137_832_671_026),
    ];

    #[test]
    fn more_noise_scores_lower() {
        let (a, b, _) = images(48, 48);
        let worse = Plane {
            data: a
                .data
                .iter()
                .zip(&b.data)
                .map(|(p, q)| (p + 3.0 * (q - p)).clamp(0.0, 255.0))
                .collect(),
            ..a.clone()
        };
        assert!(ssim(&a, &worse) < ssim(&a, &b));
    }
}
