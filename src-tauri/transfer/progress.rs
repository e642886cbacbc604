//! Progress of a batch of transfers: bytes, rate and ETA per file and in total, and the
//! cancel token the batch obeys.
//!
//! Bytes are counted when the server has acknowledged them (an `UploadPart` or `PutObject`
//! answered, a downloaded chunk written to disk), never when they are merely buffered, so
//! the bar never runs ahead of what a crash would keep. Callers poll [`Progress::snapshot`]
//! (the CLI prints it on stderr, the GUI sends it over a channel).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// Where one file of the batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum FileState {
    Queued,
    Running,
    Done,
    Skipped,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FileProgress {
    /// The object key (relative to the BasePath where the caller gave it so).
    pub key: String,
    pub bytes_total: f64,
    pub bytes_done: f64,
    /// Bytes per second since the file started.
    pub rate: f64,
    /// Seconds left at that rate; `None` before the first acknowledged byte.
    pub eta_secs: Option<f64>,
    pub state: FileState,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProgressSnapshot {
    pub files: Vec<FileProgress>,
    pub files_total: u32,
    pub files_done: u32,
    pub bytes_total: f64,
    pub bytes_done: f64,
    /// Bytes per second since the batch started.
    pub rate: f64,
    pub eta_secs: Option<f64>,
    pub elapsed_secs: f64,
    pub cancelled: bool,
}

#[derive(Debug)]
struct FileEntry {
    key: String,
    total: u64,
    done: u64,
    started: Option<Instant>,
    finished: Option<Instant>,
    state: FileState,
}

#[derive(Debug)]
struct Shared {
    started: Instant,
    total: AtomicU64,
    done: AtomicU64,
    files: Mutex<Vec<FileEntry>>,
    cancel: CancellationToken,
}

/// The progress and cancel token of one batch; cheap to clone, shared by every task.
#[derive(Debug, Clone)]
pub struct Progress {
    shared: Arc<Shared>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

/// One file's handle into the batch's progress.
#[derive(Debug, Clone)]
pub struct FileHandle {
    shared: Arc<Shared>,
    index: usize,
}

fn rate(bytes: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / seconds
    } else {
        0.0
    }
}

fn eta(total: u64, done: u64, rate: f64) -> Option<f64> {
    if done >= total {
        Some(0.0)
    } else if rate > 0.0 {
        Some((total - done) as f64 / rate)
    } else {
        None
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            shared: Arc::new(Shared {
                started: Instant::now(),
                total: AtomicU64::new(0),
                done: AtomicU64::new(0),
                files: Mutex::new(Vec::new()),
                cancel: CancellationToken::new(),
            }),
        }
    }

    /// Adds a file of `total` bytes to the batch.
    pub fn add_file(&self, key: &str, total: u64) -> FileHandle {
        self.shared.total.fetch_add(total, Ordering::Relaxed);
        let mut files = self.shared.files.lock().expect("progress lock");
        files.push(FileEntry {
            key: key.to_owned(),
            total,
            done: 0,
            started: None,
            finished: None,
            state: FileState::Queued,
        });
        FileHandle {
            shared: self.shared.clone(),
            index: files.len() - 1,
        }
    }

    /// Asks every transfer of the batch to stop; multipart uploads are then aborted.
    pub fn cancel(&self) {
        self.shared.cancel.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    /// The token transfers select on.
    pub fn token(&self) -> CancellationToken {
        self.shared.cancel.clone()
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let now = Instant::now();
        let elapsed = now.duration_since(self.shared.started).as_secs_f64();
        let total = self.shared.total.load(Ordering::Relaxed);
        let done = self.shared.done.load(Ordering::Relaxed);
        let batch_rate = rate(done, elapsed);
        let files = self.shared.files.lock().expect("progress lock");
        let files_done = files
            .iter()
            .filter(|f| matches!(f.state, FileState::Done | FileState::Skipped))
            .count() as u32;
        let files: Vec<FileProgress> = files
            .iter()
            .map(|f| {
                let seconds = match (f.started, f.finished) {
                    (Some(s), Some(e)) => e.duration_since(s).as_secs_f64(),
                    (Some(s), None) => now.duration_since(s).as_secs_f64(),
                    _ => 0.0,
                };
                let r = rate(f.done, seconds);
                FileProgress {
                    key: f.key.clone(),
                    bytes_total: f.total as f64,
                    bytes_done: f.done as f64,
                    rate: r,
                    eta_secs: eta(f.total, f.done, r),
                    state: f.state,
                }
            })
            .collect();
        ProgressSnapshot {
            files_total: files.len() as u32,
            files_done,
            files,
            bytes_total: total as f64,
            bytes_done: done as f64,
            rate: batch_rate,
            eta_secs: eta(total, done, batch_rate),
            elapsed_secs: elapsed,
            cancelled: self.is_cancelled(),
        }
    }
}

impl FileHandle {
    fn with<T>(&self, f: impl FnOnce(&mut FileEntry) -> T) -> T {
        let mut files = self.shared.files.lock().expect("progress lock");
        f(&mut files[self.index])
    }

    pub fn start(&self) {
        self.with(|f| {
            f.started.get_or_insert_with(Instant::now);
            f.state = FileState::Running;
        });
    }

    /// `bytes` more were acknowledged by the server (or written, for downloads).
    pub fn acknowledge(&self, bytes: u64) {
        self.shared.done.fetch_add(bytes, Ordering::Relaxed);
        self.with(|f| f.done += bytes);
    }

    /// The file turned out to have `total` bytes (e.g. a download's size from HEAD).
    pub fn set_total(&self, total: u64) {
        self.with(|f| {
            if total >= f.total {
                self.shared
                    .total
                    .fetch_add(total - f.total, Ordering::Relaxed);
            } else {
                self.shared
                    .total
                    .fetch_sub(f.total - total, Ordering::Relaxed);
            }
            f.total = total;
        });
    }

    /// Ends the file in `state`. A skipped file counts as done for the totals, so the
    /// ETA does not wait for bytes that will never be sent.
    pub fn finish(&self, state: FileState) {
        self.with(|f| {
            f.finished = Some(Instant::now());
            f.state = state;
            if state == FileState::Skipped && f.done < f.total {
                self.shared
                    .done
                    .fetch_add(f.total - f.done, Ordering::Relaxed);
                f.done = f.total;
            }
        });
    }

    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    pub fn token(&self) -> CancellationToken {
        self.shared.cancel.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_per_file_and_for_the_batch() {
        let progress = Progress::new();
        let a = progress.add_file("a.jpg", 100);
        let b = progress.add_file("b.jpg", 300);
        a.start();
        a.acknowledge(100);
        a.finish(FileState::Done);
        b.start();
        b.acknowledge(150);
        let s = progress.snapshot();
        assert_eq!(s.bytes_total, 400.0);
        assert_eq!(s.bytes_done, 250.0);
        assert_eq!(s.files_total, 2);
        assert_eq!(s.files_done, 1);
        assert_eq!(
            s.files[0].eta_secs,
            Some(0.0),
            "a finished file has nothing left"
        );
        assert_eq!(s.files[1].state, FileState::Running);
        assert_eq!(s.files[1].bytes_done, 150.0);
    }

    #[test]
    fn eta_is_what_is_left_at_the_current_rate() {
        assert_eq!(eta(1000, 250, 50.0), Some(15.0));
        assert_eq!(eta(1000, 0, 0.0), None, "no rate yet, no guess");
        assert_eq!(eta(10, 10, 0.0), Some(0.0));
    }

    #[test]
    fn a_skipped_file_counts_as_done_and_cancel_reaches_every_handle() {
        let progress = Progress::new();
        let a = progress.add_file("a.jpg", 100);
        a.finish(FileState::Skipped);
        assert_eq!(progress.snapshot().bytes_done, 100.0);
        assert!(!a.is_cancelled());
        progress.cancel();
        assert!(a.is_cancelled());
        assert!(progress.snapshot().cancelled);
    }

    #[test]
    fn a_download_can_learn_its_size_later() {
        let progress = Progress::new();
        let a = progress.add_file("a.jpg", 0);
        a.set_total(500);
        assert_eq!(progress.snapshot().bytes_total, 500.0);
        a.set_total(200);
        assert_eq!(progress.snapshot().bytes_total, 200.0);
    }
}
