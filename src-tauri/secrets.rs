//! Secrets: a type that never prints, and the OS keychain as the only place they are kept.
//!
//! There is no plaintext fallback: when the keychain cannot be reached the operation fails
//! with [`SecretError::Unavailable`] and nothing is stored anywhere else.

use std::fmt;

use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The keychain service name under which Bucketdesk keeps its secrets.
pub const SERVICE: &str = "bucketdesk";

/// A secret string (an AWS Secret Access Key). `Debug` and `Display` are redacted; the only
/// way to the text is [`SecretString::expose`], so every use is visible in review.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Secrets arrive from the UI (the wizard) and from stdin; they never serialize back out.
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::new)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is freed.
        // SAFETY: zero bytes are valid UTF-8.
        unsafe { self.0.as_bytes_mut() }.fill(0);
    }
}

/// Shows an access key ID the way the UI lists it: `AKIA…ABCD`. Short or odd input never
/// reveals more than half of itself.
pub fn mask_key_id(key_id: &str) -> String {
    let chars: Vec<char> = key_id.chars().collect();
    if chars.len() >= 12 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else if chars.len() >= 4 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("…{tail}")
    } else {
        "…".to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keychain is not available: {0}")]
    Unavailable(String),
    #[error("no secret in the keychain for {account}")]
    NotFound { account: String },
    #[error("the keychain refused the request: {0}")]
    Refused(String),
}

impl Described for SecretError {
    fn code(&self) -> ErrorCode {
        ErrorCode::KeychainUnavailable
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            SecretError::Unavailable(detail) => lang.pick(
                format!(
                    "OS 키체인을 사용할 수 없습니다({detail}). 키체인(예: GNOME 키링)을 열고 \
                     잠금을 해제한 뒤 다시 시도하세요. 비밀 키는 다른 곳에 저장하지 않았습니다."
                ),
                format!(
                    "The OS keychain is not available ({detail}). Open and unlock your keychain \
                     (e.g. GNOME Keyring) and try again. The secret was not stored anywhere else."
                ),
            ),
            SecretError::NotFound { account } => lang.pick(
                format!("키체인에 {account}의 비밀 키가 없습니다. 비밀 키를 다시 입력하세요."),
                format!("The keychain has no secret for {account}. Enter the secret again."),
            ),
            SecretError::Refused(detail) => lang.pick(
                format!("키체인이 요청을 거부했습니다: {detail}"),
                format!("The keychain refused the request: {detail}"),
            ),
        }
    }
}

impl From<keyring::Error> for SecretError {
    fn from(err: keyring::Error) -> Self {
        use keyring::Error as K;
        match err {
            K::NoDefaultStore | K::NoStorageAccess(_) | K::PlatformFailure(_) => {
                SecretError::Unavailable(err.to_string())
            }
            other => SecretError::Refused(other.to_string()),
        }
    }
}

/// The OS keychain, under one service name. Calls block (D-Bus on Linux): run them on a
/// blocking thread from async code.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Keychain {
    pub fn new(service: impl Into<String>) -> Self {
        Keychain {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, SecretError> {
        Ok(keyring::Entry::new(&self.service, account)?)
    }

    pub fn store(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        self.entry(account)?.set_password(secret.expose())?;
        Ok(())
    }

    pub fn get(&self, account: &str) -> Result<SecretString, SecretError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(SecretString::new(secret)),
            Err(keyring::Error::NoEntry) => Err(SecretError::NotFound {
                account: account.to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The secret, or `None` when there is no entry. A keychain that cannot be reached
    /// (locked, missing) is an error, never `None`: callers that clean up after a crash
    /// must not take "cannot look" for "not there".
    pub fn lookup(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        match self.get(account) {
            Ok(secret) => Ok(Some(secret)),
            Err(SecretError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the entry; an entry that is already gone is not an error.
    pub fn delete(&self, account: &str) -> Result<(), SecretError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = SecretString::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        for shown in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{:#?}", Some(&secret)),
        ] {
            assert!(
                !shown.contains("wJalr"),
                "secret leaked through formatting: {shown}"
            );
            assert!(
                shown.contains("redacted"),
                "redaction must be visible: {shown}"
            );
        }
        assert_eq!(secret.expose(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    }

    #[test]
    fn key_ids_are_masked_safely() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(mask_key_id("AKIA12345678"), "AKIA…5678");
        assert_eq!(mask_key_id("SHORTKEY"), "…EY");
        assert_eq!(mask_key_id("abc"), "…");
        assert_eq!(mask_key_id(""), "…");
        assert_eq!(mask_key_id("가나다라마바사아자차카타"), "가나다라…자차카타");
    }
}
