//! Durability of the real `compass up` process: every write it acknowledged survives `kill -9`,
//! resourceVersions keep increasing after the restart, a watch from before the kill resumes after
//! the restart, and a data directory serves one process at a time.

use crate::compass_up;

use std::{
    collections::BTreeMap,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use compass_up::CompassUp;

use futures_util::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{
    Api, ResourceExt,
    api::{ListParams, ObjectMeta, Patch, PatchParams, PostParams, WatchEvent, WatchParams},
};
use tokio::sync::Notify;

/// How long the test waits for an effect of the process before it fails.
const DEADLINE: Duration = Duration::from_secs(20);
/// Writes acknowledged before the process is killed.
const ACKNOWLEDGED: usize = 200;
/// Writes in flight at once; several are cut off by the kill.
const CONCURRENCY: usize = 8;

fn config_map(index: usize) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(format!("cm-{index:04}")),
            ..Default::default()
        },
        data: Some([("index".to_owned(), index.to_string())].into()),
        ..Default::default()
    }
}

/// Sets the `index` entry of the ConfigMap `name` to `value`; the acknowledged object.
async fn set_index(maps: &Api<ConfigMap>, name: &str, value: &str) -> ConfigMap {
    let patch = serde_json::json!({ "data": { "index": value } });
    maps.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap()
}

fn rv_number(object: &impl ResourceExt) -> u64 {
    object.resource_version().unwrap().parse().unwrap()
}

/// Creates ConfigMaps as fast as the server takes them, recording each acknowledged one with its
/// resourceVersion, and notifies once [`ACKNOWLEDGED`] were. Returns the writes that failed before
/// `killed` was set: while the server is up, none may.
async fn create_until_killed(
    maps: Api<ConfigMap>,
    acknowledged: Arc<Mutex<BTreeMap<String, u64>>>,
    enough: Arc<Notify>,
    killed: Arc<AtomicBool>,
) -> Vec<String> {
    let mut failed_while_up = Vec::new();
    stream::iter(0..ACKNOWLEDGED * 10)
        .map(|index| {
            let maps = maps.clone();
            async move {
                maps.create(&PostParams::default(), &config_map(index))
                    .await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .for_each(|created| {
            match created {
                Ok(created) => {
                    let mut acknowledged = acknowledged.lock().unwrap();
                    acknowledged.insert(created.name_any(), rv_number(&created));
                    if acknowledged.len() == ACKNOWLEDGED {
                        enough.notify_one();
                    }
                }
                // Only the kill may cut a write off; the flag is set just before it.
                Err(error) if !killed.load(Ordering::SeqCst) => {
                    failed_while_up.push(error.to_string());
                }
                Err(_) => {}
            }
            std::future::ready(())
        })
        .await;
    failed_while_up
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_kill_9_and_later_writes_get_larger_resource_versions() {
    let data_dir = tempfile::tempdir().unwrap();
    let compass = CompassUp::start(data_dir.path(), &[]);
    let first_client = compass.client().await;
    let namespace: Namespace =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": "durable" } })).unwrap();
    Api::<Namespace>::all(first_client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();

    let maps: Api<ConfigMap> = Api::namespaced(first_client, "durable");
    let acknowledged = Arc::new(Mutex::new(BTreeMap::new()));
    let enough = Arc::new(Notify::new());
    let killed = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(create_until_killed(
        maps,
        acknowledged.clone(),
        enough.clone(),
        killed.clone(),
    ));
    let started = Instant::now();
    tokio::time::timeout(DEADLINE, enough.notified())
        .await
        .expect("the writes are acknowledged in time");
    killed.store(true, Ordering::SeqCst);
    compass.kill();
    let writes_took = started.elapsed();
    // Requests cut off by the kill fail, and are not acknowledged; no other write may fail.
    let failed_while_up = tokio::time::timeout(DEADLINE, writer)
        .await
        .expect("the writer gives up once the server is gone")
        .unwrap();
    assert!(
        failed_while_up.is_empty(),
        "writes failed while the server was up: {failed_while_up:?}"
    );
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= ACKNOWLEDGED);

    let restarted = Instant::now();
    let compass = CompassUp::start(data_dir.path(), &[]);
    let restart_took = restarted.elapsed();
    let maps: Api<ConfigMap> = Api::namespaced(compass.client().await, "durable");
    let stored: BTreeMap<String, ConfigMap> = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|map| (map.name_any(), map))
        .collect();
    for (name, rv) in &acknowledged {
        let map = stored
            .get(name)
            .unwrap_or_else(|| panic!("{name} was acknowledged but is gone"));
        assert_eq!(rv_number(map), *rv, "{name}");
        let index: usize = name.trim_start_matches("cm-").parse().unwrap();
        assert_eq!(map.data, config_map(index).data, "{name}");
    }

    let last = acknowledged.values().max().copied().unwrap();
    let newest = stored.values().map(rv_number).max().unwrap();
    let after = maps
        .create(&PostParams::default(), &config_map(ACKNOWLEDGED * 10))
        .await
        .unwrap();
    assert!(rv_number(&after) > last.max(newest));
    compass.kill();
    println!(
        "{} writes acknowledged in {writes_took:?} before kill -9; restart took {restart_took:?}",
        acknowledged.len()
    );
}

/// What a watch event says: its type, the object's name and resourceVersion.
type Change = (&'static str, String, u64);

/// The next `count` ADDED or MODIFIED events of `events`, failing the test on any other event, on
/// an error, or when they do not come within [`DEADLINE`].
async fn next_changes(
    events: &mut (impl futures_util::Stream<Item = kube::Result<WatchEvent<ConfigMap>>> + Unpin),
    count: usize,
) -> Vec<Change> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let event = tokio::time::timeout(DEADLINE, events.try_next())
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} arrived"))
            .unwrap()
            .expect("the watch stays open");
        seen.push(match event {
            WatchEvent::Added(map) => ("ADDED", map.name_any(), rv_number(&map)),
            WatchEvent::Modified(map) => ("MODIFIED", map.name_any(), rv_number(&map)),
            other => panic!("unexpected {other:?} after {seen:?}"),
        });
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_cut_by_kill_9_resumes_after_the_restart_from_the_last_resource_version_it_saw() {
    let data_dir = tempfile::tempdir().unwrap();
    let compass = CompassUp::start(data_dir.path(), &[]);
    let maps: Api<ConfigMap> = Api::namespaced(compass.client().await, "default");
    let created = maps
        .create(&PostParams::default(), &config_map(1))
        .await
        .unwrap();
    let params = WatchParams::default().disable_bookmarks();
    let from = created.resource_version().unwrap();
    let mut events = maps.watch(&params, &from).await.unwrap().boxed();
    let before_kill = set_index(&maps, "cm-0001", "before-kill").await;
    let seen = next_changes(&mut events, 1).await;
    assert_eq!(
        seen,
        [("MODIFIED", "cm-0001".to_owned(), rv_number(&before_kill))]
    );
    let last_seen = before_kill.resource_version().unwrap();

    compass.kill();
    let ended = tokio::time::timeout(DEADLINE, events.try_next()).await;
    assert!(
        matches!(ended, Ok(Ok(None) | Err(_))),
        "the watch ends with the process: {ended:?}"
    );

    let compass = CompassUp::start(data_dir.path(), &[]);
    let maps: Api<ConfigMap> = Api::namespaced(compass.client().await, "default");
    let after_restart = set_index(&maps, "cm-0001", "after-restart").await;
    let added = maps
        .create(&PostParams::default(), &config_map(2))
        .await
        .unwrap();
    // As kube-apiserver does within its watch window: the watcher resumes where it was cut off and
    // gets exactly the later changes, in order, with the resourceVersions their writes were
    // acknowledged with; no 410, so no relist.
    let mut events = maps.watch(&params, &last_seen).await.unwrap().boxed();
    let expected = [
        ("MODIFIED", "cm-0001".to_owned(), rv_number(&after_restart)),
        ("ADDED", "cm-0002".to_owned(), rv_number(&added)),
    ];
    assert_eq!(next_changes(&mut events, 2).await, expected);
    compass.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_compass_up_on_the_same_data_dir_fails_and_says_the_directory_is_in_use() {
    let data_dir = tempfile::tempdir().unwrap();
    let first = CompassUp::start(data_dir.path(), &[]);

    let mut second = compass_up::command(data_dir.path(), &[])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second compass up kept running on a data directory in use");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = second.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success());
    assert!(
        stderr.contains("is in use by another compass process")
            && stderr.contains(&data_dir.path().display().to_string()),
        "{stderr}"
    );
    let namespaces: Api<Namespace> = Api::all(first.client().await);
    namespaces
        .list(&ListParams::default())
        .await
        .expect("the first process still serves");
    first.kill();
}
