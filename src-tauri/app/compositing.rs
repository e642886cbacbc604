//! WebKitGTK's accelerated compositing, decided once before the web view exists.
//!
//! Without a GPU (no DRM render node: a VM, a remote desktop, Xvfb) WebKitGTK still
//! composites through OpenGL, on Mesa's software rasteriser (llvmpipe). Measured under
//! Xvfb with 10,000 keys scrolled in the browser (doc/BENCHMARKS.md), that costs the page
//! process ~150 MB and halves the scroll speed, for nothing a console needs (no WebGL, no
//! 3D transforms). So where there is no render node the app turns compositing off, as
//! `WEBKIT_DISABLE_COMPOSITING_MODE=1` does; with a GPU it keeps WebKit's default. A value
//! the user set (`0` or `1`) is always kept.

use std::ffi::OsStr;
use std::path::Path;

/// WebKitGTK's own variable: set and not `0` turns accelerated compositing off.
pub const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Whether the app should set [`VARIABLE`] itself: only when the user has not, and the
/// machine has no GPU render node.
pub fn should_turn_off(user_value: Option<&OsStr>, has_render_node: bool) -> bool {
    user_value.is_none() && !has_render_node
}

/// Whether `dri` (normally `/dev/dri`) holds a DRM render node (`renderD128`, …).
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Applies the decision to this process's environment, which the WebKit processes inherit.
/// Call it first thing in the GUI's start, before any thread exists.
pub fn apply() {
    let user = std::env::var_os(VARIABLE);
    if should_turn_off(user.as_deref(), has_render_node(Path::new("/dev/dri"))) {
        // SAFETY: called on the main thread before the GUI, the async runtime or any other
        // thread starts, so nothing reads the environment concurrently.
        unsafe { std::env::set_var(VARIABLE, "1") };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_only_without_a_render_node_and_without_the_users_choice() {
        assert!(should_turn_off(None, false));
        assert!(!should_turn_off(None, true));
        assert!(!should_turn_off(Some(OsStr::new("0")), false));
        assert!(!should_turn_off(Some(OsStr::new("1")), true));
    }

    #[test]
    fn a_render_node_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(
            !has_render_node(dir.path()),
            "a card node is not a render node"
        );
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
    }
}
