//! A moto server (PyPI `moto[server]`) on a free loopback port: the local AWS-compatible
//! S3 + IAM + STS endpoint of the sandbox and of the tests.
//!
//! The process is tied to ours: it is started from a thread that lives as long as the
//! process, with `PR_SET_PDEATHSIG`, so it ends when we end, even on a crash or a kill.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The environment variable naming the `moto_server` program (the run and test scripts set
/// it to the one in their venv); `moto_server` on `PATH` otherwise.
pub const MOTO_PROGRAM_ENV: &str = "BUCKETDESK_MOTO_SERVER";

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error(
        "cannot start {program}: {source} (install it with `pip install 'moto[server]'` or set {MOTO_PROGRAM_ENV})"
    )]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("moto server on port {port} did not answer within {secs} s")]
    NotReady { port: u16, secs: u64 },
    #[error("moto server on port {port}: {detail}")]
    Request { port: u16, detail: String },
}

/// A running moto server. Dropping it stops it.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    child: Mutex<Option<Child>>,
}

impl MotoServer {
    /// The program named by `BUCKETDESK_MOTO_SERVER`, else `moto_server`.
    pub fn program_from_env() -> PathBuf {
        std::env::var_os(MOTO_PROGRAM_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("moto_server"))
    }

    /// Starts a server on a free loopback port and waits until it answers. Blocking.
    /// IAM authorization is not enforced until [`MotoServer::set_auth`] turns it on.
    pub fn start(program: &Path) -> Result<MotoServer, MotoError> {
        let mut last = None;
        // A free port can be taken between probing and binding: try a few.
        for _ in 0..3 {
            let port = free_port().map_err(|source| MotoError::Spawn {
                program: program.to_owned(),
                source,
            })?;
            let mut cmd = Command::new(program);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = spawn_tethered(cmd).map_err(|source| MotoError::Spawn {
                program: program.to_owned(),
                source,
            })?;
            let server = MotoServer {
                port,
                child: Mutex::new(Some(child)),
            };
            match server.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Turns IAM authorization enforcement on (every later request is checked against the
    /// caller's policies) or off.
    pub fn set_auth(&self, enforced: bool) -> Result<(), MotoError> {
        let body = if enforced { "0" } else { "inf" };
        self.post("/moto-api/reset-auth", body).map(|_| ())
    }

    /// Clears all state (buckets, users, keys).
    pub fn reset(&self) -> Result<(), MotoError> {
        self.post("/moto-api/reset", "").map(|_| ())
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        let guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(Child::id)
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(&self) {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = guard.take() {
            // SIGTERM first so werkzeug exits cleanly; SIGKILL if it lingers.
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
            let _ = child.wait();
        }
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), MotoError> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.is_running() {
                break;
            }
            if let Ok((200, _)) = http(self.port, "GET", "/moto-api/data.json", "") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop();
        Err(MotoError::NotReady {
            port: self.port,
            secs: timeout.as_secs(),
        })
    }

    fn post(&self, path: &str, body: &str) -> Result<String, MotoError> {
        match http(self.port, "POST", path, body) {
            Ok((200, text)) => Ok(text),
            Ok((status, text)) => Err(MotoError::Request {
                port: self.port,
                detail: format!("{path} answered {status}: {text}"),
            }),
            Err(e) => Err(MotoError::Request {
                port: self.port,
                detail: format!("{path}: {e}"),
            }),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// A minimal HTTP/1.1 exchange with the moto control API (no client library needed for
/// three plain requests).
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `cmd` so that it receives SIGTERM when this process ends. Linux delivers the
/// parent-death signal when the *thread* that forked exits, so all such children are forked
/// by one thread that lives until the process does. The sandbox keychain's daemons use it too.
pub(super) fn spawn_tethered(cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("bucketdesk-child-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    #[cfg(target_os = "linux")]
                    {
                        use std::os::unix::process::CommandExt;
                        let parent = std::process::id() as libc::pid_t;
                        // SAFETY: only async-signal-safe calls between fork and exec.
                        unsafe {
                            cmd.pre_exec(move || {
                                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                                    return Err(std::io::Error::last_os_error());
                                }
                                // The parent may have died before prctl took effect.
                                if libc::getppid() != parent {
                                    libc::_exit(1);
                                }
                                Ok(())
                            });
                        }
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn the child-spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("child spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("child spawner thread is gone"))?
}
