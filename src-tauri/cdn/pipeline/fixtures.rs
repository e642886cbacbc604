//! Small originals made at test time: real photo content when the Debian wallpapers are
//! installed (`/usr/share/backgrounds`, see PLATFORM.md), generated pixels otherwise, and
//! every container the pipeline reads. Nothing binary is committed.

use super::Pixels;
use std::io::Cursor;

const PHOTO: &str = "/usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg";

/// An RGB image `width`×`height`: a crop of a real photo (decoded at 1/8) when there is one.
pub fn photo(width: u32, height: u32) -> Pixels {
    if let Ok(bytes) = std::fs::read(PHOTO) {
        let mut d = turbojpeg::Decompressor::new().unwrap();
        d.set_scaling_factor(turbojpeg::ScalingFactor::ONE_EIGHTH)
            .unwrap();
        let h = d
            .read_header(&bytes)
            .unwrap()
            .scaled(turbojpeg::ScalingFactor::ONE_EIGHTH);
        let mut buf = vec![0u8; h.width * h.height * 3];
        let image = turbojpeg::Image {
            pixels: &mut buf[..],
            width: h.width,
            pitch: h.width * 3,
            height: h.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        d.decompress(&bytes, image).unwrap();
        if h.width >= width as usize && h.height >= height as usize {
            let mut data = Vec::new();
            for y in 0..height as usize {
                let at = y * h.width * 3;
                data.extend_from_slice(&buf[at..at + width as usize * 3]);
            }
            return Pixels {
                width,
                height,
                alpha: false,
                data,
            };
        }
    }
    gradient(width, height)
}

/// An RGB gradient `width`×`height`, any size (large sources for the render table).
pub fn gradient(width: u32, height: u32) -> Pixels {
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&[(x * 255 / width) as u8, (y * 255 / height) as u8, 90]);
        }
    }
    Pixels {
        width,
        height,
        alpha: false,
        data,
    }
}

/// `width`×`height`, the top-left quadrant pure red, the rest pure blue.
pub fn quadrant(width: u32, height: u32) -> Pixels {
    let mut data = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let red = x < width / 2 && y < height / 2;
            data.extend_from_slice(if red { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    Pixels {
        width,
        height,
        alpha: false,
        data,
    }
}

pub fn jpeg(p: &Pixels, progressive: bool) -> Vec<u8> {
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_quality(92).unwrap();
    c.set_progressive(progressive).unwrap();
    compress(c, p)
}

/// A baseline JPEG with the given chroma subsampling and quality.
pub fn jpeg_as(p: &Pixels, subsamp: turbojpeg::Subsamp, quality: i32) -> Vec<u8> {
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_subsamp(subsamp).unwrap();
    c.set_quality(quality).unwrap();
    compress(c, p)
}

/// The scales libjpeg-turbo's DCT decodes at, the pipeline's choices.
pub const FACTORS: [turbojpeg::ScalingFactor; 4] = [
    turbojpeg::ScalingFactor::ONE,
    turbojpeg::ScalingFactor::ONE_HALF,
    turbojpeg::ScalingFactor::ONE_QUARTER,
    turbojpeg::ScalingFactor::ONE_EIGHTH,
];

/// The files our own JPEG decoders are checked on against libjpeg-turbo's: three photo
/// crops (even and odd sizes) × every layout × quality 40/85/100, made by `encode`; each
/// with a label and its layout.
pub fn jpeg_decoder_cases(
    encode: fn(&Pixels, turbojpeg::Subsamp, i32) -> Vec<u8>,
) -> impl Iterator<Item = (String, Vec<u8>, turbojpeg::Subsamp)> {
    use turbojpeg::Subsamp;
    [(750, 500), (701, 437), (333, 497)]
        .into_iter()
        .flat_map(move |(w, h)| {
            let photo = photo(w, h);
            let layouts = [
                Subsamp::Sub2x2,
                Subsamp::Sub2x1,
                Subsamp::None,
                Subsamp::Gray,
            ];
            layouts
                .into_iter()
                .flat_map(|subsamp| [40, 85, 100].map(move |q| (subsamp, q)))
                .map(move |(subsamp, quality)| {
                    let label = format!("{w}×{h} {subsamp:?} q{quality}");
                    (label, encode(&photo, subsamp, quality), subsamp)
                })
                .collect::<Vec<_>>()
        })
}

/// A progressive JPEG (libjpeg-turbo's default scan script) with the given chroma
/// subsampling and quality.
pub fn progressive_jpeg_as(p: &Pixels, subsamp: turbojpeg::Subsamp, quality: i32) -> Vec<u8> {
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_subsamp(subsamp).unwrap();
    c.set_quality(quality).unwrap();
    c.set_progressive(true).unwrap();
    compress(c, p)
}

fn compress(mut c: turbojpeg::Compressor, p: &Pixels) -> Vec<u8> {
    c.compress_to_vec(turbojpeg::Image {
        pixels: &p.data[..],
        width: p.width as usize,
        pitch: p.width as usize * 3,
        height: p.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    })
    .unwrap()
}

/// A JPEG whose APP1 says EXIF `orientation`, placed right after SOI.
pub fn jpeg_with_orientation(p: &Pixels, orientation: u16) -> Vec<u8> {
    let plain = jpeg(p, false);
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A CMYK (YCCK) JPEG of the RGB image, CMYK stored inverted as libjpeg-turbo and Adobe do.
pub fn cmyk_jpeg(p: &Pixels) -> Vec<u8> {
    let mut cmyk = Vec::new();
    for px in p.data.chunks_exact(3) {
        let k = *px.iter().max().unwrap();
        for &c in px {
            let v = if k == 0 {
                255
            } else {
                (u32::from(c) * 255 / u32::from(k)) as u8
            };
            cmyk.push(v);
        }
        cmyk.push(k);
    }
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_quality(95).unwrap();
    c.compress_to_vec(turbojpeg::Image {
        pixels: &cmyk[..],
        width: p.width as usize,
        pitch: p.width as usize * 4,
        height: p.height as usize,
        format: turbojpeg::PixelFormat::CMYK,
    })
    .unwrap()
}

fn write(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// RGBA PNG: the left half fully transparent.
pub fn png_with_alpha(p: &Pixels) -> Vec<u8> {
    write(
        image::DynamicImage::ImageRgba8(half_transparent(p)),
        image::ImageFormat::Png,
    )
}

fn half_transparent(p: &Pixels) -> image::RgbaImage {
    let mut rgba = p.clone().into_dynamic().into_rgba8();
    for (x, _, px) in rgba.enumerate_pixels_mut() {
        if x < p.width / 2 {
            px.0[3] = 0;
        }
    }
    rgba
}

pub fn png16(p: &Pixels) -> Vec<u8> {
    write(
        image::DynamicImage::ImageRgb16(p.clone().into_dynamic().into_rgb16()),
        image::ImageFormat::Png,
    )
}

pub fn gif(p: &Pixels) -> Vec<u8> {
    write(p.clone().into_dynamic(), image::ImageFormat::Gif)
}

pub fn tiff(p: &Pixels) -> Vec<u8> {
    write(p.clone().into_dynamic(), image::ImageFormat::Tiff)
}

pub fn webp(p: &Pixels) -> Vec<u8> {
    webp::Encoder::from_rgb(&p.data, p.width, p.height)
        .encode(85.0)
        .to_vec()
}

/// Lossy WebP with the left half transparent.
pub fn webp_with_alpha(p: &Pixels) -> Vec<u8> {
    let rgba = half_transparent(p);
    webp::Encoder::from_rgba(rgba.as_raw(), p.width, p.height)
        .encode(85.0)
        .to_vec()
}

/// A two-frame animated GIF: a red frame, then a blue one.
pub fn animated_gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .unwrap();
        let frames = [[255, 0, 0, 255], [0, 0, 255, 255]].map(|colour| {
            image::Frame::new(image::RgbaImage::from_pixel(
                width,
                height,
                image::Rgba(colour),
            ))
        });
        encoder.encode_frames(frames).unwrap();
    }
    out
}

/// A two-frame animated WebP: a red frame, then a blue one.
pub fn animated_webp(width: u32, height: u32) -> Vec<u8> {
    let red = image::RgbaImage::from_pixel(width, height, image::Rgba([255, 0, 0, 255]));
    let blue = image::RgbaImage::from_pixel(width, height, image::Rgba([0, 0, 255, 255]));
    let config = webp::WebPConfig::new().unwrap();
    let mut encoder = webp::AnimEncoder::new(width, height, &config);
    encoder.add_frame(webp::AnimFrame::from_rgba(red.as_raw(), width, height, 0));
    encoder.add_frame(webp::AnimFrame::from_rgba(
        blue.as_raw(),
        width,
        height,
        100,
    ));
    encoder.encode().to_vec()
}
