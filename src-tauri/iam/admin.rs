//! Whether admin actions (IAM, buckets, rotation) may run now. While the app runs a sandbox,
//! admin credentials are the sandbox's own: until it is ready (or when it failed) there are
//! none, and falling back to the real AWS credential chain would act on a real account
//! under the sandbox banner. So admin actions are refused until the sandbox is ready.

use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The sandbox as the admin actions see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxPhase<'a> {
    /// No sandbox: the admin's own credential chain is used.
    Off,
    Starting,
    Ready,
    /// It could not start; the text says why.
    Failed(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("the sandbox is still starting")]
    SandboxStarting,
    #[error("the sandbox failed to start: {0}")]
    SandboxFailed(String),
}

impl Described for AdminError {
    fn code(&self) -> ErrorCode {
        ErrorCode::SandboxNotReady
    }

    fn describe(&self, lang: Language) -> String {
        match self {
            AdminError::SandboxStarting => lang.pick(
                "샌드박스가 아직 시작 중입니다. 준비되면 다시 하세요. 실제 AWS 계정에는 아무것도 하지 않았습니다.".into(),
                "The sandbox is still starting. Try again when it is ready; nothing was done on a real AWS account.".into(),
            ),
            AdminError::SandboxFailed(why) => lang.pick(
                format!("샌드박스가 시작되지 않아 관리 작업을 할 수 없습니다. 실제 AWS 계정으로 대신 하지 않았습니다: {why}"),
                format!("The sandbox did not start, so admin actions are unavailable; they were not run against a real AWS account instead: {why}"),
            ),
        }
    }
}

/// Refuses admin actions while the sandbox is starting or has failed.
pub fn admin_allowed(sandbox: SandboxPhase<'_>) -> Result<(), AdminError> {
    match sandbox {
        SandboxPhase::Off | SandboxPhase::Ready => Ok(()),
        SandboxPhase::Starting => Err(AdminError::SandboxStarting),
        SandboxPhase::Failed(why) => Err(AdminError::SandboxFailed(why.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_actions_wait_for_the_sandbox_and_never_fall_back() {
        assert_eq!(admin_allowed(SandboxPhase::Off), Ok(()));
        assert_eq!(admin_allowed(SandboxPhase::Ready), Ok(()));
        let starting = admin_allowed(SandboxPhase::Starting).unwrap_err();
        assert_eq!(starting.code(), ErrorCode::SandboxNotReady);
        assert!(starting.describe(Language::En).contains("still starting"));
        let failed = admin_allowed(SandboxPhase::Failed("moto not found")).unwrap_err();
        assert_eq!(failed.code(), ErrorCode::SandboxNotReady);
        let text = failed.describe(Language::Ko);
        assert!(
            text.contains("moto not found") && !text.contains("--"),
            "{text}"
        );
    }
}
