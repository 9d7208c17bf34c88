//! Group commit: callers writing at the same time share a transaction, and are checked and
//! answered as if they had written one after another.

use serde_json::json;

use super::*;

#[test]
fn writes_queued_together_commit_as_one_group_checked_one_caller_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let held = store.database();
    let callers: Vec<_> = ["x", "x", "y"]
        .into_iter()
        .map(|name| {
            let store = store.clone();
            std::thread::spawn(move || put(&store, name, Precondition::Absent))
        })
        .collect();
    while store.queue().waiting.len() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(held);
    let outcomes: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(CommitError::AlreadyExists(k)) if k.name == "x"))
        .count();
    assert_eq!(
        refused, 1,
        "the second create of x sees the first: {outcomes:?}"
    );
    let mut versions: Vec<u64> = outcomes.iter().flatten().flatten().map(|e| e.rv).collect();
    versions.sort();
    assert_eq!(
        versions,
        vec![1, 2],
        "the refused write takes no resourceVersion"
    );
    assert_eq!(store.current_rv(), 2);
    drop(store);
    let reopened = open(&dir);
    assert!(reopened.get(&key("x")).is_some() && reopened.get(&key("y")).is_some());
}

#[test]
fn concurrent_writers_lose_no_update_and_every_acknowledged_write_survives_a_reopen() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    put(&store, "counter", Precondition::Absent).unwrap();
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for round in 0..ROUNDS {
                    let own = put(&store, &format!("t{t}-{round}"), Precondition::Absent);
                    acknowledged.push(own.unwrap()[0].rv);
                    // Increment the shared counter, compare-and-swap, retrying on conflict.
                    loop {
                        match store.commit(vec![counter_incremented(&store)]) {
                            Ok(events) => break acknowledged.push(events[0].rv),
                            Err(CommitError::Conflict(_)) => continue,
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                acknowledged
            })
        })
        .collect();
    let mut versions: Vec<u64> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    versions.sort();
    let expected: Vec<u64> = (2..=(1 + 2 * THREADS * ROUNDS) as u64).collect();
    assert_eq!(
        versions, expected,
        "each acknowledged write has its own version, none skipped"
    );
    let replay = events_after(&store, 1).unwrap();
    let replayed: Vec<u64> = replay.iter().map(|e| e.rv).collect();
    assert_eq!(
        replayed, expected,
        "watches see every change once, in order"
    );
    drop(store);
    let reopened = open(&dir);
    let counter = reopened.get(&key("counter")).unwrap().value();
    assert_eq!(
        counter["count"],
        json!(THREADS * ROUNDS),
        "no increment lost"
    );
    for t in 0..THREADS {
        for round in 0..ROUNDS {
            assert!(reopened.get(&key(&format!("t{t}-{round}"))).is_some());
        }
    }
    assert_eq!(reopened.current_rv(), *expected.last().unwrap());
}
