//! A secret on the clipboard does not stay there: it is cleared after a while unless
//! something else was copied since (then the clipboard is the user's again and is left
//! alone). The clipboard itself is the caller's (the Tauri clipboard plugin in the app).

use std::time::Duration;

use crate::secrets::SecretString;

/// How long a copied secret stays on the clipboard.
pub const SECRET_LIFETIME: Duration = Duration::from_secs(30);

/// [`SECRET_LIFETIME`], or `BUCKETDESK_CLIPBOARD_CLEAR_SECS` (the GUI tests shorten it).
pub fn secret_lifetime() -> Duration {
    std::env::var("BUCKETDESK_CLIPBOARD_CLEAR_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(SECRET_LIFETIME)
}

/// After `lifetime`, clears the clipboard if it still holds `copied`. Returns whether it
/// cleared it.
pub async fn clear_if_unchanged(
    lifetime: Duration,
    copied: &SecretString,
    read: impl Fn() -> Option<String>,
    clear: impl Fn(),
) -> bool {
    tokio::time::sleep(lifetime).await;
    if read().as_deref() == Some(copied.expose()) {
        clear();
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn run(after: impl FnOnce(&Mutex<String>)) -> (bool, String) {
        let board = Mutex::new("s3cr3t".to_owned());
        after(&board);
        let cleared = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(clear_if_unchanged(
                Duration::from_millis(10),
                &SecretString::new("s3cr3t"),
                || Some(board.lock().unwrap().clone()),
                || board.lock().unwrap().clear(),
            ));
        let left = board.lock().unwrap().clone();
        (cleared, left)
    }

    #[test]
    fn a_secret_still_on_the_clipboard_is_cleared() {
        assert_eq!(run(|_| {}), (true, String::new()));
    }

    #[test]
    fn something_copied_since_is_left_alone() {
        let (cleared, left) = run(|b| *b.lock().unwrap() = "my notes".into());
        assert!(!cleared);
        assert_eq!(left, "my notes", "the user's own copy stays");
    }
}
