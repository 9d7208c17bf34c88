//! Objects are stored packed, in memory and on disk; a database written before packing still
//! loads, and one holding an object this build cannot unpack is refused with its name.

use rusqlite::{Connection, params};

use super::*;

/// A `thing` with enough in it for packing to shrink it.
fn labelled(name: &str) -> Value {
    let mut object = thing(name);
    let labels: serde_json::Map<String, Value> = (0..20)
        .map(|i| {
            (
                format!("compass.kyma-project.io/label-{i}"),
                json!(format!("value-{i}")),
            )
        })
        .collect();
    object["metadata"]["labels"] = Value::Object(labels);
    object
}

/// A database in `dir` holding the labelled things `a` and `b`; its path.
fn two_stored(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let store = open(dir);
    for name in ["a", "b"] {
        let object = labelled(name);
        let key = key(name);
        let precondition = Precondition::Absent;
        store
            .commit(vec![Write::Put {
                key,
                object,
                precondition,
            }])
            .unwrap();
    }
    dir.path().join("db.sqlite")
}

fn row(connection: &Connection, name: &str) -> Vec<u8> {
    connection
        .query_row("SELECT data FROM objects WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .unwrap()
}

#[test]
fn objects_are_stored_packed_and_rows_written_before_packing_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_stored(&dir);
    let json = open(&dir)
        .get(&key("a"))
        .unwrap()
        .packed
        .json()
        .into_owned();
    let connection = Connection::open(&path).unwrap();
    let packed = row(&connection, "a");
    assert_eq!(packed[0], 1, "packed with dictionary 1");
    assert!(
        packed.len() * 2 < json.len(),
        "{} of {}",
        packed.len(),
        json.len()
    );
    // `b` as a build before packing wrote it: plain JSON, in the object and in its change.
    let plain = serde_json::to_vec(
        &Store::open(&path, StoreOptions::default())
            .unwrap()
            .get(&key("b"))
            .unwrap()
            .value(),
    )
    .unwrap();
    for table in ["objects", "events"] {
        connection
            .execute(
                &format!("UPDATE {table} SET data = ?1 WHERE name = 'b'"),
                params![plain],
            )
            .unwrap();
    }
    drop(connection);
    let store = open(&dir);
    assert_eq!(
        store.get(&key("a")).unwrap().packed.json().as_ref(),
        json.as_slice()
    );
    let b = store.get(&key("b")).unwrap();
    assert_eq!(b.packed.stored(), plain.as_slice());
    assert_eq!(
        b.value()["metadata"]["labels"]["compass.kyma-project.io/label-7"],
        "value-7"
    );
    let replayed: Vec<Value> = events_after(&store, 0)
        .unwrap()
        .iter()
        .map(|e| e.object.value())
        .collect();
    assert_eq!(replayed[1], b.value());
    // Written again, `b` is packed.
    let rv = b.rv;
    store
        .commit(vec![Write::Put {
            key: key("b"),
            object: labelled("b"),
            precondition: Precondition::Version(rv),
        }])
        .unwrap();
    drop(store);
    assert_eq!(row(&Connection::open(&path).unwrap(), "b")[0], 1);
}

/// The error of opening the database at `path` after `damage` (SQL) set a row's data to a later
/// build's packing.
fn open_after(path: &std::path::Path, damage: &str) -> String {
    let connection = Connection::open(path).unwrap();
    connection.execute(damage, []).unwrap();
    drop(connection);
    Store::open(path, StoreOptions::default())
        .err()
        .expect("the open is refused")
        .to_string()
}

#[test]
fn an_object_that_does_not_unpack_refuses_the_open_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_stored(&dir);
    let error = open_after(
        &path,
        "UPDATE objects SET data = x'0200000000' WHERE name = 'b'",
    );
    assert!(error.contains("g/things/ns/b"), "{error}");
    assert!(error.contains("unknown packing 2"), "{error}");
}

#[test]
fn a_change_in_the_log_that_does_not_unpack_refuses_the_open_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_stored(&dir);
    let store = open(&dir);
    let rv = store.get(&key("b")).unwrap().rv;
    let (object, precondition) = (labelled("b"), Precondition::Version(rv));
    store
        .commit(vec![Write::Put {
            key: key("b"),
            object,
            precondition,
        }])
        .unwrap();
    drop(store);
    // The change that created `b`: the history rebuilds it from the log, since `b` is no longer
    // at that version.
    let damage = format!("UPDATE events SET data = x'0200000000' WHERE rv = {rv}");
    let error = open_after(&path, &damage);
    assert!(error.contains("g/things/ns/b"), "{error}");
    assert!(error.contains("unknown packing 2"), "{error}");
}

#[test]
fn the_history_counts_a_packed_change_by_its_json_before_and_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    // Nothing held in memory but the newest change: a reopen reads the size of the others from
    // their stored bytes' head.
    let options = StoreOptions {
        held_bytes: 0,
        ..StoreOptions::default()
    };
    let store = Store::open(&path, options.clone()).unwrap();
    let mut json_len = 0;
    for name in ["a", "b"] {
        let (object, precondition) = (labelled(name), Precondition::Absent);
        let written = store
            .commit(vec![Write::Put {
                key: key(name),
                object,
                precondition,
            }])
            .unwrap();
        json_len += written[0].object.packed.json().len();
    }
    assert_eq!(store.history_size(), (2, json_len));
    drop(store);
    assert_eq!(
        Store::open(&path, options).unwrap().history_size(),
        (2, json_len)
    );
}
