//! The fixtures the UI's scripted backend answers from (`ui/src/fixtures/`), produced here
//! from the real core and held to it: a test fails when a committed fixture differs from
//! what the core gives now, and another shows that the check notices such drift.
//! `BUCKETDESK_UPDATE_FIXTURES=1 cargo test --features custom-protocol --test it fixtures`
//! rewrites them.

use bucketdesk::cdn::security::Token;
use bucketdesk::cdn::urls::{self, LocalServer};
use bucketdesk::config::{ConfigStore, Settings, SourceConfig};
use bucketdesk::error::{ApiError, InLanguage};
use bucketdesk::iam::keys::KeyError;
use bucketdesk::iam::policy::{self, Template};
use bucketdesk::locale::Language;
use bucketdesk::secrets::Keychain;
use bucketdesk::sources::{FormField, Sources};
use serde_json::{Value, json};

use crate::support::drift;
use crate::support::url_table::{CASES, FIXTURE_BASE, FIXTURE_TOKEN, SOURCE};

const UPDATE: &str = "BUCKETDESK_UPDATE_FIXTURES";
pub const CDN_URLS: &str = "ui/src/fixtures/cdn-urls.json";
const POLICIES: &str = "ui/src/fixtures/policies.json";
const SETTINGS: &str = "ui/src/fixtures/settings.json";
const VERIFY_REPORTS: &str = "ui/src/fixtures/verify-reports.json";
const KEY_ERRORS: &str = "ui/src/fixtures/key-errors.json";
const SOURCE_FIELDS: &str = "ui/src/fixtures/source-fields.json";

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("fixture serializes");
    text.push('\n');
    text
}

/// Every case of the URL table with the URLs the core makes for it.
pub fn cdn_urls_fixture() -> Value {
    let token = Token::new(FIXTURE_TOKEN);
    let local = LocalServer {
        production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
        base_url: FIXTURE_BASE,
        token: &token,
    };
    let cases: Vec<Value> = CASES
        .iter()
        .map(|(key, options)| {
            let urls = urls::image_urls(SOURCE, key, options.iter().copied(), local)
                .unwrap_or_else(|e| panic!("{key} {options:?}: {e:?}"));
            json!({
                "source": SOURCE,
                "key": key,
                "options": options,
                "urls": urls,
            })
        })
        .collect();
    // What the core says of bad options, in both languages.
    let mut errors = Vec::new();
    for options in [
        &[("w", "0")][..],
        &[("q", "1.5")],
        &[("rotate", "400")],
        &[("fit", "squash")],
        // What the preview test types after the hero preset.
        &[("w", "0"), ("f", "avif")],
    ] {
        for lang in [Language::En, Language::Ko] {
            let error: ApiError = urls::image_urls(SOURCE, "a.jpg", options.iter().copied(), local)
                .in_language(lang)
                .expect_err("a bad option is refused");
            errors.push(json!({ "options": options, "language": lang, "error": error }));
        }
    }
    json!({
        "baseUrl": FIXTURE_BASE,
        "token": FIXTURE_TOKEN,
        "thumbnailQuery": urls::thumbnail_query(),
        "gridTileQuery": urls::grid_tile_query(),
        "cases": cases,
        "errors": errors,
    })
}

fn policies_fixture() -> Value {
    let mut cases = Vec::new();
    for template in [
        Template::CdnReader,
        Template::Uploader,
        Template::PublicRead,
    ] {
        for base_path in ["/", "/assets", "assets/"] {
            let generated = policy::preview(template, "acme-photos", base_path).expect("template");
            cases.push(json!({
                "template": template,
                "bucket": "acme-photos",
                "basePath": base_path,
                "policy": generated,
            }));
        }
    }
    // What a bad bucket name gets, in both languages.
    for lang in [Language::En, Language::Ko] {
        let error: ApiError = policy::preview(Template::CdnReader, "Bad_Bucket", "/")
            .in_language(lang)
            .expect_err("an invalid bucket is refused");
        cases.push(json!({
            "template": Template::CdnReader,
            "bucket": "Bad_Bucket",
            "basePath": "/",
            "language": lang,
            "error": error,
        }));
    }
    json!({ "cases": cases, "readerPlans": reader_plans() })
}

/// What the wizard shows before "Create the reader" (the least-privilege plan; the managed
/// one is read from IAM), and what a bad user name gets, in both languages.
fn reader_plans() -> Value {
    use bucketdesk::iam::reader::{self, ReaderRequest};
    let mut plans = Vec::new();
    // The wizard sends the user as shown (the core's default, filled in, or another).
    for user in [reader::DEFAULT_USER, "shop-reader"] {
        for base_path in ["/", "/assets", "photos"] {
            let request = ReaderRequest::new("acme-photos", base_path, Some(user.to_owned()), None);
            let plan = reader::inline_plan(&request).expect("a plan");
            plans.push(json!({
                "bucket": "acme-photos", "basePath": base_path, "user": user, "plan": plan,
            }));
        }
    }
    for lang in [Language::En, Language::Ko] {
        let request = ReaderRequest::new("acme-photos", "/", Some("two words".into()), None);
        let error: ApiError = reader::inline_plan(&request)
            .in_language(lang)
            .expect_err("a bad user is refused");
        plans.push(json!({
            "bucket": "acme-photos", "basePath": "/", "user": "two words", "language": lang,
            "error": error,
        }));
    }
    Value::Array(plans)
}

fn settings_fixture() -> Value {
    let good = Settings::default();
    let bad = [
        Settings {
            cdn_port: 80,
            ..good.clone()
        },
        Settings {
            cache_mb: 1,
            ..good.clone()
        },
        Settings {
            memory_cache_mb: 4,
            ..good.clone()
        },
        Settings {
            admin_profile: Some("two words".into()),
            ..good.clone()
        },
    ];
    let mut cases = vec![json!({ "settings": good, "error": null })];
    for settings in bad {
        for lang in [Language::En, Language::Ko] {
            let error: ApiError = settings
                .validate()
                .in_language(lang)
                .expect_err("refused by the core");
            cases.push(json!({ "settings": settings, "language": lang, "error": error }));
        }
    }
    json!({
        "defaults": good,
        "defaultReaderUser": bucketdesk::iam::reader::DEFAULT_USER,
        "cases": cases,
        "unreadable": unreadable_configs(),
    })
}

/// The core's refusals of key actions as the IAM page receives them: a key a source uses
/// (deactivate, delete), and IAM's two-key limit (create). The UI tests script them; the
/// in-memory backend has no key rules of its own.
fn key_errors_fixture() -> Value {
    let refusals = || {
        [
            (
                "inUse",
                KeyError::InUse {
                    key: "AKIABOUND00000000001".into(),
                    sources: vec!["shop".into()],
                },
            ),
            (
                "limit",
                KeyError::Limit {
                    user: "uploader".into(),
                    keys: vec!["AKIANEW0000000000001".into(), "AKIANEW0000000000002".into()],
                },
            ),
        ]
    };
    let mut cases = Vec::new();
    for lang in [Language::En, Language::Ko] {
        for (case, refusal) in refusals() {
            let error: ApiError = Err::<(), _>(refusal)
                .in_language(lang)
                .expect_err("a refusal");
            cases.push(json!({ "case": case, "language": lang, "error": error }));
        }
    }
    json!({ "cases": cases })
}

/// The values the UI's tests type into the source forms, per field.
const TYPED: &[(FormField, &[&str])] = &[
    (
        FormField::Name,
        &[
            "",
            "Ab",
            "Bad Name",
            "acme",
            "acme-cdn",
            "acme-two",
            "empty",
            "minio-photos",
            "shop-2",
            "taken",
            "-shop",
            "shop",
        ],
    ),
    (
        FormField::Bucket,
        &[
            "",
            "acme-photos",
            "acme-web",
            "empty-bucket",
            "photos",
            "Bad_Bucket",
        ],
    ),
    (
        FormField::BasePath,
        &["", "/", "photos/", "//assets//", "/assets", "a/../b"],
    ),
    (
        FormField::Endpoint,
        &[
            "",
            "http://127.0.0.1:9000/",
            "minio.local",
            "https://s3.example.com",
        ],
    ),
    (FormField::User, &["", "weekerp-cdn-reader", "bad user"]),
];

/// What the core says of each typed value (`check_source_field`), in both languages; a
/// name both free and already taken by a saved source.
fn source_fields_fixture() -> Value {
    let mut cases = Vec::new();
    for lang in [Language::En, Language::Ko] {
        for (field, values) in TYPED {
            for value in values.iter() {
                for taken in [false, true] {
                    if taken && *field != FormField::Name {
                        continue;
                    }
                    let dir = tempfile::tempdir().unwrap();
                    if taken {
                        add_named_source(dir.path(), value);
                    }
                    let sources =
                        Sources::new(ConfigStore::new(dir.path()), Keychain::new("unused"));
                    let check = sources.check_field(*field, value, lang).unwrap();
                    cases.push(json!({
                        "field": field, "value": value, "taken": taken,
                        "language": lang, "check": check,
                    }));
                }
            }
        }
    }
    json!({ "cases": cases })
}

fn add_named_source(dir: &std::path::Path, name: &str) {
    ConfigStore::new(dir)
        .update(|c| {
            c.sources.push(SourceConfig {
                name: name.into(),
                bucket: "acme-photos".into(),
                region: "us-east-1".into(),
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

/// What loading an unreadable config says, with the test's folder shown as the memory
/// backend's (`/memory/bucketdesk`), and the name a set-aside file gets.
fn unreadable_configs() -> Value {
    let mut out = serde_json::Map::new();
    for (kind, text) in [
        ("corrupt", "{ \"version\": 1, \"settings\": [\n"),
        ("too_new", "{ \"version\": 99 }\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), text).unwrap();
        let store = ConfigStore::new(dir.path());
        let mut messages = serde_json::Map::new();
        for lang in [Language::En, Language::Ko] {
            let error: ApiError = store.load().in_language(lang).expect_err("unreadable");
            let folder = dir.path().display().to_string();
            let message = error.message.replace(&folder, "/memory/bucketdesk");
            messages.insert(
                serde_json::to_value(lang)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
                json!({ "code": error.code, "message": message }),
            );
        }
        out.insert(kind.to_owned(), Value::Object(messages));
        if kind == "corrupt" {
            let kept = store.set_aside().expect("set aside");
            let name = kept.file_name().unwrap().to_string_lossy();
            // The time stamp changes every run: the fixture keeps the name's shape.
            let shape: String = name
                .chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect();
            out.insert("setAsideName".to_owned(), json!(shape));
        }
    }
    Value::Object(out)
}

#[test]
fn committed_fixtures_match_the_core() {
    drift::assert_committed(CDN_URLS, UPDATE, "fixtures", &pretty(&cdn_urls_fixture()));
    drift::assert_committed(POLICIES, UPDATE, "fixtures", &pretty(&policies_fixture()));
    drift::assert_committed(SETTINGS, UPDATE, "fixtures", &pretty(&settings_fixture()));
    drift::assert_committed(
        KEY_ERRORS,
        UPDATE,
        "fixtures",
        &pretty(&key_errors_fixture()),
    );
    drift::assert_committed(
        SOURCE_FIELDS,
        UPDATE,
        "fixtures",
        &pretty(&source_fields_fixture()),
    );
}

#[test]
fn the_url_check_fails_when_the_ui_and_the_core_disagree() {
    let core = pretty(&cdn_urls_fixture());
    // What the UI had before the core made its URLs: `fit=cover` kept, `f=jpg` and
    // `rotate=-90` as typed.
    let ui = core
        .replacen("?w=400&h=300&f=webp", "?w=400&h=300&fit=cover&f=webp", 1)
        .replacen("?f=jpeg\"", "?f=jpg\"", 1)
        .replacen("?rotate=270\"", "?rotate=-90\"", 1);
    assert_ne!(ui, core, "the stand-in must differ somewhere");
    let drift = drift::check(CDN_URLS, "regenerate", &core, &ui)
        .expect_err("a URL the UI spells differently must be caught");
    assert!(
        drift.found.contains("f=jpg")
            || drift.found.contains("fit=cover")
            || drift.found.contains("rotate=-90"),
        "the first difference is one of the changed URLs: {drift}"
    );
    drift::check(CDN_URLS, "regenerate", &core, &core).expect("the same text passes");
}

/// A verification report for each class of outcome the wizard shows, from the real checks
/// against an IAM-enforcing moto: everything passes, a wrong secret, an unknown key, a bucket
/// that does not exist, a key that may not list, nothing under the BasePath.
#[test]
fn committed_verification_reports_match_the_core() {
    use bucketdesk::secrets::SecretString;
    use bucketdesk::sources::Credentials;
    use bucketdesk::sources::verify::{self, Subject};

    use crate::support::{block_on, moto};

    const ENDPOINT: &str = "http://127.0.0.1:9000";
    const READER_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const NOLIST_KEY: &str = "AKIANOLIST0000000000";
    let server = moto::own();
    let reports = block_on(async {
        let keys = seed_verification_endpoint(&server).await;
        server.set_auth(true).expect("enforcement on");
        let (reader, nobody) = (&keys[0], &keys[1]);
        let classes = [
            (
                "ok",
                reader.0.as_str(),
                reader.1.as_str(),
                "acme-photos",
                "/",
            ),
            (
                "wrong_secret",
                &reader.0,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz",
                "acme-photos",
                "/",
            ),
            (
                "unknown_key",
                "AKIAUNKNOWN000000000",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz",
                "acme-photos",
                "/",
            ),
            (
                "no_such_bucket",
                &reader.0,
                &reader.1,
                "no-such-bucket-here",
                "/",
            ),
            ("access_denied", &nobody.0, &nobody.1, "acme-photos", "/"),
            (
                "nothing_under_base_path",
                &reader.0,
                &reader.1,
                "acme-photos",
                "/nothing-here",
            ),
        ];
        let mut out = serde_json::Map::new();
        for (class, key_id, secret, bucket, base_path) in classes {
            let mut by_language = serde_json::Map::new();
            for lang in [Language::En, Language::Ko] {
                let credentials = Credentials {
                    endpoint_url: Some(server.endpoint()),
                    region: None,
                    access_key_id: key_id.to_owned(),
                    secret_access_key: SecretString::new(secret),
                };
                let subject = Subject {
                    credentials: &credentials,
                    bucket,
                    base_path,
                    name: Some("acme"),
                    production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
                };
                let report = verify::verify(&subject, lang).await;
                by_language.insert(
                    serde_json::to_value(lang)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    serde_json::to_value(&report).unwrap(),
                );
            }
            out.insert(class.to_owned(), Value::Object(by_language));
        }
        (Value::Object(out), keys)
    });
    let (reports, keys) = reports;
    // Run-to-run names (the port, the generated key IDs) as fixed stand-ins.
    let text = pretty(&reports)
        .replace(&server.endpoint(), ENDPOINT)
        .replace(&keys[0].0, READER_KEY)
        .replace(&keys[1].0, NOLIST_KEY);
    for class in [
        "ok",
        "wrong_secret",
        "unknown_key",
        "no_such_bucket",
        "access_denied",
    ] {
        assert!(
            text.contains(&format!("\"{class}\"")),
            "{class} is in the fixture"
        );
    }
    let fixture: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        fixture["ok"]["en"]["ok"], true,
        "the ok class passes: {}",
        fixture["ok"]
    );
    assert_eq!(fixture["wrong_secret"]["en"]["ok"], false);
    drift::assert_committed(VERIFY_REPORTS, UPDATE, "fixtures", &text);
}

/// A bucket with one object, a reader of it (and of a bucket that does not exist) and a
/// user with no policy, on a server of the test's own; returns their (key ID, secret).
async fn seed_verification_endpoint(
    server: &bucketdesk::sandbox::MotoServer,
) -> Vec<(String, String)> {
    use crate::support::moto;
    use bucketdesk::aws;
    let admin = moto::create_admin(server).await;
    let config = aws::sdk_config(&admin).await;
    let (s3, iam) = (aws::s3_client(&config), aws::iam_client(&config));
    s3.create_bucket()
        .bucket("acme-photos")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("acme-photos")
        .key("photos/00000.jpg")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"\xff\xd8\xff",
        ))
        .send()
        .await
        .unwrap();
    let mut keys = Vec::new();
    for (user, policy) in [
        (
            "acme-reader",
            Some(json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                     "Resource": ["arn:aws:s3:::acme-photos", "arn:aws:s3:::no-such-bucket-here"]},
                    {"Effect": "Allow", "Action": ["s3:GetObject"],
                     "Resource": ["arn:aws:s3:::acme-photos/*", "arn:aws:s3:::no-such-bucket-here/*"]},
                ]
            })),
        ),
        ("acme-nobody", None),
    ] {
        iam.create_user().user_name(user).send().await.unwrap();
        if let Some(policy) = policy {
            iam.put_user_policy()
                .user_name(user)
                .policy_name("reader")
                .policy_document(policy.to_string())
                .send()
                .await
                .unwrap();
        }
        let key = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        keys.push((
            key.access_key_id().to_owned(),
            key.secret_access_key().to_owned(),
        ));
    }
    keys
}

const BUCKETS: &str = "ui/src/fixtures/buckets.json";

/// The buckets the memory backend's account has (and the one its tests create).
const FIXTURE_BUCKETS: [&str; 3] = ["acme-photos", "acme-web", "acme-new"];

const LANGS: [Language; 2] = [Language::En, Language::Ko];

/// A language as the fixture's key (`en`, `ko`).
fn lang_key(lang: Language) -> String {
    serde_json::to_value(lang)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The core's answer to each name of the table (every rule broken once, and good names),
/// in both languages.
fn naming_answers() -> Vec<Value> {
    use bucketdesk::buckets::create::{self, CreateRequest};
    let mut names = Vec::new();
    for name in [
        "acme-new",
        "acme-photos",
        "my-images",
        "ab",
        "Acme-New",
        "acme_new",
        "-acme-new",
        "acme..new",
        "192.168.5.4",
        "xn--acme",
        "sthree-acme",
        "amzn-s3-demo-acme",
        "acme-s3alias",
        "acme--ol-s3",
        "acme.mrap",
        "acme--x-s3",
        "acme--table-s3",
    ] {
        for lang in LANGS {
            let request = CreateRequest::new(name, "ap-northeast-2");
            let error = create::validate(&request).in_language(lang).err();
            names.push(json!({ "name": name, "language": lang, "error": error }));
        }
    }
    names
}

/// Each template added to no draft and to the drafts the templates make, per bucket; then
/// the review of every such draft (and of one that is not JSON) against Block Public Access
/// all on, all off, and all on but BlockPublicPolicy.
fn policy_answers() -> (Vec<Value>, Vec<Value>) {
    use bucketdesk::buckets::policy::{self as bucket_policy, PolicyTemplate};
    use bucketdesk::buckets::public_access::{PublicAccess, Setting};
    let mut templates = Vec::new();
    let mut reviews = Vec::new();
    for bucket in FIXTURE_BUCKETS {
        let mut drafts: Vec<Option<String>> = vec![None];
        for (which, prefix) in [
            (PolicyTemplate::DenyInsecureTransport, None),
            (PolicyTemplate::PublicRead, None),
            (PolicyTemplate::PublicReadPrefix, Some("photos")),
        ] {
            for draft in drafts.clone() {
                let text = bucket_policy::apply_template(draft.as_deref(), which, bucket, prefix)
                    .expect("a template");
                templates.push(json!({
                    "bucket": bucket, "draft": draft, "template": which, "prefix": prefix,
                    "text": text,
                }));
                if !drafts.contains(&Some(text.clone())) {
                    drafts.push(Some(text));
                }
            }
        }
        for text in drafts.into_iter().flatten().chain(["{".to_owned()]) {
            for access in [
                PublicAccess::ALL_ON,
                PublicAccess::ALL_OFF,
                PublicAccess::ALL_ON.with(Setting::BlockPublicPolicy, false),
            ] {
                for lang in LANGS {
                    let answer =
                        bucket_policy::review_draft(&text, bucket, &access).in_language(lang);
                    let (review, error) = match answer {
                        Ok(r) => (Some(r), None),
                        Err(e) => (None, Some(e)),
                    };
                    reviews.push(json!({
                        "bucket": bucket, "draft": text, "access": access, "language": lang,
                        "review": review, "error": error,
                    }));
                }
            }
        }
    }
    (templates, reviews)
}

/// What the core says for each refusal the screen shows, with `{bucket}`, `{typed}`,
/// `{versions}` and `{uploads}` for the values the memory backend fills in.
fn refusals() -> Value {
    use bucketdesk::buckets::BucketError;
    use bucketdesk::buckets::public_access::Setting;
    let bucket = "{bucket}".to_owned();
    let refusals: Vec<(&str, BucketError)> = vec![
        (
            "alreadyExists",
            BucketError::AlreadyExists {
                bucket: bucket.clone(),
            },
        ),
        (
            "alreadyOwnedByYou",
            BucketError::AlreadyOwnedByYou {
                bucket: bucket.clone(),
            },
        ),
        (
            "acknowledgementNeeded",
            BucketError::AcknowledgementNeeded {
                bucket: bucket.clone(),
                settings: Setting::ALL.to_vec(),
            },
        ),
        (
            "blockedByPublicAccess",
            BucketError::BlockedByPublicAccess {
                bucket: bucket.clone(),
                setting: Setting::BlockPublicPolicy,
                account_level: false,
            },
        ),
        (
            "notEmpty",
            BucketError::NotEmpty {
                bucket: bucket.clone(),
                versions: 1_234_567,
                uploads: 7_654_321,
            },
        ),
        (
            "nameMismatch",
            BucketError::NameMismatch {
                bucket: bucket.clone(),
                typed: "{typed}".into(),
            },
        ),
    ];
    let mut errors = serde_json::Map::new();
    for (kind, error) in refusals {
        let mut by_lang = serde_json::Map::new();
        for lang in LANGS {
            let mut said = ApiError::from_err(&error, lang);
            said.message = said
                .message
                .replace("1234567", "{versions}")
                .replace("7654321", "{uploads}");
            by_lang.insert(lang_key(lang), json!(said));
        }
        errors.insert(kind.to_owned(), Value::Object(by_lang));
    }
    Value::Object(errors)
}

/// What the Buckets screen asks the core without a call (the regions, the naming rules'
/// answers, the Block Public Access explanations, policy templates and draft reviews), and
/// the words of the refusals it shows.
fn buckets_fixture() -> Value {
    use bucketdesk::buckets::create;
    use bucketdesk::buckets::public_access::{self, PublicAccess};
    let explanations: serde_json::Map<String, Value> = LANGS
        .iter()
        .map(|lang| {
            let views = public_access::explain(&PublicAccess::ALL_ON, *lang);
            (lang_key(*lang), json!(views))
        })
        .collect();
    let (templates, reviews) = policy_answers();
    json!({
        "regions": create::REGIONS,
        "defaultAbortDays": create::DEFAULT_ABORT_DAYS,
        "names": naming_answers(),
        "publicAccess": explanations,
        "templates": templates,
        "reviews": reviews,
        "errors": refusals(),
    })
}

#[test]
fn committed_bucket_fixtures_match_the_core() {
    drift::assert_committed(BUCKETS, UPDATE, "fixtures", &pretty(&buckets_fixture()));
}

const CDN_SRCSET: &str = "ui/src/fixtures/cdn-srcset.json";

/// What the core's `srcset` generator answers for the requests the UI's tests make (the
/// preview's card preset gives `f=webp`), on Weekerp's default production base; refusals in
/// both languages.
fn cdn_srcset_fixture() -> Value {
    use bucketdesk::cdn::srcset::{self, SrcsetRequest};
    const PHOTO: &str = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";
    /// Widths, options, sizes, alt.
    type Request<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let requests: &[Request] = &[
        ("320,640,1280", &[("f", "webp")], "", ""),
        ("320, 960", &[("f", "webp")], "", ""),
        (
            "320,640,1280",
            &[("f", "webp")],
            "(max-width: 600px) 100vw, 600px",
            "벚꽃 \"01\"",
        ),
        ("320,640,1280", &[("f", "avif")], "", ""),
        ("0", &[("f", "webp")], "", ""),
        ("320,abc", &[("f", "webp")], "", ""),
    ];
    let mut cases = Vec::new();
    for &(widths, options, sizes, alt) in requests {
        let request = SrcsetRequest {
            source: SOURCE,
            key: PHOTO,
            widths,
            options: options.to_vec(),
            sizes,
            alt,
        };
        let json_request = json!({
            "source": SOURCE, "key": PHOTO, "widths": widths, "options": options, "sizes": sizes, "alt": alt,
        });
        match srcset::srcset(bucketdesk::config::PRODUCTION_CDN_BASE, &request) {
            Ok(html) => cases.push(json!({ "request": json_request, "html": html })),
            Err(e) => {
                for lang in [Language::En, Language::Ko] {
                    let error = ApiError::from_err(&e, lang);
                    cases
                        .push(json!({ "request": json_request, "language": lang, "error": error }));
                }
            }
        }
    }
    json!({ "cases": cases })
}

#[test]
fn committed_srcset_fixture_matches_the_core() {
    drift::assert_committed(
        CDN_SRCSET,
        UPDATE,
        "fixtures",
        &pretty(&cdn_srcset_fixture()),
    );
}
