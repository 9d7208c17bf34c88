//! Reading the event log: the size of every retained change at startup, the latest changes to
//! hold in memory, and the older ones a watch resuming from before them asks for.

use std::{ops::RangeInclusive, path::Path};

use bytes::Bytes;
use rusqlite::{Connection, OpenFlags, Row, params};

use super::{Database, EventType, LoadedEvent, ObjectKey, Packed};
use crate::store::packed::json_len_of;

/// What the history needs of a change it does not hold in memory.
pub(in crate::store) struct EventSize {
    pub rv: u64,
    pub key: ObjectKey,
    pub type_: EventType,
    /// The length of the object's JSON.
    pub len: usize,
}

/// A connection of its own for reading older changes: reads never wait for a commit (the
/// database is in WAL mode), and commits never wait for them.
pub(in crate::store) struct EventReader {
    connection: Connection,
}

const COLUMNS: &str = "rv, resource, namespace, name, type";
/// The column of a change's stored object, after [`COLUMNS`].
pub(in crate::store) const EVENT_DATA: usize = 5;

impl Database {
    /// The size of every retained event, oldest first, read without the objects themselves.
    pub fn event_sizes(&self) -> rusqlite::Result<Vec<EventSize>> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {COLUMNS}, length(data), substr(data, 1, 5) FROM events ORDER BY rv"
        ))?;
        let rows = statement.query_map([], |row| {
            let (rv, key, type_) = event_head(row)?;
            Ok(EventSize {
                rv,
                key,
                type_,
                len: json_len_of(&row.get::<_, Vec<u8>>(6)?, row.get::<_, i64>(5)? as usize),
            })
        })?;
        rows.collect()
    }

    /// The events from resourceVersion `first` on, oldest first.
    pub fn load_events_from(&self, first: u64) -> rusqlite::Result<Vec<LoadedEvent>> {
        // resourceVersions are stored as SQLite's signed 64-bit integers.
        read_events(&self.connection, first..=i64::MAX as u64)
    }
}

impl EventReader {
    /// Opens the database at `path` for reading only.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(Self { connection })
    }

    /// The events of `range`, oldest first: fewer than the range holds when some were pruned.
    pub fn read(&self, range: RangeInclusive<u64>) -> rusqlite::Result<Vec<LoadedEvent>> {
        read_events(&self.connection, range)
    }
}

fn read_events(
    connection: &Connection,
    range: RangeInclusive<u64>,
) -> rusqlite::Result<Vec<LoadedEvent>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS}, data FROM events WHERE rv >= ?1 AND rv <= ?2 ORDER BY rv"
    ))?;
    let rows = statement.query_map(params![*range.start() as i64, *range.end() as i64], |row| {
        let (rv, key, type_) = event_head(row)?;
        Ok(LoadedEvent {
            rv,
            // Checked where the change is rebuilt, and only when its object is not in memory.
            packed: Packed::from_stored(Bytes::from(row.get::<_, Vec<u8>>(EVENT_DATA)?)),
            key,
            type_,
        })
    })?;
    rows.collect()
}

/// An event row's resourceVersion, object key and type (the first five columns).
fn event_head(row: &Row<'_>) -> rusqlite::Result<(u64, ObjectKey, EventType)> {
    let type_: String = row.get(4)?;
    Ok((
        row.get::<_, i64>(0)? as u64,
        ObjectKey {
            resource: row.get(1)?,
            namespace: row.get(2)?,
            name: row.get(3)?,
        },
        EventType::parse(&type_).unwrap_or(EventType::Modified),
    ))
}
