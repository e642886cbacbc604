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
        &["keys", "rotate", "--source", "shop-cdn", "--one-shot"],
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
        &["keys", "rotate", "--source", "shop-cdn", "--one-shot"],
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
            "--one-shot",
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
            &[
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ],
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
            &[
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ],
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
                &[
                    "keys",
                    "rotate",
                    "--source",
                    "shop-cdn",
                    "--one-shot",
                    "--delete-old",
                ],
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
        &["keys", "rotate", "--source", "shop-cdn", "--one-shot"],
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
    // The two-key limit has its own code (issue #9); it was `invalid_input`, shared with
    // every other refusal, so the UI could not tell it apart.
    assert_eq!(out["code"], "key_limit", "{out}");
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

// ---- Two-phase rotation, the rotation lock, and the safety fixes of issue #9 ----

use bucketdesk::config::ConfigStore;
use bucketdesk::error::{Described, ErrorCode};
use bucketdesk::iam::rotation::{self, OldKeyFate, Retire, RotationError, RotationState};
use bucketdesk::locale::Language;
use bucketdesk::secrets::{Keychain, SERVICE};
use bucketdesk::sources::Sources;
use bucketdesk::sources::handoff::{self, HandoffFieldId};

/// The sources of `config_dir` with the CLI's keychain, as the app and the CLI see them.
fn core_sources(config_dir: &Path) -> Sources {
    Sources::new(ConfigStore::new(config_dir), Keychain::new(SERVICE))
}

fn keychain_secret(key: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "bucketdesk", "username", key])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status_of(endpoint: &Endpoint, user: &str, key: &str) -> Option<String> {
    user_keys(endpoint, user)
        .into_iter()
        .find(|(id, _)| id == key)
        .map(|(_, status)| status)
}

#[test]
fn phase_one_keeps_the_old_key_active_and_finish_retires_it_when_asked() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    let sources = core_sources(dir.path());
    let before = handoff::fields(&sources, "shop-cdn", false, Language::En).unwrap();
    assert!(
        !before.registered,
        "not yet in Weekerp until the admin confirms"
    );
    handoff::confirm_registered(&sources, "shop-cdn", true).unwrap();
    let confirmed = handoff::fields(&sources, "shop-cdn", false, Language::En).unwrap();
    assert!(confirmed.registered, "confirmed with the current key");

    let status = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En).await
    })
    .expect("phase 1");
    assert_eq!(status.state, RotationState::AwaitingWeekerp);
    let new = source_key(dir.path());
    assert_ne!(new, old, "the source uses the new key");
    assert_eq!(status.new_key.as_deref(), Some(new.as_str()));
    // moto accepts Inactive keys, so the status is what proves production kept its key.
    assert_eq!(
        status_of(endpoint, &user, &old).as_deref(),
        Some("Active"),
        "phase 1 leaves the old key Active"
    );
    assert_eq!(status_of(endpoint, &user, &new).as_deref(), Some("Active"));
    assert!(
        status.last_used_read_at.is_some(),
        "the old key's last use was read, and when"
    );
    let (code, report) = cli(
        endpoint,
        dir.path(),
        &["source", "verify", "shop-cdn"],
        None,
    );
    assert_eq!(
        code,
        Some(0),
        "the source verifies with the new key: {report}"
    );

    // The badge survives a restart: it is read from the record.
    let shown = rotation::status(&sources, "shop-cdn")
        .unwrap()
        .expect("in progress");
    assert_eq!(shown.state, RotationState::AwaitingWeekerp);
    assert_eq!(shown.old_key, old);

    the_handoff_panel_has_the_new_key_hidden_until_asked(&sources, &new);

    // Starting it again re-verifies and reports the same rotation; no third key.
    let again = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En).await
    })
    .unwrap();
    assert_eq!(again.new_key, status.new_key);
    assert_eq!(user_keys(endpoint, &user).len(), 2);

    finish_with_a_grace_period_then_delete_now(endpoint, dir.path(), &sources, &user, (&old, &new));
}

/// The hand-off panel has the new key, and Weekerp needs it again.
fn the_handoff_panel_has_the_new_key_hidden_until_asked(sources: &Sources, new: &str) {
    let hidden = handoff::fields(sources, "shop-cdn", false, Language::En).unwrap();
    assert_eq!(hidden.value(HandoffFieldId::AccessKeyId), Some(new));
    assert_eq!(
        hidden.value(HandoffFieldId::SecretAccessKey),
        None,
        "hidden until asked"
    );
    assert!(!hidden.registered, "registered with the old key only");
    let revealed = handoff::fields(sources, "shop-cdn", true, Language::En).unwrap();
    assert_eq!(
        revealed.value(HandoffFieldId::SecretAccessKey),
        Some(keychain_secret(new).as_str()),
        "the revealed secret is the keychain's"
    );
}

/// Finish with a 24-hour grace period (the old key Inactive, not deleted), then delete now.
fn finish_with_a_grace_period_then_delete_now(
    endpoint: &Endpoint,
    config_dir: &Path,
    sources: &Sources,
    user: &str,
    (old, new): (&str, &str),
) {
    let done = block_on(async {
        let iam = endpoint.iam().await;
        rotation::finish(
            &iam,
            sources,
            "shop-cdn",
            OldKeyFate::DeleteAfter { hours: 24 },
            false,
            Language::En,
        )
        .await
    })
    .expect("finish");
    assert_eq!(done.old_key_state, "inactive_until_deleted");
    assert_eq!(status_of(endpoint, user, old).as_deref(), Some("Inactive"));
    assert_eq!(
        rotation::status(sources, "shop-cdn")
            .unwrap()
            .unwrap()
            .state,
        RotationState::GracePeriod
    );
    assert_safe(endpoint, config_dir, user, "during the grace period");

    // Asked to delete it now.
    let done = block_on(async {
        let iam = endpoint.iam().await;
        rotation::finish(
            &iam,
            sources,
            "shop-cdn",
            OldKeyFate::DeleteNow,
            false,
            Language::En,
        )
        .await
    })
    .expect("delete now");
    assert_eq!(done.old_key_state, "deleted");
    assert_eq!(
        user_keys(endpoint, user),
        vec![(new.to_owned(), "Active".into())]
    );
    assert!(!in_keychain(old), "the old secret left the keychain");
    assert!(rotation::status(sources, "shop-cdn").unwrap().is_none());
    assert_safe(endpoint, config_dir, user, "after finish");
}

#[test]
fn cancel_restores_the_old_key_and_leaves_one_key() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    let sources = core_sources(dir.path());
    let status = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En).await
    })
    .unwrap();
    let new = status.new_key.unwrap();
    let cancelled = block_on(async {
        let iam = endpoint.iam().await;
        rotation::cancel(&iam, &sources, "shop-cdn", Language::En).await
    })
    .expect("cancel");
    assert_eq!(cancelled.deleted_key.as_deref(), Some(new.as_str()));
    assert_eq!(
        source_key(dir.path()),
        old,
        "the source is back on the old key"
    );
    assert_eq!(
        user_keys(endpoint, &user),
        vec![(old.clone(), "Active".into())],
        "one key left: the old one, Active"
    );
    assert!(!in_keychain(&new), "the new secret left the keychain");
    assert!(rotation::status(&sources, "shop-cdn").unwrap().is_none());
    assert_safe(endpoint, dir.path(), &user, "after cancel");
}

#[test]
fn finish_warns_first_when_the_old_key_was_used_after_the_switch() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    let sources = core_sources(dir.path());
    block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En)
            .await
            .unwrap();
        // Weekerp, still on the old key, reads an image after the switch.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let target = endpoint.target(&old, &keychain_secret(&old));
        let sts = bucketdesk::aws::sts_client(&bucketdesk::aws::sdk_config(&target).await);
        sts.get_caller_identity()
            .send()
            .await
            .expect("the old key still works");
        let refused = rotation::finish(
            &iam,
            &sources,
            "shop-cdn",
            OldKeyFate::DeleteNow,
            false,
            Language::En,
        )
        .await
        .expect_err("a use after the switch is reported first");
        assert_eq!(refused.code(), ErrorCode::OldKeyStillUsed, "{refused:?}");
        assert!(
            refused
                .describe(Language::En)
                .contains("Weekerp may still be on it")
        );
    });
    assert_eq!(
        status_of(endpoint, &user, &old).as_deref(),
        Some("Active"),
        "nothing changed"
    );
    block_on(async {
        let iam = endpoint.iam().await;
        rotation::finish(
            &iam,
            &sources,
            "shop-cdn",
            OldKeyFate::DeleteNow,
            true,
            Language::En,
        )
        .await
        .expect("finish once confirmed");
    });
    assert_eq!(
        status_of(endpoint, &user, &old),
        None,
        "the old key is deleted"
    );
    assert_safe(endpoint, dir.path(), &user, "after the confirmed finish");
}

#[test]
fn two_rotations_of_one_source_at_once_exactly_one_proceeds() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());

    // Deterministic: another process holds this source's rotation lock.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("rotation-shop-cdn.lock"))
        .unwrap();
    lock.lock().unwrap();
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "rotate", "--source", "shop-cdn", "--one-shot"],
        None,
    );
    assert_ne!(code, Some(0), "{out}");
    assert_eq!(out["code"], "rotation_in_progress", "{out}");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("rotation of this source"),
        "{out}"
    );
    assert_eq!(user_keys(endpoint, &user).len(), 1, "nothing was created");
    drop(lock);

    // Two processes started together.
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
            .args(["--json", "--endpoint-url", &endpoint.server.endpoint()])
            .args(["keys", "rotate", "--source", "shop-cdn", "--one-shot"])
            .env("BUCKETDESK_CONFIG_DIR", dir.path())
            .env("AWS_ACCESS_KEY_ID", &endpoint.admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", endpoint.admin.secret.expose())
            .env("AWS_REGION", moto::REGION)
            .env_remove("AWS_PROFILE")
            .env("LANG", "en_US.UTF-8")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs: Vec<(bool, Value)> = [a, b]
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.success(),
                serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
            )
        })
        .collect();
    let ok = outs.iter().filter(|(ok, _)| *ok).count();
    assert_eq!(ok, 1, "exactly one proceeds: {outs:?}");
    let refused = &outs.iter().find(|(ok, _)| !ok).unwrap().1;
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("rotation of this source") || message.contains("two keys"),
        "the other refuses in plain words (in progress, or after it: the limit): {refused}"
    );
    assert!(user_keys(endpoint, &user).len() <= 2, "never three keys");
    assert_safe(endpoint, dir.path(), &user, "after two rotations at once");
}

/// Every key of the user has its secret in the keychain.
fn assert_no_key_without_secret(endpoint: &Endpoint, user: &str, when: &str) {
    for (id, _) in user_keys(endpoint, user) {
        assert!(
            in_keychain(&id),
            "{when}: key {id} has its secret in the keychain"
        );
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_a_working_key() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let rotate_cmd = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bucketdesk"));
        cmd.args(["--json", "--endpoint-url", &endpoint.server.endpoint()])
            .args([
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ])
            .env("BUCKETDESK_CONFIG_DIR", dir.path())
            .env("AWS_ACCESS_KEY_ID", &endpoint.admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", endpoint.admin.secret.expose())
            .env("AWS_REGION", moto::REGION)
            .env_remove("AWS_PROFILE")
            .env_remove("BUCKETDESK_FAULT_AFTER")
            .env("LANG", "en_US.UTF-8")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // How long a whole rotation takes here: the kills land anywhere inside it.
    let t0 = std::time::Instant::now();
    assert!(rotate_cmd().status().unwrap().success());
    let span = t0.elapsed().as_millis().max(200) as u64;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    let mut killed_mid_way = 0;
    for round in 0..20 {
        // xorshift: a different moment each round, not only the recorded fault points.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = std::time::Duration::from_millis(seed % span);
        let mut child = rotate_cmd().spawn().unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            killed_mid_way += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let when = format!("round {round}, killed after {at:?}");
        assert!(
            user_keys(endpoint, &user).len() <= 2,
            "{when}: never three keys"
        );

        // The rerun finishes or rolls back (then one more run rotates).
        let mut finished = false;
        for _ in 0..3 {
            let (code, out) = cli(
                endpoint,
                dir.path(),
                &[
                    "keys",
                    "rotate",
                    "--source",
                    "shop-cdn",
                    "--one-shot",
                    "--delete-old",
                ],
                None,
            );
            if code == Some(0) {
                finished = true;
                break;
            }
            assert!(
                out["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("rolled back"),
                "{when}: a rerun either finishes or rolls back: {out}"
            );
        }
        assert!(finished, "{when}: the rerun rotated in the end");
        assert_no_key_without_secret(endpoint, &user, &when);
        assert_safe(endpoint, dir.path(), &user, &when);
        assert!(
            !dir.path().join("rotation-shop-cdn.json").exists(),
            "{when}: the record is cleared"
        );
    }
    assert!(
        killed_mid_way >= 5,
        "most kills landed inside a rotation: {killed_mid_way}"
    );
}

/// Runs the CLI without a reachable keychain (no session bus), as with a locked or missing
/// keychain.
fn cli_without_keychain(
    endpoint: &Endpoint,
    config_dir: &Path,
    args: &[&str],
) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args(["--json", "--endpoint-url", &endpoint.server.endpoint()])
        .args(args)
        .env("BUCKETDESK_CONFIG_DIR", config_dir)
        .env("AWS_ACCESS_KEY_ID", &endpoint.admin.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", endpoint.admin.secret.expose())
        .env("AWS_REGION", moto::REGION)
        .env_remove("AWS_PROFILE")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bucketdesk-test-bus",
        )
        .env("LANG", "en_US.UTF-8")
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

#[test]
fn a_resume_without_the_keychain_stops_and_deletes_nothing() {
    keyring_guard();
    let endpoint = moto::enforcing();
    for step in ["key_created", "new_key_stored"] {
        let dir = tempfile::tempdir().unwrap();
        let user = setup(endpoint, dir.path());
        let (code, _) = cli(
            endpoint,
            dir.path(),
            &[
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ],
            Some(step),
        );
        assert_eq!(code, Some(70), "{step}: crashed");
        let before = user_keys(endpoint, &user);
        assert_eq!(before.len(), 2, "{step}: the new key exists");

        let (code, out) = cli_without_keychain(
            endpoint,
            dir.path(),
            &[
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ],
        );
        assert_ne!(code, Some(0), "{step}: {out}");
        assert_eq!(out["code"], "keychain_unavailable", "{step}: {out}");
        assert!(
            out["message"]
                .as_str()
                .unwrap()
                .contains("nothing was deleted"),
            "{step}: {out}"
        );
        assert_eq!(
            user_keys(endpoint, &user),
            before,
            "{step}: no key was deleted"
        );
        assert!(
            dir.path().join("rotation-shop-cdn.json").exists(),
            "{step}: record kept"
        );

        // With the keychain back, the rerun finishes or rolls back as usual.
        let (mut code, mut out) = cli(
            endpoint,
            dir.path(),
            &[
                "keys",
                "rotate",
                "--source",
                "shop-cdn",
                "--one-shot",
                "--delete-old",
            ],
            None,
        );
        if code != Some(0) {
            assert!(
                out["message"].as_str().unwrap().contains("rolled back"),
                "{out}"
            );
            (code, out) = cli(
                endpoint,
                dir.path(),
                &[
                    "keys",
                    "rotate",
                    "--source",
                    "shop-cdn",
                    "--one-shot",
                    "--delete-old",
                ],
                None,
            );
        }
        assert_eq!(code, Some(0), "{step}: {out}");
        assert_no_key_without_secret(endpoint, &user, step);
        assert_safe(endpoint, dir.path(), &user, step);
    }
}

#[test]
fn retire_older_never_deletes_an_active_key() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    // A second Active key of the reader that production may be using (made elsewhere).
    let spare = block_on(async {
        let iam = endpoint.iam().await;
        let k = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        k.access_key().unwrap().access_key_id().to_owned()
    });
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &[
            "keys",
            "rotate",
            "--source",
            "shop-cdn",
            "--one-shot",
            "--retire-older",
        ],
        None,
    );
    assert_ne!(code, Some(0), "{out}");
    assert_eq!(out["code"], "key_limit", "{out}");
    assert!(
        out["message"].as_str().unwrap().contains(&spare),
        "names it: {out}"
    );
    assert_eq!(
        status_of(endpoint, &user, &spare).as_deref(),
        Some("Active"),
        "kept"
    );

    // Named explicitly, it may go.
    let sources = core_sources(dir.path());
    block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(
            &iam,
            &sources,
            "shop-cdn",
            Retire::Named(spare.clone()),
            Language::En,
        )
        .await
    })
    .expect("the admin named the key");
    assert_eq!(
        status_of(endpoint, &user, &spare),
        None,
        "the named key is deleted"
    );
    assert_eq!(user_keys(endpoint, &user).len(), 2);
}

#[test]
fn sources_sharing_a_key_are_rotated_together_or_refused_by_name() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = setup(endpoint, dir.path());
    let old = source_key(dir.path());
    let store = ConfigStore::new(dir.path());
    let first = store.load().unwrap().sources[0].clone();
    // A second source with the same key and bucket (another BasePath).
    store
        .update(|c| {
            let mut twin = first.clone();
            twin.name = "shop-twin".into();
            c.sources.push(twin);
            Ok(())
        })
        .unwrap();
    let sources = core_sources(dir.path());
    let status = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En).await
    })
    .expect("both verify");
    assert_eq!(status.sources, ["shop-cdn", "shop-twin"]);
    let new = status.new_key.clone().unwrap();
    let keys_of = |c: &bucketdesk::config::Config| {
        c.sources
            .iter()
            .map(|s| s.access_key_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys_of(&store.load().unwrap()), [new.clone(), new.clone()]);
    // Rotating the twin now is the same rotation: refused as in progress.
    let err = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-twin", Retire::Nothing, Language::En).await
    })
    .unwrap_err();
    assert!(matches!(err, RotationError::InProgress(_)), "{err:?}");
    block_on(async {
        let iam = endpoint.iam().await;
        rotation::finish(
            &iam,
            &sources,
            "shop-cdn",
            OldKeyFate::DeleteNow,
            false,
            Language::En,
        )
        .await
    })
    .expect("finish");
    assert_eq!(status_of(endpoint, &user, &old), None);

    // A sharing source the new key cannot serve: refused, naming it; nothing changed.
    store
        .update(|c| {
            let mut stranger = c.sources[0].clone();
            stranger.name = "shop-elsewhere".into();
            stranger.bucket = unique_name("nobucket");
            c.sources.push(stranger);
            Ok(())
        })
        .unwrap();
    let before = keys_of(&store.load().unwrap());
    let err = block_on(async {
        let iam = endpoint.iam().await;
        rotation::begin(&iam, &sources, "shop-cdn", Retire::Nothing, Language::En).await
    })
    .unwrap_err();
    assert!(
        err.describe(Language::En).contains("shop-elsewhere"),
        "{err:?}"
    );
    assert_eq!(
        keys_of(&store.load().unwrap()),
        before,
        "no source was switched"
    );
    assert_eq!(
        user_keys(endpoint, &user),
        vec![(new, "Active".into())],
        "the new key went"
    );
}

#[test]
fn keys_delete_takes_the_secret_out_of_the_keychain() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = bare_user(endpoint, "del");
    let (code, out) = cli(
        endpoint,
        dir.path(),
        &["keys", "create", "--user", &user],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let key = out["accessKeyId"].as_str().unwrap().to_owned();
    assert!(in_keychain(&key));
    let (code, out) = cli(endpoint, dir.path(), &["keys", "delete", &key], None);
    assert_eq!(code, Some(0), "{out}");
    assert!(user_keys(endpoint, &user).is_empty());
    assert!(
        !in_keychain(&key),
        "the CLI's delete removes the secret too"
    );
}
