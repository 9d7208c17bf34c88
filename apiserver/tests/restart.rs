//! Restarting the embedded API server on the same data directory: objects stay, resourceVersions
//! keep increasing, and a watch resumes from a resourceVersion recorded before the restart with
//! exactly the changes made after it.

use crate::test_server;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{
    Api, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams, WatchParams},
    core::WatchEvent,
};
use serde_json::json;
use test_server::{DEADLINE, TestServer};

fn config_map(name: &str, value: &str) -> ConfigMap {
    labelled(name, value, "any")
}

fn labelled(name: &str, value: &str, tier: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some([("tier".to_owned(), tier.to_owned())].into()),
            ..Default::default()
        },
        data: Some([("value".to_owned(), value.to_owned())].into()),
        ..Default::default()
    }
}

fn rv_number(object: &impl ResourceExt) -> u64 {
    object.resource_version().unwrap().parse().unwrap()
}

async fn set_value(maps: &Api<ConfigMap>, name: &str, value: &str) -> ConfigMap {
    let change = json!({ "data": { "value": value } });
    maps.patch(name, &PatchParams::default(), &Patch::Merge(&change))
        .await
        .unwrap()
}

/// A watch event as `TYPE name=value`, with its resourceVersion.
fn describe(event: WatchEvent<ConfigMap>) -> Option<(String, u64)> {
    let (type_, map) = match event {
        WatchEvent::Added(map) => ("ADDED", map),
        WatchEvent::Modified(map) => ("MODIFIED", map),
        WatchEvent::Deleted(map) => ("DELETED", map),
        WatchEvent::Bookmark(_) => return None,
        WatchEvent::Error(status) => panic!("the watch failed: {status:?}"),
    };
    let value = &map.data.as_ref().unwrap()["value"];
    Some((
        format!("{type_} {}={value}", map.name_any()),
        rv_number(&map),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumes_across_a_restart_with_exactly_the_changes_after_its_resource_version() {
    let server = TestServer::start().await;
    server.create_namespace("durable").await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "durable");
    let post = PostParams::default();
    for name in ["a", "b", "c"] {
        maps.create(&post, &config_map(name, "1")).await.unwrap();
    }
    let recorded = maps.list(&ListParams::default()).await.unwrap();
    let recorded = recorded.metadata.resource_version.unwrap();

    // After the recorded resourceVersion, before the restart.
    set_value(&maps, "a", "2").await;
    maps.delete("b", &DeleteParams::default()).await.unwrap();
    let last_before = maps.create(&post, &config_map("d", "1")).await.unwrap();

    let server = TestServer::start_in(server.stop().await).await;
    let client = server.client().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "durable");
    let namespaces: Api<Namespace> = Api::all(client);
    assert!(namespaces.get_opt("durable").await.unwrap().is_some());
    let listed = maps.list(&ListParams::default()).await.unwrap();
    let contents: Vec<String> = listed
        .items
        .iter()
        .map(|map| format!("{}={}", map.name_any(), map.data.as_ref().unwrap()["value"]))
        .collect();
    assert_eq!(contents, ["a=2", "c=1", "d=1"]);
    let listed_rv: u64 = listed.metadata.resource_version.unwrap().parse().unwrap();
    assert!(listed_rv >= rv_number(&last_before));

    // After the restart.
    let created = maps.create(&post, &config_map("e", "1")).await.unwrap();
    assert!(rv_number(&created) > rv_number(&last_before));
    let updated = set_value(&maps, "c", "2").await;
    assert!(rv_number(&updated) > rv_number(&created));

    let mut events = maps
        .watch(&WatchParams::default(), &recorded)
        .await
        .unwrap()
        .boxed();
    let seen = next_changes(&mut events, 5).await;
    let recorded: u64 = recorded.parse().unwrap();
    assert!(seen.iter().all(|(_, rv)| *rv > recorded));
    assert!(seen.windows(2).all(|pair| pair[0].1 < pair[1].1));
    let lines: Vec<&str> = seen.iter().map(|(line, _)| line.as_str()).collect();
    assert_eq!(
        lines,
        [
            "MODIFIED a=2",
            "DELETED b=1",
            "ADDED d=1",
            "ADDED e=1",
            "MODIFIED c=2"
        ]
    );

    // Nothing else was replayed: the next event is a new change.
    maps.create(&post, &config_map("sentinel", "1"))
        .await
        .unwrap();
    assert_eq!(next_changes(&mut events, 1).await[0].0, "ADDED sentinel=1");
    server.stop().await;
}

type Events = futures_util::stream::BoxStream<'static, kube::Result<WatchEvent<ConfigMap>>>;

/// The next `count` changes of a watch (bookmarks skipped), described, with their
/// resourceVersions.
async fn next_changes(events: &mut Events, count: usize) -> Vec<(String, u64)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let event = tokio::time::timeout(DEADLINE, events.try_next())
            .await
            .expect("the change arrives in time")
            .unwrap()
            .expect("the watch stays open");
        seen.extend(describe(event));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_selected_watch_resumed_after_a_restart_sees_objects_leave_and_enter_its_selection()
{
    let server = TestServer::start().await;
    server.create_namespace("durable").await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "durable");
    let post = PostParams::default();
    for name in ["leaving", "staying"] {
        maps.create(&post, &labelled(name, "1", "front"))
            .await
            .unwrap();
    }
    let recorded = maps.list(&ListParams::default()).await.unwrap();
    let recorded = recorded.metadata.resource_version.unwrap();

    let relabel = |tier: &str| Patch::Merge(json!({ "metadata": { "labels": { "tier": tier } } }));
    let patch = PatchParams::default();
    maps.patch("leaving", &patch, &relabel("back"))
        .await
        .unwrap();
    set_value(&maps, "staying", "2").await;
    maps.create(&post, &labelled("entering", "1", "back"))
        .await
        .unwrap();
    maps.patch("entering", &patch, &relabel("front"))
        .await
        .unwrap();

    let server = TestServer::start_in(server.stop().await).await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "durable");
    let selected = WatchParams::default().labels("tier=front");
    let mut events = maps.watch(&selected, &recorded).await.unwrap().boxed();
    let lines: Vec<String> = next_changes(&mut events, 3)
        .await
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(
        lines,
        [
            "DELETED leaving=1",
            "MODIFIED staying=2",
            "ADDED entering=1"
        ]
    );
    maps.create(&post, &labelled("sentinel", "1", "front"))
        .await
        .unwrap();
    assert_eq!(next_changes(&mut events, 1).await[0].0, "ADDED sentinel=1");
    server.stop().await;
}
