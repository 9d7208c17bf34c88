//! The operator's Event recorder against a real control plane: distinct messages with the same
//! reason stay distinct Events, a repeated message is counted in its Event's series, and
//! `kubectl describe` shows both.

use compass_operator::controllers::events::{EventRecorder, EventType};
use compass_tests::TestServer;
use k8s_openapi::api::{core::v1::ConfigMap, events::v1::Event};
use kube::{Api, Resource, api::ListParams, api::PostParams};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_one_event_and_repeats_count_in_its_series() {
    let server = TestServer::start().await;
    let client = server.client().await;
    server.create_namespace("acme").await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "acme");
    let map: ConfigMap =
        serde_json::from_value(json!({ "metadata": { "name": "subject" } })).unwrap();
    let map = maps.create(&PostParams::default(), &map).await.unwrap();
    let regarding = map.object_ref(&());

    let recorder = EventRecorder::new(client.clone(), "compass-operator");
    for note in ["fetched orders", "fetched guide", "fetched orders"] {
        recorder
            .publish(&regarding, EventType::Normal, "SpecFetched", "Fetch", note)
            .await
            .unwrap();
    }

    let events: Api<Event> = Api::namespaced(client.clone(), "acme");
    let mut found: Vec<(String, i32)> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| {
            let count = e.series.map_or(1, |s| s.count);
            (e.note.unwrap_or_default(), count)
        })
        .collect();
    found.sort();
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
