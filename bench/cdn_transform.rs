//! Times the CDN pipeline on real photos: `cdn-transform <runs> <photo>...`.
//! For each photo and format (JPEG, WebP, AVIF), one untimed warm-up, then `runs` full
//! transforms from the original bytes (nothing reused between runs); prints one line per
//! photo and format: `bucketdesk <file> <format> <median ms> <output bytes> <w>x<h>`, then
//! the median time of each stage of the same runs (`pipeline::profile`):
//! `stages <file> <format> prepare=<ms> decode=<ms> orient=<ms> resize=<ms> encode=<ms>`.
//! With `BENCH_PNG_DIR` set, also writes each photo's 400 px PNG there (`bucketdesk-<file>.png`)
//! for the script's fidelity check. Built with `--release` by `bench/cdn-transform.sh`.

use bucketdesk::cdn::pipeline::{Stage, profile, transform};
use bucketdesk::cdn::transform::{Format, Limits, Transform};
use std::time::Instant;

const STAGES: [(Stage, &str); 5] = [
    (Stage::Prepare, "prepare"),
    (Stage::Decode, "decode"),
    (Stage::Orient, "orient"),
    (Stage::Resize, "resize"),
    (Stage::Encode, "encode"),
];

fn median(times: &mut [f64]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .and_then(|r| r.parse().ok())
        .expect("usage: cdn-transform <runs> <photo>...");
    let limits = Limits::default();
    for path in args {
        let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let name = std::path::Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(path.clone());
        for (label, format) in [
            ("jpeg", Format::Jpeg),
            ("webp", Format::Webp),
            ("avif", Format::Avif),
        ] {
            let t = Transform {
                width: Some(400),
                format: Some(format),
                ..Transform::default()
            };
            let mut out = transform(&input, &t, &limits).expect("the warm-up transform");
            let mut times = Vec::with_capacity(runs);
            let mut stages: Vec<Vec<f64>> = vec![Vec::new(); STAGES.len()];
            for _ in 0..runs {
                let started = Instant::now();
                let (rendered, spent) = profile(&input, &t, &limits).expect("a transform");
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                out = rendered;
                for (stage, took) in spent {
                    let at = STAGES.iter().position(|(s, _)| *s == stage).unwrap();
                    stages[at].push(took.as_secs_f64() * 1000.0);
                }
            }
            println!(
                "bucketdesk {name} {label} {:.1} {} {}x{}",
                median(&mut times),
                out.bytes.len(),
                out.width,
                out.height
            );
            let profile: Vec<String> = STAGES
                .iter()
                .zip(&mut stages)
                .map(|((_, label), took)| format!("{label}={:.1}", median(took)))
                .collect();
            println!("stages {name} {label} {}", profile.join(" "));
        }
        if let Ok(dir) = std::env::var("BENCH_PNG_DIR") {
            let t = Transform {
                width: Some(400),
                format: Some(Format::Png),
                ..Transform::default()
            };
            let png = transform(&input, &t, &limits).expect("a PNG transform");
            std::fs::write(format!("{dir}/bucketdesk-{name}.png"), png.bytes).expect("a PNG file");
        }
    }
}
