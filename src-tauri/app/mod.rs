//! The Tauri layer: window, state and thin commands over the core. Nothing here decides
//! anything the CLI or the tests would need; it wires the core to the UI.

pub mod bindings;
pub mod browse;
pub mod buckets;
pub mod cdn;
pub mod compositing;
pub mod iam;
pub mod keys;
pub mod settings;
pub mod sources;
pub mod transfer;
pub mod weekerp;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use tauri::{Manager, RunEvent, Runtime};

use crate::config::ConfigStore;
use crate::error::ApiError;
use crate::locale::Language;
use crate::sandbox::{self, MotoServer, Sandbox, SandboxMode};
use crate::secrets::Keychain;
use crate::sources::Sources;

pub use settings::{AppInfo, SandboxState};

/// Where the sandbox is in its life.
enum SandboxSlot {
    Off,
    Starting,
    Ready(Sandbox),
    Failed(String),
}

/// What the commands share.
pub struct AppState {
    store: ConfigStore,
    sources: Sources,
    os_language: Language,
    sandbox: Mutex<SandboxSlot>,
    /// Set when the sandbox is wanted: where its files go.
    sandbox_dir: Option<PathBuf>,
    /// The local CDN, started in `setup`.
    cdn: Mutex<cdn::CdnSlot>,
    /// The running "check Weekerp until it works", to cancel it.
    weekerp_check: Mutex<Option<std::sync::Arc<std::sync::atomic::AtomicBool>>>,
    /// The running empty or teardown of the Buckets screen, to cancel it.
    bucket_job: Mutex<Option<crate::buckets::CancelToken>>,
    /// The running upload or download batch, to cancel it.
    transfer: Mutex<Option<crate::transfer::progress::Progress>>,
}

impl AppState {
    /// Reads the environment: the config dir, and whether the sandbox is wanted. In the
    /// sandbox the config lives in its own folder, emptied on every start, so sandbox
    /// sources never mix with real ones.
    pub fn from_env() -> Result<AppState, ApiError> {
        let os_language = Language::from_os();
        let store = ConfigStore::from_env().map_err(|e| ApiError::from_err(&e, os_language))?;
        let wanted = SandboxMode::from_env().wanted(crate::aws::credentials_configured());
        if !wanted {
            return Ok(AppState::new(store, os_language, None));
        }
        let dir = store.dir().join("sandbox");
        let _ = std::fs::remove_dir_all(&dir);
        // Before anything touches the keychain (keyring picks its store once per process)
        // and while this is the only thread: a private keychain when the session has none.
        // A failure is kept and reported by `sandbox::start` (see sandbox::keychain).
        let _ = sandbox::keychain::start_if_needed(&dir);
        let sandbox_store = ConfigStore::new(dir.join("config"));
        // The sandbox follows the language the user picked in the real config.
        if let Some(lang) = store.load().ok().and_then(|c| c.settings.language) {
            let _ = sandbox_store.update(|c| {
                c.settings.language = Some(lang);
                Ok(())
            });
        }
        Ok(AppState::new(sandbox_store, os_language, Some(dir)))
    }

    pub fn new(store: ConfigStore, os_language: Language, sandbox_dir: Option<PathBuf>) -> Self {
        // Sandbox keys are throwaway keys of a throwaway endpoint: keep them apart.
        let service = if sandbox_dir.is_some() {
            format!("{}-sandbox", crate::secrets::SERVICE)
        } else {
            crate::secrets::SERVICE.to_owned()
        };
        AppState {
            sources: Sources::new(store.clone(), Keychain::new(service)),
            store,
            os_language,
            sandbox: Mutex::new(if sandbox_dir.is_some() {
                SandboxSlot::Starting
            } else {
                SandboxSlot::Off
            }),
            sandbox_dir,
            cdn: Mutex::new(cdn::CdnSlot::Starting),
            weekerp_check: Mutex::new(None),
            bucket_job: Mutex::new(None),
            transfer: Mutex::new(None),
        }
    }

    /// The language for messages: the user's choice, else the OS's.
    pub(crate) fn language(&self) -> Language {
        self.store
            .load()
            .ok()
            .and_then(|c| c.settings.language)
            .unwrap_or(self.os_language)
    }

    /// Admin credentials: the sandbox's own profile while it runs, else the profile chosen
    /// in Settings (or the default credential chain). While the sandbox is starting or has
    /// failed, refused: admin work never falls back to a real account under the sandbox
    /// banner.
    pub(crate) fn admin(&self) -> Result<crate::aws::Admin, ApiError> {
        use crate::iam::admin::{SandboxPhase, admin_allowed};
        let slot = self.sandbox.lock().unwrap_or_else(|e| e.into_inner());
        let phase = match &*slot {
            SandboxSlot::Off => SandboxPhase::Off,
            SandboxSlot::Starting => SandboxPhase::Starting,
            SandboxSlot::Ready(_) => SandboxPhase::Ready,
            SandboxSlot::Failed(why) => SandboxPhase::Failed(why),
        };
        admin_allowed(phase).map_err(|e| ApiError::from_err(&e, self.language()))?;
        if let SandboxSlot::Ready(sandbox) = &*slot {
            return Ok(crate::aws::Admin {
                profile: Some(sandbox.info().profile.clone()),
                endpoint_url: Some(sandbox.info().endpoint.clone()),
                files: Some((
                    sandbox.aws_config_file().to_owned(),
                    sandbox.aws_credentials_file().to_owned(),
                )),
            });
        }
        drop(slot);
        let profile = self
            .store
            .load()
            .ok()
            .and_then(|c| c.settings.admin_profile);
        crate::aws::Admin::chain(profile, None).map_err(|e| ApiError::from_err(&e, self.language()))
    }

    /// An IAM client on the admin credentials.
    pub(crate) async fn admin_iam(&self) -> Result<aws_sdk_iam::Client, ApiError> {
        let admin = self.admin()?;
        Ok(crate::aws::iam_client(
            &crate::aws::admin_config(&admin).await,
        ))
    }

    fn set_sandbox(&self, slot: SandboxSlot) {
        *self.sandbox.lock().unwrap_or_else(|e| e.into_inner()) = slot;
    }

    /// Stops the sandbox endpoint and removes its files (they hold its throwaway admin key).
    fn stop_sandbox(&self) {
        let slot = std::mem::replace(
            &mut *self.sandbox.lock().unwrap_or_else(|e| e.into_inner()),
            SandboxSlot::Off,
        );
        if let SandboxSlot::Ready(sandbox) = slot {
            sandbox.stop();
        }
        // The sandbox keychain's daemons and files, if it had to bring its own.
        sandbox::keychain::stop();
        if let Some(dir) = &self.sandbox_dir {
            let _ = std::fs::remove_dir_all(dir.join("aws"));
        }
    }
}

/// Starts the GUI with the real runtime.
pub fn run() -> ExitCode {
    compositing::apply();
    let state = match AppState::from_env() {
        Ok(state) => state,
        Err(err) => {
            eprintln!("bucketdesk: {}", err.message);
            return ExitCode::FAILURE;
        }
    };
    let context = tauri::generate_context!();
    run_app(tauri::Builder::default(), state, context)
}

/// Builds the app on any runtime without running it: the command-layer tests pass
/// `tauri::test::mock_builder()` and call the commands through the real IPC handler.
pub fn build_app<R: Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
    context: tauri::Context<R>,
) -> tauri::Result<tauri::App<R>> {
    let specta = bindings::specta_builder::<R>();
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(specta.invoke_handler())
        .manage(state)
        .setup(move |app| {
            specta.mount_events(app);
            let handle = app.handle().clone();
            {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    cdn::start(&handle.state::<AppState>()).await;
                });
            }
            let sandbox_dir = app.state::<AppState>().sandbox_dir.clone();
            if sandbox_dir.is_none() {
                // A rotation interrupted by a crash or a quit is finished (or rolled back)
                // now, so no source waits on a half-done rotation.
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    let state = handle.state::<AppState>();
                    let iam = match state.admin_iam().await {
                        Ok(iam) => iam,
                        Err(e) => {
                            eprintln!("bucketdesk: interrupted key rotations wait: {}", e.message);
                            return;
                        }
                    };
                    let lang = state.language();
                    for (source, result) in
                        crate::iam::rotation::resume_all(&iam, &state.sources, lang).await
                    {
                        if let Err(e) = result {
                            eprintln!(
                                "bucketdesk: interrupted key rotation of {source}: {}",
                                crate::error::ApiError::from_err(&e, lang).message
                            );
                        }
                    }
                });
            }
            if let Some(dir) = sandbox_dir {
                tauri::async_runtime::spawn(async move {
                    let program = MotoServer::program_from_env();
                    let result = sandbox::start(&program, &dir).await;
                    let state = handle.state::<AppState>();
                    match result {
                        Ok(sandbox) => state.set_sandbox(SandboxSlot::Ready(sandbox)),
                        Err(e) => {
                            let lang = state.language();
                            state.set_sandbox(SandboxSlot::Failed(
                                ApiError::from_err(&e, lang).message,
                            ))
                        }
                    }
                });
            }
            Ok(())
        })
        .build(context)
}

/// Builds and runs the app on any runtime.
pub fn run_app<R: Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
    context: tauri::Context<R>,
) -> ExitCode {
    let app = build_app(builder, state, context);
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("bucketdesk: cannot start the window: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            cdn::stop(&handle.state::<AppState>());
            handle.state::<AppState>().stop_sandbox();
        }
    });
    ExitCode::SUCCESS
}
