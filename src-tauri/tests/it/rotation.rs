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

/// A user with no key, made by the admin (no source uses it).
fn bare_user(endpoint: &Endpoint, prefix: &str) -> String {
    let user = unique_name(prefix);
    block_on(async {
        endpoint
            .iam()
            .await
            .create_user()
            .user_name(&user)
            .send()
            .await
            .unwrap();
    });
    user
}

#[test]
fn keys_create_keeps_the_secret_and_respects_the_two_key_limit() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = bare_user(endpoint, "mk");

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let first = out["accessKeyId"].as_str().unwrap().to_owned();
    assert!(
        out.get("secretAccessKey").is_none(),
        "the secret is printed only with --show-secret: {out}"
    );
    assert!(in_keychain(&first), "the new secret is in the keychain");

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user, "--show-secret"],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let second = out["accessKeyId"].as_str().unwrap().to_owned();
    let shown = out["secretAccessKey"].as_str().unwrap().to_owned();
    let kept = Command::new("secret-tool")
        .args(["lookup", "service", "bucketdesk", "username", &second])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&kept.stdout),
        shown,
        "the secret shown once is the one kept"
    );

    // A third is refused before anything is created.
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user],
        None,
    );
    assert_ne!(code, Some(0), "a third key is refused: {out}");
    assert_eq!(out["code"], "invalid_input", "{out}");
    assert!(
        out["message"].as_str().unwrap().contains(&first),
        "the message names the existing keys: {out}"
    );
    assert_eq!(user_keys(endpoint, &user).len(), 2, "still two keys");
}

#[test]
fn keys_create_can_bind_the_new_key_to_a_source_and_undoes_itself_when_it_cannot() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user, "--source", "shop-cdn"],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let new = out["accessKeyId"].as_str().unwrap().to_owned();
    assert_eq!(out["boundSource"], "shop-cdn");
    assert_eq!(source_key(dir.path()), new, "the source uses the new key");
    assert_ne!(new, old);
    assert_safe(endpoint, dir.path(), &user, "after binding");

    // A user whose policy cannot read the bucket: the source does not verify with its key,
    // so the new key is deleted and the source keeps its key.
    let stranger = bare_user(endpoint, "stranger");
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &[
            "keys", "create", "--user", &stranger, "--source", "shop-cdn",
        ],
        None,
    );
    assert_ne!(code, Some(0), "{out}");
    assert_eq!(out["code"], "access_denied", "{out}");
    assert!(
        user_keys(endpoint, &stranger).is_empty(),
        "the unusable key was deleted"
    );
    assert_eq!(source_key(dir.path()), new, "the source is unchanged");
}

#[test]
fn keys_rotate_user_replaces_a_key_no_source_uses() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = bare_user(endpoint, "up");

    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--user", &user],
        None,
    );
    assert_ne!(code, Some(0), "no key to rotate: {out}");
    assert_eq!(out["code"], "invalid_input", "{out}");

    let (_, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user],
        None,
    );
    let first = out["accessKeyId"].as_str().unwrap().to_owned();
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--user", &user],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let second = out["newKey"].as_str().unwrap().to_owned();
    assert_eq!(out["oldKey"], first.as_str());
    assert!(in_keychain(&second));
    let keys = user_keys(endpoint, &user);
    assert!(
        keys.contains(&(first.clone(), "Inactive".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&(second.clone(), "Active".into())),
        "{keys:?}"
    );

    // Two keys now: refused unless --retire-older, which deletes the older (inactive) one,
    // rotates the newer, and never makes a third.
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--user", &user],
        None,
    );
    assert_ne!(code, Some(0), "{out}");
    assert_eq!(user_keys(endpoint, &user).len(), 2, "nothing was changed");
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &[
            "keys",
            "rotate",
            "--user",
            &user,
            "--retire-older",
            "--delete-old",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["retired"], first.as_str());
    assert_eq!(out["oldKey"], second.as_str());
    let third = out["newKey"].as_str().unwrap().to_owned();
    let keys = user_keys(endpoint, &user);
    assert_eq!(
        keys,
        vec![(third.clone(), "Active".into())],
        "only the new key"
    );
    assert!(
        !in_keychain(&first) && !in_keychain(&second),
        "old secrets dropped"
    );
    assert!(in_keychain(&third));

    // A key a source uses is refused: rotate the source instead.
    let reader = setup(endpoint, dir.path());
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--user", &reader],
        None,
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out["message"].as_str().unwrap().contains("shop-cdn"),
        "names the source: {out}"
    );
}
