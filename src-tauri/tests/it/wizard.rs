//! What the Add Source wizard asks the core, against real endpoints: an S3-compatible
//! endpoint without an identity service (s3s-fs), and on moto the reader path's bucket
//! picker, detected region and the policy shown before "Create the reader" (the same
//! document that is then attached).

use bucketdesk::config::ConfigStore;
use bucketdesk::error::{Described, ErrorCode};
use bucketdesk::iam::reader::{self, ReaderRequest};
use bucketdesk::locale::Language;
use bucketdesk::secrets::{Keychain, SecretString};
use bucketdesk::sources::verify::{self, CheckId, CheckStatus, VerifyReport};
use bucketdesk::sources::{Credentials, Sources};
use serde_json::Value;

use crate::support::moto;
use crate::support::s3s::{self, S3sFs};
use crate::support::{block_on, keyring_guard, unique_name};

fn s3s_creds(server: &S3sFs, secret: &str) -> Credentials {
    Credentials {
        endpoint_url: Some(server.endpoint()),
        region: Some("us-east-1".into()),
        access_key_id: s3s::KEY_ID.into(),
        secret_access_key: SecretString::new(secret),
    }
}

fn verify_on(creds: &Credentials, bucket: &str, lang: Language) -> VerifyReport {
    block_on(verify::verify(
        &verify::Subject {
            credentials: creds,
            bucket,
            base_path: "/assets",
            name: Some("shop"),
            production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
        },
        lang,
    ))
}

fn check(report: &VerifyReport, id: CheckId) -> &verify::Check {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id:?} is reported: {report:#?}"))
}

#[test]
fn an_endpoint_without_sts_says_so_and_the_bucket_checks_the_key() {
    let server = S3sFs::start(&["photos"]);
    server.put(
        "photos",
        "assets/a.jpg",
        b"\xff\xd8\xff\xe0 not really a jpeg",
    );

    for lang in [Language::En, Language::Ko] {
        let report = verify_on(&s3s_creds(&server, s3s::SECRET), "photos", lang);
        assert!(report.ok, "{report:#?}");
        let identity = check(&report, CheckId::Identity);
        assert_eq!(identity.status, CheckStatus::Skipped, "{identity:?}");
        assert_eq!(identity.message, verify::no_identity_service(lang));
        assert!(
            !identity.message.contains("Unknown"),
            "no raw SDK text: {}",
            identity.message
        );
        for id in [
            CheckId::GetBucketLocation,
            CheckId::ListBucket,
            CheckId::GetObject,
        ] {
            assert_eq!(check(&report, id).status, CheckStatus::Passed, "{id:?}");
        }
        assert_eq!(report.sample_key.as_deref(), Some("a.jpg"));
    }
    let en = verify::no_identity_service(Language::En);
    assert!(
        en.contains("no identity service") && en.contains("checked through the bucket instead"),
        "{en}"
    );

    // A wrong secret: STS cannot tell, the bucket does, and it is reported on the key.
    let report = verify_on(
        &s3s_creds(&server, "not-the-secret"),
        "photos",
        Language::En,
    );
    assert!(!report.ok);
    let identity = check(&report, CheckId::Identity);
    assert_eq!(identity.status, CheckStatus::Failed, "{report:#?}");
    assert_eq!(identity.code, Some(ErrorCode::WrongSecret));
    for id in [
        CheckId::GetBucketLocation,
        CheckId::ListBucket,
        CheckId::GetObject,
    ] {
        assert_eq!(check(&report, id).status, CheckStatus::Skipped, "{id:?}");
    }
}

#[test]
fn the_reader_path_lists_the_admins_buckets_and_their_regions() {
    let endpoint = moto::enforcing();
    block_on(async {
        let bucket = crate::sources::bucket_with_objects(endpoint, "ap-northeast-2").await;
        let config = bucketdesk::aws::sdk_config(&endpoint.admin).await;
        let names = reader::admin_buckets(&config)
            .await
            .expect("the admin may list");
        assert!(names.contains(&bucket), "{names:?}");
        assert_eq!(
            reader::admin_bucket_region(&config, &bucket).await.unwrap(),
            "ap-northeast-2"
        );
        let bad = reader::admin_bucket_region(&config, "Bad_Bucket")
            .await
            .unwrap_err();
        assert_eq!(bad.code(), ErrorCode::InvalidInput);

        // A key that may not list buckets is refused with access_denied (the UI then asks
        // for the name instead).
        let iam = endpoint.iam().await;
        let (id, secret) = moto::create_powerless_key(&iam).await;
        let nobody = bucketdesk::aws::sdk_config(&endpoint.target(&id, &secret)).await;
        let refused = reader::admin_buckets(&nobody).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::AccessDenied, "{refused:?}");
    });
}

/// The inline policy IAM holds for `user`, as JSON.
async fn inline_policy(iam: &aws_sdk_iam::Client, user: &str, name: &str) -> Value {
    let out = iam
        .get_user_policy()
        .user_name(user)
        .policy_name(name)
        .send()
        .await
        .expect("the inline policy");
    let text = out.policy_document();
    serde_json::from_str(text).unwrap_or_else(|_| {
        let decoded = bucketdesk::cdn::options::percent_decode(text, false).expect("encoded");
        serde_json::from_str(&decoded).expect("a JSON policy")
    })
}

#[test]
fn the_policy_shown_before_create_is_the_one_attached() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let keychain = Keychain::new(unique_name("bucketdesk-test"));
    let sources = Sources::new(ConfigStore::new(dir.path()), keychain.clone());
    block_on(async {
        let bucket = crate::sources::bucket_with_objects(endpoint, "us-east-1").await;
        let iam = endpoint.iam().await;
        let user = unique_name("reader");
        let mut request = ReaderRequest::new(
            &bucket,
            "/assets",
            Some(user.clone()),
            Some("planned".into()),
        );
        request.endpoint_url = Some(endpoint.server.endpoint());
        request.region = Some("us-east-1".into());

        let plan = reader::plan(&iam, &request).await.expect("a plan");
        assert!(!plan.managed);
        assert!(plan.findings.is_empty(), "{:?}", plan.findings);
        let shown: Value = serde_json::from_str(&plan.document).unwrap();

        let created = reader::create(&iam, &keychain, &sources, &request, Language::En)
            .await
            .expect("the reader is created");
        assert_eq!(created.policy_name, plan.policy_name);
        assert_eq!(inline_policy(&iam, &user, &plan.policy_name).await, shown);

        // AmazonS3ReadOnlyAccess: AWS's own document, read from IAM, with what the lint
        // finds in it (it grants on every bucket).
        request.managed_read_only = true;
        let managed = reader::plan(&iam, &request).await.expect("a managed plan");
        assert!(managed.managed);
        assert_eq!(managed.policy_name, reader::S3_READ_ONLY);
        let document: Value = serde_json::from_str(&managed.document).unwrap();
        assert!(
            document["Statement"].to_string().contains("s3:Get"),
            "{document}"
        );
        assert!(
            managed.findings.iter().any(|f| f.issue == "RESOURCE_STAR"),
            "{:?}",
            managed.findings
        );
    });
}
