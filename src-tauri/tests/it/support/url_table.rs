//! The table of (key, image options) that the GUI, the CLI and the committed URL fixture
//! must agree on byte for byte: aliases, `f=jpg`, negative rotations, `v`, keys with Korean
//! text, spaces and reserved characters, and the UI's own presets.

/// The source every case uses.
pub const SOURCE: &str = "shop";

/// `(key relative to the BasePath, decoded option pairs as typed)`.
pub const CASES: &[(&str, &[(&str, &str)])] = &[
    ("제품 이미지/벚꽃 01.jpg", &[]),
    ("제품 이미지/벚꽃 01.jpg", &[("w", "400")]),
    ("제품 이미지/벚꽃 01.jpg", &[("width", "400")]),
    ("제품 이미지/벚꽃 01.jpg", &[("h", "300")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("height", "300"), ("width", "400")],
    ),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("w", "400"), ("h", "300"), ("fit", "cover")],
    ),
    ("제품 이미지/벚꽃 01.jpg", &[("s", "400x300")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("size", "400x300"), ("w", "200")],
    ),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("w", "400"), ("h", "300"), ("fit", "contain")],
    ),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("w", "400"), ("h", "300"), ("fit", "cover"), ("p", "top")],
    ),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("w", "400"), ("h", "300"), ("position", "centre")],
    ),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("w", "400"), ("fit", "inside"), ("p", "left")],
    ),
    ("제품 이미지/벚꽃 01.jpg", &[("f", "jpg")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("format", "jpeg"), ("q", "80")],
    ),
    ("제품 이미지/벚꽃 01.jpg", &[("f", "png"), ("q", "70")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("f", "webp"), ("quality", "75")],
    ),
    ("제품 이미지/벚꽃 01.jpg", &[("rotate", "-90")]),
    ("제품 이미지/벚꽃 01.jpg", &[("rotate", "-360")]),
    ("제품 이미지/벚꽃 01.jpg", &[("rotate", "180"), ("w", "10")]),
    ("제품 이미지/벚꽃 01.jpg", &[("rotate", "0")]),
    ("제품 이미지/벚꽃 01.jpg", &[("v", "2")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("v", "봄 2026/최종"), ("w", "64")],
    ),
    ("제품 이미지/벚꽃 01.jpg", &[("f", "avif"), ("w", "1600")]),
    (
        "제품 이미지/벚꽃 01.jpg",
        &[("f", "gif"), ("q", "50"), ("rotate", "-270")],
    ),
    (
        "배너/메인 (가을)!*'.jpg",
        &[("w", "800"), ("f", "webp"), ("q", "80")],
    ),
    (
        "a+b&c=d#e?.jpg",
        &[("w", "200"), ("h", "200"), ("fit", "cover")],
    ),
    ("/a b/c.jpg", &[("fit", "fill"), ("w", "500"), ("h", "200")]),
    ("plain-name_1.~x.png", &[("f", "tiff")]),
    // The UI's presets and the browser's row thumbnail (ui/src/sources/cdnPreview.ts), and
    // the original itself (the browser's object details).
    ("제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg", &[]),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[("w", "200"), ("h", "200"), ("fit", "cover")],
    ),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[("w", "400"), ("h", "300"), ("fit", "cover"), ("f", "webp")],
    ),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[("w", "800"), ("f", "webp"), ("q", "80")],
    ),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[("w", "1600"), ("f", "avif")],
    ),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[
            ("w", "64"),
            ("h", "64"),
            ("fit", "cover"),
            ("f", "webp"),
            ("q", "60"),
        ],
    ),
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[
            ("w", "160"),
            ("h", "160"),
            ("fit", "cover"),
            ("f", "webp"),
            ("q", "60"),
        ],
    ),
    // What the preview test types after the hero preset.
    (
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        &[("w", "12"), ("f", "avif"), ("rotate", "90")],
    ),
];

/// The local server the fixture's local URLs point at.
pub const FIXTURE_BASE: &str = "http://127.0.0.1:7390";
pub const FIXTURE_TOKEN: &str = "fixture-token";
