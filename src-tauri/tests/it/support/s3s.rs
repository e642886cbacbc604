//! s3s-fs: a folder served as S3, a real S3-compatible endpoint with no identity service
//! (no STS), as R2 and MinIO present themselves to `GetCallerIdentity`. `scripts/setup.sh`
//! installs it into `$BUCKETDESK_TOOLS/bin`; `BUCKETDESK_S3S_FS` names the binary.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key s3s-fs accepts (it has exactly one).
pub const KEY_ID: &str = "AKIAS3SFSTESTKEY0001";
pub const SECRET: &str = "s3s-fs-test-secret";

/// A running s3s-fs over a temp folder; stopped (and the folder removed) on drop.
pub struct S3sFs {
    child: Child,
    port: u16,
    /// The served folder: each subfolder is a bucket, each file an object.
    pub root: tempfile::TempDir,
}

impl S3sFs {
    /// Starts s3s-fs on a free loopback port with `buckets` (empty folders) and waits until
    /// it accepts connections.
    pub fn start(buckets: &[&str]) -> S3sFs {
        let program = std::env::var("BUCKETDESK_S3S_FS").unwrap_or_else(|_| {
            panic!("BUCKETDESK_S3S_FS is not set: run the tests through make test (scripts/env.sh sets it)")
        });
        assert!(
            std::path::Path::new(&program).is_file(),
            "s3s-fs is missing at {program}: run scripts/setup.sh"
        );
        let root = tempfile::tempdir().expect("temp dir");
        for bucket in buckets {
            std::fs::create_dir(root.path().join(bucket)).expect("bucket folder");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET])
            .arg(root.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let server = S3sFs { child, port, root };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Puts a file into a bucket (s3s-fs serves whatever is in the folder).
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let path = self.root.path().join(bucket).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
