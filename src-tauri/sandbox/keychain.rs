//! The sandbox's own keychain: where the session has no Secret Service (a headless machine,
//! `xvfb-run`, a minimal desktop without GNOME Keyring or KWallet), a private D-Bus session
//! daemon with an unlocked `gnome-keyring-daemon` on it, for this process alone.
//!
//! Why it is process-wide state: `keyring` picks its store once per process, at the first
//! keychain call, from the session bus that `DBUS_SESSION_BUS_ADDRESS` names. So the private
//! session must be up, and the variable must point at it, before anything touches the
//! keychain, and it stays for the life of the process. [`start_if_needed`] does that once,
//! from `AppState::from_env` (before Tauri, tokio or any keychain use); [`stop`] ends it on
//! quit.
//!
//! Its files (the bus socket and config, the throwaway keyring) live in `keychain/` under the
//! sandbox's folder and are removed by [`stop`]. Both daemons are started with
//! `PR_SET_PDEATHSIG` (see [`super::moto`]), so they die with the app even on a crash; the
//! folder of a crashed run is removed at the next sandbox start with the rest of the sandbox.
//!
//! Outside the sandbox nothing here runs: no Secret Service stays a clear error and nothing
//! is saved (see [`crate::secrets`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Described, ErrorCode};
use crate::locale::Language;

/// The Secret Service's well-known name on the session bus.
pub const SECRETS_NAME: &str = "org.freedesktop.secrets";
/// The folder under the sandbox's folder that holds the private session's files.
pub const KEYCHAIN_DIR: &str = "keychain";
/// How long the keyring daemon gets to appear on the private bus.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Only unlocks a throwaway keyring that is deleted on quit.
const KEYRING_PASSWORD: &str = "bucketdesk-sandbox";
/// `sun_path` is 108 bytes on Linux, the terminating NUL included.
const MAX_SOCKET_PATH: usize = 107;

/// Which keychain the sandbox's secrets go to (the banner says "sandbox keychain" for
/// `sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum KeychainKind {
    /// The session's own Secret Service.
    System,
    /// The private, throwaway one started for the sandbox.
    Sandbox,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum KeychainError {
    #[error("{program} is not installed (Debian/Ubuntu package {package})")]
    ToolMissing {
        program: &'static str,
        package: &'static str,
    },
    #[error("{program} failed: {detail}")]
    Daemon {
        program: &'static str,
        detail: String,
    },
    #[error("{SECRETS_NAME} did not appear on the sandbox's D-Bus session within {secs} s")]
    NotReady { secs: u64 },
    #[error("cannot write {path}: {detail}")]
    Io { path: PathBuf, detail: String },
    #[error(
        "the sandbox folder's path is too long for a D-Bus socket ({len} bytes, at most {MAX_SOCKET_PATH}): {path}"
    )]
    PathTooLong { path: PathBuf, len: usize },
}

impl Described for KeychainError {
    fn code(&self) -> ErrorCode {
        ErrorCode::KeychainUnavailable
    }

    fn describe(&self, lang: Language) -> String {
        let detail = self.to_string();
        let fix_ko = match self {
            KeychainError::ToolMissing { package, .. } => {
                format!(" `sudo apt install {package}`로 설치한 뒤 다시 시작하세요.")
            }
            KeychainError::PathTooLong { .. } => {
                " BUCKETDESK_CONFIG_DIR을 더 짧은 경로로 지정하세요.".to_owned()
            }
            _ => String::new(),
        };
        let fix_en = match self {
            KeychainError::ToolMissing { package, .. } => {
                format!(" Install it with `sudo apt install {package}` and start again.")
            }
            KeychainError::PathTooLong { .. } => {
                " Point BUCKETDESK_CONFIG_DIR at a shorter path.".to_owned()
            }
            _ => String::new(),
        };
        lang.pick(
            format!(
                "이 세션에는 OS 키체인(Secret Service)이 없어 샌드박스용 키체인을 시작하려 했지만 \
                 실패했습니다: {detail}.{fix_ko}"
            ),
            format!(
                "This session has no OS keychain (Secret Service), and the sandbox keychain \
                 could not start: {detail}.{fix_en}"
            ),
        )
    }
}

/// A running private session: the bus daemon, the keyring daemon on it, and their folder.
#[derive(Debug)]
struct PrivateSession {
    dir: PathBuf,
    address: String,
    bus: Child,
    keyring: Child,
}

/// What this process's keychain is. One per process, like `keyring`'s store.
#[derive(Debug)]
enum State {
    /// [`start_if_needed`] has not run (the CLI, outside the sandbox, tests of the core).
    Untouched,
    System,
    Sandbox(PrivateSession),
    Failed(KeychainError),
    /// The private session was stopped by [`stop`].
    Stopped,
}

static STATE: Mutex<State> = Mutex::new(State::Untouched);

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes sure the sandbox has a keychain: the session's own Secret Service when it has one,
/// else a private, unlocked gnome-keyring on a private D-Bus session with its files under
/// `sandbox_dir/keychain`, and this process pointed at it. Call it once, when the sandbox is
/// wanted, before anything touches the keychain and before other threads exist. The outcome
/// is kept for [`status`]; calling it again returns it unchanged.
pub fn start_if_needed(sandbox_dir: &Path) -> Result<KeychainKind, KeychainError> {
    let mut state = state();
    match &*state {
        State::System => return Ok(KeychainKind::System),
        State::Sandbox(_) => return Ok(KeychainKind::Sandbox),
        State::Failed(e) => return Err(e.clone()),
        State::Untouched | State::Stopped => {}
    }
    if session_has_secret_service() {
        *state = State::System;
        return Ok(KeychainKind::System);
    }
    match start_private(&sandbox_dir.join(KEYCHAIN_DIR)) {
        Ok(session) => {
            // SAFETY (set_var): `keyring` reads this variable once, when it first connects;
            // it must name the private bus before then, and `std::env::set_var` must not race
            // a read of the environment by code outside std. This runs from
            // `AppState::from_env`, on the main thread, before Tauri, GTK, tokio or any
            // keychain call: the only other thread is our child spawner (see
            // `super::moto::spawn_tethered`), which reads the environment only through
            // `std::process::Command`, under std's environment lock. (A test calling this
            // from a libtest thread has the harness's main thread waiting on a channel.)
            unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &session.address) };
            *state = State::Sandbox(session);
            Ok(KeychainKind::Sandbox)
        }
        Err(e) => {
            *state = State::Failed(e.clone());
            Err(e)
        }
    }
}

/// The keychain the sandbox uses: `System` unless [`start_if_needed`] started a private one;
/// the error when it tried and failed.
pub fn status() -> Result<KeychainKind, KeychainError> {
    match &*state() {
        State::Sandbox(_) => Ok(KeychainKind::Sandbox),
        State::Failed(e) => Err(e.clone()),
        State::Untouched | State::System | State::Stopped => Ok(KeychainKind::System),
    }
}

/// The private session's bus address while it runs.
pub fn private_bus_address() -> Option<String> {
    match &*state() {
        State::Sandbox(session) => Some(session.address.clone()),
        _ => None,
    }
}

/// Stops the private session, if one runs: the keyring daemon, then the bus, then removes
/// their folder. The process keeps pointing at the (now gone) bus: `keyring` cannot switch
/// stores anyway, and this runs on quit.
pub fn stop() {
    let mut state = state();
    if !matches!(&*state, State::Sandbox(_)) {
        return;
    }
    if let State::Sandbox(mut session) = std::mem::replace(&mut *state, State::Stopped) {
        end(&mut session.keyring);
        end(&mut session.bus);
        let _ = std::fs::remove_dir_all(&session.dir);
    }
}

/// Whether the session bus that `keyring` would use (as zbus finds it:
/// `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`) has an owner of
/// `org.freedesktop.secrets`. A Secret Service that is only activatable does not count: on a
/// machine without a desktop its keyring is locked, and the unlock prompt would block.
pub fn session_has_secret_service() -> bool {
    let Some(address) = session_bus_address() else {
        return false;
    };
    has_owner(&address, SECRETS_NAME)
}

/// The session bus address as zbus resolves it on Linux.
fn session_bus_address() -> Option<String> {
    if let Some(address) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        let address = address.to_string_lossy().into_owned();
        return (!address.is_empty()).then_some(address);
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", unsafe { libc::geteuid() })));
    let socket = runtime.join("bus");
    socket
        .exists()
        .then(|| format!("unix:path={}", socket.display()))
}

/// Asks the bus at `address` whether `name` has an owner. `dbus-send --bus` connects only
/// there: it never autolaunches a bus (as it would on X11 with no address).
fn has_owner(address: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .arg(format!("--bus={address}"))
        .args([
            "--print-reply",
            "--reply-timeout=2000",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
        ])
        .arg(format!("string:{name}"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("boolean true")
        })
}

fn start_private(dir: &Path) -> Result<PrivateSession, KeychainError> {
    for (program, package) in [
        ("dbus-daemon", "dbus-daemon"),
        ("dbus-send", "dbus-bin"),
        ("gnome-keyring-daemon", "gnome-keyring"),
    ] {
        if !on_path(program) {
            return Err(KeychainError::ToolMissing { program, package });
        }
    }
    let runtime = dir.join("runtime");
    let socket = runtime.join("bus");
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(KeychainError::PathTooLong { path: socket, len });
    }
    let _ = std::fs::remove_dir_all(dir);
    for sub in ["runtime", "data", "config", "cache"] {
        create_private_dir(&dir.join(sub))?;
    }
    let config = dir.join("bus.conf");
    std::fs::write(&config, bus_config(&socket)).map_err(|e| KeychainError::Io {
        path: config.clone(),
        detail: e.to_string(),
    })?;

    let mut bus = start_bus(&config)?;
    let address = match read_address(&mut bus) {
        Ok(address) => address,
        Err(e) => {
            end(&mut bus);
            return Err(e);
        }
    };
    let mut keyring = match start_keyring(dir, &address) {
        Ok(keyring) => keyring,
        Err(e) => {
            end(&mut bus);
            return Err(e);
        }
    };
    if let Err(e) = wait_for_owner(&address, &mut keyring) {
        end(&mut keyring);
        end(&mut bus);
        return Err(e);
    }
    Ok(PrivateSession {
        dir: dir.to_owned(),
        address,
        bus,
        keyring,
    })
}

/// A session bus like the standard one, but listening only on our socket and with no
/// service directories: nothing is activated on it, only the keyring daemon and this app
/// connect.
fn bus_config(socket: &Path) -> String {
    let socket = xml_escape(&socket.to_string_lossy());
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn start_bus(config: &Path) -> Result<Child, KeychainError> {
    let mut cmd = Command::new("dbus-daemon");
    cmd.arg("--nofork")
        .arg(format!("--config-file={}", config.display()))
        .arg("--print-address=1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    super::moto::spawn_tethered(cmd).map_err(|e| KeychainError::Daemon {
        program: "dbus-daemon",
        detail: e.to_string(),
    })
}

/// The first line dbus-daemon prints is its address, once it listens; it exits (closing
/// stdout) when it cannot.
fn read_address(bus: &mut Child) -> Result<String, KeychainError> {
    let failed = |detail: String| KeychainError::Daemon {
        program: "dbus-daemon",
        detail,
    };
    let stdout = bus
        .stdout
        .take()
        .ok_or_else(|| failed("no stdout".into()))?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| failed(e.to_string()))?;
    let address = line.trim().to_owned();
    if address.is_empty() {
        let status = bus.wait().map(|s| s.to_string()).unwrap_or_default();
        return Err(failed(format!("exited without an address ({status})")));
    }
    Ok(address)
}

fn start_keyring(dir: &Path, address: &str) -> Result<Child, KeychainError> {
    let mut cmd = Command::new("gnome-keyring-daemon");
    cmd.args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        // Its keyring file and control socket go under the sandbox's folder, never into the
        // user's own ~/.local/share/keyrings or runtime dir.
        .env("HOME", dir)
        .env("XDG_RUNTIME_DIR", dir.join("runtime"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        // With a display, a locked collection opens a prompt and the call blocks; the
        // collection is unlocked, but no prompt is ever wanted from a throwaway keyring.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GNOME_KEYRING_CONTROL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = super::moto::spawn_tethered(cmd).map_err(|e| KeychainError::Daemon {
        program: "gnome-keyring-daemon",
        detail: e.to_string(),
    })?;
    // `--unlock` reads the login keyring's password from stdin, up to EOF.
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(KEYRING_PASSWORD.as_bytes()));
    if let Some(Err(e)) = written {
        end(&mut child);
        return Err(KeychainError::Daemon {
            program: "gnome-keyring-daemon",
            detail: format!("cannot pass the password: {e}"),
        });
    }
    Ok(child)
}

fn wait_for_owner(address: &str, keyring: &mut Child) -> Result<(), KeychainError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = keyring.try_wait() {
            return Err(KeychainError::Daemon {
                program: "gnome-keyring-daemon",
                detail: format!("exited before it served {SECRETS_NAME} ({status})"),
            });
        }
        if has_owner(address, SECRETS_NAME) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(KeychainError::NotReady {
        secs: READY_TIMEOUT.as_secs(),
    })
}

/// SIGTERM, then SIGKILL after 3 s; always reaped.
fn end(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        // SAFETY: signalling our own child, which has not been reaped (try_wait said so).
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}

fn create_private_dir(path: &Path) -> Result<(), KeychainError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| KeychainError::Io {
            path: path.to_owned(),
            detail: e.to_string(),
        })
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_config_listens_only_on_our_socket_and_activates_nothing() {
        let config = bus_config(Path::new("/tmp/a&b/runtime/bus"));
        assert!(
            config.contains("<listen>unix:path=/tmp/a&amp;b/runtime/bus</listen>"),
            "the socket path is XML-escaped: {config}"
        );
        assert_eq!(config.matches("<listen>").count(), 1, "one listen address");
        assert!(
            !config.contains("servicedir"),
            "no service directories: nothing is activated on the private bus"
        );
    }

    #[test]
    fn a_bus_that_does_not_exist_has_no_secret_service() {
        assert!(
            !has_owner("unix:path=/nonexistent/bucketdesk-bus", SECRETS_NAME),
            "no bus, no Secret Service"
        );
    }

    #[test]
    fn errors_name_the_package_to_install() {
        let err = KeychainError::ToolMissing {
            program: "gnome-keyring-daemon",
            package: "gnome-keyring",
        };
        assert_eq!(err.code(), ErrorCode::KeychainUnavailable);
        let en = err.describe(Language::En);
        assert!(en.contains("sudo apt install gnome-keyring"), "{en}");
        assert!(en.contains("sandbox keychain"), "{en}");
        let ko = err.describe(Language::Ko);
        assert!(ko.contains("sudo apt install gnome-keyring"), "{ko}");
        assert!(ko.contains("샌드박스"), "{ko}");
    }
}
