//! The one place where the URLs of an image are made, for the GUI, the CLI and the server
//! alike: the production URL an admin ships (never a token) and the same path and query on
//! the local preview server (with the install's token). Weekerp caches by path and query for
//! a year, so a URL copied from the GUI and one printed by `bucketdesk cdn url` must be
//! byte-identical: both come from here.

use serde::Serialize;

use super::options::{ImageOptions, OptionError};
use super::security::Token;
use super::server::local_url;
#[cfg(test)]
use super::server::production_url;

/// Where the URLs of an image point: the production CDN (the settings'
/// `productionCdnBase`), and the local preview server with the token its URLs carry.
#[derive(Debug, Clone, Copy)]
pub struct LocalServer<'a> {
    /// `https://cdn.weekerp.com` unless the settings name another production base.
    pub production_base: &'a str,
    /// `http://127.0.0.1:PORT`
    pub base_url: &'a str,
    pub token: &'a Token,
}

/// Every URL of one image with one set of options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageUrls {
    /// `https://cdn.weekerp.com/image/{source}/{key}?{query}`: what an admin copies.
    pub production: String,
    /// The same path and query on the loopback server, the token last.
    pub local: String,
    /// The original, untouched, through the local server's `/file` route.
    pub local_file: String,
    /// The canonical query alone (fixed order, short names; empty for the original).
    pub query: String,
}

/// The URLs of `key` (relative to the source's BasePath) with the options given as decoded
/// `name=value` pairs (aliases, `f=jpg`, negative rotations are folded to one canonical form).
pub fn image_urls<'a>(
    source: &str,
    key: &str,
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    local: LocalServer<'_>,
) -> Result<ImageUrls, OptionError> {
    let options = ImageOptions::parse_pairs(options)?;
    Ok(urls_with(source, key, &options, local))
}

/// [`image_urls`] with options already parsed (the canonical form is theirs).
pub fn urls_with(
    source: &str,
    key: &str,
    options: &ImageOptions,
    local: LocalServer<'_>,
) -> ImageUrls {
    ImageUrls {
        production: production_url_at(local.production_base, source, key, options),
        local: local_url(local.base_url, local.token, source, key, options),
        local_file: file_url(local, source, key),
        query: options.to_query(),
    }
}

/// The production URL of an image on another production base than Weekerp's default
/// (`settings.productionCdnBase`, e.g. a staging CDN): the same path and query.
pub fn production_url_at(base: &str, source: &str, key: &str, options: &ImageOptions) -> String {
    format!(
        "{}{}",
        base.trim_end_matches('/'),
        super::server::image_path(source, key, options)
    )
}

/// The browser's row thumbnail: a small square WebP.
pub const THUMBNAIL: &[(&str, &str)] = &[
    ("w", "64"),
    ("h", "64"),
    ("fit", "cover"),
    ("f", "webp"),
    ("q", "60"),
];

/// The browser's grid tile: a larger square WebP.
pub const GRID_TILE: &[(&str, &str)] = &[
    ("w", "160"),
    ("h", "160"),
    ("fit", "cover"),
    ("f", "webp"),
    ("q", "60"),
];

/// The canonical query of [`THUMBNAIL`], which the browser appends to each row's local URL.
pub fn thumbnail_query() -> String {
    canonical_query(THUMBNAIL)
}

/// The canonical query of [`GRID_TILE`], for the browser's grid view.
pub fn grid_tile_query() -> String {
    canonical_query(GRID_TILE)
}

fn canonical_query(options: &[(&str, &str)]) -> String {
    ImageOptions::parse_pairs(options.iter().copied())
        .expect("the browser's own options are valid")
        .to_query()
}

/// The local `/file/{source}/{key}` URL of an original, token included.
pub fn file_url(local: LocalServer<'_>, source: &str, key: &str) -> String {
    let image = local_url(
        local.base_url,
        local.token,
        source,
        key,
        &ImageOptions::default(),
    );
    image.replacen("/image/", "/file/", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(pairs: &[(&str, &str)]) -> ImageUrls {
        let token = Token::new("t0k");
        let local = LocalServer {
            production_base: crate::config::PRODUCTION_CDN_BASE,
            base_url: "http://127.0.0.1:7390",
            token: &token,
        };
        image_urls(
            "shop",
            "제품 이미지/벚꽃 01.jpg",
            pairs.iter().copied(),
            local,
        )
        .expect("valid options")
    }

    #[test]
    fn production_and_local_share_path_and_query() {
        let u = urls(&[
            ("width", "400"),
            ("h", "300"),
            ("fit", "cover"),
            ("f", "jpg"),
        ]);
        assert_eq!(
            u.production,
            "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg?w=400&h=300&f=jpeg",
            "fit=cover is the default with both sides, and jpg is spelled jpeg"
        );
        let path_and_query = u
            .production
            .strip_prefix("https://cdn.weekerp.com")
            .unwrap();
        assert_eq!(
            u.local,
            format!("http://127.0.0.1:7390{path_and_query}&token=t0k"),
            "the local URL is the production path and query plus the token"
        );
        assert!(!u.production.contains("token"), "no token in production");
        assert_eq!(
            u.local_file,
            "http://127.0.0.1:7390/file/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg?token=t0k"
        );
    }

    #[test]
    fn another_production_base_keeps_the_path_and_query() {
        let options = ImageOptions::parse_pairs([("width", "320"), ("f", "jpg")]).unwrap();
        assert_eq!(
            production_url_at(
                "https://staging.example/",
                "shop",
                "a b/\"x\".jpg",
                &options
            ),
            "https://staging.example/image/shop/a%20b/%22x%22.jpg?w=320&f=jpeg"
        );
        let default = production_url_at(
            crate::config::PRODUCTION_CDN_BASE,
            "shop",
            "a.jpg",
            &options,
        );
        assert_eq!(default, super::production_url("shop", "a.jpg", &options));
    }

    #[test]
    fn a_bad_option_names_itself() {
        let token = Token::new("t");
        let local = LocalServer {
            production_base: crate::config::PRODUCTION_CDN_BASE,
            base_url: "http://127.0.0.1:1",
            token: &token,
        };
        let err = image_urls("s", "a.jpg", [("w", "0")], local).unwrap_err();
        assert!(
            format!("{err:?}").contains('w'),
            "the error names the option: {err:?}"
        );
    }
}
