//! The sandbox: seeded with real photographs (Korean names with spaces among them), an admin
//! profile usable through the ordinary AWS profile files, enforcement on, gone when stopped.

use aws_config::BehaviorVersion;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use bucketdesk::{aws, sandbox};

use crate::support::{block_on, moto};

#[test]
fn sandbox_is_seeded_enforced_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let photos = sandbox::photo_library().expect("the photo packages are installed by setup");
    assert!(
        photos.len() >= 20,
        "need at least 20 photographs, found {}",
        photos.len()
    );

    block_on(async {
        let sb = sandbox::start(&sandbox::MotoServer::program_from_env(), dir.path())
            .await
            .expect("sandbox starts");
        let info = sb.info().clone();
        assert_eq!(info.objects as usize, photos.len());
        assert_eq!(info.bucket, sandbox::BUCKET);

        // The admin profile works through the AWS profile files alone (region and endpoint
        // included), the way the AWS CLI would read them.
        let files = ProfileFiles::builder()
            .with_file(ProfileFileKind::Config, sb.aws_config_file())
            .with_file(ProfileFileKind::Credentials, sb.aws_credentials_file())
            .build();
        let admin = aws_config::defaults(BehaviorVersion::latest())
            .profile_files(files)
            .profile_name(sandbox::PROFILE)
            .load()
            .await;
        assert_eq!(admin.endpoint_url(), Some(info.endpoint.as_str()));
        let s3 = aws::s3_client(&admin);
        let mut keys = Vec::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(sandbox::BUCKET)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("admin may list the sandbox bucket");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        assert_eq!(
            keys.len(),
            photos.len(),
            "every photograph is in the bucket"
        );
        let korean = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";
        assert!(
            keys.iter().any(|k| k == korean),
            "Korean key with spaces listed: {keys:?}"
        );
        assert!(
            keys.iter().any(|k| k.starts_with("photos/landscape/")),
            "nested prefixes"
        );
        let head = s3
            .head_object()
            .bucket(sandbox::BUCKET)
            .key(korean)
            .send()
            .await
            .expect("head the Korean key");
        let first = std::fs::metadata(&photos[0]).unwrap().len() as i64;
        assert_eq!(
            head.content_length(),
            Some(first),
            "the object is the photograph's bytes"
        );
        assert_eq!(head.content_type(), Some("image/jpeg"));

        // Enforcement is on: a key without a policy is refused.
        let (id, secret) = moto::create_powerless_key(&aws::iam_client(&admin)).await;
        let nobody = aws::Target {
            endpoint_url: Some(info.endpoint.clone()),
            region: sandbox::REGION.into(),
            access_key_id: id,
            secret: bucketdesk::secrets::SecretString::new(secret),
        };
        let denied = aws::s3_client(&aws::sdk_config(&nobody).await)
            .list_objects_v2()
            .bucket(sandbox::BUCKET)
            .send()
            .await
            .expect_err("enforcement must be on in the sandbox");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&denied),
            Some("AccessDenied")
        );

        let port = sb.server().port();
        drop(sb);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the sandbox endpoint must be gone once the sandbox is dropped"
        );
    });
}
