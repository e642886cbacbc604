//! The rig itself: isolated names on a shared endpoint, enforcement on and off, clean stop.

use aws_sdk_s3::primitives::ByteStream;
use bucketdesk::aws;

use crate::support::{block_on, moto, unique_name};

#[test]
fn each_test_gets_its_own_bucket_on_the_shared_endpoint() {
    let endpoint = moto::shared();
    block_on(async {
        let s3 = endpoint.s3().await;
        let (a, b) = (unique_name("rig"), unique_name("rig"));
        assert_ne!(a, b, "unique_name must never repeat");
        for bucket in [&a, &b] {
            s3.create_bucket()
                .bucket(bucket)
                .send()
                .await
                .expect("create bucket");
        }
        s3.put_object()
            .bucket(&a)
            .key("only-in-a.txt")
            .body(ByteStream::from_static(b"a"))
            .send()
            .await
            .expect("put");
        let in_b = s3
            .list_objects_v2()
            .bucket(&b)
            .send()
            .await
            .expect("list b");
        assert_eq!(
            in_b.key_count(),
            Some(0),
            "bucket b must not see a's object"
        );
        let in_a = s3
            .list_objects_v2()
            .bucket(&a)
            .send()
            .await
            .expect("list a");
        let keys: Vec<_> = in_a.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["only-in-a.txt"]);
    });
}

#[test]
fn enforcement_turns_on_and_off() {
    let server = moto::own();
    block_on(async {
        let admin = moto::create_admin(&server).await;
        let endpoint = moto::Endpoint { server, admin };
        let iam = endpoint.iam().await;
        let (id, secret) = moto::create_powerless_key(&iam).await;
        let nobody = endpoint.target(&id, &secret);
        let nobody_s3 = aws::s3_client(&aws::sdk_config(&nobody).await);

        nobody_s3
            .list_buckets()
            .send()
            .await
            .expect("without enforcement any key may list buckets");

        endpoint.server.set_auth(true).expect("enforcement on");
        let denied = nobody_s3
            .list_buckets()
            .send()
            .await
            .expect_err("a user with no policy must be denied");
        let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&denied).map(str::to_owned);
        assert_eq!(code.as_deref(), Some("AccessDenied"), "got {denied:?}");
        endpoint
            .s3()
            .await
            .list_buckets()
            .send()
            .await
            .expect("the admin is allowed everything while enforcement is on");

        endpoint.server.set_auth(false).expect("enforcement off");
        nobody_s3
            .list_buckets()
            .send()
            .await
            .expect("allowed again once enforcement is off");
    });
}

#[test]
fn a_dropped_server_stops() {
    let server = moto::own();
    let port = server.port();
    let pid = server.pid().expect("running server has a pid");
    assert!(server.is_running());
    drop(server);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing may listen on {port} after the server is dropped"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the moto process {pid} must be gone"
    );
}

#[test]
fn the_enforcing_endpoint_checks_policies() {
    let endpoint = moto::enforcing();
    block_on(async {
        let iam = endpoint.iam().await;
        let (id, secret) = moto::create_powerless_key(&iam).await;
        let nobody = aws::s3_client(&aws::sdk_config(&endpoint.target(&id, &secret)).await);
        let denied = nobody
            .list_buckets()
            .send()
            .await
            .expect_err("no policy, no access");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&denied),
            Some("AccessDenied")
        );
        let unknown =
            aws::s3_client(&aws::sdk_config(&endpoint.target("AKIAUNKNOWNKEY000000", "x")).await);
        let err = unknown
            .list_buckets()
            .send()
            .await
            .expect_err("unknown key");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
            Some("InvalidAccessKeyId")
        );
    });
}
