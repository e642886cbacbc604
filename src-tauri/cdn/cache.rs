//! What the server keeps: transformed images in a memory LRU and on disk (both bounded by
//! bytes), which ETag each original had when it was last checked, and the flights that make
//! identical concurrent work run once.
//!
//! Keys: a variant is `source \n key \n canonical query`; a stored image is the variant plus
//! the original's ETag, so a changed original can never be answered with an old image once
//! its new ETag is known. The original's ETag is trusted for [`Freshness`]'s time (default
//! 10 s, `ServerConfig::revalidate_after`) and then checked again with a `HeadObject`.
//! The response ETag is a hash of the stored key: stable across restarts and machines.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lru::LruCache;
use sha2::{Digest, Sha256};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A transformed image ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub bytes: Bytes,
    pub content_type: String,
    /// Quoted, as sent in the `ETag` header.
    pub etag: String,
}

/// The stored key of a variant of an original with this ETag.
pub fn stored_key(variant: &str, origin_etag: &str) -> String {
    format!("{variant}\n{origin_etag}")
}

/// The response ETag of a stored key: 128 bits of its SHA-256, quoted.
pub fn response_etag(stored_key: &str) -> String {
    let digest = Sha256::digest(stored_key.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether an `If-None-Match` header value matches an ETag (weak comparison, lists, `*`).
pub fn if_none_match(header: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == bare)
}

/// A memory LRU bounded by the bytes it holds.
pub struct MemoryCache {
    inner: Mutex<(LruCache<String, Arc<Entry>>, u64)>,
    capacity: u64,
}

fn weight(key: &str, entry: &Entry) -> u64 {
    (key.len() + entry.bytes.len() + entry.content_type.len() + entry.etag.len() + 64) as u64
}

impl MemoryCache {
    pub fn new(capacity_bytes: u64) -> Self {
        MemoryCache {
            inner: Mutex::new((LruCache::unbounded(), 0)),
            capacity: capacity_bytes,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        lock(&self.inner).0.get(key).cloned()
    }

    /// Stores an entry, evicting the least recently used ones beyond the bound. An entry
    /// larger than the whole bound is not kept.
    pub fn put(&self, key: String, entry: Arc<Entry>) {
        let w = weight(&key, &entry);
        if w > self.capacity {
            return;
        }
        let mut guard = lock(&self.inner);
        let (lru, used) = &mut *guard;
        if let Some(old) = lru.put(key.clone(), entry) {
            *used -= weight(&key, &old);
        }
        *used += w;
        while *used > self.capacity {
            match lru.pop_lru() {
                Some((k, e)) => *used -= weight(&k, &e),
                None => break,
            }
        }
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        lock(&self.inner).1
    }

    pub fn len(&self) -> usize {
        lock(&self.inner).0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const DISK_MAGIC: &[u8] = b"bucketdesk-cdn 1\n";

/// A disk cache bounded by bytes: one file per stored key (named by the key's SHA-256), with
/// the key, content type and ETag in a small header so a file always proves what it holds.
/// Written to a temp file and renamed, so a crash never leaves half an image under a name.
pub struct DiskCache {
    dir: PathBuf,
    capacity: u64,
    /// File name → size, least recently used first.
    index: Mutex<(LruCache<String, u64>, u64)>,
}

impl DiskCache {
    /// Opens (creating) the directory and indexes what is there, oldest first.
    pub fn open(dir: &Path, capacity_bytes: u64) -> std::io::Result<DiskCache> {
        std::fs::create_dir_all(dir)?;
        let mut files: Vec<(std::time::SystemTime, String, u64)> = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            if meta.is_file() && name.len() == 64 {
                files.push((meta.modified()?, name, meta.len()));
            }
        }
        files.sort();
        let mut lru = LruCache::unbounded();
        let mut used = 0;
        for (_, name, size) in files {
            used += size;
            lru.put(name, size);
        }
        let cache = DiskCache {
            dir: dir.to_owned(),
            capacity: capacity_bytes,
            index: Mutex::new((lru, used)),
        };
        cache.evict();
        Ok(cache)
    }

    fn file_name(key: &str) -> String {
        hex::encode(Sha256::digest(key.as_bytes()))
    }

    /// The entry under `key`, if a file holds it (blocking: call off the async runtime).
    pub fn get(&self, key: &str) -> Option<Entry> {
        let name = Self::file_name(key);
        lock(&self.index).0.get(&name)?;
        let data = std::fs::read(self.dir.join(&name)).ok()?;
        let rest = data.strip_prefix(DISK_MAGIC)?;
        let mut parts = rest.splitn(4, |b| *b == b'\n');
        let stored = parts.next()?;
        let content_type = std::str::from_utf8(parts.next()?).ok()?.to_owned();
        let etag = std::str::from_utf8(parts.next()?).ok()?.to_owned();
        let body = parts.next()?;
        if stored != hex::encode(key).as_bytes() {
            return None;
        }
        Some(Entry {
            bytes: Bytes::copy_from_slice(body),
            content_type,
            etag,
        })
    }

    /// Stores an entry (blocking), evicting the least recently used files beyond the bound.
    pub fn put(&self, key: &str, entry: &Entry) -> std::io::Result<()> {
        let name = Self::file_name(key);
        let mut data = Vec::with_capacity(entry.bytes.len() + key.len() + 128);
        data.extend_from_slice(DISK_MAGIC);
        // The key holds newlines: it is stored hex-encoded.
        for field in [&hex::encode(key), &entry.content_type, &entry.etag] {
            data.extend_from_slice(field.as_bytes());
            data.push(b'\n');
        }
        data.extend_from_slice(&entry.bytes);
        let size = data.len() as u64;
        if size > self.capacity {
            return Ok(());
        }
        let tmp = self.dir.join(format!("{name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, &data)?;
        if let Err(e) = std::fs::rename(&tmp, self.dir.join(&name)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        {
            let mut guard = lock(&self.index);
            let (lru, used) = &mut *guard;
            if let Some(old) = lru.put(name, size) {
                *used -= old;
            }
            *used += size;
        }
        self.evict();
        Ok(())
    }

    fn evict(&self) {
        let mut doomed = Vec::new();
        {
            let mut guard = lock(&self.index);
            let (lru, used) = &mut *guard;
            while *used > self.capacity {
                match lru.pop_lru() {
                    Some((name, size)) => {
                        *used -= size;
                        doomed.push(name);
                    }
                    None => break,
                }
            }
        }
        for name in doomed {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }

    /// Bytes held on disk.
    pub fn used(&self) -> u64 {
        lock(&self.index).1
    }
}

/// The ETag each original had when last checked, trusted for `ttl`. Originals are named
/// `source \n key`.
pub struct Freshness {
    ttl: Duration,
    known: Mutex<HashMap<String, (String, Instant)>>,
}

impl Freshness {
    pub fn new(ttl: Duration) -> Self {
        Freshness {
            ttl,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The original's ETag, if checked less than `ttl` ago.
    pub fn fresh(&self, original: &str) -> Option<String> {
        let known = lock(&self.known);
        let (etag, at) = known.get(original)?;
        (at.elapsed() < self.ttl).then(|| etag.clone())
    }

    pub fn record(&self, original: &str, etag: &str) {
        lock(&self.known).insert(original.to_owned(), (etag.to_owned(), Instant::now()));
    }
}

/// Identical concurrent work runs once: the first caller of a key runs it, the others wait
/// for its result. If the runner is cancelled (its request went away), a waiter takes over.
pub struct Flights<K, T> {
    running: Mutex<HashMap<K, Arc<tokio::sync::OnceCell<T>>>>,
}

impl<K: Hash + Eq + Clone, T: Clone> Default for Flights<K, T> {
    fn default() -> Self {
        Flights {
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, T: Clone> Flights<K, T> {
    /// Runs `work` unless a flight for `key` is already under way, and returns its result.
    /// Work should first look in the cache it fills: a caller arriving just after a flight
    /// landed starts a new one.
    pub async fn run<F, Fut>(&self, key: K, work: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = lock(&self.running).entry(key.clone()).or_default().clone();
        let out = cell.get_or_init(work).await.clone();
        let mut running = lock(&self.running);
        if running.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            running.remove(&key);
        }
        out
    }

    /// Flights under way.
    pub fn len(&self) -> usize {
        lock(&self.running).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn entry(n: usize) -> Arc<Entry> {
        Arc::new(Entry {
            bytes: Bytes::from(vec![7u8; n]),
            content_type: "image/jpeg".into(),
            etag: "\"x\"".into(),
        })
    }

    #[test]
    fn memory_is_bounded_by_bytes_and_evicts_least_recently_used() {
        let cache = MemoryCache::new(3000);
        cache.put("a".into(), entry(900));
        cache.put("b".into(), entry(900));
        cache.put("c".into(), entry(900));
        assert!(cache.get("a").is_some(), "a used: b is now the oldest");
        cache.put("d".into(), entry(900));
        assert!(cache.get("b").is_none(), "b evicted");
        assert!(cache.get("a").is_some() && cache.get("d").is_some());
        assert!(cache.used() <= 3000, "bound kept: {}", cache.used());
        cache.put("huge".into(), entry(10_000));
        assert!(
            cache.get("huge").is_none(),
            "over the whole bound: not kept"
        );
    }

    #[test]
    fn disk_is_bounded_survives_reopen_and_checks_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 5000).unwrap();
        for k in ["k1", "k2", "k3", "k4\nwith\nnewlines"] {
            cache.put(k, &entry(1500)).unwrap();
        }
        assert!(cache.used() <= 5000, "bound kept: {}", cache.used());
        assert!(cache.get("k1").is_none(), "oldest evicted");
        assert_eq!(cache.get("k4\nwith\nnewlines").unwrap(), *entry(1500));
        drop(cache);
        let reopened = DiskCache::open(dir.path(), 5000).unwrap();
        assert_eq!(
            reopened.get("k4\nwith\nnewlines").unwrap().bytes.len(),
            1500,
            "kept across restarts"
        );
        let small = DiskCache::open(dir.path(), 2000).unwrap();
        assert!(small.used() <= 2000, "a smaller bound is applied at open");
    }

    #[test]
    fn etags_compare_weakly_and_in_lists() {
        let tag = response_etag("shop\na.jpg\nw=4\n\"abc\"");
        assert!(if_none_match(&tag, &tag));
        assert!(if_none_match(&format!("W/{tag}"), &tag));
        assert!(if_none_match(&format!("\"zzz\", {tag}"), &tag));
        assert!(if_none_match("*", &tag));
        assert!(!if_none_match("\"zzz\"", &tag));
        assert_ne!(
            tag,
            response_etag("shop\na.jpg\nw=4\n\"abd\""),
            "the original's ETag counts"
        );
    }

    #[test]
    fn freshness_expires() {
        let f = Freshness::new(Duration::from_millis(50));
        f.record("s\nk", "\"1\"");
        assert_eq!(f.fresh("s\nk").as_deref(), Some("\"1\""));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(f.fresh("s\nk"), None);
    }

    #[test]
    fn concurrent_identical_work_runs_once() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let flights = Arc::new(Flights::<String, u32>::default());
            let runs = Arc::new(AtomicU32::new(0));
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let (flights, runs) = (flights.clone(), runs.clone());
                tasks.push(tokio::spawn(async move {
                    flights
                        .run("same".to_owned(), || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            runs.fetch_add(1, Ordering::SeqCst) + 100
                        })
                        .await
                }));
            }
            for t in tasks {
                assert_eq!(t.await.unwrap(), 100, "everyone gets the one result");
            }
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert!(flights.is_empty(), "landed flights are removed");
        });
    }
}
