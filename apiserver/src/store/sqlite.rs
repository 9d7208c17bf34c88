//! The durable half of the store: objects and the recent event log in SQLite (WAL mode), written
//! in one transaction per change so every acknowledged write survives a crash of the process.
//!
//! The file gives back what pruned history freed: the database uses incremental auto-vacuum
//! (databases from before are converted once, on open), and the write-ahead log is checkpointed
//! beside the writes and kept within a bound ([`checkpoint`]), so a burst of large writes does
//! not leave a large file behind.

use std::path::Path;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};

use super::{EventType, MetaSummary, ObjectKey, Packed, packed::Unpackable};

mod checkpoint;
mod events;

#[cfg(test)]
pub(super) use checkpoint::BLOCKING_BYTES;
use checkpoint::Checkpoints;
pub(super) use events::{EVENT_DATA, EventReader, EventSize};
/// The column of an object's stored bytes, in the objects table's query.
pub(super) const OBJECT_DATA: usize = 4;

/// An object as loaded from disk.
pub(super) struct LoadedObject {
    pub key: ObjectKey,
    pub rv: u64,
    pub packed: Packed,
}

/// An event as loaded from disk.
pub(super) struct LoadedEvent {
    pub rv: u64,
    pub key: ObjectKey,
    pub type_: EventType,
    pub packed: Packed,
}

/// One change to persist.
pub(super) struct Change<'a> {
    pub rv: u64,
    pub key: &'a ObjectKey,
    pub type_: EventType,
    pub json: &'a [u8],
}

/// The metadata summary of the object `key` as stored (read from `column`), unpacking it. An
/// object that does not unpack is an error: a database holding one (damaged, or packed by a
/// later build) is refused whole rather than served in part.
pub(super) fn summary_of(
    packed: &Packed,
    key: &ObjectKey,
    column: usize,
) -> rusqlite::Result<MetaSummary> {
    let json = packed
        .unpack()
        .map_err(|error| does_not_unpack(column, key, error))?;
    Ok(MetaSummary::of_json(&json))
}

fn does_not_unpack(column: usize, key: &ObjectKey, error: Unpackable) -> rusqlite::Error {
    let what = format!(
        "the stored object {}/{}/{} {error}",
        key.resource, key.namespace, key.name
    );
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Blob, what.into())
}

/// `PRAGMA auto_vacuum` value of incremental auto-vacuum.
const INCREMENTAL: i64 = 2;
/// The page size of a new database file, bytes. An object up to about 4 KB (a typical
/// Application) fits on a page of the objects table with its key; with SQLite's default of 4 KiB
/// each one above 1 KB took a page of its own for the rest, mostly empty.
const PAGE_SIZE: i64 = 16 * 1024;
/// The write-ahead log is truncated to this size when it starts over after a checkpoint.
const JOURNAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;
/// Free space the file may keep before [`Database::reclaim_space`] returns it, bytes.
const FREE_BYTES_KEPT: i64 = 4 * 1024 * 1024;
/// How much of the file loading maps into memory (address space, not memory).
const LOAD_MMAP_BYTES: i64 = 64 * 1024 * 1024 * 1024;
/// Drops the events at and before a resourceVersion.
const PRUNE_EVENTS: &str = "DELETE FROM events WHERE rv <= ?1";
/// Objects handed on together while loading.
const LOAD_BATCH: usize = 256;

/// The SQLite database of one data directory.
pub(super) struct Database {
    /// Dropped first: its thread's connection closes before the writer's, and SQLite's last
    /// connection to close copies the log into the file and removes it.
    checkpoints: Checkpoints,
    connection: Connection,
    /// The file's page size, bytes: [`PAGE_SIZE`] for a new file, its own for an older one.
    page_size: i64,
}

impl Database {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        // Before the first table exists (or the VACUUM below) this sets the page size of a new
        // file; an existing file keeps its own.
        connection.pragma_update(None, "page_size", PAGE_SIZE)?;
        // Incremental auto-vacuum can only be chosen before the first table exists, or by
        // rebuilding the file once with VACUUM.
        let auto_vacuum: i64 = connection.pragma_query_value(None, "auto_vacuum", |r| r.get(0))?;
        if auto_vacuum != INCREMENTAL {
            connection.pragma_update(None, "auto_vacuum", INCREMENTAL)?;
            connection.execute_batch("VACUUM")?;
        }
        connection.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
        // WAL with synchronous=NORMAL: a committed transaction is in the WAL file before the
        // commit returns, so it survives the process being killed; only a power loss between
        // checkpoints can lose the last commits.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "OFF")?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS objects (
                 resource TEXT NOT NULL,
                 namespace TEXT NOT NULL,
                 name TEXT NOT NULL,
                 rv INTEGER NOT NULL,
                 data BLOB NOT NULL,
                 PRIMARY KEY (resource, namespace, name)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS events (
                 rv INTEGER PRIMARY KEY,
                 resource TEXT NOT NULL,
                 namespace TEXT NOT NULL,
                 name TEXT NOT NULL,
                 type TEXT NOT NULL,
                 data BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS meta (
                 key TEXT PRIMARY KEY,
                 value INTEGER NOT NULL
             );",
        )?;
        let page_size: i64 = connection.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let checkpoints = Checkpoints::start(path, &connection, page_size)?;
        Ok(Self {
            connection,
            checkpoints,
            page_size,
        })
    }

    /// The last resourceVersion handed out.
    pub fn last_rv(&self) -> rusqlite::Result<u64> {
        let rv: Option<i64> = self
            .connection
            .query_row("SELECT value FROM meta WHERE key = 'rv'", [], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(rv.unwrap_or(0) as u64)
    }

    /// Every stored object, handed to `each` in batches as they are read.
    pub fn load_objects(&self, mut each: impl FnMut(Vec<LoadedObject>)) -> rusqlite::Result<()> {
        // Reading the file through a memory map spares a copy of every page into SQLite's cache;
        // only for this one pass over everything.
        self.connection
            .pragma_update(None, "mmap_size", LOAD_MMAP_BYTES)?;
        let loaded = self.each_object(&mut each);
        self.connection.pragma_update(None, "mmap_size", 0)?;
        loaded
    }

    fn each_object(&self, each: &mut impl FnMut(Vec<LoadedObject>)) -> rusqlite::Result<()> {
        let mut statement = self
            .connection
            .prepare("SELECT resource, namespace, name, rv, data FROM objects")?;
        let mut rows = statement.query([])?;
        let mut batch = Vec::with_capacity(LOAD_BATCH);
        while let Some(row) = rows.next()? {
            batch.push(LoadedObject {
                key: ObjectKey {
                    resource: row.get(0)?,
                    namespace: row.get(1)?,
                    name: row.get(2)?,
                },
                rv: row.get::<_, i64>(3)? as u64,
                // Checked by whoever files it, off this thread: reading is the longer half.
                packed: Packed::from_stored(Bytes::from(row.get::<_, Vec<u8>>(OBJECT_DATA)?)),
            });
            if batch.len() == LOAD_BATCH {
                each(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(LOAD_BATCH),
                ));
            }
        }
        if !batch.is_empty() {
            each(batch);
        }
        Ok(())
    }

    /// Persists changes atomically: the objects, their events and the new last resourceVersion.
    /// Events older than `keep_events_after` are dropped in the same transaction.
    pub fn commit(
        &mut self,
        changes: &[Change<'_>],
        keep_events_after: Option<u64>,
    ) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO objects (resource, namespace, name, rv, data) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (resource, namespace, name) DO UPDATE SET rv = excluded.rv, data = excluded.data",
            )?;
            let mut delete = transaction.prepare_cached(
                "DELETE FROM objects WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
            )?;
            let mut event = transaction.prepare_cached(
                "INSERT INTO events (rv, resource, namespace, name, type, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut last = 0;
            for change in changes {
                let key = change.key;
                match change.type_ {
                    EventType::Deleted => {
                        delete.execute(params![key.resource, key.namespace, key.name])?;
                    }
                    _ => {
                        upsert.execute(params![
                            key.resource,
                            key.namespace,
                            key.name,
                            change.rv as i64,
                            change.json
                        ])?;
                    }
                }
                event.execute(params![
                    change.rv as i64,
                    key.resource,
                    key.namespace,
                    key.name,
                    change.type_.as_str(),
                    change.json
                ])?;
                last = last.max(change.rv);
            }
            // Cached like the statements above: preparing them on every commit cost as much as
            // executing them.
            transaction
                .prepare_cached(
                    "INSERT INTO meta (key, value) VALUES ('rv', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![last as i64])?;
            if let Some(floor) = keep_events_after {
                transaction
                    .prepare_cached(PRUNE_EVENTS)?
                    .execute(params![floor as i64])?;
            }
        }
        transaction.commit()?;
        self.checkpoints.after_commit(&self.connection);
        Ok(())
    }

    /// Drops the events at and before `floor`.
    pub fn prune_events(&self, floor: u64) -> rusqlite::Result<()> {
        self.connection
            .prepare_cached(PRUNE_EVENTS)?
            .execute(params![floor as i64])?;
        Ok(())
    }

    /// Returns free pages to the file system when there are many.
    pub fn reclaim_space(&self) -> rusqlite::Result<()> {
        let free: i64 = self
            .connection
            .pragma_query_value(None, "freelist_count", |r| r.get(0))?;
        if free * self.page_size > FREE_BYTES_KEPT {
            self.connection.execute_batch("PRAGMA incremental_vacuum")?;
        }
        Ok(())
    }
}
