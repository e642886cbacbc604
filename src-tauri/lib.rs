//! Bucketdesk: a desktop admin console for serving images from Amazon S3 through an image CDN.
//!
//! The domain core (everything but [`app`]) has no Tauri types: the GUI, the headless CLI and
//! the tests all drive the same functions. [`app`] is the thin Tauri layer over it.

pub mod app;
pub mod aws;
pub mod buckets;
pub mod cdn;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod error;
pub mod iam;
pub mod locale;
pub mod sandbox;
pub mod secrets;
pub mod sources;
pub mod transfer;
