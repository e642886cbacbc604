//! Key rotation for a source on the IAM-enforcing moto: end to end, the two-key limit, and a
//! crash after every step followed by a restart.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::moto::{self, Endpoint};
use crate::support::{block_on, keyring_guard, unique_name};

fn cli(
    endpoint: &Endpoint,
    config_dir: &Path,
    args: &[&str],
    fault: Option<&str>,
) -> (Option<i32>, Value) {
    moto::admin_cli(endpoint, config_dir, args, fault)
}

/// A bucket, a reader user with its key bound to source `shop-cdn`; returns the user.
fn setup(endpoint: &Endpoint, config_dir: &Path) -> String {
    let bucket = block_on(crate::sources::bucket_with_objects(endpoint, "us-east-1"));
    let user = unique_name("rot");
    let (code, out) = cli(
        endpoint,
        config_dir,
        &[
            "iam", "reader", "create", "--bucket", &bucket, "--user", &user, "--source", "shop-cdn",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    user
}

fn user_keys(endpoint: &Endpoint, user: &str) -> Vec<(String, String)> {
    block_on(async {
        let iam = endpoint.iam().await;
        let out = iam.list_access_keys().user_name(user).send().await.unwrap();
        out.access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap().to_owned(),
                    k.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect()
    })
}

fn source_key(config_dir: &Path) -> String {
    let text = std::fs::read_to_string(config_dir.join("config.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["sources"][0]["accessKeyId"].as_str().unwrap().to_owned()
}

fn in_keychain(key: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "bucketdesk", "username", key])
        .output()
        .unwrap();
    !out.stdout.is_empty()
}

/// The invariants at any moment: the source verifies with its key, whose secret is in the
/// keychain, and the user never has more than two keys.
fn assert_safe(endpoint: &Endpoint, config_dir: &Path, user: &str, when: &str) {
    let keys = user_keys(endpoint, user);
    assert!(keys.len() <= 2, "{when}: never three keys: {keys:?}");
    let bound = source_key(config_dir);
    assert!(
        in_keychain(&bound),
        "{when}: the source's secret is in the keychain"
    );
    assert!(
        keys.iter()
            .any(|(id, status)| id == &bound && status == "Active"),
        "{when}: the source's key exists and is active: {bound} in {keys:?}"
    );
    let (code, report) = cli(
        endpoint,
        config_dir,
        &["source", "verify", "shop-cdn"],
        None,
    );
    assert_eq!(code, Some(0), "{when}: the source verifies: {report}");
}

#[test]
fn rotation_end_to_end_keeps_the_source_working() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    assert_safe(endpoint, dir.path(), &user, "before");

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--source", "shop-cdn"],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let new = source_key(dir.path());
    assert_ne!(new, old);
    assert_eq!(out["newKey"], new.as_str());
    assert_eq!(out["oldKeyState"], "inactive");
    assert_safe(endpoint, dir.path(), &user, "after");
    let keys = user_keys(endpoint, &user);
    assert!(
        keys.contains(&(old.clone(), "Inactive".into())),
        "the old key ends inactive: {keys:?}"
    );

    // Next rotation with --delete-old: there are two keys (one inactive), so it must retire
    // the older first or refuse; asked to, it retires it and never makes a third.
    let (code, err) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--source", "shop-cdn"],
        None,
    );
    assert_eq!(code, Some(1), "two keys already: refused");
    assert!(
        err["message"].as_str().unwrap().contains("two keys"),
        "{err}"
    );
    assert_eq!(source_key(dir.path()), new, "nothing changed");
    assert_eq!(user_keys(endpoint, &user).len(), 2);

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &[
            "keys",
            "rotate",
            "--source",
            "shop-cdn",
            "--retire-older",
            "--delete-old",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["oldKeyState"], "deleted");
    let keys = user_keys(endpoint, &user);
    assert_eq!(
        keys.len(),
        1,
        "both earlier keys are gone, only the new one is left: {keys:?}"
    );
    assert!(
        !in_keychain(&old) && !in_keychain(&new),
        "retired secrets leave the keychain"
    );
    assert_safe(endpoint, dir.path(), &user, "after the second rotation");
}

#[test]
fn a_crash_after_any_step_is_finished_or_rolled_back_on_restart() {
    keyring_guard();
    let endpoint = moto::enforcing();
    for step in [
        "started",
        "key_created",
        "new_key_stored",
        "verified",
        "source_switched",
        "old_deactivated",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let user = setup(endpoint, dir.path());
        let old = source_key(dir.path());

        let (code, _) = cli(
            endpoint,
            dir.path(),
            &["keys", "rotate", "--source", "shop-cdn", "--delete-old"],
            Some(step),
        );
        assert_eq!(code, Some(70), "{step}: the injected crash happened");
        assert_safe(
            endpoint,
            dir.path(),
            &user,
            &format!("crashed after {step}"),
        );

        // Restart: the next rotate finishes the interrupted one, or rolls it back (and then
        // a fresh rotate succeeds).
        let (mut code, mut out) = cli(
            endpoint,
            dir.path(),
            &["keys", "rotate", "--source", "shop-cdn", "--delete-old"],
            None,
        );
        if code != Some(0) {
            assert!(
                out["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("rolled back"),
                "{step}: not finished, so rolled back: {out}"
            );
            assert_safe(
                endpoint,
                dir.path(),
                &user,
                &format!("rolled back after {step}"),
            );
            (code, out) = cli(
                endpoint,
                dir.path(),
                &["keys", "rotate", "--source", "shop-cdn", "--delete-old"],
                None,
            );
        }
        assert_eq!(code, Some(0), "{step}: {out}");
        let new = source_key(dir.path());
        assert_ne!(new, old, "{step}: rotated in the end");
        assert_safe(
            endpoint,
            dir.path(),
            &user,
            &format!("after the restart ({step})"),
        );
        let keys = user_keys(endpoint, &user);
        assert_eq!(
            keys.len(),
            1,
            "{step}: the old key is deleted, no stray key left: {keys:?}"
        );
        assert!(
            !dir.path().join("rotation-shop-cdn.json").exists(),
            "{step}: the record is cleared"
        );
    }
}

#[test]
fn interrupted_rotations_are_finished_at_start() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    let (code, _) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--source", "shop-cdn"],
        Some("verified"),
    );
    assert_eq!(code, Some(70));
    assert!(dir.path().join("rotation-shop-cdn.json").exists());

    // What the app does when it starts.
    let sources = bucketdesk::sources::Sources::new(
        bucketdesk::config::ConfigStore::new(dir.path()),
        bucketdesk::secrets::Keychain::new(bucketdesk::secrets::SERVICE),
    );
    let results = block_on(async {
        let iam = endpoint.iam().await;
        bucketdesk::iam::rotation::resume_all(&iam, &sources, bucketdesk::locale::Language::En)
            .await
    });
    assert_eq!(results.len(), 1);
    let (source, outcome) = &results[0];
    assert_eq!(source, "shop-cdn");
    let outcome = outcome.as_ref().expect("finished");
    assert!(outcome.resumed);
    assert_ne!(source_key(dir.path()), old);
    assert!(!dir.path().join("rotation-shop-cdn.json").exists());
    assert_safe(endpoint, dir.path(), &user, "after the start-up resume");
}
