//! The history in memory and on disk: only the latest retained changes are held in memory, and a
//! follower resuming from before them gets the older ones from the database, the same as if
//! memory held them, across a restart too.

use super::*;

/// Every change is about 200 KB counted (its object and the one before it): five are retained,
/// the last two held in memory.
fn options() -> StoreOptions {
    StoreOptions {
        retained_bytes: 1024 * 1024,
        held_bytes: 450_000,
        ..StoreOptions::default()
    }
}

/// Each replayed change as the follower sees it: its version, the version its object carries,
/// and the version of the object before it.
fn seen(replay: &[Arc<Event>]) -> Vec<(u64, String, Option<u64>)> {
    replay
        .iter()
        .map(|event| {
            let object = event.object.value();
            let carried = object["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or_default();
            (
                event.rv,
                carried.to_owned(),
                event.previous.as_ref().map(|p| p.rv),
            )
        })
        .collect()
}

#[test]
fn a_follower_resuming_from_before_what_memory_holds_reads_the_rest_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path, options()).unwrap();
    let mut rv = put_big(&store, "a", 100_000, Precondition::Absent);
    for _ in 0..10 {
        rv = put_big(&store, "a", 100_000, Precondition::Version(rv));
    }
    assert_eq!(store.history_size().0, 5, "five retained");
    assert_eq!(store.history_held().0, 2, "two of them in memory");
    assert!(store.history_held().1 <= 450_000);

    let replay = events_after(&store, rv - 5).unwrap();
    let expected: Vec<_> = (rv - 4..=rv)
        .map(|v| {
            // The first change read from the database has no earlier row to name its previous
            // object; the rest do, and so do those held in memory.
            let previous = (v > rv - 4).then_some(v - 1);
            (v, v.to_string(), previous)
        })
        .collect();
    assert_eq!(seen(&replay), expected);
    assert_eq!(
        seen(&events_after(&store, rv - 2).unwrap()).len(),
        2,
        "held only"
    );
    assert_eq!(events_after(&store, rv - 6).unwrap_err().requested, rv - 6);
    drop(store);

    // After a restart the database holds the same five, and memory the same latest two.
    let store = Store::open(&path, options()).unwrap();
    assert_eq!(store.history_size().0, 5);
    assert_eq!(store.history_held().0, 2);
    let replay = events_after(&store, rv - 5).unwrap();
    assert_eq!(
        seen(&replay).iter().map(|e| e.0).collect::<Vec<_>>(),
        (rv - 4..=rv).collect::<Vec<_>>()
    );
    assert!(events_after(&store, rv - 6).is_err());
}

#[test]
fn changes_pruned_from_the_database_meanwhile_expire_the_follower() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite"), options()).unwrap();
    let mut rv = put_big(&store, "a", 100_000, Precondition::Absent);
    for _ in 0..10 {
        rv = put_big(&store, "a", 100_000, Precondition::Version(rv));
    }
    // What the history retains, pruned behind its back: the read finds a gap.
    store.database().prune_events(rv - 3).unwrap();
    let expired = events_after(&store, rv - 5).unwrap_err();
    assert_eq!(expired.requested, rv - 5);
}
