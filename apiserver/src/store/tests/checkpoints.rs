//! Checkpoints of the write-ahead log: copied into the database file beside the writes, and the
//! log held within its bound through a burst.

use std::time::{Duration, Instant};

use super::*;
use crate::store::sqlite::BLOCKING_BYTES;

/// The log's bound plus one commit of the test's.
const LOG_BOUND: u64 = BLOCKING_BYTES as u64 + 1024 * 1024;

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn the_log_is_copied_into_the_database_file_without_a_writer_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    // About 6.4 MB of log (each write is stored twice: the object and its change), past the
    // 4 MB at which the checkpointing thread copies it, short of the writer's 8 MB bound. Until
    // a checkpoint the database file holds a few pages.
    for i in 0..16 {
        put_big(&store, &format!("o{i}"), 200_000, Precondition::Absent);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while file_size(&path) < 3 * 1024 * 1024 {
        assert!(
            Instant::now() < deadline,
            "nothing was checkpointed: the database file holds {} bytes",
            file_size(&path)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(store);
    let reopened = Store::open(&path, StoreOptions::default()).unwrap();
    assert!((0..16).all(|i| reopened.get(&key(&format!("o{i}"))).is_some()));
}

#[test]
fn a_burst_of_writes_keeps_the_log_within_its_bound_and_loses_nothing() {
    const WRITERS: usize = 4;
    const EACH: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let wal = path.with_extension("sqlite-wal");
    let store = Arc::new(Store::open(&path, StoreOptions::default()).unwrap());
    // About 60 MB of log, seven times its bound, from four callers at once. (Whether the
    // checkpointing thread keeps up or the writer has to truncate the log, it stays bounded.)
    let largest = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, wal) = (store.clone(), &wal);
                scope.spawn(move || {
                    let mut largest = 0;
                    for i in 0..EACH {
                        put_big(&store, &format!("w{w}-{i}"), 200_000, Precondition::Absent);
                        largest = largest.max(file_size(wal));
                    }
                    largest
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).max()
    });
    assert!(
        largest.unwrap() <= LOG_BOUND,
        "the log reached {largest:?} bytes"
    );
    drop(store);
    let reopened = Store::open(&path, StoreOptions::default()).unwrap();
    let lost = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |i| format!("w{w}-{i}")))
        .filter(|name| reopened.get(&key(name)).is_none())
        .count();
    assert_eq!(lost, 0);
}
