//! The local CDN: the Weekerp Image API (DESIGN §2) served on loopback.
//!
//! One module per stage of a request, as imgproxy splits them:
//! - [`transform`]: the shared types (request, limits, result, errors).
//! - [`options`]: the query → a canonical [`transform::Transform`] and cache key.
//! - [`security`]: the `Host` check and the per-install token.
//! - [`origin`]: the path → source and key; originals from the source's bucket.
//! - [`cache`]: memory and disk caches, origin revalidation, single flights.
//! - [`pipeline`]: decode → orient → rotate → resize/crop → encode, fast paths where they pay.
//! - [`server`]: the axum server that strings them together.
//! - [`compare`] and [`srcset`]: helping an admin choose — formats side by side with their
//!   bytes and SSIM, and the `srcset`/`<picture>` HTML with production URLs.

pub mod cache;
pub mod compare;
pub mod options;
pub mod origin;
pub mod pipeline;
pub mod security;
pub mod server;
pub mod srcset;
pub mod transform;
pub mod urls;
