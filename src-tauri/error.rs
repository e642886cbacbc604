//! The one error shape that crosses every boundary (Tauri IPC, the CLI's `--json`):
//! `{code, message}`. A code exists only where a caller branches on it; the message is
//! plain words in the user's language. Each area keeps its own error enum and describes
//! itself through [`Described`]; the boundary maps it once with [`ApiError::from_err`].

use serde::{Deserialize, Serialize};

use crate::locale::Language;

/// What a caller may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The config file exists but cannot be read as a config: it has been left untouched.
    ConfigCorrupt,
    /// The config file was written by a newer Bucketdesk.
    ConfigTooNew,
    /// Bad input, refused before anything changed.
    InvalidInput,
    /// A file could not be read or written.
    Io,
    /// The OS keychain could not be reached or refused the request.
    KeychainUnavailable,
    /// The feature is not part of this build yet.
    NotAvailable,
    /// The access key ID does not exist.
    UnknownKey,
    /// The access key exists but the secret is wrong.
    WrongSecret,
    /// The bucket does not exist.
    NoSuchBucket,
    /// The key is not allowed the action (the message names it).
    AccessDenied,
    /// The request went to the wrong region.
    WrongRegion,
    /// The endpoint could not be reached or did not answer in time.
    Unreachable,
    /// This computer's clock is too far off for signed requests.
    ClockSkew,
    /// The named thing (source, object) does not exist.
    NotFound,
    /// The name is already used.
    NameTaken,
    /// The bucket still holds objects, versions or unfinished uploads: empty it first.
    BucketNotEmpty,
    /// The service asked us to slow down.
    Throttled,
    /// The IAM user already has two access keys (the IAM limit; inactive ones count).
    KeyLimit,
    /// A rotation of this source is running or waiting for Finish or Cancel.
    RotationInProgress,
    /// Finishing a rotation: the old key was used after the switch (Weekerp may still be on
    /// it); finish again once confirmed.
    OldKeyStillUsed,
    /// Admin actions wait while the sandbox starts, and are refused when it failed.
    SandboxNotReady,
    /// Anything else: a bug or an unexpected state.
    Internal,
}

/// The error every command returns across IPC and in `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// A domain error that can say what went wrong in plain words.
pub trait Described {
    fn code(&self) -> ErrorCode;
    fn describe(&self, lang: Language) -> String;
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub fn from_err(err: &impl Described, lang: Language) -> Self {
        ApiError::new(err.code(), err.describe(lang))
    }
}

/// The one mapping of a domain result to the boundary's error, for every adapter:
/// `core_call().in_language(lang)?`.
pub trait InLanguage<T> {
    fn in_language(self, lang: Language) -> Result<T, ApiError>;
}

impl<T, E: Described> InLanguage<T> for Result<T, E> {
    fn in_language(self, lang: Language) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::from_err(&e, lang))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_code_and_message_only() {
        let err = ApiError::new(ErrorCode::ConfigCorrupt, "config.json is not valid");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "config_corrupt", "message": "config.json is not valid"}),
            "the UI and --json consumers rely on exactly these two fields"
        );
    }

    #[test]
    fn every_code_has_a_stable_snake_case_name() {
        let names: Vec<String> = [
            ErrorCode::ConfigCorrupt,
            ErrorCode::ConfigTooNew,
            ErrorCode::InvalidInput,
            ErrorCode::Io,
            ErrorCode::KeychainUnavailable,
            ErrorCode::NotAvailable,
            ErrorCode::Internal,
            ErrorCode::UnknownKey,
            ErrorCode::AccessDenied,
        ]
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "\"config_corrupt\"",
                "\"config_too_new\"",
                "\"invalid_input\"",
                "\"io\"",
                "\"keychain_unavailable\"",
                "\"not_available\"",
                "\"internal\"",
                "\"unknown_key\"",
                "\"access_denied\""
            ]
        );
    }

    #[test]
    fn the_rotation_and_sandbox_cases_have_codes_of_their_own() {
        let names: Vec<String> = [
            ErrorCode::KeyLimit,
            ErrorCode::RotationInProgress,
            ErrorCode::OldKeyStillUsed,
            ErrorCode::SandboxNotReady,
        ]
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "\"key_limit\"",
                "\"rotation_in_progress\"",
                "\"old_key_still_used\"",
                "\"sandbox_not_ready\""
            ]
        );
    }
}
