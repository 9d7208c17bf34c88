//! Checkpoints: copying the write-ahead log into the database file. A thread of their own does
//! it on a connection of its own, so a commit does not wait for the copy and the fsyncs; the
//! writer checkpoints itself, waiting, only when the log has outgrown its bound (a long burst of
//! writes, during which the thread's checkpoints never catch up with the log's end).

use std::{cell::Cell, ffi::c_int, path::Path, sync::mpsc, thread};

use rusqlite::{Connection, hooks::Wal};

/// Bytes in the log at which the thread copies them into the database file: what SQLite
/// checkpoints at after a commit by default (1,000 pages of 4 KiB).
const BACKGROUND_BYTES: u32 = 4000 * 1024;
/// Bytes in the log at which the writer copies the rest itself and truncates the log: the
/// log's bound.
pub(in crate::store) const BLOCKING_BYTES: u32 = 8000 * 1024;

thread_local! {
    /// Frames in the log after this thread's last commit, as SQLite reports them.
    static LOG_FRAMES: Cell<u32> = const { Cell::new(0) };
}

/// SQLite's report after each commit (on the committing thread): how many frames the log holds.
fn record_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    LOG_FRAMES.set(u32::try_from(frames).unwrap_or(0));
    Ok(())
}

/// The checkpointing thread, stopped when this is dropped: after the checkpoint under way, and
/// waited for, so that its connection is closed when the drop returns.
pub(super) struct Checkpoints {
    /// Taken when dropped, which ends the thread's loop.
    wake: Option<mpsc::SyncSender<()>>,
    thread: Option<thread::JoinHandle<()>>,
    /// [`BACKGROUND_BYTES`] and [`BLOCKING_BYTES`] in frames (pages) of this database.
    background_frames: u32,
    blocking_frames: u32,
}

impl Checkpoints {
    /// Starts the thread on its own connection to the database at `path`; `writer` reports the
    /// log's size after each commit instead of checkpointing in the commit. A frame of the log
    /// holds one page of `page_size` bytes.
    pub fn start(path: &Path, writer: &Connection, page_size: i64) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        let page_size = u32::try_from(page_size).unwrap_or(u32::MAX).max(512);
        let frames = |bytes: u32| (bytes / page_size).max(1);
        // Replaces SQLite's automatic checkpoints, which are a hook of the same kind.
        writer.wal_hook(Some(record_frames));
        let (wake, woken) = mpsc::sync_channel(1);
        let thread = thread::Builder::new()
            .name("compass-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // A checkpoint that fails leaves the log as it was: the next one copies it.
                    if let Err(error) = checkpoint(&connection, "PASSIVE") {
                        tracing::warn!(%error, "checkpoint of the write-ahead log failed");
                    }
                }
            })
            // As `thread::spawn` does: a process that cannot start a thread cannot serve.
            .expect("the checkpointing thread starts");
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
            background_frames: frames(BACKGROUND_BYTES),
            blocking_frames: frames(BLOCKING_BYTES),
        })
    }

    /// After a commit on `writer` (on the committing thread): wakes the thread once the log
    /// holds enough, or, past the log's bound, checkpoints it all and truncates it on `writer`.
    /// The commit stands either way: a checkpoint that fails only leaves the log longer.
    pub fn after_commit(&self, writer: &Connection) {
        let frames = LOG_FRAMES.get();
        if frames >= self.blocking_frames {
            if let Err(error) = checkpoint(writer, "TRUNCATE") {
                tracing::warn!(%error, "checkpoint of the write-ahead log failed");
            }
        } else if frames >= self.background_frames {
            // Full: a wake is pending already.
            if let Some(wake) = &self.wake {
                let _ = wake.try_send(());
            }
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.wake.take();
        if let Some(thread) = self.thread.take() {
            // A thread that panicked has nothing left to close.
            let _ = thread.join();
        }
    }
}

fn checkpoint(connection: &Connection, mode: &str) -> rusqlite::Result<()> {
    connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
}
