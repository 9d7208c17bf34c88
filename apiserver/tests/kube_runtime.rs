//! kube-runtime against the embedded API server, the way controllers use kube-apiserver: watchers
//! with list-then-watch and with streaming lists, a reflector behind a label selector, recovery
//! from an expired resourceVersion, and the error statuses of optimistic concurrency.
//!
//! Only kube-rs talks to the server here; the reconcile loop itself is in `controller.rs`.

use crate::test_server;

use std::future::ready;

use compass_crds::Application;
use futures_util::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams, Preconditions, WatchParams},
    core::WatchEvent,
    runtime::{
        reflector,
        watcher::{self, Event, watcher},
    },
};
use serde_json::json;
use test_server::{DEADLINE, TestServer, eventually};

type Events<K> = std::pin::Pin<Box<dyn Stream<Item = Result<Event<K>, watcher::Error>> + Send>>;

fn application(name: &str, description: &str) -> Application {
    let spec = serde_json::from_value(json!({ "description": description })).unwrap();
    Application::new(name, spec)
}

fn config_map(name: &str, tier: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some([("tier".to_owned(), tier.to_owned())].into()),
            ..Default::default()
        },
        data: Some([("key".to_owned(), "value".to_owned())].into()),
        ..Default::default()
    }
}

/// A watcher event as a short line: the variant and the object's name (and, for Applications
/// applied after the initial list, the description).
fn describe(event: &Event<Application>) -> String {
    match event {
        Event::Init => "Init".to_owned(),
        Event::InitApply(app) => format!("InitApply {}", app.name_any()),
        Event::InitDone => "InitDone".to_owned(),
        Event::Apply(app) => format!(
            "Apply {}: {}",
            app.name_any(),
            app.spec.description.as_deref().unwrap_or_default()
        ),
        Event::Delete(app) => format!("Delete {}", app.name_any()),
    }
}

/// The next item of a watcher stream, failing the test if none comes within the deadline.
async fn next_item<K>(events: &mut Events<K>) -> Result<Event<K>, watcher::Error> {
    tokio::time::timeout(DEADLINE, events.next())
        .await
        .expect("the watcher yields within the deadline")
        .expect("the watcher stream does not end")
}

async fn next_event<K>(events: &mut Events<K>) -> Event<K> {
    next_item(events).await.expect("no watcher error")
}

async fn described(events: &mut Events<Application>, count: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(count);
    for _ in 0..count {
        lines.push(describe(&next_event(events).await));
    }
    lines
}

/// Existing Applications arrive as the initial list, then a create, an update and a delete.
async fn watcher_sees_the_lifecycle_of_applications(config: watcher::Config) {
    let server = TestServer::start().await;
    server.create_compass_crds().await;
    server.create_namespace("acme").await;
    let apps: Api<Application> = Api::namespaced(server.client().await, "acme");
    let post = PostParams::default();
    for name in ["alpha", "beta"] {
        apps.create(&post, &application(name, "existing"))
            .await
            .unwrap();
    }

    let mut events: Events<Application> = watcher(apps.clone(), config).boxed();
    assert_eq!(
        described(&mut events, 4).await,
        ["Init", "InitApply alpha", "InitApply beta", "InitDone"]
    );

    apps.create(&post, &application("gamma", "new"))
        .await
        .unwrap();
    assert_eq!(described(&mut events, 1).await, ["Apply gamma: new"]);
    let change = json!({ "spec": { "description": "changed" } });
    apps.patch("gamma", &PatchParams::default(), &Patch::Merge(&change))
        .await
        .unwrap();
    assert_eq!(described(&mut events, 1).await, ["Apply gamma: changed"]);
    apps.delete("gamma", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(described(&mut events, 1).await, ["Delete gamma"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_then_watch_watcher_sees_existing_applications_then_a_create_an_update_and_a_delete()
{
    watcher_sees_the_lifecycle_of_applications(watcher::Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_list_watcher_gets_the_initial_events_end_bookmark_and_then_every_change() {
    watcher_sees_the_lifecycle_of_applications(watcher::Config::default().streaming_lists()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_selected_reflector_drops_an_object_that_leaves_the_selection_and_readds_it() {
    let server = TestServer::start().await;
    server.create_namespace("shop").await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "shop");
    let post = PostParams::default();
    maps.create(&post, &config_map("picked", "frontend"))
        .await
        .unwrap();
    maps.create(&post, &config_map("ignored", "backend"))
        .await
        .unwrap();

    let (store, writer) = reflector::store::<ConfigMap>();
    let selected = watcher(
        maps.clone(),
        watcher::Config::default().labels("tier=frontend"),
    );
    let driver = tokio::spawn(reflector(writer, selected).for_each(|_| ready(())));
    tokio::time::timeout(DEADLINE, store.wait_until_ready())
        .await
        .expect("the store is ready in time")
        .unwrap();
    let names = || {
        let mut names: Vec<String> = store.state().iter().map(|cm| cm.name_any()).collect();
        names.sort();
        names
    };
    assert_eq!(names(), ["picked"]);

    let relabel = |tier: &str| json!({ "metadata": { "labels": { "tier": tier } } });
    let patch = PatchParams::default();
    maps.patch("picked", &patch, &Patch::Merge(relabel("backend")))
        .await
        .unwrap();
    eventually("picked to leave the store", || {
        ready(names().is_empty().then_some(()))
    })
    .await;

    maps.patch("picked", &patch, &Patch::Merge(relabel("frontend")))
        .await
        .unwrap();
    maps.patch("ignored", &patch, &Patch::Merge(relabel("frontend")))
        .await
        .unwrap();
    eventually("both to be in the store", || {
        ready((names() == ["ignored", "picked"]).then_some(()))
    })
    .await;
    let picked = store
        .get(&reflector::ObjectRef::new("picked").within("shop"))
        .unwrap();
    assert_eq!(picked.labels()["tier"], "frontend");
    driver.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_an_expired_resource_version_gets_an_in_stream_410_and_a_watcher_relists() {
    let server = TestServer::start_with(|config| config.store.retained_events = 10).await;
    server.create_namespace("busy").await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "busy");
    let post = PostParams::default();
    for i in 0..30 {
        maps.create(&post, &config_map(&format!("cm-{i:02}"), "any"))
            .await
            .unwrap();
    }

    // Answered with HTTP 200: an HTTP 410 would fail `watch` itself.
    let mut stream = maps
        .watch(&WatchParams::default().timeout(10), "1")
        .await
        .expect("the watch is accepted with HTTP 200")
        .boxed();
    let first = tokio::time::timeout(DEADLINE, stream.try_next())
        .await
        .expect("an event in time")
        .unwrap();
    match first {
        Some(WatchEvent::Error(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected an ERROR event, got {other:?}"),
    }

    let mut events: Events<ConfigMap> = watcher(maps.clone(), watcher::Config::default()).boxed();
    let initial = initial_list(&mut events).await;
    assert_eq!(initial, 30);
    // The watcher starts its watch from the list's resourceVersion on the next poll; by then more
    // changes than the server retains have happened.
    for i in 30..45 {
        maps.create(&post, &config_map(&format!("cm-{i:02}"), "any"))
            .await
            .unwrap();
    }
    match next_item(&mut events).await {
        Err(watcher::Error::WatchError(status)) => assert_eq!(status.code, 410),
        other => panic!("expected a 410 watch error, got {other:?}"),
    }
    assert_eq!(initial_list(&mut events).await, 45, "the watcher relists");
    server.stop().await;
}

/// Reads Init, the InitApply events and InitDone; returns how many objects were listed.
async fn initial_list<K: Resource>(events: &mut Events<K>) -> usize {
    assert!(matches!(next_event(events).await, Event::Init));
    let mut listed = 0;
    loop {
        match next_event(events).await {
            Event::InitApply(_) => listed += 1,
            Event::InitDone => return listed,
            _ => panic!("only InitApply and InitDone belong to an initial list"),
        }
    }
}

/// The status code and reason of a failed call.
fn failure<T: std::fmt::Debug>(result: kube::Result<T>) -> (u16, String) {
    match result {
        Err(kube::Error::Api(status)) => (status.code, status.reason.clone()),
        other => panic!("expected an API error status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_writes_duplicates_missing_objects_and_failed_patch_tests_get_kube_apiserver_statuses()
 {
    let server = TestServer::start().await;
    server.create_namespace("occ").await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "occ");
    let post = PostParams::default();
    let created = maps
        .create(&post, &config_map("settings", "any"))
        .await
        .unwrap();
    let change = json!({ "data": { "key": "changed" } });
    let changed = maps
        .patch("settings", &PatchParams::default(), &Patch::Merge(&change))
        .await
        .unwrap();
    assert_ne!(created.resource_version(), changed.resource_version());

    let replaced = maps.replace("settings", &post, &created).await;
    assert_eq!(failure(replaced), (409, "Conflict".to_owned()));
    let stale_delete = DeleteParams {
        preconditions: Some(Preconditions {
            resource_version: created.resource_version(),
            uid: None,
        }),
        ..DeleteParams::default()
    };
    let deleted = maps.delete("settings", &stale_delete).await;
    assert_eq!(failure(deleted), (409, "Conflict".to_owned()));

    let again = maps.create(&post, &config_map("settings", "any")).await;
    assert_eq!(failure(again), (409, "AlreadyExists".to_owned()));
    let missing = maps.delete("missing", &DeleteParams::default()).await;
    assert_eq!(failure(missing), (404, "NotFound".to_owned()));

    let failing_test = Patch::Json::<()>(
        serde_json::from_value(json!([
            { "op": "test", "path": "/data/key", "value": "not the value" },
            { "op": "replace", "path": "/data/key", "value": "never written" },
        ]))
        .unwrap(),
    );
    let patched = maps
        .patch("settings", &PatchParams::default(), &failing_test)
        .await;
    assert_eq!(failure(patched), (422, "Invalid".to_owned()));
    let current = maps.get("settings").await.unwrap();
    assert_eq!(current.resource_version(), changed.resource_version());
    server.stop().await;
}
