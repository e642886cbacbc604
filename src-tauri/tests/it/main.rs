//! Integration tests of the core against real parts: a moto server on loopback (S3, IAM,
//! STS over HTTP through the AWS SDK), the Secret Service keychain in a private D-Bus
//! session, the built CLI binary, and the committed TypeScript bindings.

mod bindings;
mod buckets;
mod cdn;
mod cli;
mod commands;
mod config;
mod fixtures;
mod iam;
mod keychain;
mod rig;
mod rotation;
mod sandbox;
mod sources;
mod support;
mod transfer;
mod wizard;
