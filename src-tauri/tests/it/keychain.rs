//! The OS keychain through `keyring`, in the private Secret Service session of the tests.

use std::process::Command;

use bucketdesk::secrets::{Keychain, SecretError, SecretString};

use crate::support::{keyring_guard, unique_name};

#[test]
fn a_secret_round_trips_through_the_secret_service() {
    keyring_guard();
    let keychain = Keychain::new(unique_name("bucketdesk-test"));
    let account = "AKIAIOSFODNN7EXAMPLE";
    let secret = SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCY+한글 with spaces");

    keychain
        .store(account, &secret)
        .expect("store in the Secret Service");
    assert_eq!(keychain.get(account).expect("read back"), secret);

    // It is really in the Secret Service, where other tools find it.
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", keychain.service(), "username", account])
        .output()
        .expect("secret-tool runs (libsecret-tools)");
    assert_eq!(
        String::from_utf8_lossy(&lookup.stdout),
        secret.expose(),
        "secret-tool must find the stored secret"
    );

    keychain.delete(account).expect("delete");
    assert!(
        matches!(keychain.get(account), Err(SecretError::NotFound { .. })),
        "a deleted secret is gone"
    );
    keychain
        .delete(account)
        .expect("deleting twice is not an error");
}

#[test]
fn replacing_a_secret_keeps_only_the_new_one() {
    keyring_guard();
    let keychain = Keychain::new(unique_name("bucketdesk-test"));
    keychain
        .store("AKIAREPLACE", &SecretString::new("old"))
        .unwrap();
    keychain
        .store("AKIAREPLACE", &SecretString::new("new"))
        .unwrap();
    assert_eq!(keychain.get("AKIAREPLACE").unwrap().expose(), "new");
    keychain.delete("AKIAREPLACE").unwrap();
}
