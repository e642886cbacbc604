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

pub mod cache;
pub mod options;
pub mod origin;
pub mod pipeline;
pub mod security;
pub mod server;
pub mod transform;
pub mod urls;
