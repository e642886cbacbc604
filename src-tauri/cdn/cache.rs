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
use std::fs::File;
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

/// How many processes (the app, `cdn serve`, …) may each have their own cache folder.
pub const DISK_SLOTS: u32 = 8;

/// A disk cache bounded by bytes: one file per stored key (named by the key's SHA-256), with
/// the key, content type and ETag in a small header so a file always proves what it holds.
/// Written to a temp file and renamed, so a crash never leaves half an image under a name.
///
/// Renders of private buckets are the user's alone: the folders are 0700 and the files 0600.
/// Each running process owns one folder (`slot-N` under the cache dir, held with an exclusive
/// `flock`): the app and `cdn serve` each keep and evict their own files, never each
/// other's, and the lock dies with the process.
pub struct DiskCache {
    dir: PathBuf,
    capacity: u64,
    /// File name → size, least recently used first.
    index: Mutex<(LruCache<String, u64>, u64)>,
    /// The folder's lock; `None` once released (the cache then neither reads nor writes).
    lock: Mutex<Option<File>>,
}

/// Creates `dir` (and its parents) and makes it 0700, also when it existed before.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    builder.create(dir)?;
    Ok(())
}

/// A file opened for writing, created 0600.
fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Takes the folder's exclusive lock without waiting; `None` when another process holds it.
fn try_lock(dir: &Path) -> std::io::Result<Option<File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(dir.join(".lock"))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor we own; it is released when the file is closed.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            return if err.kind() == std::io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(err)
            };
        }
    }
    Ok(Some(file))
}

/// The cache files in `dir`, oldest first. A file that vanishes while it is looked at (another
/// process evicting, a user cleaning up) is skipped, never an error.
fn scan(dir: &Path) -> std::io::Result<Vec<(std::time::SystemTime, String, u64)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() && name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            files.push((modified, name, meta.len()));
        }
    }
    files.sort();
    Ok(files)
}

impl DiskCache {
    /// Opens (creating) the first free folder under `base` and indexes what is there,
    /// oldest first. Files of the older one-folder layout, directly in `base`, are removed:
    /// they were readable by anyone.
    pub fn open(base: &Path, capacity_bytes: u64) -> std::io::Result<DiskCache> {
        private_dir(base)?;
        for (_, name, _) in scan(base)? {
            let _ = std::fs::remove_file(base.join(name));
        }
        for slot in 0..DISK_SLOTS {
            let dir = base.join(format!("slot-{slot}"));
            private_dir(&dir)?;
            if let Some(lock) = try_lock(&dir)? {
                return Ok(DiskCache::open_locked(dir, lock, capacity_bytes));
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!(
                "all {DISK_SLOTS} cache folders in {} are in use by other Bucketdesk processes",
                base.display()
            ),
        ))
    }

    fn open_locked(dir: PathBuf, lock: File, capacity_bytes: u64) -> DiskCache {
        let mut lru = LruCache::unbounded();
        let mut used = 0;
        for (_, name, size) in scan(&dir).unwrap_or_default() {
            used += size;
            lru.put(name, size);
        }
        let cache = DiskCache {
            dir,
            capacity: capacity_bytes,
            index: Mutex::new((lru, used)),
            lock: Mutex::new(Some(lock)),
        };
        cache.evict();
        cache
    }

    /// The folder this cache owns.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Gives the folder up (a server shutting down): its lock is dropped so the next process
    /// (or a restarted server) can own it, and this cache stops reading and writing.
    pub fn release(&self) {
        lock(&self.lock).take();
    }

    fn held(&self) -> bool {
        lock(&self.lock).is_some()
    }

    fn file_name(key: &str) -> String {
        hex::encode(Sha256::digest(key.as_bytes()))
    }

    /// The entry under `key`, if a file holds it (blocking: call off the async runtime).
    pub fn get(&self, key: &str) -> Option<Entry> {
        let name = Self::file_name(key);
        if !self.held() {
            return None;
        }
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
        if size > self.capacity || !self.held() {
            return Ok(());
        }
        let tmp = self.dir.join(format!("{name}.{}.tmp", std::process::id()));
        {
            use std::io::Write;
            let mut file = private_file(&tmp)?;
            if let Err(e) = file.write_all(&data) {
                drop(file);
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
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

/// How many originals' ETags are remembered: beyond it the least recently used is forgotten
/// (and checked again with a `HeadObject` when next asked for).
pub const FRESHNESS_KEPT: usize = 65_536;

/// The ETag each original had when last checked, trusted for `ttl`. Originals are named
/// `source \n key`. Bounded ([`FRESHNESS_KEPT`], least recently used out) and pruned: an
/// expired entry is dropped when it is looked up.
pub struct Freshness {
    ttl: Duration,
    known: Mutex<LruCache<String, (String, Instant)>>,
}

impl Freshness {
    pub fn new(ttl: Duration) -> Self {
        Freshness::with_capacity(ttl, FRESHNESS_KEPT)
    }

    pub fn with_capacity(ttl: Duration, capacity: usize) -> Self {
        Freshness {
            ttl,
            known: Mutex::new(LruCache::new(
                std::num::NonZeroUsize::new(capacity.max(1)).expect("not zero"),
            )),
        }
    }

    /// The original's ETag, if checked less than `ttl` ago.
    pub fn fresh(&self, original: &str) -> Option<String> {
        let mut known = lock(&self.known);
        let (etag, at) = known.get(original)?;
        if at.elapsed() < self.ttl {
            return Some(etag.clone());
        }
        known.pop(original);
        None
    }

    pub fn record(&self, original: &str, etag: &str) {
        lock(&self.known).put(original.to_owned(), (etag.to_owned(), Instant::now()));
    }

    /// Originals remembered.
    pub fn len(&self) -> usize {
        lock(&self.known).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    /// landed starts a new one. A flight whose callers all went away (their requests ended
    /// or timed out) is removed with the last of them, so the map holds only flights that
    /// someone is waiting for.
    pub async fn run<F, Fut>(&self, key: K, work: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = lock(&self.running).entry(key.clone()).or_default().clone();
        let seat = Seat {
            flights: self,
            key,
            cell,
        };
        seat.cell.get_or_init(work).await.clone()
    }
    /// Flights under way.
    pub fn len(&self) -> usize {
        lock(&self.running).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One caller of a flight. Dropped when the caller is done or gone: the flight leaves the
/// map once it landed, or once no caller is left to drive or await it.
struct Seat<'a, K: Hash + Eq + Clone, T: Clone> {
    flights: &'a Flights<K, T>,
    key: K,
    cell: Arc<tokio::sync::OnceCell<T>>,
}

impl<K: Hash + Eq + Clone, T: Clone> Drop for Seat<'_, K, T> {
    fn drop(&mut self) {
        let mut running = lock(&self.flights.running);
        let ours = running
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &self.cell));
        // Callers clone the cell under this lock: two holders (the map, this seat) means
        // this seat is the last caller.
        if ours && (self.cell.initialized() || Arc::strong_count(&self.cell) <= 2) {
            running.remove(&self.key);
        }
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
        // The folder is owned by one cache at a time: give it up, as a server shutting down.
        drop(reopened);
        let small = DiskCache::open(dir.path(), 2000).unwrap();
        assert!(small.used() <= 2000, "a smaller bound is applied at open");
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn disk_folders_are_0700_and_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("cdn");
        // A cache dir left world-readable by an older version is tightened at open.
        std::fs::create_dir_all(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cache = DiskCache::open(&base, 1 << 20).unwrap();
        cache.put("k", &entry(100)).unwrap();
        assert_eq!(mode(&base), 0o700);
        assert_eq!(mode(cache.dir()), 0o700);
        let files: Vec<_> = std::fs::read_dir(cache.dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().len() == 64)
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(
            mode(&files[0].path()),
            0o600,
            "only the user reads a render"
        );
    }

    #[test]
    fn two_processes_keep_separate_folders_and_never_evict_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let app = DiskCache::open(dir.path(), 4000).unwrap();
        let serve = DiskCache::open(dir.path(), 4000).unwrap();
        assert_ne!(app.dir(), serve.dir(), "one folder (and one index) each");
        app.put("app-image", &entry(1500)).unwrap();
        for k in ["s1", "s2", "s3", "s4", "s5"] {
            serve.put(k, &entry(1500)).unwrap();
        }
        assert!(serve.used() <= 4000);
        assert!(
            app.get("app-image").is_some(),
            "the other cache's evictions leave this one's files alone"
        );
        // Released (a server shutting down): the folder is free for the next one.
        let app_dir = app.dir().to_owned();
        app.release();
        assert!(app.get("app-image").is_none(), "released: no more reads");
        let next = DiskCache::open(dir.path(), 4000).unwrap();
        assert_eq!(next.dir(), app_dir);
        assert!(next.get("app-image").is_some(), "and it finds the files");
    }

    #[test]
    fn files_vanishing_during_start_up_never_abort_it() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_owned();
        let first = DiskCache::open(&base, 1 << 30).unwrap();
        let slot = first.dir().to_owned();
        first.release();
        drop(first);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Another hand creating and deleting cache files as fast as it can.
        let churn = {
            let (stop, slot) = (stop.clone(), slot.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let name = slot.join(hex::encode(Sha256::digest(n.to_le_bytes())));
                    let _ = std::fs::write(&name, b"x");
                    let _ = std::fs::remove_file(&name);
                    n += 1;
                }
            })
        };
        for _ in 0..200 {
            let cache = DiskCache::open(&base, 1 << 30).expect("start-up survives");
            assert_eq!(cache.dir(), slot);
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
    }

    #[test]
    fn freshness_is_bounded_and_drops_expired_entries() {
        let f = Freshness::with_capacity(Duration::from_secs(60), 100);
        for i in 0..1000 {
            f.record(&format!("s\n{i}"), "\"e\"");
        }
        assert_eq!(f.len(), 100, "bounded");
        assert!(f.fresh("s\n999").is_some() && f.fresh("s\n0").is_none());
        let short = Freshness::new(Duration::from_millis(20));
        short.record("s\nk", "\"1\"");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(short.fresh("s\nk"), None);
        assert!(short.is_empty(), "an expired entry is pruned when seen");
    }

    #[test]
    fn a_flight_whose_callers_all_left_is_removed() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let flights = Flights::<String, u32>::default();
            for i in 0..50 {
                let never = flights.run(format!("k{i}"), std::future::pending::<u32>);
                // Every caller gives up (a request timing out).
                assert!(
                    tokio::time::timeout(Duration::from_millis(1), never)
                        .await
                        .is_err()
                );
            }
            assert!(
                flights.is_empty(),
                "{} abandoned flights left",
                flights.len()
            );
            // With a waiter left, the flight stays and the waiter takes it over.
            let runs = AtomicU32::new(0);
            let first = flights.run("k".to_owned(), std::future::pending::<u32>);
            let second = flights.run("k".to_owned(), || async {
                runs.fetch_add(1, Ordering::SeqCst);
                7
            });
            let (a, b) = tokio::join!(
                tokio::time::timeout(Duration::from_millis(5), first),
                second
            );
            assert!(a.is_err());
            assert_eq!(b, 7, "the waiter took the flight over");
            assert!(flights.is_empty());
        });
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
