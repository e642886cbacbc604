//! Who may use the local CDN: a request must name the loopback authority the server serves
//! in `Host` (a page on `evil.example` that rebinds its DNS to 127.0.0.1 still sends its own
//! name → 403), and carry the per-install token (`?token=` or the `X-Bucketdesk-Token`
//! header; missing → 401, wrong → 403), compared in constant time.
//!
//! The token is 32 random bytes (hex) in `cdn-token` in the config dir, created on first use
//! with mode 0600. A file rather than the keychain: the server starts with the app and with
//! `bucketdesk cdn serve` before any keychain prompt could be answered, the secret guards only
//! loopback previews (not cloud credentials), and a user can rotate it by deleting the file.
//! The app adds it to its own preview URLs; production URLs never carry it.

use std::io::Write;
use std::path::Path;

use subtle::ConstantTimeEq;

/// Where the token is kept, in the config dir.
pub const TOKEN_FILE: &str = "cdn-token";
/// The header that may carry the token instead of the query.
pub const TOKEN_HEADER: &str = "x-bucketdesk-token";

/// The per-install secret. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into())
    }

    /// 32 bytes from the OS's random source, as 64 hex digits.
    pub fn random() -> Token {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        Token(hex::encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison (lengths are public: every token is 64 hex digits).
    pub fn matches(&self, offered: &str) -> bool {
        self.0.as_bytes().ct_eq(offered.as_bytes()).into()
    }

    /// The token of this install: read from `dir/cdn-token`, or created there (0600).
    pub fn load_or_create(dir: &Path) -> std::io::Result<Token> {
        let path = dir.join(TOKEN_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let text = text.trim();
            if text.len() >= 32 && text.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(Token(text.to_owned()));
            }
        }
        std::fs::create_dir_all(dir)?;
        let token = Token::random();
        let tmp = dir.join(format!(".{TOKEN_FILE}.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(token.0.as_bytes())?;
        file.sync_all()?;
        drop(file);
        // Two processes starting at once: the first rename wins and both read it back.
        if path.exists() {
            let _ = std::fs::remove_file(&tmp);
        } else {
            std::fs::rename(&tmp, &path)?;
        }
        let text = std::fs::read_to_string(&path)?;
        Ok(Token(text.trim().to_owned()))
    }
}

/// Whether a `Host` header names the loopback authority served on `port`.
pub fn host_allowed(host: &str, port: u16) -> bool {
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    p.parse::<u16>() == Ok(port) && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// The token offered in a query string (`token=…`), if any.
pub fn token_in_query(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_served_loopback_authority_passes() {
        assert!(host_allowed("127.0.0.1:7390", 7390));
        assert!(host_allowed("localhost:7390", 7390));
        assert!(host_allowed("LocalHost:7390", 7390));
        for bad in [
            "evil.example:7390",
            "127.0.0.1:7391",
            "127.0.0.1",
            "localhost",
            "127.0.0.2:7390",
            "localhost.evil.example:7390",
            "[::1]:7390",
            "",
            "127.0.0.1:7390:7390",
        ] {
            assert!(!host_allowed(bad, 7390), "{bad} must be refused");
        }
    }

    #[test]
    fn the_token_is_created_once_private_and_compared_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let a = Token::load_or_create(dir.path()).unwrap();
        let b = Token::load_or_create(dir.path()).unwrap();
        assert_eq!(a, b, "one token per install");
        assert_eq!(a.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "only the user reads the token");
        }
        assert!(a.matches(a.expose()));
        assert!(!a.matches(&a.expose()[..63]));
        assert!(!a.matches(""));
        assert!(!format!("{a:?}").contains(a.expose()), "Debug is redacted");
        assert_ne!(Token::random(), Token::random());
    }

    #[test]
    fn the_query_token_is_found() {
        assert_eq!(token_in_query("w=4&token=abc&h=3"), Some("abc"));
        assert_eq!(token_in_query("w=4"), None);
        assert_eq!(token_in_query("xtoken=abc"), None);
    }
}
