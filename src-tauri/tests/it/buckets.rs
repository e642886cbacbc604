//! Buckets against moto: the naming rules refused before any call, create in a region with
//! its defaults, Block Public Access round trips, the bucket policy (templates through
//! parliament, refused while BlockPublicPolicy is on, "is it public?" after saving), the
//! lifecycle rule added next to an existing one, emptying a versioned bucket (and a
//! cancelled empty run again), delete's refusals, and the teardown.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, VersioningConfiguration,
};
use bucketdesk::aws::{self, AwsFailure, Target};
use bucketdesk::buckets::create::{self, CreateRequest};
use bucketdesk::buckets::empty::{self, EmptyOptions, EmptyProgress};
use bucketdesk::buckets::list::{self, Versioning};
use bucketdesk::buckets::naming::NamingRule;
use bucketdesk::buckets::policy::{self, PolicyTemplate, UnsignedGet};
use bucketdesk::buckets::public_access::{self, PublicAccess, Setting};
use bucketdesk::buckets::teardown::{self, TeardownPlan, TeardownStep};
use bucketdesk::buckets::{AdminS3, BucketError, CancelToken, delete, lifecycle};
use bucketdesk::config::{ConfigStore, SourceConfig};
use bucketdesk::error::Described;
use bucketdesk::locale::Language;
use bucketdesk::secrets::{Keychain, SecretString};
use bucketdesk::sources::Sources;
use serde_json::Value;

use crate::support::moto::{self, Endpoint};
use crate::support::{block_on, keyring_guard, unique_name};

async fn admin(endpoint: &Endpoint) -> AdminS3 {
    AdminS3::new(aws::sdk_config(&endpoint.admin).await)
}

/// Sources of a fresh config (no keychain is touched until a source with a secret is
/// removed).
fn sources_in(dir: &std::path::Path) -> Sources {
    Sources::new(
        ConfigStore::new(dir),
        Keychain::new(bucketdesk::secrets::SERVICE),
    )
}

/// A source pointing at `bucket`, written straight into the config (for the list).
fn add_source_config(dir: &std::path::Path, name: &str, bucket: &str) {
    ConfigStore::new(dir)
        .update(|c| {
            c.sources.push(SourceConfig {
                name: name.into(),
                bucket: bucket.into(),
                region: moto::REGION.into(),
                base_path: "/".into(),
                access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
                endpoint_url: None,
                added_at: String::new(),
                last_verified: None,
                checksums_when_required: false,
            });
            Ok(())
        })
        .unwrap();
}

/// Puts every key (16 at a time: moto takes ~6 ms a put, one by one it would be minutes).
async fn put_all(s3: &aws_sdk_s3::Client, bucket: &str, keys: Vec<String>, body: &'static [u8]) {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _p = limit.acquire_owned().await;
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .body(ByteStream::from_static(body))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

async fn delete_all(s3: &aws_sdk_s3::Client, bucket: &str, keys: Vec<String>) {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let (s3, bucket, limit) = (s3.clone(), bucket.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _p = limit.acquire_owned().await;
            s3.delete_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete {key}: {e:?}"));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// What a versioned fixture holds.
struct Fixture {
    bucket: String,
    keys: usize,
    overwritten: usize,
    deleted: usize,
    uploads: usize,
}

/// A versioned bucket with `keys` objects (a third of them Korean keys with spaces), the
/// first `overwritten` put twice (older versions), the last `deleted` deleted (delete
/// markers over their versions), and 3 unfinished multipart uploads.
async fn versioned_fixture(
    endpoint: &Endpoint,
    keys: usize,
    overwritten: usize,
    deleted: usize,
) -> Fixture {
    let s3 = endpoint.s3().await;
    let bucket = unique_name("empty");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<String> = (0..keys)
        .map(|i| match i % 3 {
            0 => format!("제품 이미지/봄 컬렉션/벚꽃 {i:05}.jpg"),
            1 => format!("assets/img-{i:05}.jpg"),
            _ => format!("thumbs/a b c/{i:05}.webp"),
        })
        .collect();
    put_all(&s3, &bucket, names.clone(), b"first version").await;
    put_all(
        &s3,
        &bucket,
        names[..overwritten].to_vec(),
        b"second version!",
    )
    .await;
    delete_all(&s3, &bucket, names[keys - deleted..].to_vec()).await;
    for i in 0..3 {
        s3.create_multipart_upload()
            .bucket(&bucket)
            .key(format!("uploads/큰 파일 {i}.bin"))
            .send()
            .await
            .unwrap();
    }
    Fixture {
        bucket,
        keys,
        overwritten,
        deleted,
        uploads: 3,
    }
}

async fn raw_versions_left(s3: &aws_sdk_s3::Client, bucket: &str) -> usize {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.versions().len() + out.delete_markers().len()
}

async fn raw_uploads_left(s3: &aws_sdk_s3::Client, bucket: &str) -> usize {
    let out = s3
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.uploads().len()
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

#[test]
fn every_naming_rule_is_refused_before_any_network_call_with_its_own_message() {
    // Nothing listens on this port: any call would fail as Unreachable.
    let target = Target {
        endpoint_url: Some(format!("http://127.0.0.1:{}", closed_port())),
        region: "us-east-1".into(),
        access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
        secret: SecretString::new("not-used"),
    };
    block_on(async {
        let admin = AdminS3::new(aws::sdk_config(&target).await);
        let table: Vec<(String, NamingRule)> = vec![
            ("ab".into(), NamingRule::Length { length: 2 }),
            ("a".repeat(64), NamingRule::Length { length: 64 }),
            (
                "Shop-Images".into(),
                NamingRule::Character {
                    character: "S".into(),
                },
            ),
            (
                "shop_images".into(),
                NamingRule::Character {
                    character: "_".into(),
                },
            ),
            (
                "쇼핑-이미지".into(),
                NamingRule::Character {
                    character: "쇼".into(),
                },
            ),
            ("-shop-images".into(), NamingRule::Edge),
            ("shop-images.".into(), NamingRule::Edge),
            ("shop..images".into(), NamingRule::DoubleDot),
            ("10.0.0.1".into(), NamingRule::IpAddress),
            (
                "xn--shop".into(),
                NamingRule::ReservedPrefix {
                    prefix: "xn--".into(),
                },
            ),
            (
                "sthree-shop".into(),
                NamingRule::ReservedPrefix {
                    prefix: "sthree-".into(),
                },
            ),
            (
                "amzn-s3-demo-shop".into(),
                NamingRule::ReservedPrefix {
                    prefix: "amzn-s3-demo-".into(),
                },
            ),
            (
                "shop-s3alias".into(),
                NamingRule::ReservedSuffix {
                    suffix: "-s3alias".into(),
                },
            ),
            (
                "shop--ol-s3".into(),
                NamingRule::ReservedSuffix {
                    suffix: "--ol-s3".into(),
                },
            ),
            (
                "shop.mrap".into(),
                NamingRule::ReservedSuffix {
                    suffix: ".mrap".into(),
                },
            ),
            (
                "shop--x-s3".into(),
                NamingRule::ReservedSuffix {
                    suffix: "--x-s3".into(),
                },
            ),
            (
                "shop--table-s3".into(),
                NamingRule::ReservedSuffix {
                    suffix: "--table-s3".into(),
                },
            ),
        ];
        let mut kinds = std::collections::HashSet::new();
        let mut messages = BTreeSet::new();
        for (name, rule) in &table {
            let err = create::create(&admin, &CreateRequest::new(name, "ap-northeast-2"))
                .await
                .expect_err(name);
            match &err {
                BucketError::Naming(got) => assert_eq!(got, rule, "{name}"),
                other => panic!("{name}: refused by the rule, not by a call: {other:?}"),
            }
            let en = err.describe(Language::En);
            let ko = err.describe(Language::Ko);
            assert!(!en.is_empty() && !ko.is_empty() && en != ko, "{name}: {en}");
            kinds.insert(std::mem::discriminant(rule));
            messages.insert((format!("{rule:?}"), en));
        }
        assert_eq!(kinds.len(), 7, "every kind of rule is in the table");
        let rules: BTreeSet<&String> = messages.iter().map(|(r, _)| r).collect();
        let texts: BTreeSet<&String> = messages.iter().map(|(_, m)| m).collect();
        assert_eq!(
            texts.len(),
            rules.len(),
            "each rule broken has its own message"
        );
        // The same endpoint with a valid name does try the network: the port is closed.
        let reached = create::create(&admin, &CreateRequest::new("shop-images", "ap-northeast-2"))
            .await
            .expect_err("nothing listens");
        assert!(
            matches!(
                reached,
                BucketError::Aws {
                    failure: AwsFailure::Unreachable { .. },
                    ..
                }
            ),
            "{reached:?}"
        );
    });
}

#[test]
fn create_in_a_region_with_protection_and_the_abort_rule_and_tell_owned_names_apart() {
    let endpoint = moto::enforcing();
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("seoul");
        let created = create::create(&admin, &CreateRequest::new(&name, "ap-northeast-2"))
            .await
            .expect("create in ap-northeast-2");
        assert_eq!(created.region, "ap-northeast-2");
        assert_eq!(created.public_access, PublicAccess::ALL_ON);
        assert_eq!(created.abort_multipart_after_days, Some(7));

        // Read back through a fresh client, as S3 has it.
        let fresh = AdminS3::new(aws::sdk_config(&endpoint.admin).await);
        assert_eq!(fresh.region_of(&name).await.unwrap(), "ap-northeast-2");
        assert_eq!(
            public_access::get(&fresh, &name).await.unwrap(),
            PublicAccess::ALL_ON,
            "Block Public Access is on by default"
        );
        let rules = lifecycle::show(&fresh, &name).await.unwrap();
        assert_eq!(rules.abort_incomplete_multipart_after_days, Some(7));
        assert_eq!(rules.rules.len(), 1);

        let again = create::create(&admin, &CreateRequest::new(&name, "ap-northeast-2"))
            .await
            .expect_err("exists");
        assert!(
            matches!(again, BucketError::AlreadyOwnedByYou { .. }),
            "{again:?}"
        );
        // In us-east-1 AWS answers 200 for one's own bucket: still told apart.
        let east = unique_name("east");
        let mut plain = CreateRequest::new(&east, "us-east-1");
        plain.abort_multipart_after_days = None;
        plain.block_public_access = false;
        let made = create::create(&admin, &plain).await.unwrap();
        assert_eq!(made.public_access, PublicAccess::ALL_OFF);
        assert_eq!(
            lifecycle::show(&admin, &east)
                .await
                .unwrap()
                .abort_incomplete_multipart_after_days,
            None,
            "no rule when not asked"
        );
        assert!(matches!(
            create::create(&admin, &plain).await,
            Err(BucketError::AlreadyOwnedByYou { .. })
        ));
    });
}

/// An S3 client of another AWS account on the same moto (moto's STS hands out credentials
/// for the account in the role's ARN, and its bucket namespace is shared by all accounts).
async fn other_account_s3(endpoint: &Endpoint) -> aws_sdk_s3::Client {
    let config = aws::sdk_config(&endpoint.admin).await;
    let assumed = aws::sts_client(&config)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/someone-else")
        .role_session_name("someone-else")
        .send()
        .await
        .expect("AssumeRole into another account");
    let c = assumed.credentials().expect("credentials");
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "other-account",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

#[test]
fn a_name_taken_by_another_account_is_told_apart_from_ones_own() {
    let endpoint = moto::shared();
    block_on(async {
        let name = unique_name("taken");
        let theirs = other_account_s3(endpoint).await;
        theirs
            .create_bucket()
            .bucket(&name)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::ApNortheast2)
                    .build(),
            )
            .send()
            .await
            .expect("the other account creates the bucket");

        let admin = admin(endpoint).await;
        let refused = create::create(&admin, &CreateRequest::new(&name, "ap-northeast-2"))
            .await
            .expect_err("someone else's name");
        assert!(
            matches!(&refused, BucketError::AlreadyExists { bucket } if bucket == &name),
            "{refused:?}"
        );
        let said = refused.describe(Language::En);
        assert!(said.contains(&name) && said.contains("another"), "{said}");
        let ours = admin.client().list_buckets().send().await.unwrap();
        assert!(
            !ours
                .buckets()
                .iter()
                .any(|b| b.name() == Some(name.as_str())),
            "nothing was created in our account"
        );
    });
}

#[test]
fn block_public_access_round_trips_each_of_the_four_settings() {
    let endpoint = moto::enforcing();
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("bpa");
        create::create(&admin, &CreateRequest::new(&name, "us-east-1"))
            .await
            .unwrap();
        let s3 = endpoint.s3().await;
        for setting in Setting::ALL {
            let refused = public_access::set_one(&admin, &name, setting, false, None)
                .await
                .expect_err("turning protection off needs the acknowledgement");
            match &refused {
                BucketError::AcknowledgementNeeded { settings, .. } => {
                    assert_eq!(settings, &[setting])
                }
                other => panic!("{other:?}"),
            }
            assert!(refused.describe(Language::En).contains(setting.name()));
            let wrong = public_access::set_one(&admin, &name, setting, false, Some("other"))
                .await
                .expect_err("a mistyped acknowledgement is no acknowledgement");
            assert!(matches!(wrong, BucketError::AcknowledgementNeeded { .. }));

            let off = public_access::set_one(&admin, &name, setting, false, Some(&name))
                .await
                .unwrap();
            assert_eq!(
                off,
                PublicAccess::ALL_ON.with(setting, false),
                "{setting:?}"
            );
            // As S3 itself has it.
            let raw = s3
                .get_public_access_block()
                .bucket(&name)
                .send()
                .await
                .unwrap();
            let raw = raw.public_access_block_configuration().unwrap();
            let raw = [
                raw.block_public_acls(),
                raw.ignore_public_acls(),
                raw.block_public_policy(),
                raw.restrict_public_buckets(),
            ];
            let want: Vec<Option<bool>> = Setting::ALL.iter().map(|s| Some(off.get(*s))).collect();
            assert_eq!(raw.to_vec(), want, "{setting:?} as S3 stores it");

            let on = public_access::set_one(&admin, &name, setting, true, None)
                .await
                .expect("turning protection on needs nothing");
            assert_eq!(on, PublicAccess::ALL_ON);
        }
        let all_off = public_access::set(&admin, &name, PublicAccess::ALL_OFF, Some(&name))
            .await
            .unwrap();
        assert_eq!(all_off, PublicAccess::ALL_OFF, "all four together");
    });
}

fn parliament_kinds(policy: &Value) -> BTreeSet<String> {
    let venv = std::env::var_os("BUCKETDESK_VENV")
        .expect("make test sets BUCKETDESK_VENV (scripts/env.sh)");
    let out = Command::new(PathBuf::from(venv).join("bin/parliament"))
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
        .collect()
}

#[test]
fn the_bucket_policy_templates_pass_parliament_and_our_lint() {
    for which in [
        PolicyTemplate::PublicRead,
        PolicyTemplate::PublicReadPrefix,
        PolicyTemplate::DenyInsecureTransport,
    ] {
        for (bucket, prefix) in [("my-images", "/assets"), ("shop.cdn-2026", "/제품 이미지")] {
            let p = policy::template(which, bucket, Some(prefix)).unwrap();
            let theirs: BTreeSet<String> = parliament_kinds(&p)
                .into_iter()
                // The one finding a public-read policy is expected to have.
                .filter(|k| !k.contains("PUBLIC"))
                .collect();
            assert_eq!(theirs, BTreeSet::new(), "parliament on {which:?}: {p}");
            let ours = policy::review(&p, bucket);
            assert_eq!(ours.findings, vec![], "our lint on {which:?}");
            assert_eq!(
                ours.public,
                which != PolicyTemplate::DenyInsecureTransport,
                "{which:?}"
            );
        }
    }
}

#[test]
fn a_public_policy_is_refused_while_block_public_policy_is_on_then_saved_and_checked() {
    let endpoint = moto::shared();
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("pub");
        create::create(&admin, &CreateRequest::new(&name, "us-east-1"))
            .await
            .unwrap();
        endpoint
            .s3()
            .await
            .put_object()
            .bucket(&name)
            .key("제품 이미지/벚꽃 01.jpg")
            .body(ByteStream::from_static(b"jpeg"))
            .send()
            .await
            .unwrap();
        let text = policy::template(PolicyTemplate::PublicRead, &name, None)
            .unwrap()
            .to_string();
        let refused = policy::save(&admin, &name, &text)
            .await
            .expect_err("BlockPublicPolicy is on");
        match &refused {
            BucketError::BlockedByPublicAccess {
                setting,
                account_level,
                ..
            } => {
                assert_eq!(*setting, Setting::BlockPublicPolicy);
                assert!(!account_level);
            }
            other => panic!("{other:?}"),
        }
        for lang in [Language::Ko, Language::En] {
            assert!(refused.describe(lang).contains("BlockPublicPolicy"));
        }
        assert!(
            policy::get(&admin, &name).await.unwrap().is_none(),
            "refused before the call: nothing was saved"
        );

        // The offer taken: both policy settings off (acknowledged), then save.
        let open = PublicAccess::ALL_ON
            .with(Setting::BlockPublicPolicy, false)
            .with(Setting::RestrictPublicBuckets, false);
        public_access::set(&admin, &name, open, Some(&name))
            .await
            .unwrap();
        let saved = policy::save(&admin, &name, &text).await.unwrap();
        assert!(saved.review.public);
        assert_eq!(saved.review.anyone.len(), 1, "the Principal * warning");
        assert_eq!(saved.without_effect_because, None);
        assert_eq!(saved.check.policy_status_public, Some(true));
        assert_eq!(
            saved.check.unsigned_get,
            UnsignedGet::Readable {
                key: "제품 이미지/벚꽃 01.jpg".into()
            },
            "anyone can read it now"
        );
        let current = policy::get(&admin, &name).await.unwrap().expect("saved");
        assert!(
            current.text.contains('\n') && current.text.contains("\"Principal\": \"*\""),
            "pretty-printed: {}",
            current.text
        );

        policy::delete(&admin, &name).await.unwrap();
        assert!(policy::get(&admin, &name).await.unwrap().is_none());
        let check = policy::public_check(&admin, &name).await.unwrap();
        assert_eq!(check.policy_status_public, Some(false));
        assert!(
            matches!(check.unsigned_get, UnsignedGet::Denied { .. }),
            "{check:?}"
        );
    });
}

#[test]
fn the_abort_rule_is_added_next_to_an_existing_rule_without_removing_it() {
    let endpoint = moto::shared();
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("life");
        let mut request = CreateRequest::new(&name, "us-east-1");
        request.abort_multipart_after_days = None;
        create::create(&admin, &request).await.unwrap();
        let s3 = endpoint.s3().await;
        let existing = LifecycleRule::builder()
            .id("expire-tmp")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(30).build())
            .build()
            .unwrap();
        s3.put_bucket_lifecycle_configuration()
            .bucket(&name)
            .lifecycle_configuration(
                aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
                    .rules(existing)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let before = lifecycle::show(&admin, &name).await.unwrap();
        assert_eq!(before.abort_incomplete_multipart_after_days, None);

        let after = lifecycle::add_abort_rule(&admin, &name, 7).await.unwrap();
        assert_eq!(after.abort_incomplete_multipart_after_days, Some(7));
        let ids: Vec<Option<&str>> = after.rules.iter().map(|r| r.id.as_deref()).collect();
        assert_eq!(
            ids,
            [Some("expire-tmp"), Some(lifecycle::ABORT_RULE_ID)],
            "the existing rule is kept"
        );
        let raw = s3
            .get_bucket_lifecycle_configuration()
            .bucket(&name)
            .send()
            .await
            .unwrap();
        let kept = raw
            .rules()
            .iter()
            .find(|r| r.id() == Some("expire-tmp"))
            .expect("still in S3");
        assert_eq!(kept.expiration().and_then(|e| e.days()), Some(30));
        assert_eq!(
            kept.filter().and_then(|f| f.prefix()),
            Some("tmp/"),
            "unchanged"
        );
        let twice = lifecycle::add_abort_rule(&admin, &name, 3).await.unwrap();
        assert_eq!(twice, after, "a second request adds nothing");
    });
}

#[test]
fn emptying_a_versioned_bucket_leaves_no_version_marker_or_upload() {
    let endpoint = moto::shared();
    block_on(async {
        let f = versioned_fixture(endpoint, 3000, 500, 250).await;
        let admin = admin(endpoint).await;
        let plan = empty::plan(&admin, &f.bucket).await.unwrap();
        assert_eq!(plan.objects, (f.keys - f.deleted) as u64, "current objects");
        assert_eq!(
            plan.older_versions,
            (f.overwritten + f.deleted) as u64,
            "overwritten and deleted versions"
        );
        assert_eq!(plan.delete_markers, f.deleted as u64);
        assert_eq!(plan.unfinished_uploads, f.uploads as u64);
        assert_eq!(
            plan.bytes,
            (f.keys * b"first version".len() + f.overwritten * b"second version!".len()) as u64
        );
        assert!(plan.can_run && !plan.object_lock.enabled);

        let seen: Mutex<Vec<EmptyProgress>> = Mutex::new(Vec::new());
        let report = empty::run(
            &admin,
            &f.bucket,
            EmptyOptions::default(),
            &|p: &EmptyProgress| seen.lock().unwrap().push(p.clone()),
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(report.failed, vec![], "no key refused");
        assert_eq!(report.deleted, plan.versions_total());
        assert_eq!(report.bytes_deleted, plan.bytes);
        assert_eq!(report.uploads_aborted, 3);
        assert!(report.verified_empty && !report.cancelled);
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() >= 4, "progress after every batch and abort");
        assert!(
            seen.windows(2).all(|w| w[0].deleted <= w[1].deleted),
            "progress only grows"
        );

        let s3 = endpoint.s3().await;
        assert_eq!(raw_versions_left(&s3, &f.bucket).await, 0);
        assert_eq!(raw_uploads_left(&s3, &f.bucket).await, 0);
        s3.delete_bucket()
            .bucket(&f.bucket)
            .send()
            .await
            .expect("an empty bucket deletes");
    });
}

#[test]
fn a_cancelled_empty_run_again_finishes_with_nothing_missed() {
    let endpoint = moto::shared();
    block_on(async {
        let f = versioned_fixture(endpoint, 2000, 300, 200).await;
        let admin = admin(endpoint).await;
        let plan = empty::plan(&admin, &f.bucket).await.unwrap();
        let total = plan.versions_total();
        assert_eq!(total, (f.keys + f.overwritten + f.deleted) as u64);

        let cancel = CancelToken::new();
        let first = empty::run(
            &admin,
            &f.bucket,
            EmptyOptions {
                batch_size: 200,
                in_flight: 2,
            },
            &|p: &EmptyProgress| {
                if p.deleted >= total / 2 {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .await
        .unwrap();
        assert!(first.cancelled && !first.verified_empty);
        assert!(
            first.deleted >= total / 2 && first.deleted < total,
            "stopped half-way: {} of {total}",
            first.deleted
        );
        assert_eq!(first.uploads_aborted, 0, "cancelled before the uploads");
        let left = empty::plan(&admin, &f.bucket).await.unwrap();
        assert_eq!(
            left.versions_total(),
            total - first.deleted,
            "nothing lost count"
        );

        let second = empty::run(
            &admin,
            &f.bucket,
            EmptyOptions::default(),
            &|_: &EmptyProgress| {},
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert!(second.verified_empty, "{second:?}");
        assert_eq!(first.deleted + second.deleted, total, "nothing missed");
        assert_eq!(second.uploads_aborted, f.uploads as u64);
        let s3 = endpoint.s3().await;
        assert_eq!(raw_versions_left(&s3, &f.bucket).await, 0);
        assert_eq!(raw_uploads_left(&s3, &f.bucket).await, 0);
    });
}

#[test]
fn delete_refuses_a_mistyped_name_and_a_bucket_that_is_not_empty() {
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let sources = sources_in(dir.path());
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("del");
        create::create(&admin, &CreateRequest::new(&name, "us-east-1"))
            .await
            .unwrap();
        let s3 = endpoint.s3().await;
        s3.put_object()
            .bucket(&name)
            .key("a b/한글.jpg")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();

        let typo = delete::delete(&admin, &sources, &name, &format!("{name}x"), false)
            .await
            .expect_err("mistyped");
        assert!(matches!(typo, BucketError::NameMismatch { .. }), "{typo:?}");
        let full = delete::delete(&admin, &sources, &name, &name, false)
            .await
            .expect_err("not empty");
        assert!(
            matches!(
                full,
                BucketError::NotEmpty {
                    versions: 1,
                    uploads: 0,
                    ..
                }
            ),
            "{full:?}"
        );
        assert!(full.describe(Language::En).contains("Empty it first"));

        // An unfinished upload alone keeps it from being deleted too.
        s3.delete_object()
            .bucket(&name)
            .key("a b/한글.jpg")
            .send()
            .await
            .unwrap();
        s3.create_multipart_upload()
            .bucket(&name)
            .key("big.bin")
            .send()
            .await
            .unwrap();
        assert!(matches!(
            delete::delete(&admin, &sources, &name, &name, false).await,
            Err(BucketError::NotEmpty { uploads: 1, .. })
        ));
        s3.head_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("still there after every refusal");

        empty::run(
            &admin,
            &name,
            EmptyOptions::default(),
            &|_: &EmptyProgress| {},
            &CancelToken::new(),
        )
        .await
        .unwrap();
        let deleted = delete::delete(&admin, &sources, &name, &name, true)
            .await
            .unwrap();
        assert!(deleted.removed_sources.is_empty());
        assert!(s3.head_bucket().bucket(&name).send().await.is_err(), "gone");
    });
}

#[test]
fn the_list_shows_badges_and_the_sources_using_each_bucket() {
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    block_on(async {
        let admin = admin(endpoint).await;
        let name = unique_name("listed");
        create::create(&admin, &CreateRequest::new(&name, "ap-northeast-2"))
            .await
            .unwrap();
        let s3 = admin.in_region("ap-northeast-2");
        s3.put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        s3.create_multipart_upload()
            .bucket(&name)
            .key("half.bin")
            .send()
            .await
            .unwrap();
        add_source_config(dir.path(), "shop-cdn", &name);
        let rows = list::list(&admin, &sources_in(dir.path())).await.unwrap();
        let row = rows.iter().find(|r| r.name == name).expect("listed");
        assert_eq!(row.region.as_deref(), Some("ap-northeast-2"));
        assert!(row.created.is_some());
        assert_eq!(row.public_access, Some(PublicAccess::ALL_ON));
        assert_eq!(row.public_by_policy, Some(false));
        assert_eq!(row.versioning, Some(Versioning::Enabled));
        assert_eq!(row.has_unfinished_uploads, Some(true));
        assert_eq!(row.sources, ["shop-cdn"]);
        assert!(row.unreadable.is_empty(), "{:?}", row.unreadable);

        let opened = list::details(&admin, &sources_in(dir.path()), &name)
            .await
            .unwrap();
        assert_eq!(
            opened.lifecycle.abort_incomplete_multipart_after_days,
            Some(7)
        );
        assert!(opened.policy.is_none());
        assert!(!opened.object_lock.enabled);

        // A key with no permission at all is told which one it lacks.
        let (id, secret) = moto::create_powerless_key(&endpoint.iam().await).await;
        let nobody = AdminS3::new(aws::sdk_config(&endpoint.target(&id, &secret)).await);
        match list::list(&nobody, &sources_in(dir.path())).await {
            Err(BucketError::Aws {
                failure: AwsFailure::AccessDenied { action },
                ..
            }) => assert_eq!(action, "s3:ListAllMyBuckets"),
            other => panic!("{other:?}"),
        }
    });
}

/// A bucket of 50 photos with a reader made by Bucketdesk and its source `stop-cdn`;
/// returns (bucket, reader user, reader key).
async fn bucket_with_a_reader(
    endpoint: &moto::Endpoint,
    admin: &AdminS3,
    iam: &aws_sdk_iam::Client,
    keychain: &Keychain,
    sources: &Sources,
) -> (String, String, String) {
    let bucket = unique_name("stop");
    create::create(admin, &CreateRequest::new(&bucket, "us-east-1"))
        .await
        .unwrap();
    put_all(
        &endpoint.s3().await,
        &bucket,
        (0..50).map(|i| format!("사진 {i}.jpg")).collect(),
        b"photo",
    )
    .await;
    let user = unique_name("reader");
    let made = bucketdesk::iam::reader::create(
        iam,
        keychain,
        sources,
        &bucketdesk::iam::reader::ReaderRequest {
            bucket: bucket.clone(),
            base_path: "/".into(),
            user: user.clone(),
            source: Some("stop-cdn".into()),
            endpoint_url: Some(endpoint.server.endpoint()),
            region: Some(moto::REGION.into()),
            managed_read_only: false,
        },
        Language::En,
    )
    .await
    .expect("a reader and its source");
    (bucket, user, made.access_key_id.clone())
}

/// The first plan: every step before anything happens, the user offered but not taken.
fn assert_first_plan(plan: &TeardownPlan, user: &str, key: &str) {
    assert_eq!(
        plan.steps,
        [
            TeardownStep::Empty,
            TeardownStep::DeleteBucket,
            TeardownStep::RemoveSource {
                name: "stop-cdn".into()
            },
            TeardownStep::DeleteKey {
                access_key_id: key.to_owned(),
                user: user.to_owned()
            },
        ],
        "the plan, before anything happens"
    );
    assert_eq!(plan.empty.as_ref().unwrap().objects, 50);
    assert_eq!(plan.users, [user.to_owned()], "offered, not taken");
    assert!(plan.kept_keys.is_empty());
}

/// Runs the plan with the name typed; returns the steps reported, in order.
async fn run_reporting_steps(
    admin: &AdminS3,
    iam: &aws_sdk_iam::Client,
    sources: &Sources,
    plan: &TeardownPlan,
    typed: &str,
) -> Result<(teardown::TeardownReport, Vec<TeardownStep>), BucketError> {
    let steps_seen: Mutex<Vec<TeardownStep>> = Mutex::new(Vec::new());
    let report = teardown::run(
        admin,
        iam,
        sources,
        plan,
        typed,
        Language::En,
        &|p| {
            let mut seen = steps_seen.lock().unwrap();
            if seen.last() != Some(&p.step) {
                seen.push(p.step.clone());
            }
        },
        &CancelToken::new(),
    )
    .await?;
    Ok((report, steps_seen.into_inner().unwrap()))
}

#[test]
fn teardown_shows_its_plan_then_removes_bucket_sources_and_keys() {
    keyring_guard();
    let endpoint = moto::enforcing();
    let dir = tempfile::tempdir().unwrap();
    let sources = sources_in(dir.path());
    let keychain = Keychain::new(bucketdesk::secrets::SERVICE);
    block_on(async {
        let admin = admin(endpoint).await;
        let iam = endpoint.iam().await;
        let (bucket, user, key) =
            bucket_with_a_reader(endpoint, &admin, &iam, &keychain, &sources).await;

        let plan = teardown::plan(&admin, &iam, &sources, &bucket, false)
            .await
            .unwrap();
        assert_first_plan(&plan, &user, &key);
        let s3 = endpoint.s3().await;
        s3.head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("planning changes nothing");

        let typo = run_reporting_steps(&admin, &iam, &sources, &plan, "stop")
            .await
            .expect_err("mistyped");
        assert!(matches!(typo, BucketError::NameMismatch { .. }));

        let (report, steps_seen) = run_reporting_steps(&admin, &iam, &sources, &plan, &bucket)
            .await
            .unwrap();
        assert!(report.finished(), "{:?}", report.failed);
        assert_eq!(report.done, plan.steps);
        assert_eq!(steps_seen, plan.steps, "each step reported");
        assert!(
            s3.head_bucket().bucket(&bucket).send().await.is_err(),
            "bucket gone"
        );
        assert!(sources.list().unwrap().is_empty(), "source gone");
        let keys = iam
            .list_access_keys()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        assert!(keys.access_key_metadata().is_empty(), "key gone");
        assert!(keychain.get(&key).is_err(), "secret gone from the keychain");
        iam.get_user()
            .user_name(&user)
            .send()
            .await
            .expect("the user stays unless asked");

        // Run again: the bucket is gone, and only the user is left to offer.
        let again = teardown::plan(&admin, &iam, &sources, &bucket, true)
            .await
            .unwrap();
        assert!(again.empty.is_none());
        assert_eq!(
            again.steps,
            [TeardownStep::DeleteUser { name: user.clone() }]
        );
        let (report, _) = run_reporting_steps(&admin, &iam, &sources, &again, &bucket)
            .await
            .unwrap();
        assert!(report.finished(), "{:?}", report.failed);
        assert!(
            iam.get_user().user_name(&user).send().await.is_err(),
            "user gone"
        );
    });
}

#[test]
fn emptying_refuses_versions_under_compliance_mode_object_lock_and_says_why() {
    let endpoint = moto::shared();
    block_on(async {
        let s3 = endpoint.s3().await;
        let bucket = unique_name("locked");
        s3.create_bucket()
            .bucket(&bucket)
            .object_lock_enabled_for_bucket(true)
            .send()
            .await
            .unwrap();
        let until = std::time::SystemTime::now() + std::time::Duration::from_secs(86_400);
        s3.put_object()
            .bucket(&bucket)
            .key("계약서 2026.pdf")
            .body(ByteStream::from_static(b"kept for a day"))
            .object_lock_mode(aws_sdk_s3::types::ObjectLockMode::Compliance)
            .object_lock_retain_until_date(aws_sdk_s3::primitives::DateTime::from(until))
            .send()
            .await
            .expect("a compliance-locked object");
        let admin = admin(endpoint).await;
        let plan = empty::plan(&admin, &bucket).await.unwrap();
        assert!(plan.object_lock.enabled);
        assert_eq!(plan.locked.compliance, 1);
        assert!(!plan.can_run, "the plan says it cannot run");
        let refused = empty::run(
            &admin,
            &bucket,
            EmptyOptions::default(),
            &|_: &EmptyProgress| {},
            &CancelToken::new(),
        )
        .await
        .expect_err("nothing is deleted");
        assert!(
            matches!(refused, BucketError::ObjectLocked { versions: 1, .. }),
            "{refused:?}"
        );
        assert!(refused.describe(Language::En).contains("compliance-mode"));
        assert!(refused.describe(Language::Ko).contains("규정 준수"));
        assert_eq!(
            raw_versions_left(&s3, &bucket).await,
            1,
            "refused before any delete"
        );
    });
}
