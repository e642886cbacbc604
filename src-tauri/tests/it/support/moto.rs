//! moto servers for the tests (see the module above).

use std::sync::OnceLock;

use bucketdesk::aws::{self, Target};
use bucketdesk::sandbox::MotoServer;
use bucketdesk::secrets::SecretString;

use super::block_on;

pub const REGION: &str = "us-east-1";

/// An endpoint and a key that can do everything on it.
pub struct Endpoint {
    pub server: MotoServer,
    pub admin: Target,
}

impl Endpoint {
    pub fn target(&self, key_id: &str, secret: &str) -> Target {
        Target {
            endpoint_url: Some(self.server.endpoint()),
            region: REGION.into(),
            access_key_id: key_id.into(),
            secret: SecretString::new(secret),
        }
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        aws::s3_client(&aws::sdk_config(&self.admin).await)
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws::iam_client(&aws::sdk_config(&self.admin).await)
    }
}

fn start() -> MotoServer {
    MotoServer::start(&MotoServer::program_from_env()).unwrap_or_else(|e| {
        panic!("the tests need moto: {e} (make test sets BUCKETDESK_MOTO_SERVER)")
    })
}

/// The shared server without enforcement; any key works.
pub fn shared() -> &'static Endpoint {
    static SHARED: OnceLock<Endpoint> = OnceLock::new();
    SHARED.get_or_init(|| {
        let server = start();
        let admin = Target {
            endpoint_url: Some(server.endpoint()),
            region: REGION.into(),
            access_key_id: "testing".into(),
            secret: SecretString::new("testing"),
        };
        Endpoint { server, admin }
    })
}

/// The shared server with IAM authorization enforced; `admin` has AdministratorAccess.
pub fn enforcing() -> &'static Endpoint {
    static ENFORCING: OnceLock<Endpoint> = OnceLock::new();
    ENFORCING.get_or_init(|| {
        let server = own();
        let admin = block_on(create_admin(&server));
        server.set_auth(true).expect("turn enforcement on");
        Endpoint { server, admin }
    })
}

/// A server of the caller's own (dropped with it).
pub fn own() -> MotoServer {
    start()
}

/// Creates a user with AdministratorAccess and returns its key (enforcement must be off).
pub async fn create_admin(server: &MotoServer) -> Target {
    let bootstrap = Target {
        endpoint_url: Some(server.endpoint()),
        region: REGION.into(),
        access_key_id: "bootstrap".into(),
        secret: SecretString::new("bootstrap"),
    };
    let iam = aws::iam_client(&aws::sdk_config(&bootstrap).await);
    let user = super::unique_name("admin");
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .expect("create admin user");
    iam.attach_user_policy()
        .user_name(&user)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach AdministratorAccess (moto needs MOTO_IAM_LOAD_MANAGED_POLICIES)");
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .expect("create admin key");
    let key = key.access_key().expect("key in answer");
    Target {
        endpoint_url: Some(server.endpoint()),
        region: REGION.into(),
        access_key_id: key.access_key_id().into(),
        secret: SecretString::new(key.secret_access_key()),
    }
}

/// Creates a user with no policy at all and returns its access key ID and secret.
pub async fn create_powerless_key(iam: &aws_sdk_iam::Client) -> (String, String) {
    let user = super::unique_name("nobody");
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .expect("create user");
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .expect("create key");
    let key = key.access_key().expect("key in answer");
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

/// Runs the built CLI as the admin of `endpoint` (credentials from the environment, as the
/// AWS credential chain gives them), optionally with an injected crash
/// (`BUCKETDESK_FAULT_AFTER`), and returns its exit code and parsed `--json` output
/// (`Null` when there is none, e.g. after a crash).
pub fn admin_cli(
    endpoint: &Endpoint,
    config_dir: &std::path::Path,
    args: &[&str],
    fault: Option<&str>,
) -> (Option<i32>, serde_json::Value) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"));
    cmd.args(["--json", "--endpoint-url", &endpoint.server.endpoint()])
        .args(args)
        .env("BUCKETDESK_CONFIG_DIR", config_dir)
        .env("AWS_ACCESS_KEY_ID", &endpoint.admin.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", endpoint.admin.secret.expose())
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("BUCKETDESK_FAULT_AFTER")
        .env("LANG", "en_US.UTF-8");
    if let Some(step) = fault {
        cmd.env("BUCKETDESK_FAULT_AFTER", step);
    }
    let out = cmd.output().expect("run bucketdesk");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json)
}
