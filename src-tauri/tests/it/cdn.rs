//! The local CDN over real HTTP against moto: options, caching (304, single flight, disk,
//! revalidation), the Host and token checks, error statuses, the hostile corpus, `/file`
//! with `Range`, and the CLI's `cdn url`. The limits of issue #12: a chunked origin over the
//! byte budget, a slow origin against the deadline (both a raw HTTP origin on loopback that
//! the real AWS SDK talks to), a panicking transform, the disk cache's modes, and 64
//! concurrent large originals against the memory budget (the peak RSS of a `cdn serve`
//! child process).
//!
//! Each test has its own bucket, config dir, keychain service, cache dir and server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use bucketdesk::cdn::origin::S3Origin;
use bucketdesk::cdn::security::Token;
use bucketdesk::cdn::server::{CdnServer, ServerConfig};
use bucketdesk::config::{ConfigStore, SourceConfig};
use bucketdesk::secrets::{Keychain, SecretString};
use bucketdesk::sources::Sources;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::moto::{self, Endpoint};
use crate::support::{keyring_guard, unique_name};

/// A server on a moto bucket, with source `shop` (BasePath `/assets`).
struct Rig {
    server: CdnServer,
    s3: aws_sdk_s3::Client,
    bucket: String,
    token: String,
    port: u16,
    dir: tempfile::TempDir,
}

impl Rig {
    async fn new(endpoint: &Endpoint, configure: impl FnOnce(&mut ServerConfig)) -> Rig {
        keyring_guard();
        let s3 = endpoint.s3().await;
        let bucket = unique_name("cdn");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        Rig::start(endpoint, s3, bucket, dir, configure).await
    }

    async fn start(
        endpoint: &Endpoint,
        s3: aws_sdk_s3::Client,
        bucket: String,
        dir: tempfile::TempDir,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Rig {
        let store = ConfigStore::new(dir.path().join("config"));
        let keychain = Keychain::new("bucketdesk-test-cdn");
        keychain
            .store(
                &endpoint.admin.access_key_id,
                &SecretString::new(endpoint.admin.secret.expose()),
            )
            .unwrap();
        store
            .update(|c| {
                c.sources = vec![source("shop", &bucket, endpoint, "/assets")];
                Ok(())
            })
            .unwrap();
        let sources = Sources::new(store.clone(), keychain);
        let mut config = ServerConfig::new(
            Token::load_or_create(store.dir()).unwrap(),
            dir.path().join("cache"),
            bucketdesk::cdn::pipeline::transform,
        );
        configure(&mut config);
        let server = CdnServer::start(config, Arc::new(S3Origin::new(sources)))
            .await
            .unwrap();
        Rig {
            token: server.token().expose().to_owned(),
            port: server.port(),
            server,
            s3,
            bucket,
            dir,
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: Option<&str>) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(format!("assets/{key}"))
            .set_content_type(content_type.map(str::to_owned))
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }

    /// GET `target` with the token added to the query.
    async fn get(&self, target: &str) -> Reply {
        self.get_with(target, &[]).await
    }

    async fn get_with(&self, target: &str, headers: &[(&str, &str)]) -> Reply {
        let sep = if target.contains('?') { '&' } else { '?' };
        http(
            self.port,
            &format!("{target}{sep}token={}", self.token),
            headers,
        )
        .await
    }
}

fn source(name: &str, bucket: &str, endpoint: &Endpoint, base_path: &str) -> SourceConfig {
    SourceConfig {
        name: name.into(),
        bucket: bucket.into(),
        region: moto::REGION.into(),
        base_path: base_path.into(),
        access_key_id: endpoint.admin.access_key_id.clone(),
        endpoint_url: Some(endpoint.server.endpoint()),
        added_at: String::new(),
        last_verified: None,
        checksums_when_required: false,
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Output dimensions of an image body.
    fn dimensions(&self) -> (u32, u32) {
        let img = image::load_from_memory(&self.body)
            .unwrap_or_else(|e| panic!("an image body ({e}): {}", self.status));
        (img.width(), img.height())
    }
}

/// A plain HTTP/1.1 request on loopback (the request line is sent exactly as given, so
/// paths with `..` or bad escapes reach the server as a browser or attacker would send
/// them). `Host` defaults to the served authority.
async fn http(port: u16, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the CDN");
    let mut request = format!("GET {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(
            std::str::from_utf8(&data[..line_end])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// A real JPEG of `w`×`h` (a gradient, so resizing has something to do).
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[test]
fn a_transformed_image_has_an_etag_cache_control_and_a_304() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        rig.put("photo.jpg", jpeg(640, 480), Some("image/jpeg"))
            .await;
        let first = rig.get("/image/shop/photo.jpg?w=320&f=png").await;
        assert_eq!(first.status, 200, "{}", first.text());
        assert_eq!(first.header("content-type"), Some("image/png"));
        assert_eq!(
            first.dimensions(),
            (320, 240),
            "w alone keeps the aspect ratio"
        );
        let etag = first.header("etag").expect("an ETag").to_owned();
        assert!(
            first
                .header("cache-control")
                .is_some_and(|c| c.contains("no-cache")),
            "Cache-Control present: {:?}",
            first.headers
        );
        let again = rig
            .get_with(
                "/image/shop/photo.jpg?format=png&width=320",
                &[("If-None-Match", &etag)],
            )
            .await;
        assert_eq!(again.status, 304, "same image under aliases: not modified");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let other = rig
            .get_with("/image/shop/photo.jpg?w=160", &[("If-None-Match", &etag)])
            .await;
        assert_eq!(other.status, 200, "another variant has another ETag");
        assert_ne!(other.header("etag"), Some(etag.as_str()));
        let m = rig.server.metrics();
        assert_eq!(m.not_modified, 1);
        assert_eq!(m.transforms, 2, "two variants, each transformed once");
    });
}

#[test]
fn sixty_four_identical_misses_fetch_and_transform_once() {
    runtime().block_on(async {
        let rig = Arc::new(Rig::new(moto::shared(), |_| {}).await);
        rig.put("big.jpg", jpeg(2000, 1500), Some("image/jpeg"))
            .await;
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let rig = rig.clone();
            tasks.push(tokio::spawn(async move {
                rig.get("/image/shop/big.jpg?w=400&h=300&f=webp").await
            }));
        }
        let mut bodies = Vec::new();
        for t in tasks {
            let reply = t.await.unwrap();
            assert_eq!(reply.status, 200, "{}", reply.text());
            bodies.push(reply.body);
        }
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "one result for all"
        );
        let m = rig.server.metrics();
        assert_eq!(m.origin_fetches, 1, "one GetObject for 64 requests: {m:?}");
        assert_eq!(m.transforms, 1, "one transform for 64 requests: {m:?}");
        assert_eq!(m.origin_heads, 1, "one HeadObject for 64 requests: {m:?}");
    });
}

#[test]
fn host_and_token_are_checked() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        rig.put("photo.jpg", jpeg(64, 64), Some("image/jpeg")).await;
        let port = rig.port;
        let evil = rig
            .get_with(
                "/image/shop/photo.jpg",
                &[("Host", &format!("evil.example:{port}"))],
            )
            .await;
        assert_eq!(evil.status, 403, "DNS rebinding: another Host is refused");
        assert!(evil.text().contains("Host"), "{}", evil.text());
        let wrong_port = rig
            .get_with("/image/shop/photo.jpg", &[("Host", "127.0.0.1:1")])
            .await;
        assert_eq!(wrong_port.status, 403);
        let missing = http(port, "/image/shop/photo.jpg", &[]).await;
        assert_eq!(missing.status, 401, "no token: {}", missing.text());
        let wrong = http(
            port,
            &format!("/image/shop/photo.jpg?token={}", "0".repeat(64)),
            &[],
        )
        .await;
        assert_eq!(wrong.status, 403, "wrong token: {}", wrong.text());
        let right = rig.get("/image/shop/photo.jpg").await;
        assert_eq!(right.status, 200, "{}", right.text());
        let localhost = rig
            .get_with(
                "/image/shop/photo.jpg",
                &[("Host", &format!("localhost:{port}"))],
            )
            .await;
        assert_eq!(localhost.status, 200);
        let header = http(
            port,
            "/image/shop/photo.jpg",
            &[("X-Bucketdesk-Token", &rig.token)],
        )
        .await;
        assert_eq!(header.status, 200, "the token may come as a header");

        // The app's webview may read responses (fetch, for the preview's bytes and errors);
        // another origin gets no CORS header, so a web page cannot read them.
        let cors = |reply: &Reply| {
            reply
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
                .map(|(_, v)| v.clone())
        };
        let app = rig
            .get_with("/image/shop/photo.jpg", &[("Origin", "tauri://localhost")])
            .await;
        assert_eq!(cors(&app).as_deref(), Some("tauri://localhost"));
        let page = rig
            .get_with(
                "/image/shop/photo.jpg",
                &[("Origin", "https://evil.example")],
            )
            .await;
        assert_eq!(page.status, 200);
        assert_eq!(cors(&page), None, "no CORS for other origins");
    });
}

#[test]
fn bad_requests_get_the_right_status_and_say_why() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        rig.put("photo.jpg", jpeg(64, 64), Some("image/jpeg")).await;
        rig.put("제품 이미지/벚꽃 사진 01.jpg", jpeg(300, 200), Some("image/jpeg"))
            .await;
        for (target, status, says) in [
            ("/image/shop/photo.jpg?w=abc", 400, "w:"),
            ("/image/shop/photo.jpg?fit=squash", 400, "fit:"),
            ("/image/shop/photo.jpg?q=0", 400, "q:"),
            ("/image/shop/photo.jpg?w=1&width=2", 400, "more than once"),
            ("/image/shop/photo.jpg?blur=3", 400, "unknown option"),
            ("/image/shop/photo.jpg?w=100000", 400, "width"),
            ("/image/nosuch/photo.jpg", 404, "no source named 'nosuch'"),
            ("/image/shop/missing.jpg", 404, "no object"),
            ("/file/shop/missing.jpg", 404, "no object"),
            ("/image/shop/../secret.jpg", 400, "'..'"),
            ("/image/shop/%2e%2e/secret.jpg", 400, "'..'"),
            ("/image/shop/a//b.jpg", 400, "empty"),
            ("/image/shop/a%5Cb.jpg", 400, "backslash"),
            ("/image/shop/a%00.jpg", 400, "control"),
            ("/image/shop/%zz.jpg", 400, "percent-encoding"),
            ("/file/shop/%E", 400, "percent-encoding"),
            ("/elsewhere", 404, "/image/"),
        ] {
            let reply = rig.get(target).await;
            assert_eq!(reply.status, status, "{target}: {}", reply.text());
            let json: serde_json::Value = serde_json::from_slice(&reply.body)
                .unwrap_or_else(|_| panic!("{target}: a JSON error body: {}", reply.text()));
            let message = json["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{target}: {message:?} should say {says:?}");
        }
        let korean = rig
            .get("/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84%2001.jpg?w=150")
            .await;
        assert_eq!(korean.status, 200, "Korean key with spaces: {}", korean.text());
        assert_eq!(korean.dimensions(), (150, 100));
    });
}

#[test]
fn every_hostile_original_gets_a_4xx_with_a_message_and_the_server_keeps_serving() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        let corpus = bucketdesk::cdn::pipeline::corpus::hostile_corpus();
        assert!(corpus.len() >= 30, "at least 30 hostile files");
        for (name, bytes) in &corpus {
            rig.put(&format!("hostile/{name}"), bytes.clone(), None)
                .await;
        }
        rig.put("photo.jpg", jpeg(200, 100), Some("image/jpeg"))
            .await;
        for (name, _) in &corpus {
            for query in ["", "?w=64&h=64", "?f=webp&w=10"] {
                let target = format!("/image/shop/hostile/{name}{query}");
                let started = std::time::Instant::now();
                let reply = rig.get(&target).await;
                assert!(
                    (400..500).contains(&reply.status),
                    "{target}: a 4xx, got {} {}",
                    reply.status,
                    reply.text()
                );
                let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
                assert!(
                    json["message"].as_str().is_some_and(|m| m.len() > 5),
                    "{target}: a message: {}",
                    reply.text()
                );
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{target}: refused quickly"
                );
            }
        }
        let fine = rig.get("/image/shop/photo.jpg?w=100").await;
        assert_eq!(fine.status, 200, "still serving: {}", fine.text());
        assert_eq!(fine.dimensions(), (100, 50));
    });
}

#[test]
fn files_pass_through_with_ranges_and_content_types() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        rig.put("video/clip.mp4", bytes.clone(), Some("video/mp4"))
            .await;
        rig.put("untyped.png", bytes.clone(), None).await;
        let whole = rig.get("/file/shop/video/clip.mp4").await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.body, bytes);
        assert_eq!(whole.header("content-type"), Some("video/mp4"));
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        let part = rig
            .get_with("/file/shop/video/clip.mp4", &[("Range", "bytes=100-1099")])
            .await;
        assert_eq!(part.status, 206, "{}", part.text());
        assert_eq!(part.body, bytes[100..1100]);
        assert_eq!(part.header("content-range"), Some("bytes 100-1099/10000"));
        assert_eq!(part.header("content-type"), Some("video/mp4"));
        let tail = rig
            .get_with("/file/shop/video/clip.mp4", &[("Range", "bytes=-10")])
            .await;
        assert_eq!(tail.status, 206);
        assert_eq!(tail.body, bytes[9990..]);
        let guessed = rig.get("/file/shop/untyped.png").await;
        assert_eq!(
            guessed.header("content-type"),
            Some("image/png"),
            "no useful stored type: from the extension"
        );
        assert_eq!(guessed.header("content-security-policy"), Some("sandbox"));
    });
}

#[test]
fn a_changed_original_is_served_fresh_after_the_revalidation_time() {
    // Long enough that a second PutObject on a loaded 2-core CI machine lands inside it
    // (800 ms did not, once).
    const REVALIDATE: Duration = Duration::from_secs(5);
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |c| {
            c.revalidate_after = REVALIDATE;
        })
        .await;
        rig.put("swap.jpg", jpeg(400, 200), Some("image/jpeg"))
            .await;
        let before = rig.get("/image/shop/swap.jpg?w=100").await;
        let fetched = std::time::Instant::now();
        assert_eq!(before.dimensions(), (100, 50));
        rig.put("swap.jpg", jpeg(200, 200), Some("image/jpeg"))
            .await;
        let asked = fetched.elapsed();
        let cached = rig.get("/image/shop/swap.jpg?w=100").await;
        assert_eq!(
            cached.dimensions(),
            (100, 50),
            "within the revalidation time the cached image is served \
             (asked {asked:?} after the first fetch; the window is {REVALIDATE:?})"
        );
        tokio::time::sleep(REVALIDATE + Duration::from_millis(500)).await;
        let after = rig.get("/image/shop/swap.jpg?w=100").await;
        assert_eq!(after.dimensions(), (100, 100), "the new original after it");
        assert_ne!(after.header("etag"), before.header("etag"));
        let m = rig.server.metrics();
        assert_eq!(m.origin_fetches, 2);
    });
}

#[test]
fn the_disk_cache_serves_after_a_restart_without_a_transform() {
    runtime().block_on(async {
        let endpoint = moto::shared();
        let rig = Rig::new(endpoint, |_| {}).await;
        rig.put("photo.jpg", jpeg(300, 300), Some("image/jpeg"))
            .await;
        let first = rig.get("/image/shop/photo.jpg?w=50").await;
        assert_eq!(first.status, 200);
        // The disk write is in the background, after the answer: wait for it.
        let written = std::time::Instant::now();
        while rig.server.metrics().disk_writes == 0 {
            assert!(written.elapsed() < Duration::from_secs(30), "never written");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let Rig {
            server,
            s3,
            bucket,
            dir,
            ..
        } = rig;
        server.shutdown().await;
        let again = Rig::start(endpoint, s3, bucket, dir, |_| {}).await;
        let second = again.get("/image/shop/photo.jpg?w=50").await;
        assert_eq!(second.status, 200);
        assert_eq!(second.body, first.body);
        assert_eq!(
            second.header("etag"),
            first.header("etag"),
            "ETags survive restarts"
        );
        let m = again.server.metrics();
        assert_eq!(
            (m.disk_hits, m.transforms, m.origin_fetches),
            (1, 0, 0),
            "{m:?}"
        );
    });
}

#[test]
fn a_taken_port_falls_back_and_shutdown_stops_serving() {
    runtime().block_on(async {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let rig = Rig::new(moto::shared(), |c| c.port = port).await;
        assert_ne!(rig.port, port, "the preferred port was taken: another one");
        let ok = rig.get("/metrics").await;
        assert_eq!(ok.status, 200);
        let port = rig.port;
        rig.server.shutdown().await;
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "nothing listens after shutdown"
        );
    });
}

#[test]
fn an_unreachable_origin_is_a_502_that_says_so() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        let store = ConfigStore::new(rig.dir.path().join("config"));
        store
            .update(|c| {
                let mut dead = c.sources[0].clone();
                dead.name = "dead".into();
                dead.endpoint_url = Some("http://127.0.0.1:9".into());
                c.sources.push(dead);
                Ok(())
            })
            .unwrap();
        let reply = rig.get("/image/dead/photo.jpg").await;
        assert!(matches!(reply.status, 502 | 504), "{}", reply.text());
        assert!(reply.text().contains("cannot be reached") || reply.text().contains("in time"));
    });
}

#[test]
fn a_refusing_origin_is_a_502_that_says_the_origin_refused() {
    keyring_guard();
    let endpoint = moto::enforcing();
    runtime().block_on(async {
        let rig = Rig::new(endpoint, |_| {}).await;
        rig.put("photo.jpg", jpeg(64, 64), Some("image/jpeg")).await;
        let (key_id, secret) = moto::create_powerless_key(&endpoint.iam().await).await;
        Keychain::new("bucketdesk-test-cdn")
            .store(&key_id, &SecretString::new(secret))
            .unwrap();
        let store = ConfigStore::new(rig.dir.path().join("config"));
        store
            .update(|c| {
                c.sources[0].access_key_id = key_id.clone();
                Ok(())
            })
            .unwrap();
        let reply = rig.get("/image/shop/photo.jpg?w=10").await;
        assert_eq!(reply.status, 502, "{}", reply.text());
        assert!(reply.text().contains("origin refused"), "{}", reply.text());
    });
}

#[test]
fn cdn_url_prints_the_production_and_the_local_url() {
    keyring_guard();
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path());
    store
        .update(|c| {
            c.sources = vec![source("shop", "some-bucket", moto::shared(), "/assets")];
            Ok(())
        })
        .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
            .args(args)
            .env("BUCKETDESK_CONFIG_DIR", dir.path())
            .env("LANG", "en_US.UTF-8")
            .output()
            .unwrap();
        (
            out.status.success(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default(),
        )
    };
    let (ok, json) = run(&[
        "--json",
        "cdn",
        "url",
        "shop",
        "제품/벚꽃 01.jpg",
        "--w",
        "400",
        "--f",
        "jpg",
        "q=80",
    ]);
    assert!(ok, "{json}");
    assert_eq!(
        json["production"],
        "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88/%EB%B2%9A%EA%BD%83%2001.jpg?w=400&f=jpeg&q=80"
    );
    let token = std::fs::read_to_string(dir.path().join("cdn-token")).unwrap();
    assert_eq!(
        json["local"],
        format!(
            "http://127.0.0.1:7390/image/shop/%EC%A0%9C%ED%92%88/%EB%B2%9A%EA%BD%83%2001.jpg?w=400&f=jpeg&q=80&token={token}"
        )
    );
    let (ok, json) = run(&["--json", "cdn", "url", "shop", "a.jpg", "--fit", "squash"]);
    assert!(!ok);
    assert_eq!(json["code"], "invalid_input");
    assert!(json["message"].as_str().unwrap().contains("fit"), "{json}");
    let (ok, json) = run(&["--json", "cdn", "url", "nosuch", "a.jpg"]);
    assert!(!ok);
    assert_eq!(json["code"], "not_found");
}

#[test]
fn a_request_over_the_time_limit_is_a_504() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |c| {
            c.request_timeout = Duration::from_millis(1);
        })
        .await;
        rig.put("photo.jpg", jpeg(2000, 1500), Some("image/jpeg"))
            .await;
        let reply = rig.get("/image/shop/photo.jpg?w=300&f=avif").await;
        assert_eq!(reply.status, 504, "{}", reply.text());
        assert!(reply.text().contains("took longer"), "{}", reply.text());
        let after = rig.get("/metrics").await;
        assert_eq!(after.status, 200, "the server keeps serving");
    });
}

#[test]
fn cdn_serve_answers_on_loopback_and_stops_cleanly_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
        .args(["--json", "cdn", "serve", "--port", "0"])
        .env("BUCKETDESK_CONFIG_DIR", dir.path().join("config"))
        .env("BUCKETDESK_CACHE_DIR", dir.path().join("cache"))
        .env("LANG", "en_US.UTF-8")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&first).expect("the address as JSON");
    let port = u16::try_from(info["port"].as_u64().unwrap()).unwrap();
    let token = info["token"].as_str().unwrap().to_owned();
    assert_eq!(info["baseUrl"], format!("http://127.0.0.1:{port}"));
    runtime().block_on(async {
        let reply = http(port, &format!("/image/nosuch/a.jpg?token={token}"), &[]).await;
        assert_eq!(reply.status, 404, "{}", reply.text());
        assert!(reply.text().contains("nosuch"), "{}", reply.text());
    });
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "cdn serve stops on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "a clean stop: {status}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is free again"
    );
}

#[test]
fn a_refused_original_is_not_fetched_and_decoded_again_until_it_changes() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |c| {
            c.revalidate_after = std::time::Duration::from_millis(300)
        })
        .await;
        let mut broken = jpeg(64, 64);
        broken.truncate(broken.len() / 3);
        rig.put("broken.jpg", broken, Some("image/jpeg")).await;
        let first = rig.get("/image/shop/broken.jpg?w=32").await;
        assert!((400..500).contains(&first.status), "{}", first.text());
        let again = rig.get("/image/shop/broken.jpg?w=32").await;
        assert_eq!(again.status, first.status);
        assert_eq!(again.text(), first.text(), "the same refusal");
        let m = rig.server.metrics();
        assert_eq!(m.origin_fetches, 1, "refused once, remembered: {m:?}");
        assert_eq!(m.transforms, 1, "{m:?}");

        // Fixed at the origin: served once the revalidation time has passed.
        rig.put("broken.jpg", jpeg(64, 64), Some("image/jpeg"))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let fixed = rig.get("/image/shop/broken.jpg?w=32").await;
        assert_eq!(fixed.status, 200, "{}", fixed.text());
    });
}

/// How the raw origin answers a `GetObject`.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// `Transfer-Encoding: chunked`, no `Content-Length`, 64 KiB chunks for as long as the
    /// client reads (up to 512 MiB).
    ChunkedForever,
    /// Headers and a few bytes, then nothing for a minute.
    Stall,
}

/// A real HTTP server on loopback that the AWS SDK talks to as a source's endpoint: it
/// answers `HeadObject` at once with an ETag and `GetObject` as `answer` says, and counts
/// the body bytes it managed to send.
struct RawOrigin {
    port: u16,
    sent: Arc<AtomicU64>,
    gets: Arc<AtomicU64>,
}

async fn raw_origin(answer: Answer) -> RawOrigin {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sent, gets) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (s, g) = (sent.clone(), gets.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_raw(stream, answer, s.clone(), g.clone()));
        }
    });
    RawOrigin { port, sent, gets }
}

async fn serve_raw(
    mut stream: tokio::net::TcpStream,
    answer: Answer,
    sent: Arc<AtomicU64>,
    gets: Arc<AtomicU64>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    loop {
        // One request head at a time (the SDK keeps connections alive).
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&byte[..n]),
            }
        }
        let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let is_head = head.starts_with(b"HEAD ");
        head.drain(..end);
        if is_head {
            let reply = "HTTP/1.1 200 OK\r\nETag: \"raw-1\"\r\nContent-Type: image/jpeg\r\nContent-Length: 0\r\n\r\n";
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        gets.fetch_add(1, Ordering::SeqCst);
        match answer {
            Answer::ChunkedForever => {
                let reply = "HTTP/1.1 200 OK\r\nETag: \"raw-1\"\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = b"10000\r\n".to_vec();
                chunk.extend(std::iter::repeat_n(0xAB, 0x10000));
                chunk.extend_from_slice(b"\r\n");
                for _ in 0..(512 * 16) {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent.fetch_add(0x10000, Ordering::SeqCst);
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
            }
            Answer::Stall => {
                let reply = "HTTP/1.1 200 OK\r\nETag: \"raw-1\"\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n";
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.write_all(&[0xFF, 0xD8]).await;
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
        }
    }
}

impl Rig {
    /// Adds source `name` whose endpoint is `port` on loopback (same key, bucket, BasePath).
    fn add_source_at(&self, name: &str, port: u16) {
        ConfigStore::new(self.dir.path().join("config"))
            .update(|c| {
                let mut other = c.sources[0].clone();
                other.name = name.into();
                other.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
                c.sources.push(other);
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn a_chunked_origin_without_a_length_over_the_cap_is_refused_without_reading_past_the_budget() {
    runtime().block_on(async {
        const CAP: u64 = 2 * 1024 * 1024;
        let rig = Rig::new(moto::shared(), |c| c.limits.max_input_bytes = CAP).await;
        let origin = raw_origin(Answer::ChunkedForever).await;
        rig.add_source_at("endless", origin.port);
        let started = std::time::Instant::now();
        let reply = rig.get("/image/endless/huge.jpg?w=100").await;
        assert_eq!(reply.status, 413, "{}", reply.text());
        let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(json["code"], "too_large");
        assert!(
            json["message"].as_str().unwrap().contains("byte limit"),
            "{json}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // What the origin could push: what we read (the cap plus one chunk) and what the
        // loopback socket buffers hold (a few MiB), not the 512 MiB it had to send.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let sent = origin.sent.load(Ordering::SeqCst);
        assert!(sent >= CAP, "the origin did send past the cap: {sent}");
        assert!(
            sent < CAP + 16 * 1024 * 1024,
            "read no further than the budget (plus socket buffers): {sent} bytes sent"
        );
        assert_eq!(origin.gets.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_slow_origin_gets_its_504_within_the_deadline_for_every_waiter() {
    runtime().block_on(async {
        let deadline = Duration::from_millis(1500);
        let rig = Arc::new(Rig::new(moto::shared(), |c| c.request_timeout = deadline).await);
        let origin = raw_origin(Answer::Stall).await;
        rig.add_source_at("slow", origin.port);
        let started = std::time::Instant::now();
        let mut waiters = Vec::new();
        for _ in 0..3 {
            let rig = rig.clone();
            waiters.push(tokio::spawn(async move {
                let reply = rig.get("/image/slow/photo.jpg?w=100").await;
                (reply, std::time::Instant::now())
            }));
        }
        for waiter in waiters {
            let (reply, at) = waiter.await.unwrap();
            assert_eq!(reply.status, 504, "{}", reply.text());
            assert!(reply.text().contains("took longer"), "{}", reply.text());
            let took = at - started;
            assert!(
                took < deadline + Duration::from_secs(1),
                "the 504 came {took:?} after the request, deadline {deadline:?}"
            );
        }
        // One flight for the three; a waiter may take it over in the instant between the
        // runner's deadline and its own, never more than one flight per waiter.
        let gets = origin.gets.load(Ordering::SeqCst);
        assert!((1..=3).contains(&gets), "{gets} GetObjects");
        let after = rig.get("/metrics").await;
        assert_eq!(after.status, 200, "the server keeps serving");
    });
}

/// A transform that panics, as a decoder bug would.
fn panicking_transform(
    _: &[u8],
    _: &bucketdesk::cdn::transform::Transform,
    _: &bucketdesk::cdn::transform::Limits,
) -> Result<bucketdesk::cdn::transform::Rendered, bucketdesk::cdn::transform::PipelineError> {
    panic!("decoder exploded at offset 1234 (secret detail)");
}

#[test]
fn a_panicking_decoder_is_fetched_once_and_its_text_stays_in_the_log() {
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |c| c.transform = panicking_transform).await;
        rig.put("photo.jpg", jpeg(64, 64), Some("image/jpeg")).await;
        for _ in 0..3 {
            let reply = rig.get("/image/shop/photo.jpg?w=32").await;
            assert_eq!(reply.status, 500, "{}", reply.text());
            let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
            assert_eq!(json["code"], "internal");
            assert!(!reply.text().contains("exploded"), "{}", reply.text());
            assert!(!reply.text().contains("secret"), "{}", reply.text());
        }
        let m = rig.server.metrics();
        assert_eq!(m.origin_fetches, 1, "remembered like a refusal: {m:?}");
        assert_eq!(m.transforms, 1, "{m:?}");
        let fine = rig.get("/metrics").await;
        assert_eq!(fine.status, 200, "the server survived the panic");
    });
}

#[test]
fn disk_cache_folders_are_0700_and_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        rig.put("photo.jpg", jpeg(300, 200), Some("image/jpeg"))
            .await;
        let reply = rig.get("/image/shop/photo.jpg?w=50").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let cache = rig.dir.path().join("cache");
        let mut files = Vec::new();
        for _ in 0..50 {
            // The disk write is in the background.
            files = std::fs::read_dir(cache.join("slot-0"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.len() == 64))
                .collect();
            if !files.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(mode(&cache), 0o700);
        assert_eq!(mode(&cache.join("slot-0")), 0o700);
        assert_eq!(files.len(), 1, "one stored image");
        assert_eq!(
            mode(&files[0]),
            0o600,
            "renders of private buckets are the user's alone"
        );
    });
}

/// A `key: N kB` line of /proc/PID/status, in bytes.
fn proc_status_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("{key} in /proc/{pid}/status"))
        * 1024
}

/// `original` with a JPEG comment after SOI: other bytes (and ETag), the same pixels.
fn with_comment(original: &[u8], n: usize) -> Vec<u8> {
    let text = format!("copy {n}");
    let mut out = original[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&original[2..]);
    out
}

/// `n` copies of `original` under `assets/big-{i}.jpg`, each with other bytes (and ETag).
async fn put_distinct_originals(endpoint: &Endpoint, bucket: &str, original: &[u8], n: usize) {
    let s3 = endpoint.s3().await;
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let mut puts = Vec::new();
    for i in 0..n {
        let (s3, bucket, body) = (s3.clone(), bucket.to_owned(), with_comment(original, i));
        puts.push(tokio::spawn(async move {
            s3.put_object()
                .bucket(&bucket)
                .key(format!("assets/big-{i}.jpg"))
                .body(ByteStream::from(body))
                .send()
                .await
                .unwrap();
        }));
    }
    for p in puts {
        p.await.unwrap();
    }
}

/// A `cdn serve` child, killed when dropped (also when an assertion fails).
struct ServeChild {
    child: std::process::Child,
    port: u16,
    token: String,
}

impl ServeChild {
    /// Starts `bucketdesk --json cdn serve --port 0` on `store` with the environment `env`
    /// and reads the address it prints first.
    fn start(store: &ConfigStore, cache: &std::path::Path, env: &[(&str, String)]) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bucketdesk"))
            .args(["--json", "cdn", "serve", "--port", "0"])
            .env("BUCKETDESK_CONFIG_DIR", store.dir())
            .env("BUCKETDESK_CACHE_DIR", cache)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("LANG", "en_US.UTF-8")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut first,
        )
        .unwrap();
        let info: serde_json::Value = serde_json::from_str(&first).expect("the address as JSON");
        ServeChild {
            port: u16::try_from(info["port"].as_u64().unwrap()).unwrap(),
            token: info["token"].as_str().unwrap().to_owned(),
            child,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GETs `/image/shop/big-{i}.jpg?w=1500&f=jpeg` for every `i < n` at once, each retried
/// after its `Retry-After` while the server answers 503; every answer must be the 1500×1000
/// JPEG. Returns the server's metrics afterwards and how many 503s were answered.
async fn get_all_retrying_when_busy(port: u16, token: &str, n: usize) -> (serde_json::Value, u32) {
    let mut tasks = Vec::new();
    for i in 0..n {
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            let target = format!("/image/shop/big-{i}.jpg?w=1500&f=jpeg&token={token}");
            // A 503 says when to come back (Retry-After): a client that listens gets it.
            let mut busy = 0;
            loop {
                let reply = http(port, &target, &[]).await;
                if reply.status == 503 {
                    let after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
                    busy += 1;
                    tokio::time::sleep(Duration::from_secs(after)).await;
                    continue;
                }
                assert_eq!(reply.status, 200, "{target}: {}", reply.text());
                assert_eq!(reply.dimensions(), (1500, 1000));
                return busy;
            }
        }));
    }
    let mut busy = 0;
    for t in tasks {
        busy += t.await.unwrap();
    }
    let m = http(port, &format!("/metrics?token={token}"), &[]).await;
    let m: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
    // The binary is the one cargo built for this test (a shared target dir can hold
    // another checkout's build: then this says so rather than failing on a missing key).
    assert!(
        m["memoryReservedPeak"].is_u64(),
        "the server's metrics: {m}"
    );
    (m, busy)
}

#[test]
fn sixty_four_concurrent_large_originals_stay_under_the_memory_budget() {
    keyring_guard();
    const BUDGET_MB: u64 = 100;
    let endpoint = moto::shared();
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(dir.path().join("config"));
    let bucket = unique_name("cdn-rss");
    let original = jpeg(3000, 2000);
    runtime().block_on(put_distinct_originals(endpoint, &bucket, &original, 64));
    // `cdn serve` uses the install's keychain service: this is the private session's.
    Keychain::new(bucketdesk::secrets::SERVICE)
        .store(
            &endpoint.admin.access_key_id,
            &SecretString::new(endpoint.admin.secret.expose()),
        )
        .unwrap();
    store
        .update(|c| {
            c.sources = vec![source("shop", &bucket, endpoint, "/assets")];
            Ok(())
        })
        .unwrap();
    // Eight workers: without the budget, eight full 6 MP decodes (~30 MB each held, ~72 MB
    // estimated) would run at once; with 100 MB, one at a time.
    let child = ServeChild::start(
        &store,
        &dir.path().join("cache"),
        &[
            ("BUCKETDESK_CDN_TRANSFORM_MB", BUDGET_MB.to_string()),
            ("BUCKETDESK_CDN_WORKERS", "8".to_owned()),
        ],
    );
    let pid = child.pid();
    let baseline = proc_status_kb(pid, "VmRSS:");
    let (metrics, busy) =
        runtime().block_on(get_all_retrying_when_busy(child.port, &child.token, 64));
    let peak = proc_status_kb(pid, "VmHWM:");
    drop(child);
    let mib = |b: u64| b / (1024 * 1024);
    eprintln!(
        "memory budget {BUDGET_MB} MiB: baseline RSS {} MiB, peak {} MiB, reserved at most {} MiB, {busy} answers 503",
        mib(baseline),
        mib(peak),
        mib(metrics["memoryReservedPeak"].as_u64().unwrap())
    );
    assert_eq!(metrics["transforms"], 64, "{metrics}");
    assert!(
        metrics["memoryReservedPeak"].as_u64().unwrap() <= BUDGET_MB * 1024 * 1024,
        "{metrics}"
    );
    // The estimates are upper bounds: what is really held stays well under the budget; the
    // margin is the allocator's, the 64 connections' and the outputs'.
    assert!(
        peak < baseline + (BUDGET_MB + 64) * 1024 * 1024,
        "peak RSS {} MiB over baseline {} MiB + budget {BUDGET_MB} MiB + 64 MiB",
        mib(peak),
        mib(baseline)
    );
}

#[test]
fn compare_scores_the_bytes_the_local_cdn_serves_and_chooses_the_smallest_above_the_threshold() {
    use bucketdesk::cdn::compare;
    use bucketdesk::cdn::transform::Format;
    use bucketdesk::cdn::urls::LocalServer;
    runtime().block_on(async {
        let rig = Rig::new(moto::shared(), |_| {}).await;
        rig.put(
            "제품 이미지/벚꽃 \"01\".jpg",
            jpeg(1200, 800),
            Some("image/jpeg"),
        )
        .await;
        let token = Token::new(rig.token.clone());
        let base = format!("http://127.0.0.1:{}", rig.port);
        let local = LocalServer {
            production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
            base_url: &base,
            token: &token,
        };
        let options = [("w", "300"), ("h", "200"), ("f", "webp"), ("q", "75")];
        let c = compare::compare(
            local,
            "shop",
            "제품 이미지/벚꽃 \"01\".jpg",
            options,
            Some(0.9),
        )
        .await
        .unwrap();
        assert_eq!((c.width, c.height), (300, 200));
        assert_eq!(c.reference_query, "w=300&h=200&f=png");
        let formats: Vec<Format> = c.candidates.iter().map(|c| c.format).collect();
        assert_eq!(formats, [Format::Jpeg, Format::Webp, Format::Avif]);
        for candidate in &c.candidates {
            // What was scored is what the server serves for that URL (a memory hit now).
            let path = candidate.urls.local.split_once(&base).unwrap().1;
            let served = http(rig.port, path, &[]).await;
            assert_eq!(served.status, 200, "{path}");
            assert_eq!(Some(served.body.len() as u32), candidate.bytes, "{path}");
            let decoded = compare::decode::decode(&served.body, candidate.format).unwrap();
            assert_eq!((decoded.width, decoded.height), (300, 200));
            assert!(
                candidate.urls.query.ends_with("&q=75"),
                "q applies to all three"
            );
            assert!(
                candidate
                    .urls
                    .production
                    .starts_with("https://cdn.weekerp.com/image/shop/")
            );
            let ssim = candidate.ssim.unwrap();
            assert!(
                ssim > 0.8 && ssim < 1.0,
                "{:?} SSIM {ssim}",
                candidate.format
            );
            assert_eq!(candidate.above_threshold, ssim >= 0.9);
        }
        assert_eq!(
            c.chosen,
            compare::choose(&c.candidates, 0.9),
            "the answer carries the core's choice"
        );
        // Impossible to keep: no format is chosen; a missing object fails the whole comparison.
        let strict = compare::compare(
            local,
            "shop",
            "제품 이미지/벚꽃 \"01\".jpg",
            options,
            Some(1.0),
        )
        .await
        .unwrap();
        assert_eq!(strict.chosen, None);
        let missing = compare::compare(local, "shop", "nope.jpg", options, None)
            .await
            .unwrap_err();
        assert!(
            matches!(missing, compare::CompareError::Refused { status: 404, .. }),
            "{missing:?}"
        );
        let metrics = rig.get("/metrics").await;
        let m: serde_json::Value = serde_json::from_slice(&metrics.body).unwrap();
        assert_eq!(
            m["transforms"], 4,
            "three formats and the reference, each once: {m}"
        );
    });
}

#[test]
fn compare_lists_a_format_over_its_output_cap_with_the_servers_message() {
    use bucketdesk::cdn::compare;
    use bucketdesk::cdn::transform::Format;
    use bucketdesk::cdn::urls::LocalServer;
    runtime().block_on(async {
        // AVIF's lower output cap, lowered further so that a small render is over it.
        let rig = Rig::new(moto::shared(), |c| c.limits.max_slow_output_pixels = 10_000).await;
        rig.put("wide.jpg", jpeg(600, 400), Some("image/jpeg"))
            .await;
        let token = Token::new(rig.token.clone());
        let base = format!("http://127.0.0.1:{}", rig.port);
        let local = LocalServer {
            production_base: bucketdesk::config::PRODUCTION_CDN_BASE,
            base_url: &base,
            token: &token,
        };
        let c = compare::compare(local, "shop", "wide.jpg", [("w", "300")], None)
            .await
            .unwrap();
        let avif = c
            .candidates
            .iter()
            .find(|c| c.format == Format::Avif)
            .unwrap();
        assert_eq!((avif.bytes, avif.ssim), (None, None));
        let refusal = avif.refusal.as_deref().unwrap();
        assert!(
            refusal.starts_with("400: ") && refusal.contains("width"),
            "{refusal}"
        );
        assert_ne!(c.chosen, Some(Format::Avif));
        assert_eq!(c.candidates.iter().filter(|c| c.bytes.is_some()).count(), 2);
        assert!(c.chosen.is_some(), "JPEG or WebP keeps 0.95 on a gradient");
    });
}
