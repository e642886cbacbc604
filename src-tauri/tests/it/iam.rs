//! Generated policies: parliament (PyPI) as an independent lint oracle, and what the keys
//! they make may and may not do on the IAM-enforcing moto endpoint.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use aws_sdk_s3::primitives::ByteStream;
use bucketdesk::aws::{self, AwsFailure, Target};
use bucketdesk::iam::lint::lint;
use bucketdesk::iam::policy::{Template, generate};
use bucketdesk::iam::users;
use bucketdesk::secrets::SecretString;
use serde_json::{Value, json};

use crate::support::moto::{self, Endpoint};
use crate::support::{block_on, unique_name};

/// The kinds of finding the built-in lint covers.
const KINDS: &[&str] = &[
    "MALFORMED",
    "NO_VERSION",
    "UNKNOWN_ACTION",
    "RESOURCE_MISMATCH",
    "RESOURCE_STAR",
];

fn parliament() -> PathBuf {
    let venv = std::env::var_os("BUCKETDESK_VENV")
        .expect("make test sets BUCKETDESK_VENV (scripts/env.sh)");
    PathBuf::from(venv).join("bin/parliament")
}

/// parliament's finding kinds for a policy (all of them, or only ours with `ours_only`).
fn parliament_kinds(policy: &Value, ours_only: bool) -> BTreeSet<String> {
    let out = Command::new(parliament())
        .args(["--json", "--string", &policy.to_string()])
        .output()
        .expect("parliament runs (setup installs it into the venv)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("parliament JSON {l:?}: {e}"));
            v["issue"].as_str().unwrap().to_owned()
        })
        .filter(|k| !ours_only || KINDS.contains(&k.as_str()))
        .collect()
}

fn our_kinds(policy: &Value) -> BTreeSet<String> {
    lint(policy).into_iter().map(|f| f.issue).collect()
}

#[test]
fn every_template_output_has_no_findings_in_parliament_or_ours() {
    for template in [
        Template::CdnReader,
        Template::Uploader,
        Template::PublicRead,
    ] {
        for bucket in ["my-images", "shop.assets-2026", "a1b"] {
            for base in ["/", "assets/", "/제품 이미지/봄 컬렉션"] {
                let policy = generate(template, bucket, base).unwrap();
                assert_eq!(
                    parliament_kinds(&policy, false),
                    BTreeSet::new(),
                    "parliament on {template:?} {bucket} {base}: {policy}"
                );
                assert_eq!(
                    our_kinds(&policy),
                    BTreeSet::new(),
                    "our lint on {template:?} {bucket} {base}"
                );
            }
        }
    }
}

#[test]
fn the_builtin_lint_agrees_with_parliament_on_bad_policies() {
    let v = "2012-10-17";
    let bad = [
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Teleport"], "Resource": "arn:aws:s3:::b/*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Bogus": 1}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "arn:aws:s3:::b/*"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:GetObject"], "Resource": "arn:aws:s3:::b"}]}),
        json!({"Version": v, "Statement": [{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": ["arn:aws:s3:::b"]}]}),
    ];
    for policy in bad {
        let theirs = parliament_kinds(&policy, true);
        assert!(
            !theirs.is_empty(),
            "each policy of the set is bad for parliament: {policy}"
        );
        assert_eq!(our_kinds(&policy), theirs, "agreement on {policy}");
    }
}

/// A user with `policy` inline and its key, on the enforcing endpoint.
async fn key_with(endpoint: &Endpoint, policy: &Value) -> Target {
    let iam = endpoint.iam().await;
    let user = unique_name("tmpl");
    iam.create_user().user_name(&user).send().await.unwrap();
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("generated")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    Target {
        endpoint_url: Some(endpoint.server.endpoint()),
        region: moto::REGION.into(),
        access_key_id: key.access_key_id().into(),
        secret: SecretString::new(key.secret_access_key()),
    }
}

fn denied<T, E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
    what: &str,
) {
    match r {
        Ok(_) => panic!("{what} must be denied"),
        Err(e) => assert_eq!(e.code(), Some("AccessDenied"), "{what}: {e:?}"),
    }
}

#[test]
fn keys_from_the_templates_can_do_exactly_their_job() {
    let endpoint = moto::enforcing();
    block_on(async {
        let (bucket, other) = seed_template_buckets(endpoint).await;
        the_cdn_reader_can_do_exactly_its_job(endpoint, &bucket, &other).await;
        the_uploader_can_do_exactly_its_job(endpoint, &bucket, &other).await;
    });
}

/// Two buckets: ours with an object inside and one outside /assets, and another one.
async fn seed_template_buckets(endpoint: &Endpoint) -> (String, String) {
    let admin = endpoint.s3().await;
    let (bucket, other) = (unique_name("tmpl"), unique_name("other"));
    for b in [&bucket, &other] {
        admin.create_bucket().bucket(b).send().await.unwrap();
    }
    for key in ["assets/a.jpg", "private/b.jpg"] {
        admin
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    admin
        .put_object()
        .bucket(&other)
        .key("c.jpg")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    (bucket, other)
}

async fn the_cdn_reader_can_do_exactly_its_job(endpoint: &Endpoint, bucket: &str, other: &str) {
    // The CDN reader, scoped to /assets.
    let reader = key_with(
        endpoint,
        &generate(Template::CdnReader, bucket, "/assets").unwrap(),
    )
    .await;
    let config = aws::sdk_config(&reader).await;
    let s3 = aws::s3_client(&config);
    s3.get_object()
        .bucket(bucket)
        .key("assets/a.jpg")
        .send()
        .await
        .expect("reader reads under the BasePath");
    s3.list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("reader lists");
    s3.get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .expect("reader locates");
    denied(
        s3.get_object()
            .bucket(bucket)
            .key("private/b.jpg")
            .send()
            .await,
        "reading outside the BasePath",
    );
    denied(
        s3.put_object()
            .bucket(bucket)
            .key("assets/new.jpg")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
        "PutObject",
    );
    denied(
        s3.delete_object()
            .bucket(bucket)
            .key("assets/a.jpg")
            .send()
            .await,
        "DeleteObject",
    );
    denied(s3.list_buckets().send().await, "ListBuckets");
    denied(
        s3.get_object().bucket(other).key("c.jpg").send().await,
        "another bucket",
    );
    denied(
        s3.list_objects_v2().bucket(other).send().await,
        "listing another bucket",
    );
    let iam = aws::iam_client(&config);
    let iam_err = iam.list_users().send().await.expect_err("IAM is denied");
    // moto wraps IAM auth errors in an extra <Errors> element the SDK does not parse;
    // the 403 still classifies as access denied, which is what the app shows.
    assert_eq!(
        AwsFailure::from_sdk(&iam_err, "iam:ListUsers"),
        AwsFailure::AccessDenied {
            action: "iam:ListUsers"
        },
        "{iam_err:?}"
    );
}

async fn the_uploader_can_do_exactly_its_job(endpoint: &Endpoint, bucket: &str, other: &str) {
    // The uploader, whole bucket.
    let uploader = key_with(
        endpoint,
        &generate(Template::Uploader, bucket, "/").unwrap(),
    )
    .await;
    let config = aws::sdk_config(&uploader).await;
    let s3 = aws::s3_client(&config);
    s3.put_object()
        .bucket(bucket)
        .key("uploads/new.jpg")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("uploader writes");
    s3.get_object()
        .bucket(bucket)
        .key("private/b.jpg")
        .send()
        .await
        .expect("uploader reads");
    denied(
        s3.delete_object()
            .bucket(bucket)
            .key("uploads/new.jpg")
            .send()
            .await,
        "uploader DeleteObject",
    );
    denied(
        s3.delete_bucket().bucket(other).send().await,
        "uploader DeleteBucket",
    );
    let iam_err = aws::iam_client(&config)
        .create_user()
        .user_name("x")
        .send()
        .await
        .expect_err("IAM is denied");
    assert_eq!(
        AwsFailure::from_sdk(&iam_err, "iam:CreateUser"),
        AwsFailure::AccessDenied {
            action: "iam:CreateUser"
        }
    );
}

fn admin_cli(endpoint: &Endpoint, config_dir: &std::path::Path, args: &[&str]) -> (bool, Value) {
    let (code, json) = moto::admin_cli(endpoint, config_dir, args, None);
    assert!(!json.is_null(), "--json output expected from {args:?}");
    (code == Some(0), json)
}

fn reader_create(
    endpoint: &Endpoint,
    config_dir: &std::path::Path,
    args: &[&str],
) -> (bool, Value) {
    let args: Vec<&str> = ["iam", "reader", "create"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    admin_cli(endpoint, config_dir, &args)
}

#[test]
fn create_a_reader_for_me_ends_in_a_verified_source() {
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let bucket = block_on(crate::sources::bucket_with_objects(endpoint, "us-east-1"));
    let dir = tempfile::tempdir().unwrap();
    let user = unique_name("reader");
    let (ok, out) = reader_create(
        endpoint,
        dir.path(),
        &[
            "--bucket",
            &bucket,
            "--user",
            &user,
            "--source",
            "shop-cdn",
            "--base-path",
            "assets",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(out["source"]["name"], "shop-cdn");
    assert_eq!(out["source"]["basePath"], "/assets");
    let key_id = out["accessKeyId"].as_str().unwrap();
    let stored = Command::new("secret-tool")
        .args(["lookup", "service", "bucketdesk", "username", key_id])
        .output()
        .unwrap();
    assert!(
        !stored.stdout.is_empty(),
        "the new key's secret is in the keychain"
    );
    block_on(async {
        let iam = endpoint.iam().await;
        let tags = iam.list_user_tags().user_name(&user).send().await.unwrap();
        assert!(
            tags.tags()
                .iter()
                .any(|t| t.key() == "managed-by" && t.value() == "bucketdesk"),
            "the user is tagged as Bucketdesk's"
        );
    });
}

#[test]
fn a_failed_reader_creation_leaves_nothing_behind() {
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = unique_name("reader");
    let missing = unique_name("missing");
    let (ok, out) = reader_create(
        endpoint,
        dir.path(),
        &[
            "--bucket", &missing, "--user", &user, "--source", "shop-cdn",
        ],
    );
    assert!(!ok, "a source on a missing bucket cannot verify");
    assert!(
        out["message"].as_str().unwrap().contains("removed again"),
        "{out}"
    );
    block_on(async {
        let iam = endpoint.iam().await;
        let gone = iam.get_user().user_name(&user).send().await;
        assert!(gone.is_err(), "the user was deleted again");
        let users = iam.list_users().send().await.unwrap();
        assert!(!users.users().iter().any(|u| u.user_name() == user));
    });
    assert!(
        !dir.path().join("config.json").exists(),
        "no source was saved"
    );
}

fn keys_cli(endpoint: &Endpoint, config_dir: &std::path::Path, args: &[&str]) -> (bool, Value) {
    let args: Vec<&str> = ["keys"].into_iter().chain(args.iter().copied()).collect();
    admin_cli(endpoint, config_dir, &args)
}

#[test]
fn keys_list_deactivate_and_delete_guard_the_keys_sources_use() {
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let bucket = block_on(crate::sources::bucket_with_objects(endpoint, "us-east-1"));
    let dir = tempfile::tempdir().unwrap();
    let user = unique_name("reader");
    let (ok, created) = reader_create(
        endpoint,
        dir.path(),
        &["--bucket", &bucket, "--user", &user, "--source", "shop-cdn"],
    );
    assert!(ok, "{created}");
    let bound = created["accessKeyId"].as_str().unwrap().to_owned();
    let spare = block_on(async {
        let iam = endpoint.iam().await;
        let k = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        k.access_key().unwrap().access_key_id().to_owned()
    });

    let (ok, list) = keys_cli(endpoint, dir.path(), &["list", "--user", &user]);
    assert!(ok, "{list}");
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let bound_row = rows
        .iter()
        .find(|r| r["accessKeyId"] == bound.as_str())
        .unwrap();
    assert_eq!(
        bound_row["sources"],
        json!(["shop-cdn"]),
        "the list says which source uses a key"
    );
    assert_eq!(bound_row["status"], "Active");
    assert_eq!(bound_row["ageDays"], 0);

    // The source's key is protected.
    let (ok, err) = keys_cli(endpoint, dir.path(), &["deactivate", &bound]);
    assert!(!ok);
    assert!(
        err["message"].as_str().unwrap().contains("shop-cdn"),
        "{err}"
    );
    let (ok, err) = keys_cli(endpoint, dir.path(), &["delete", &bound]);
    assert!(!ok, "{err}");

    // The spare key is not.
    let (ok, out) = keys_cli(endpoint, dir.path(), &["deactivate", &spare]);
    assert!(ok, "{out}");
    assert_eq!(out["user"], user.as_str());
    let (_, list) = keys_cli(endpoint, dir.path(), &["list", "--user", &user]);
    let spare_row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["accessKeyId"] == spare.as_str())
        .unwrap()
        .clone();
    assert_eq!(spare_row["status"], "Inactive");
    let (ok, out) = keys_cli(endpoint, dir.path(), &["delete", &spare]);
    assert!(ok, "{out}");
    let (_, list) = keys_cli(endpoint, dir.path(), &["list", "--user", &user]);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the source's key is left"
    );

    let (ok, err) = keys_cli(endpoint, dir.path(), &["delete", "AKIANOSUCHKEY0000000"]);
    assert!(!ok);
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn users_and_groups_are_listed_and_a_user_is_deleted_cleanly() {
    use bucketdesk::config::ConfigStore;
    use bucketdesk::secrets::Keychain;
    use bucketdesk::sources::Sources;

    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let sources = Sources::new(
        ConfigStore::new(dir.path()),
        Keychain::new(unique_name("bucketdesk-test")),
    );
    block_on(async {
        let iam = endpoint.iam().await;
        let (user, group) = (unique_name("user"), unique_name("group"));
        let read_only = READ_ONLY;
        let key_id = user_with_policies_group_key_and_login(&iam, &user, &group).await;
        users_and_groups_list_it(&iam, &sources, &user, &group).await;

        // A key a source uses protects the user.
        a_source_uses(&sources, &key_id);
        assert!(
            users::delete_cleanly(&iam, &sources, &user, false)
                .await
                .is_err(),
            "a source uses its key"
        );
        let deleted = users::delete_cleanly(&iam, &sources, &user, true)
            .await
            .unwrap();
        assert_eq!(deleted.keys, [key_id.as_str()]);
        assert_eq!(deleted.inline_policies, ["reader"]);
        assert_eq!(deleted.detached_policies, [read_only]);
        assert_eq!(deleted.groups, [group.as_str()]);
        assert!(deleted.login_profile);
        assert!(
            iam.get_user().user_name(&user).send().await.is_err(),
            "the user is gone"
        );
        let members = iam.get_group().group_name(&group).send().await.unwrap();
        assert!(members.users().is_empty(), "no group membership left");
        let entities = iam
            .list_entities_for_policy()
            .policy_arn(read_only)
            .send()
            .await
            .unwrap();
        assert!(
            !entities
                .policy_users()
                .iter()
                .any(|u| u.user_name() == Some(user.as_str())),
            "the managed policy is detached"
        );
    });
}

const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

/// A Bucketdesk user with the managed read-only policy, an inline reader policy, a group
/// (with the same managed policy), an access key and a console login. Returns the key ID.
async fn user_with_policies_group_key_and_login(
    iam: &aws_sdk_iam::Client,
    user: &str,
    group: &str,
) -> String {
    use bucketdesk::iam::users::PolicyAttachment;
    let read_only = READ_ONLY;
    users::create(
        iam,
        user,
        Some(&PolicyAttachment::Managed {
            arn: read_only.into(),
        }),
    )
    .await
    .unwrap();
    let inline = generate(Template::CdnReader, "some-bucket", "/")
        .unwrap()
        .to_string();
    users::attach(
        iam,
        user,
        &PolicyAttachment::Inline {
            name: "reader".into(),
            document: inline,
        },
    )
    .await
    .unwrap();
    users::create_group(iam, group).await.unwrap();
    users::attach_group_policy(iam, group, read_only)
        .await
        .unwrap();
    users::set_membership(iam, group, user, true).await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .unwrap();
    iam.create_login_profile()
        .user_name(user)
        .password("Bucketdesk-test-1!")
        .send()
        .await
        .unwrap();
    key.access_key().unwrap().access_key_id().to_owned()
}

async fn users_and_groups_list_it(
    iam: &aws_sdk_iam::Client,
    sources: &bucketdesk::sources::Sources,
    user: &str,
    group: &str,
) {
    let read_only = READ_ONLY;
    let listed = users::list(iam, sources).await.unwrap();
    let me = listed
        .iter()
        .find(|u| u.name == user)
        .expect("the user is listed");
    assert!(
        me.tags
            .contains(&("managed-by".into(), "bucketdesk".into())),
        "{:?}",
        me.tags
    );
    assert_eq!(me.groups, [group]);
    assert_eq!(me.inline_policies, ["reader"]);
    assert_eq!(me.attached_policies, [read_only]);
    assert_eq!(me.keys.len(), 1);
    let groups = users::list_groups(iam).await.unwrap();
    let g = groups.iter().find(|g| g.name == group).unwrap();
    assert_eq!(g.users, [user]);
    assert_eq!(g.attached_policies, [read_only]);
}

/// Saves a config with one source that uses `key_id`.
fn a_source_uses(sources: &bucketdesk::sources::Sources, key_id: &str) {
    sources
        .store()
        .save(&bucketdesk::config::Config {
            sources: vec![bucketdesk::config::SourceConfig {
                name: "shop".into(),
                bucket: "some-bucket".into(),
                region: "us-east-1".into(),
                base_path: "/".into(),
                access_key_id: key_id.into(),
                endpoint_url: None,
                added_at: String::new(),
                last_verified: None,
                checksums_when_required: false,
            }],
            ..Default::default()
        })
        .unwrap();
}

#[test]
fn a_reader_may_get_the_managed_read_only_policy_when_chosen() {
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let bucket = block_on(crate::sources::bucket_with_objects(endpoint, "us-east-1"));
    let dir = tempfile::tempdir().unwrap();
    let user = unique_name("reader");
    let (ok, out) = reader_create(
        endpoint,
        dir.path(),
        &[
            "--bucket",
            &bucket,
            "--user",
            &user,
            "--source",
            "shop-ro",
            "--managed-read-only",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        out["policyName"],
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    );
    block_on(async {
        let iam = endpoint.iam().await;
        let attached = iam
            .list_attached_user_policies()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        let arns: Vec<_> = attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .collect();
        assert_eq!(arns, ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
        let inline = iam
            .list_user_policies()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        assert!(
            inline.policy_names().is_empty(),
            "no inline policy when the managed one is chosen"
        );
    });
}

#[test]
fn a_failed_reader_with_the_managed_policy_leaves_no_user_behind() {
    // IAM refuses to delete a user with an attached managed policy: the undo must detach
    // AmazonS3ReadOnlyAccess first (before, it deleted the inline policy only, DeleteUser
    // failed silently, and the message still said everything was removed).
    crate::support::keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let user = unique_name("reader");
    let missing = unique_name("missing");
    let (ok, out) = reader_create(
        endpoint,
        dir.path(),
        &[
            "--bucket",
            &missing,
            "--user",
            &user,
            "--source",
            "shop-ro",
            "--managed-read-only",
        ],
    );
    assert!(!ok, "a source on a missing bucket cannot verify: {out}");
    assert!(
        out["message"].as_str().unwrap().contains("removed again"),
        "{out}"
    );
    block_on(async {
        let iam = endpoint.iam().await;
        assert!(
            iam.get_user().user_name(&user).send().await.is_err(),
            "the user was deleted again"
        );
    });
    assert!(
        !dir.path().join("config.json").exists(),
        "no source was saved"
    );
}
