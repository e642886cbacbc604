//! IAM: least-privilege policies generated from templates, and a lint that checks policies
//! offline before they are attached; users, access keys, the dedicated reader, key rotation,
//! and the check that admin actions may run at all.

pub mod admin;
pub mod keys;
pub mod lint;
pub mod policy;
pub mod reader;
pub mod rotation;
pub mod users;
