//! End-to-end tests of [`transform`](super::transform): every input kind to every output
//! format, orientation, alpha, placement, limits, and the hostile corpus.

use super::fixtures::{self, photo, quadrant};
use super::*;
use crate::cdn::transform::{Fit, Position};
use std::time::{Duration, Instant};

const OUTPUTS: [Format; 6] = [
    Format::Jpeg,
    Format::Png,
    Format::Webp,
    Format::Avif,
    Format::Gif,
    Format::Tiff,
];

fn sized(width: Option<u32>, height: Option<u32>, format: Option<Format>) -> Transform {
    Transform {
        width,
        height,
        format,
        ..Transform::default()
    }
}

fn has_magic(format: Format, b: &[u8]) -> bool {
    match format {
        Format::Jpeg => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        Format::Png => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        Format::Webp => b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
        Format::Avif => b.len() > 12 && &b[4..12] == b"ftypavif",
        Format::Gif => b.starts_with(b"GIF8"),
        Format::Tiff => b.starts_with(b"II*\0") || b.starts_with(b"MM\0*"),
    }
}

/// Decodes an output with the `image` crate (AVIF excepted: not a readable format here).
fn read(r: &Rendered) -> image::RgbaImage {
    image::load_from_memory(&r.bytes)
        .unwrap_or_else(|e| panic!("{:?} output does not decode: {e}", r.format))
        .into_rgba8()
}

fn near(a: [u8; 4], b: [u8; 4], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

#[test]
fn every_input_kind_goes_to_every_output_format() {
    let landscape = photo(240, 160);
    let portrait = photo(160, 240);
    let inputs: Vec<(&str, Vec<u8>, (u32, u32))> = vec![
        (
            "baseline jpeg",
            fixtures::jpeg(&landscape, false),
            (240, 160),
        ),
        (
            "progressive jpeg",
            fixtures::jpeg(&portrait, true),
            (160, 240),
        ),
        (
            "exif-rotated jpeg",
            fixtures::jpeg_with_orientation(&landscape, 6),
            (160, 240),
        ),
        ("cmyk jpeg", fixtures::cmyk_jpeg(&landscape), (240, 160)),
        (
            "png with alpha",
            fixtures::png_with_alpha(&landscape),
            (240, 160),
        ),
        ("16-bit png", fixtures::png16(&portrait), (160, 240)),
        ("gif", fixtures::gif(&landscape), (240, 160)),
        ("webp", fixtures::webp(&portrait), (160, 240)),
        (
            "webp with alpha",
            fixtures::webp_with_alpha(&landscape),
            (240, 160),
        ),
        ("tiff", fixtures::tiff(&landscape), (240, 160)),
    ];
    for (name, bytes, (w, h)) in &inputs {
        // Width 60: the height follows the upright aspect ratio.
        let expected = (60, (f64::from(*h) * 60.0 / f64::from(*w)).round() as u32);
        for format in OUTPUTS {
            let r = transform(
                bytes,
                &sized(Some(60), None, Some(format)),
                &Limits::default(),
            )
            .unwrap_or_else(|e| panic!("{name} → {format:?}: {e}"));
            assert_eq!((r.width, r.height), expected, "{name} → {format:?}");
            assert_eq!(r.format, format);
            assert!(
                has_magic(format, &r.bytes),
                "{name} → {format:?}: wrong magic bytes"
            );
            if format != Format::Avif {
                let img = read(&r);
                assert_eq!(img.dimensions(), expected, "{name} → {format:?} as decoded");
            }
        }
        // No format asked: the original's.
        let r = transform(bytes, &sized(Some(60), None, None), &Limits::default()).unwrap();
        assert_eq!(
            Some(r.format),
            probe(bytes).ok().map(|p| p.format),
            "{name}"
        );
    }
}

#[test]
fn exif_rotated_jpeg_comes_out_upright() {
    // Stored 120×80 with red top-left; orientation 6 means "turn 90° clockwise to view",
    // so the upright image is 80×120 with red top-right.
    let bytes = fixtures::jpeg_with_orientation(&quadrant(120, 80), 6);
    assert_eq!(probe(&bytes).unwrap().orientation, 6);
    let r = transform(
        &bytes,
        &sized(None, None, Some(Format::Png)),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((r.width, r.height), (80, 120));
    let img = read(&r);
    assert!(
        near(img.get_pixel(70, 10).0, [255, 0, 0, 255], 40),
        "red at the top right"
    );
    assert!(
        near(img.get_pixel(10, 10).0, [0, 0, 255, 255], 40),
        "blue at the top left"
    );
    // And through the scaled decode path (4000×… would shrink-on-load; here 1/2 at least).
    let big = fixtures::jpeg_with_orientation(&quadrant(1200, 800), 6);
    let r = transform(
        &big,
        &sized(Some(80), None, Some(Format::Png)),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((r.width, r.height), (80, 120));
    assert!(near(read(&r).get_pixel(70, 10).0, [255, 0, 0, 255], 40));
}

#[test]
fn cmyk_jpeg_keeps_its_colours() {
    let bytes = fixtures::cmyk_jpeg(&quadrant(64, 64));
    let r = transform(
        &bytes,
        &sized(None, None, Some(Format::Png)),
        &Limits::default(),
    )
    .unwrap();
    let img = read(&r);
    assert!(
        near(img.get_pixel(8, 8).0, [255, 0, 0, 255], 40),
        "{:?}",
        img.get_pixel(8, 8)
    );
    assert!(
        near(img.get_pixel(56, 56).0, [0, 0, 255, 255], 40),
        "{:?}",
        img.get_pixel(56, 56)
    );
}

#[test]
fn alpha_survives_png_and_webp_and_jpeg_flattens_onto_black() {
    let bytes = fixtures::png_with_alpha(&photo(120, 80));
    for format in [Format::Png, Format::Webp, Format::Tiff] {
        let r = transform(
            &bytes,
            &sized(Some(60), None, Some(format)),
            &Limits::default(),
        )
        .unwrap();
        let img = read(&r);
        assert_eq!(img.get_pixel(5, 20).0[3], 0, "{format:?}: transparent left");
        assert_eq!(img.get_pixel(55, 20).0[3], 255, "{format:?}: opaque right");
    }
    let r = transform(
        &bytes,
        &sized(Some(60), None, Some(Format::Jpeg)),
        &Limits::default(),
    )
    .unwrap();
    assert!(
        near(read(&r).get_pixel(5, 20).0, [0, 0, 0, 255], 8),
        "flattened onto black"
    );
}

#[test]
fn cover_and_contain_place_the_picture_by_position() {
    // 200×100, red top-left quadrant: cover 50×50 at `left` keeps the left half (red on top),
    // at `right` only blue.
    let bytes = fixtures::jpeg(&quadrant(200, 100), false);
    let cover = |position| Transform {
        width: Some(50),
        height: Some(50),
        position: Some(position),
        format: Some(Format::Png),
        ..Transform::default()
    };
    let left = read(&transform(&bytes, &cover(Position::Left), &Limits::default()).unwrap());
    assert_eq!(left.dimensions(), (50, 50));
    assert!(near(left.get_pixel(10, 10).0, [255, 0, 0, 255], 40));
    let right = read(&transform(&bytes, &cover(Position::Right), &Limits::default()).unwrap());
    assert!(near(right.get_pixel(10, 10).0, [0, 0, 255, 255], 40));

    // contain 100×100 at `bottom`: a 100×50 picture under a 50 px black bar.
    let contain = Transform {
        width: Some(100),
        height: Some(100),
        fit: Some(Fit::Contain),
        position: Some(Position::Bottom),
        format: Some(Format::Png),
        ..Transform::default()
    };
    let img = read(&transform(&bytes, &contain, &Limits::default()).unwrap());
    assert_eq!(img.dimensions(), (100, 100));
    assert_eq!(img.get_pixel(50, 20).0, [0, 0, 0, 255], "black bar on top");
    assert!(
        near(img.get_pixel(10, 60).0, [255, 0, 0, 255], 40),
        "red picture below"
    );
}

#[test]
fn rotate_turns_clockwise_and_free_angles_grow_the_canvas() {
    let bytes = fixtures::png_with_alpha(&quadrant(120, 80));
    let turn = |rotate, format| Transform {
        rotate,
        format: Some(format),
        ..Transform::default()
    };
    for degrees in [90, -270] {
        let r = transform(&bytes, &turn(degrees, Format::Png), &Limits::default()).unwrap();
        assert_eq!((r.width, r.height), (80, 120));
    }
    let r = transform(&bytes, &turn(180, Format::Png), &Limits::default()).unwrap();
    assert_eq!((r.width, r.height), (120, 80));
    let r = transform(&bytes, &turn(45, Format::Png), &Limits::default()).unwrap();
    assert_eq!((r.width, r.height), (142, 142)); // (120 + 80) × sin 45° = 141.4
    assert_eq!(
        read(&r).get_pixel(0, 0).0[3],
        0,
        "transparent corner in PNG"
    );
    let r = transform(&bytes, &turn(45, Format::Jpeg), &Limits::default()).unwrap();
    assert!(
        near(read(&r).get_pixel(0, 0).0, [0, 0, 0, 255], 8),
        "black corner in JPEG"
    );
}

#[test]
fn limits_are_checked_before_decoding_and_name_the_option() {
    let bytes = fixtures::jpeg(&photo(240, 160), false);
    let limits = Limits::default();
    let err = transform(&bytes, &sized(Some(9000), None, None), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::OutputTooLarge {
                option: "width",
                ..
            }
        ),
        "{err}"
    );
    let err = transform(&bytes, &sized(None, Some(8193), None), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::OutputTooLarge {
                option: "height",
                ..
            }
        ),
        "{err}"
    );
    // Height 8000 alone asks for a 12000 px wide output.
    let err = transform(&bytes, &sized(None, Some(8000), None), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::OutputTooLarge {
                option: "width",
                ..
            }
        ),
        "{err}"
    );
    let small = Limits {
        max_input_bytes: 100,
        ..limits
    };
    assert!(matches!(
        transform(&bytes, &Transform::default(), &small),
        Err(PipelineError::TooLarge { .. })
    ));
    let tight = Limits {
        max_input_pixels: 240 * 160 - 1,
        ..limits
    };
    assert!(matches!(
        transform(&bytes, &Transform::default(), &tight),
        Err(PipelineError::TooManyPixels {
            width: 240,
            height: 160,
            ..
        })
    ));
}

#[test]
fn the_hostile_corpus_is_refused_quickly_without_panics() {
    let corpus = corpus::hostile_corpus();
    assert!(corpus.len() >= 30, "{} items", corpus.len());
    let transform_of = |bytes: Vec<u8>| {
        std::panic::catch_unwind(move || {
            transform(&bytes, &sized(Some(100), None, None), &Limits::default())
        })
    };
    // Every item on its own thread with a watchdog: a hang fails the test, not CI.
    let handles: Vec<_> = corpus
        .into_iter()
        .map(|(name, bytes)| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let started = Instant::now();
                let _ = tx.send((transform_of(bytes), started.elapsed()));
            });
            (name, rx)
        })
        .collect();
    for (name, rx) in handles {
        let (outcome, took) = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{name}: no answer within 20 s"));
        let result = outcome.unwrap_or_else(|_| panic!("{name}: panicked"));
        match result {
            Err(
                PipelineError::Unsupported(_)
                | PipelineError::Corrupt(_)
                | PipelineError::TooManyPixels { .. }
                | PipelineError::TooLarge { .. },
            ) => {}
            other => panic!("{name}: expected a refusal of the input, got {other:?}"),
        }
        assert!(took < Duration::from_secs(5), "{name}: took {took:?}");
    }
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    let bytes = fixtures::animated_gif(40, 30);
    let r = transform(&bytes, &sized(Some(20), None, None), &Limits::default()).unwrap();
    assert_eq!((r.format, r.width, r.height), (Format::Gif, 20, 15));
    assert!(
        near(read(&r).get_pixel(10, 7).0, [255, 0, 0, 255], 16),
        "the red first frame"
    );
}

#[test]
fn probe_reads_the_size_of_every_container_without_decoding() {
    let p = photo(90, 70);
    let lossless_webp = {
        let mut out = std::io::Cursor::new(Vec::new());
        p.clone()
            .into_dynamic()
            .write_to(&mut out, image::ImageFormat::WebP)
            .unwrap();
        out.into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, Format)> = vec![
        ("jpeg", fixtures::jpeg(&p, false), Format::Jpeg),
        ("progressive jpeg", fixtures::jpeg(&p, true), Format::Jpeg),
        ("cmyk jpeg", fixtures::cmyk_jpeg(&p), Format::Jpeg),
        ("png", fixtures::png_with_alpha(&p), Format::Png),
        ("16-bit png", fixtures::png16(&p), Format::Png),
        ("gif", fixtures::gif(&p), Format::Gif),
        ("lossy webp (VP8)", fixtures::webp(&p), Format::Webp),
        (
            "webp with alpha (VP8X)",
            fixtures::webp_with_alpha(&p),
            Format::Webp,
        ),
        ("lossless webp (VP8L)", lossless_webp, Format::Webp),
        ("tiff", fixtures::tiff(&p), Format::Tiff),
    ];
    for (name, bytes, format) in cases {
        let probed = probe(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (probed.format, probed.width, probed.height),
            (format, 90, 70),
            "{name}"
        );
    }
}

#[test]
fn an_animated_webp_gives_its_first_frame() {
    let bytes = fixtures::animated_webp(40, 30);
    let t = sized(Some(20), None, Some(Format::Png));
    let r = transform(&bytes, &t, &Limits::default()).unwrap();
    assert_eq!((r.width, r.height), (20, 15));
    let first = read(&r).get_pixel(10, 7).0;
    assert!(
        near(first, [255, 0, 0, 255], 16),
        "the red first frame, got {first:?}"
    );
}

/// The render table of issue #12: every fit × position on large landscape, portrait and
/// square JPEGs, the sizes that used to fail ("Size of the crop box is out of the image
/// boundaries"), extreme aspect changes, and sizes whose exact value ends in .5.
#[test]
fn every_fit_position_and_size_renders_on_large_photos() {
    let landscape = fixtures::jpeg(&fixtures::gradient(5120, 2880), false);
    let portrait = fixtures::jpeg(&fixtures::gradient(2560, 3837), false);
    let square = fixtures::jpeg(&fixtures::gradient(3000, 3000), true);
    let fits = [
        Fit::Cover,
        Fit::Contain,
        Fit::Fill,
        Fit::Inside,
        Fit::Outside,
    ];
    let positions = [
        Position::Centre,
        Position::Top,
        Position::Bottom,
        Position::Left,
        Position::Right,
    ];
    let render = |bytes: &[u8], t: &Transform| {
        let r = transform(bytes, t, &Limits::default()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        let written = probe(&r.bytes).unwrap_or_else(|e| panic!("{t:?}: output: {e}"));
        assert_eq!(
            (written.width, written.height),
            (r.width, r.height),
            "{t:?}"
        );
        (r.width, r.height)
    };
    // The reported cases, by their expected sizes.
    let webp_300 = Transform {
        width: Some(300),
        format: Some(Format::Webp),
        ..Transform::default()
    };
    assert_eq!(
        render(&landscape, &webp_300),
        (300, 169),
        "w=300&f=webp on 5120×2880"
    );
    let fill = Transform {
        width: Some(500),
        height: Some(200),
        fit: Some(Fit::Fill),
        ..Transform::default()
    };
    assert_eq!(
        render(&portrait, &fill),
        (500, 200),
        "fill 500×200 of a portrait"
    );
    // Every fit × position × size on the three shapes lands where the plan says.
    let sizes = [
        (Some(500), Some(200)),
        (Some(1), Some(4000)),
        (Some(4000), Some(1)),
        (Some(300), Some(300)),
        (Some(301), Some(157)),
        (Some(300), None),
        (None, Some(1)),
    ];
    for (name, bytes, size) in [
        ("landscape", &landscape, (5120, 2880)),
        ("portrait", &portrait, (2560, 3837)),
        ("square", &square, (3000, 3000)),
    ] {
        for (w, h) in sizes {
            for fit in fits {
                // The position only moves the picture for cover and contain.
                let anchors: &[Position] = if matches!(fit, Fit::Cover | Fit::Contain) {
                    &positions
                } else {
                    &positions[..1]
                };
                for &position in anchors {
                    let t = Transform {
                        width: w,
                        height: h,
                        fit: Some(fit),
                        position: Some(position),
                        ..Transform::default()
                    };
                    let expected = geometry::plan(size, w, h, Some(fit), Some(position)).canvas;
                    assert_eq!(render(bytes, &t), expected, "{name} {t:?}");
                    if let (Some(w), Some(h), Fit::Cover | Fit::Contain | Fit::Fill) = (w, h, fit) {
                        assert_eq!(expected, (w, h), "{name} {t:?}: exactly the box");
                    }
                }
            }
        }
    }
    // Exact values ending in .5 round half up (libvips): 501/2 = 250.5 → 251. sharp's
    // shrink-on-load can land one pixel lower there (250); see doc/CDN.md.
    let half_landscape = fixtures::jpeg(&fixtures::gradient(1000, 501), false);
    let half_portrait = fixtures::jpeg(&fixtures::gradient(501, 1000), false);
    let by_width = Transform {
        width: Some(500),
        ..Transform::default()
    };
    let by_height = Transform {
        height: Some(500),
        ..Transform::default()
    };
    assert_eq!(render(&half_landscape, &by_width), (500, 251));
    assert_eq!(render(&half_portrait, &by_height), (251, 500));
    let inside = Transform {
        width: Some(500),
        height: Some(500),
        fit: Some(Fit::Inside),
        ..Transform::default()
    };
    assert_eq!(render(&half_landscape, &inside), (500, 251));
    // 2560×3837 at w=300: 3837 / 8.5333… = 449.65 → 450.
    assert_eq!(render(&portrait, &by_width_of(300)), (300, 450));
}

fn by_width_of(width: u32) -> Transform {
    Transform {
        width: Some(width),
        ..Transform::default()
    }
}

#[test]
fn the_output_area_is_capped_lower_for_avif_and_gif() {
    let bytes = fixtures::jpeg(&photo(240, 160), false);
    let limits = Limits {
        max_output_pixels: 100 * 100,
        max_slow_output_pixels: 50 * 50,
        ..Limits::default()
    };
    let at = |w: u32, h: u32, format: Format| Transform {
        width: Some(w),
        height: Some(h),
        format: Some(format),
        ..Transform::default()
    };
    assert!(transform(&bytes, &at(100, 100, Format::Jpeg), &limits).is_ok());
    assert!(transform(&bytes, &at(50, 50, Format::Avif), &limits).is_ok());
    for (t, limit) in [
        (at(101, 100, Format::Jpeg), 10_000),
        (at(100, 101, Format::Webp), 10_000),
        (at(51, 50, Format::Avif), 2_500),
        (at(60, 60, Format::Gif), 2_500),
    ] {
        match transform(&bytes, &t, &limits) {
            Err(PipelineError::OutputAreaTooLarge { limit: l, .. }) if l == limit => {}
            other => panic!("{t:?}: expected the area cap {limit}, got {other:?}"),
        }
    }
    // Outgrowing the box (`outside`) is checked on the real output, not on the request.
    let outside = Transform {
        fit: Some(Fit::Outside),
        ..at(150, 10, Format::Jpeg)
    };
    assert!(matches!(
        transform(&bytes, &outside, &limits),
        Err(PipelineError::OutputAreaTooLarge {
            width: 150,
            height: 100,
            ..
        })
    ));
}

#[test]
fn the_memory_estimate_bounds_the_work_and_follows_the_shrink_on_load() {
    let big = fixtures::jpeg(&fixtures::gradient(4000, 3000), false);
    let limits = Limits::default();
    let thumb = pipeline_estimate(&big, &by_width_of(200), &limits);
    let large = pipeline_estimate(&big, &by_width_of(1800), &limits);
    // 1/8 decode: 500×375 px, and the DC coefficients a two-thread baseline decode keeps
    // (2.25 MB at 4:4:4); full decode: 12 MP at 7 bytes a pixel.
    assert!(thumb < 5_000_000 + big.len() as u64, "{thumb}");
    assert!(large >= 12_000_000 * 7, "{large}");
    assert!(large > 10 * thumb);
    // A refused request costs its input only.
    assert_eq!(
        pipeline_estimate(b"not an image", &by_width_of(10), &limits),
        12
    );
}

fn pipeline_estimate(input: &[u8], t: &Transform, limits: &Limits) -> u64 {
    super::memory_estimate(input, t, limits)
}

#[test]
fn the_profile_times_every_stage_in_order_and_renders_what_transform_renders() {
    let input = fixtures::jpeg(&photo(1600, 1200), true);
    let t = sized(Some(300), None, Some(Format::Jpeg));
    let (rendered, stages) = profile(&input, &t, &Limits::default()).unwrap();
    let order: Vec<Stage> = stages.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        order,
        [
            Stage::Prepare,
            Stage::Decode,
            Stage::Orient,
            Stage::Resize,
            Stage::Encode
        ]
    );
    let again = transform(&input, &t, &Limits::default()).unwrap();
    assert_eq!(
        (rendered.bytes, rendered.width, rendered.height),
        (again.bytes, again.width, again.height)
    );
}

#[test]
fn a_large_progressive_jpeg_renders_as_its_baseline_twin_does() {
    // 1600×1200 (1.9 MP) takes the two-thread decode; the same pixels as a baseline JPEG
    // take the ordinary one. Their renders at every shrink-on-load agree closely.
    let pixels = photo(1600, 1200);
    let (progressive, baseline) = (
        fixtures::jpeg(&pixels, true),
        fixtures::jpeg(&pixels, false),
    );
    for width in [1600, 700, 390, 190, 90] {
        let t = sized(Some(width), None, Some(Format::Png));
        let a = read(&transform(&progressive, &t, &Limits::default()).unwrap());
        let b = read(&transform(&baseline, &t, &Limits::default()).unwrap());
        assert_eq!(a.dimensions(), b.dimensions());
        let worst = a
            .pixels()
            .zip(b.pixels())
            .map(|(p, q)| {
                p.0.iter()
                    .zip(q.0)
                    .map(|(x, y)| x.abs_diff(y))
                    .max()
                    .unwrap()
            })
            .max()
            .unwrap();
        // Two encodings of one picture at quality 90: their own rounding, nothing more.
        assert!(worst <= 24, "w={width}: off by {worst}");
    }
}
