//! The local CDN: the Weekerp Image API (DESIGN §2) served on loopback.
//!
//! - [`transform`]: the shared types (request, limits, result, errors).
//! - `pipeline`: decode → orient → rotate → resize/crop → encode, fast paths where they pay.
//! - `options`, `cache`, `origin`, `server`: the HTTP side.

pub mod pipeline;
pub mod transform;
