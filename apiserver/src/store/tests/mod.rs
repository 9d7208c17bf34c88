//! Store behaviour: compare-and-swap writes, ordered lists, watch replay, and durability across a
//! reopen.

use serde_json::json;

use super::*;

mod awaited_commit;
mod checkpoints;
mod group_commit;
mod held_history;
mod packing;

/// The changes after `rv` as a watch gets them, read on the test's own thread.
pub(super) fn events_after(store: &Store, rv: u64) -> Result<Vec<Arc<Event>>, TooOld> {
    store.complete(rv, store.replay(rv)?)
}

pub(super) fn key(name: &str) -> ObjectKey {
    ObjectKey {
        resource: "g/things".into(),
        namespace: "ns".into(),
        name: name.into(),
    }
}

fn thing(name: &str) -> Value {
    json!({ "apiVersion": "g/v1", "kind": "Thing", "metadata": { "name": name, "namespace": "ns", "uid": format!("uid-{name}") } })
}

pub(super) fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("db.sqlite"), StoreOptions::default()).unwrap()
}

/// The write adding one to the `count` of the object `counter` as it is now, compare-and-swap on
/// its resourceVersion.
pub(super) fn counter_incremented(store: &Store) -> Write {
    let current = store.get(&key("counter")).unwrap();
    let mut object = current.value();
    let count = object["count"].as_u64().unwrap_or(0);
    object["count"] = json!(count + 1);
    Write::Put {
        key: key("counter"),
        object,
        precondition: Precondition::Version(current.rv),
    }
}

pub(super) fn put(
    store: &Store,
    name: &str,
    precondition: Precondition,
) -> Result<Vec<Arc<Event>>, CommitError> {
    store.commit(vec![Write::Put {
        key: key(name),
        object: thing(name),
        precondition,
    }])
}

#[test]
fn each_write_gets_the_next_resource_version_and_creates_are_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = put(&store, "a", Precondition::Absent).unwrap();
    assert_eq!(first[0].rv, 1);
    assert_eq!(first[0].type_, EventType::Added);
    assert!(matches!(
        put(&store, "a", Precondition::Absent),
        Err(CommitError::AlreadyExists(_))
    ));
    let second = put(&store, "a", Precondition::Version(1)).unwrap();
    assert_eq!((second[0].rv, second[0].type_), (2, EventType::Modified));
    assert_eq!(
        store.get(&key("a")).unwrap().value()["metadata"]["resourceVersion"],
        "2"
    );
    assert!(matches!(
        put(&store, "a", Precondition::Version(1)),
        Err(CommitError::Conflict(_))
    ));
    assert_eq!(
        store.current_rv(),
        2,
        "a refused write hands out no resourceVersion"
    );
}

#[test]
fn lists_are_in_key_order_and_page_after_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for name in ["c", "a", "b", "d"] {
        put(&store, name, Precondition::Absent).unwrap();
    }
    let page = store.list("g/things", Some("ns"), None, Some(2), true, |_, _| true);
    let names: Vec<_> = page.items.iter().map(|(k, _)| k.1.as_str()).collect();
    assert_eq!((names, page.remaining, page.rv), (vec!["a", "b"], 2, 4));
    // Not counting the rest: only whether there is more.
    let first = store.list("g/things", Some("ns"), None, Some(1), false, |_, _| true);
    assert_eq!((first.items.len(), first.remaining), (1, 1));
    let next = store.list(
        "g/things",
        Some("ns"),
        Some(("ns", "b")),
        Some(2),
        true,
        |_, _| true,
    );
    let names: Vec<_> = next.items.iter().map(|(k, _)| k.1.as_str()).collect();
    assert_eq!((names, next.remaining), (vec!["c", "d"], 0));
    assert!(store.list_all("g/things", Some("other")).items.is_empty());
}

#[test]
fn followers_replay_retained_changes_and_old_versions_are_too_old() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retained_events: 3,
        ..StoreOptions::default()
    };
    let store = Store::open(&dir.path().join("db.sqlite"), options).unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        put(&store, name, Precondition::Absent).unwrap();
    }
    let replay = events_after(&store, 3).unwrap();
    assert_eq!(replay.iter().map(|e| e.rv).collect::<Vec<_>>(), vec![4, 5]);
    assert!(events_after(&store, 2).is_ok(), "events 3..=5 are held");
    let too_old = events_after(&store, 1).unwrap_err();
    assert_eq!(too_old.requested, 1);
}

#[test]
fn a_follower_sees_later_changes_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, "a", Precondition::Absent).unwrap();
    let mut receiver = store.subscribe();
    let replay = events_after(&store, 1).unwrap();
    assert!(replay.is_empty());
    put(&store, "b", Precondition::Absent).unwrap();
    assert_eq!(
        receiver.try_recv().unwrap(),
        2,
        "woken with the commit's version"
    );
    assert!(receiver.try_recv().is_err());
    let changed = events_after(&store, 1).unwrap();
    let seen: Vec<_> = changed
        .iter()
        .map(|e| (e.rv, e.key.name.as_str()))
        .collect();
    assert_eq!(seen, [(2, "b")]);
}

#[test]
fn deletions_are_reported_at_their_own_resource_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, "a", Precondition::Absent).unwrap();
    let events = store
        .commit(vec![Write::Delete {
            key: key("a"),
            precondition: Precondition::Version(1),
        }])
        .unwrap();
    assert_eq!(events[0].type_, EventType::Deleted);
    assert_eq!(events[0].object.value()["metadata"]["resourceVersion"], "2");
    assert!(store.get(&key("a")).is_none());
}

#[test]
fn everything_survives_a_reopen_and_versions_continue() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        put(&store, "a", Precondition::Absent).unwrap();
        put(&store, "b", Precondition::Absent).unwrap();
        store
            .commit(vec![Write::Delete {
                key: key("b"),
                precondition: Precondition::Version(2),
            }])
            .unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.current_rv(), 3);
    assert!(store.get(&key("a")).is_some());
    assert!(store.get(&key("b")).is_none());
    let replay = events_after(&store, 1).unwrap();
    let seen: Vec<_> = replay.iter().map(|e| (e.rv, e.type_)).collect();
    assert_eq!(seen, vec![(2, EventType::Added), (3, EventType::Deleted)]);
    assert_eq!(put(&store, "c", Precondition::Absent).unwrap()[0].rv, 4);
}

#[test]
fn dependents_are_indexed_by_owner_uid() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut child = thing("child");
    child["metadata"]["ownerReferences"] =
        json!([{ "uid": "uid-parent", "name": "parent", "kind": "Thing", "apiVersion": "g/v1" }]);
    store
        .commit(vec![Write::Put {
            key: key("child"),
            object: child,
            precondition: Precondition::Absent,
        }])
        .unwrap();
    assert_eq!(store.dependents_of("uid-parent"), vec![key("child")]);
    store
        .commit(vec![Write::Delete {
            key: key("child"),
            precondition: Precondition::Version(1),
        }])
        .unwrap();
    assert!(store.dependents_of("uid-parent").is_empty());
}

#[test]
fn events_reloaded_after_a_reopen_know_the_object_before_each_change() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        put(&store, "a", Precondition::Absent).unwrap();
        put(&store, "a", Precondition::Version(1)).unwrap();
        store
            .commit(vec![Write::Delete {
                key: key("a"),
                precondition: Precondition::Version(2),
            }])
            .unwrap();
        put(&store, "a", Precondition::Absent).unwrap();
    }
    let store = open(&dir);
    let replay = events_after(&store, 0).unwrap();
    let previous: Vec<Option<u64>> = replay
        .iter()
        .map(|e| e.previous.as_ref().map(|p| p.rv))
        .collect();
    assert_eq!(previous, [None, Some(1), Some(2), None]);
}

/// A `thing` carrying `size` bytes of data that packing cannot shrink, so that the database
/// and its log grow by what the tests write.
pub(super) fn big(name: &str, size: usize) -> Value {
    let mut object = thing(name);
    object["data"] = json!(noise(size));
    object
}

/// `len` printable characters without repeats for LZ4 to find (xorshift).
pub(crate) fn noise(len: usize) -> String {
    let mut state = 0x9e37_79b9_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            char::from(b'0' + (state % 75) as u8)
        })
        .collect()
}

pub(super) fn put_big(store: &Store, name: &str, size: usize, precondition: Precondition) -> u64 {
    let events = store
        .commit(vec![Write::Put {
            key: key(name),
            object: big(name, size),
            precondition,
        }])
        .unwrap();
    events[0].rv
}

#[test]
fn the_history_keeps_the_latest_changes_within_its_byte_bound_in_memory_and_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retained_bytes: 1024 * 1024,
        ..StoreOptions::default()
    };
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path, options.clone()).unwrap();
    let mut rv = put_big(&store, "a", 100_000, Precondition::Absent);
    for _ in 0..30 {
        rv = put_big(&store, "a", 100_000, Precondition::Version(rv));
    }
    let (count, bytes) = store.history_size();
    assert!(bytes <= 1024 * 1024, "{bytes} bytes held");
    // Each change holds its object and the one before it: five of them fit.
    assert_eq!(count, 5);
    assert!(
        events_after(&store, rv - 5).is_ok(),
        "the last five are held"
    );
    assert_eq!(events_after(&store, rv - 6).unwrap_err().requested, rv - 6);
    drop(store);
    // The database holds the same history, so a restart serves the same window.
    let store = Store::open(&path, options).unwrap();
    assert_eq!(store.history_size().0, 5);
    assert!(events_after(&store, rv - 6).is_err());
    assert_eq!(events_after(&store, rv - 5).unwrap().len(), 5);
}

#[test]
fn changes_older_than_the_age_bound_leave_the_history_at_housekeeping() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retained_age: std::time::Duration::ZERO,
        ..StoreOptions::default()
    };
    let store = Store::open(&dir.path().join("db.sqlite"), options).unwrap();
    put(&store, "a", Precondition::Absent).unwrap();
    put(&store, "b", Precondition::Absent).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store.maintain().unwrap();
    assert_eq!(store.history_size(), (0, 0));
    assert!(
        events_after(&store, 0).is_err(),
        "a watch from 0 is expired"
    );
    assert!(
        events_after(&store, 2).unwrap().is_empty(),
        "one from now is not"
    );
}

#[test]
fn the_database_file_stops_growing_once_the_history_is_full_and_shrinks_when_it_empties() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let size = || {
        let wal = path.with_extension("sqlite-wal");
        std::fs::metadata(&path).unwrap().len() + std::fs::metadata(wal).map_or(0, |m| m.len())
    };
    let options = StoreOptions {
        retained_bytes: 4 * 1024 * 1024,
        ..StoreOptions::default()
    };
    let store = Store::open(&path, options.clone()).unwrap();
    let mut rv = put_big(&store, "a", 500_000, Precondition::Absent);
    for _ in 0..20 {
        rv = put_big(&store, "a", 500_000, Precondition::Version(rv));
    }
    let full = size();
    for _ in 0..60 {
        rv = put_big(&store, "a", 500_000, Precondition::Version(rv));
    }
    // 60 more writes of 500 kB would add 30 MB without the bound.
    assert!(size() < full + 8 * 1024 * 1024, "{} then {}", full, size());
    drop(store);
    // With the history bound lowered, the next start drops it, and housekeeping returns the
    // space.
    let small = StoreOptions {
        retained_events: 1,
        ..options
    };
    let store = Store::open(&path, small).unwrap();
    store.maintain().unwrap();
    drop(store);
    // Closed in order, the last connection copied the log into the file and removed it.
    assert!(
        !path.with_extension("sqlite-wal").exists(),
        "the log is left"
    );
    assert!(size() < 4 * 1024 * 1024, "{} after pruning", size());
}

#[test]
fn the_summary_read_from_json_equals_the_one_read_from_the_object() {
    let objects = [
        json!({ "metadata": {
            "name": "a", "uid": "u-1",
            "labels": { "tier": "gold", "odd": 3 },
            "ownerReferences": [{ "uid": "o-1" }, { "name": "no-uid" }],
            "finalizers": ["x"],
            "deletionTimestamp": "2026-12-05T00:00:00Z"
        }, "spec": { "deep": [{ "metadata": { "uid": "not-this" } }] } }),
        json!({ "metadata": {
            "name": "b", "labels": null, "ownerReferences": null, "finalizers": [],
            "deletionTimestamp": null
        } }),
        json!({ "kind": "NoMetadata" }),
    ];
    for object in objects {
        let json = serde_json::to_vec(&object).unwrap();
        assert_eq!(
            MetaSummary::of_json(&json),
            MetaSummary::of(&object),
            "{object}"
        );
    }
}

#[test]
fn the_summary_is_read_from_metadata_wherever_it_stands_and_however_its_name_is_written() {
    for (json, uid) in [
        (
            r#"{"spec":{"metadata":{"uid":"inner"}},"kind":"K","metadata":{"uid":"outer"}}"#,
            "outer",
        ),
        (
            r#"{"meta\u0064ata":{"uid":"escaped"},"spec":{"x":[1,2]}}"#,
            "escaped",
        ),
        (
            r#"{"apiVersion":"v1","metadata":{"uid":"first"},"status":{}}"#,
            "first",
        ),
        (r#"{"metadata":null}"#, ""),
        ("[]", ""),
    ] {
        assert_eq!(MetaSummary::of_json(json.as_bytes()).uid, uid, "{json}");
    }
}
