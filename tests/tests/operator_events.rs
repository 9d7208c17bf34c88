//! The operator's Event recorder against a real control plane: distinct messages with the same
//! reason stay distinct Events, a repeated message is counted in its Event's series, and
//! `kubectl describe` shows both; the background queue the controllers publish through keeps
//! each object's Events in order, so queued repeats count in one series too.

use std::sync::Arc;

use compass_operator::{
    controllers::{
        event_queue::EventQueue,
        events::{EventRecorder, EventType},
    },
    metrics::Metrics,
};
use compass_tests::{TestServer, eventually};
use k8s_openapi::api::{
    core::v1::{ConfigMap, ObjectReference},
    events::v1::Event,
};
use kube::{Api, Client, Resource, api::ListParams, api::PostParams};
use serde_json::json;

/// The notes of the Events in `namespace`, each with its series count, sorted.
async fn notes_counted(client: &Client, namespace: &str) -> Vec<(String, i32)> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let mut found: Vec<(String, i32)> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.note.unwrap_or_default(), e.series.map_or(1, |s| s.count)))
        .collect();
    found.sort();
    found
}

/// A ConfigMap named `name` in `namespace`, made to carry Events, as a reference.
async fn subject(client: &Client, namespace: &str, name: &str) -> ObjectReference {
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let map: ConfigMap = serde_json::from_value(json!({ "metadata": { "name": name } })).unwrap();
    let map = maps.create(&PostParams::default(), &map).await.unwrap();
    map.object_ref(&())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_one_event_and_repeats_count_in_its_series() {
    let server = TestServer::start().await;
    let client = server.client().await;
    server.create_namespace("acme").await;
    let regarding = subject(&client, "acme", "subject").await;

    let recorder = EventRecorder::new(client.clone(), "compass-operator");
    for note in ["fetched orders", "fetched guide", "fetched orders"] {
        recorder
            .publish(&regarding, EventType::Normal, "SpecFetched", "Fetch", note)
            .await
            .unwrap();
    }

    let found = notes_counted(&client, "acme").await;
    assert_eq!(
        found,
        vec![
            ("fetched guide".to_owned(), 1),
            ("fetched orders".to_owned(), 2)
        ]
    );

    let described = server.kubectl_ok(&["describe", "configmap", "subject", "-n", "acme"]);
    assert!(described.contains("fetched guide"), "{described}");
    assert!(described.contains("(x2 over"), "{described}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_events_are_published_in_order_for_each_object() {
    let server = TestServer::start().await;
    let client = server.client().await;
    server.create_namespace("queued").await;
    let mut subjects = Vec::new();
    for name in ["first", "second", "third"] {
        subjects.push(subject(&client, "queued", name).await);
    }
    let metrics = Arc::new(Metrics::default());
    let queue = EventQueue::start(
        EventRecorder::new(client.clone(), "compass-operator"),
        metrics.clone(),
    );
    // Queued at once, as a burst of reconciles would: each object's repeats must find the Event
    // of its first occurrence, so they can only count right if each object's go in order.
    for _ in 0..3 {
        for subject in &subjects {
            let note = format!("{} is ready", subject.name.clone().unwrap_or_default());
            queue.publish(
                subject.clone(),
                EventType::Normal,
                "Ready",
                "Reconcile",
                note,
            );
        }
    }
    let found = eventually("every queued Event is published", || async {
        let found = notes_counted(&client, "queued").await;
        (found.iter().all(|(_, count)| *count == 3) && found.len() == 3).then_some(found)
    })
    .await;
    assert_eq!(found[0].0, "first is ready");
    let rendered = metrics.render();
    assert!(
        rendered.contains("compass_controller_events_dropped_total 0"),
        "{rendered}"
    );
    server.stop().await;
}
