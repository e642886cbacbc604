//! Hostile and broken originals, generated deterministically, for tests here and in the
//! server: every one must be refused with a 4xx-class [`PipelineError`] quickly and without a
//! panic. The server's tests send the same bytes over HTTP.
//!
//! [`PipelineError`]: crate::cdn::transform::PipelineError

use std::io::Cursor;

/// `(name, bytes)` pairs; names hint at the attack, some with the misleading extension a
/// bucket would show.
#[doc(hidden)]
pub fn hostile_corpus() -> Vec<(String, Vec<u8>)> {
    let jpeg = small_jpeg(false);
    let progressive = small_jpeg(true);
    let png = small_png();
    let gif = small_gif();
    let webp = small_webp();
    let mut c: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| c.push((name.to_string(), bytes));

    add("empty.jpg", Vec::new());
    add("random-4k.bin", noise(1, 4096));
    add(
        "random-after-jpeg-magic.jpg",
        [&[0xFF, 0xD8, 0xFF][..], &noise(2, 4096)].concat(),
    );
    add(
        "random-after-png-magic.png",
        [&png[..8], &noise(3, 4096)].concat(),
    );
    add(
        "random-after-gif-magic.gif",
        [&b"GIF89a"[..], &noise(4, 4096)].concat(),
    );
    add(
        "riff-webp-then-random.webp",
        [&webp[..12], &noise(5, 4096)].concat(),
    );
    for at in [3, 20, jpeg.len() / 2, jpeg.len() - 40] {
        add(&format!("jpeg-truncated-at-{at}.jpg"), jpeg[..at].to_vec());
    }
    let at = progressive.len() * 2 / 3;
    add(
        &format!("progressive-jpeg-truncated-at-{at}.jpg"),
        progressive[..at].to_vec(),
    );
    for at in [8, 20, 33, png.len() / 2, png.len() - 12] {
        add(&format!("png-truncated-at-{at}.png"), png[..at].to_vec());
    }
    for at in [6, 13, gif.len() / 2] {
        add(&format!("gif-truncated-at-{at}.gif"), gif[..at].to_vec());
    }
    for at in [16, 30, webp.len() / 2] {
        add(&format!("webp-truncated-at-{at}.webp"), webp[..at].to_vec());
    }
    add(
        "png-bytes-behind-jpeg-magic.jpg",
        [&[0xFF, 0xD8, 0xFF][..], &png[..]].concat(),
    );
    add(
        "jpeg-bytes-behind-png-magic.png",
        [&png[..8], &jpeg[..]].concat(),
    );
    add("png-claims-30000x30000.png", png_header(30000, 30000, true));
    add("png-zero-width.png", png_header(0, 100, true));
    add("png-ihdr-bad-crc.png", png_header(64, 64, false));
    add("png-without-idat.png", png_header(64, 64, true));
    add(
        "jpeg-sof-claims-65535x65535.jpg",
        jpeg_with_sof(65535, 65535),
    );
    add("jpeg-sof-zero-height.jpg", jpeg_with_sof(0, 64));
    add(
        "jpeg-scan-before-frame.jpg",
        vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0, 0],
    );
    add(
        "jpeg-endless-fill-bytes.jpg",
        [&[0xFF, 0xD8][..], &[0xFF; 1 << 20]].concat(),
    );
    add("jpeg-huge-exif-then-truncated.jpg", huge_exif(&jpeg));
    add(
        "jpeg-cyclic-exif-then-truncated.jpg",
        with_exif(&jpeg, &cyclic_exif()),
    );
    add(
        "jpeg-wild-exif-offsets-then-truncated.jpg",
        with_exif(&jpeg, &wild_exif()),
    );
    add("gif-screen-65535x65535.gif", gif_screen(65535, 65535));
    add("gif-frame-larger-than-screen.gif", gif_big_frame());
    add("webp-bad-chunk-size.webp", webp_bad_chunk(&webp));
    add("webp-vp8x-claims-16m-square.webp", webp_vp8x_huge());
    add("tiff-huge-ifd-count.tif", tiff_huge_count());
    add(
        "tiff-ifd-offset-past-the-end.tif",
        b"II*\0\xff\xff\xff\x7f".to_vec(),
    );
    add(
        "text-file.jpg",
        b"This is not a JPEG. It is a note someone uploaded.\n".repeat(20),
    );
    add(
        "page.html.jpg",
        b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>".to_vec(),
    );
    add(
        "drawing.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg' width='99999' height='99999'><rect/></svg>"
            .to_vec(),
    );
    add("bitmap.bmp", [&b"BM"[..], &noise(6, 200)].concat());
    add(
        "avif-header.avif",
        b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec(),
    );
    add(
        "document.pdf.jpg",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n".to_vec(),
    );
    add(
        "gzip.png",
        vec![
            0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    c
}

/// A deterministic byte stream (xorshift).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A 64×48 gradient, RGB.
fn gradient() -> Vec<u8> {
    let mut rgb = Vec::with_capacity(64 * 48 * 3);
    for y in 0..48u32 {
        for x in 0..64u32 {
            rgb.extend_from_slice(&[(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8]);
        }
    }
    rgb
}

fn small_jpeg(progressive: bool) -> Vec<u8> {
    let rgb = gradient();
    let mut compressor = turbojpeg::Compressor::new().expect("a libjpeg-turbo compressor");
    compressor.set_quality(90).expect("quality");
    compressor
        .set_progressive(progressive)
        .expect("progressive");
    let image = turbojpeg::Image {
        pixels: &rgb[..],
        width: 64,
        pitch: 64 * 3,
        height: 48,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).expect("a small JPEG")
}

fn small_png() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::RgbImage::from_raw(64, 48, gradient())
        .expect("64×48 RGB")
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a small PNG");
    out.into_inner()
}

fn small_gif() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::RgbImage::from_raw(64, 48, gradient())
        .expect("64×48 RGB")
        .write_to(&mut out, image::ImageFormat::Gif)
        .expect("a small GIF");
    out.into_inner()
}

fn small_webp() -> Vec<u8> {
    webp::Encoder::from_rgb(&gradient(), 64, 48)
        .encode(80.0)
        .to_vec()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8], good_crc: bool) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]) ^ if good_crc { 0 } else { 1 };
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Signature, IHDR (8-bit RGB) and IEND: a header with no image data.
fn png_header(width: u32, height: u32, good_crc: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr, good_crc);
    png_chunk(&mut out, b"IEND", &[], true);
    out
}

/// SOI, a baseline SOF0 of the given size (3 components), a little noise, EOI.
fn jpeg_with_sof(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend_from_slice(&noise(7, 256));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// `exif` as an APP1 segment right after SOI, and the image cut in the middle of its scan.
fn with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((exif.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(exif);
    out.extend_from_slice(&jpeg[2..jpeg.len() / 2]);
    out
}

/// Sixteen maximum-size APP1 segments (1 MiB of EXIF), then a truncated image.
fn huge_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    for i in 0..16 {
        out.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xFF]);
        out.extend_from_slice(b"Exif\0\0II*\0\x08\0\0\0");
        out.extend_from_slice(&noise(100 + i, 0xFFFF - 2 - 14));
    }
    out.extend_from_slice(&jpeg[2..jpeg.len() / 2]);
    out
}

/// IFD0 whose next-IFD link and EXIF sub-IFD pointer both point back at itself.
fn cyclic_exif() -> Vec<u8> {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend_from_slice(&2u16.to_le_bytes());
    // ExifIFD pointer (0x8769, LONG) → offset 8 (IFD0 itself).
    t.extend_from_slice(&[0x69, 0x87, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
    // Orientation → 6.
    t.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    t.extend_from_slice(&8u32.to_le_bytes());
    t
}

/// IFD0 with an entry count of 65535 and offsets far past the end of the block.
fn wild_exif() -> Vec<u8> {
    let mut t = b"MM\0*\0\0\0\x08".to_vec();
    t.extend_from_slice(&[0xFF, 0xFF]);
    t.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xF0]);
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 6, 0, 0]);
    t
}

fn gif_screen(width: u16, height: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0]);
    // One 1×1 frame.
    out.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    out
}

/// A 1×1 screen with a 65535×65535 frame descriptor and almost no data.
fn gif_big_frame() -> Vec<u8> {
    let mut out = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
    out.extend_from_slice(&[
        0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 2, 0x4C, 0x01, 0,
    ]);
    out.push(0x3B);
    out
}

/// The first chunk's size field says 4 GiB.
fn webp_bad_chunk(webp: &[u8]) -> Vec<u8> {
    let mut out = webp.to_vec();
    out[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    out
}

fn webp_vp8x_huge() -> Vec<u8> {
    let mut out = b"RIFF\x1a\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    out.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    out
}

/// An IFD announcing 65535 entries in a 100-byte file.
fn tiff_huge_count() -> Vec<u8> {
    let mut out = b"II*\0\x08\0\0\0\xff\xff".to_vec();
    out.extend_from_slice(&noise(8, 90));
    out
}
