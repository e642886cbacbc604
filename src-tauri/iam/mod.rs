//! IAM: least-privilege policies generated from templates, and a lint that checks policies
//! offline before they are attached.

pub mod keys;
pub mod lint;
pub mod policy;
pub mod reader;
pub mod rotation;
pub mod users;
