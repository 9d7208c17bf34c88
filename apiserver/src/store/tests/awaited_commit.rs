//! Commits awaited by tasks: they share groups with blocked threads, lose no update, and a task
//! that goes away while it waits neither loses its write nor stops the commits after it.

use std::time::Duration;

use serde_json::json;

use super::*;

/// Increments the counter object by compare-and-swap through `commit`, retrying on conflict;
/// the resourceVersion of the increment.
async fn increment<F, Fut>(store: &Arc<Store>, commit: F) -> u64
where
    F: Fn(Arc<Store>, Vec<Write>) -> Fut,
    Fut: Future<Output = Result<Vec<Arc<Event>>, CommitError>>,
{
    loop {
        match commit(store.clone(), vec![counter_incremented(store)]).await {
            Ok(events) => return events[0].rv,
            Err(CommitError::Conflict(_)) => continue,
            Err(other) => panic!("{other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_and_threads_committing_together_lose_no_update() {
    const EACH: usize = 4;
    const ROUNDS: u64 = 50;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    put(&store, "counter", Precondition::Absent).unwrap();
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..EACH {
        let awaiting = store.clone();
        callers.spawn(async move {
            let mut versions = Vec::new();
            for _ in 0..ROUNDS {
                let awaited = |s: Arc<Store>, w| async move { s.commit_async(w).await };
                versions.push(increment(&awaiting, awaited).await);
            }
            versions
        });
        let blocking = store.clone();
        callers.spawn_blocking(move || {
            let blocked = |s: Arc<Store>, w| std::future::ready(s.commit(w));
            let handle = tokio::runtime::Handle::current();
            (0..ROUNDS)
                .map(|_| handle.block_on(increment(&blocking, blocked)))
                .collect()
        });
    }
    let mut versions: Vec<u64> = callers.join_all().await.into_iter().flatten().collect();
    versions.sort();
    let expected: Vec<u64> = (2..=1 + 2 * EACH as u64 * ROUNDS).collect();
    assert_eq!(versions, expected, "each increment its own version");
    drop(store);
    let reopened = open(&dir);
    let counter = reopened.get(&key("counter")).unwrap().value();
    assert_eq!(counter["count"], json!(2 * EACH as u64 * ROUNDS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_gone_while_waiting_keeps_its_write_and_the_commits_after_it_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let write = |name: &str| Write::Put {
        key: key(name),
        object: json!({ "metadata": { "name": name } }),
        precondition: Precondition::Absent,
    };
    // The first caller leads and has taken its group; it waits for the objects while the test
    // queues behind it a task that then goes away, and a thread.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, holding) = std::sync::mpsc::channel();
    let holder = std::thread::spawn({
        let store = store.clone();
        move || {
            let _objects = store.lock();
            held.send(()).unwrap();
            let _ = released.recv();
        }
    });
    holding.recv().unwrap();
    let leader = std::thread::spawn({
        let store = store.clone();
        move || store.commit(vec![write("first")])
    });
    wait_until(|| store.led() && store.writes_waiting() == 0).await;
    let gone = tokio::spawn({
        let store = store.clone();
        async move { store.commit_async(vec![write("gone")]).await }
    });
    wait_until(|| store.writes_waiting() == 1).await;
    gone.abort();
    assert!(gone.await.unwrap_err().is_cancelled());
    let (answer, after) = std::sync::mpsc::channel();
    std::thread::spawn({
        let store = store.clone();
        move || answer.send(store.commit(vec![write("after")]))
    });
    wait_until(|| store.writes_waiting() == 2).await;
    drop(release);
    holder.join().unwrap();
    assert_eq!(leader.join().unwrap().unwrap()[0].rv, 1);
    let after = after
        .recv_timeout(Duration::from_secs(10))
        .expect("the thread queued after the task gone got the lead or its answer")
        .unwrap();
    assert!(store.get(&key("gone")).is_some(), "its write was queued");
    assert_eq!(after[0].rv, 3, "committed after the write of the task gone");
    let next = store.commit_async(vec![write("next")]).await.unwrap();
    assert_eq!(next[0].rv, 4, "the lead was given back");
}

async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the condition never held");
}
