//! The test rig every integration test uses.
//!
//! - [`moto::shared`]: one moto server per test binary, started on first use on a free
//!   loopback port, authorization not enforced. Tests keep out of each other's way with
//!   [`unique_name`] buckets and users.
//! - [`moto::enforcing`]: a second shared server with IAM authorization enforced and an
//!   admin key to set things up with.
//! - [`moto::own`]: a server of the test's own, for tests that switch enforcement.
//! - [`keyring_guard`]: keychain tests run only in the private Secret Service session
//!   that `scripts/with-keyring.sh` makes, never against a developer's own keychain.

pub mod drift;
pub mod moto;
pub mod s3s;
pub mod url_table;

use std::sync::atomic::{AtomicU32, Ordering};

/// A name no other test in any run uses: lowercase letters, digits and hyphens, so it is a
/// valid bucket name and IAM user name.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{n}-{:x}", std::process::id(), nanos & 0xffff)
}

/// Panics unless the test runs inside the private keychain session.
pub fn keyring_guard() {
    assert_eq!(
        std::env::var("BUCKETDESK_TEST_KEYRING").as_deref(),
        Ok("private"),
        "keychain tests must run inside a private Secret Service session: \
         scripts/with-keyring.sh cargo test (make test does this)"
    );
}

/// Runs a future to completion on a fresh runtime (tests are plain `#[test]`s so that the
/// shared servers outlive any one runtime).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}
