//! CEL rules within kube-apiserver's cost limits, through a real client: a CRD whose rule would
//! make 10^8 comparisons is refused when it is created; a rule within the estimate that the
//! object at hand makes too expensive is stopped with an error naming it; and a slow (but
//! allowed) validation holds up no other request, nor outlasts the write deadline.

use crate::test_server;

use std::time::Duration;

use k8s_openapi::{
    api::core::v1::ConfigMap,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::{ApiResource, DynamicObject, GroupVersionKind, PostParams},
};
use serde_json::{Value, json};
use test_server::TestServer;

/// A CRD `Pile` whose spec holds a list of at most `max_items` strings, with `rules` on the spec.
fn crd(max_items: u64, rules: &[String]) -> CustomResourceDefinition {
    let rules: Vec<Value> = rules.iter().map(|r| json!({ "rule": r })).collect();
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "piles.example.com" },
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "plural": "piles", "singular": "pile", "kind": "Pile", "listKind": "PileList" },
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": {
                    "type": "object",
                    "properties": { "spec": {
                        "type": "object",
                        "properties": { "items": {
                            "type": "array", "maxItems": max_items,
                            "items": { "type": "string", "maxLength": 64 },
                        }},
                        "x-kubernetes-validations": rules,
                    }},
                }},
            }],
        },
    }))
    .unwrap()
}

fn piles(client: Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("example.com", "v1", "Pile");
    Api::namespaced_with(client, "default", &ApiResource::from_gvk(&gvk))
}

fn pile(name: &str, count: usize) -> DynamicObject {
    pile_of(name, count, 60)
}

/// A Pile of `count` items of `length` characters.
fn pile_of(name: &str, count: usize, length: usize) -> DynamicObject {
    let items: Vec<String> = (0..count).map(|i| format!("{i:0length$}")).collect();
    serde_json::from_value(json!({
        "apiVersion": "example.com/v1",
        "kind": "Pile",
        "metadata": { "name": name },
        "spec": { "items": items },
    }))
    .unwrap()
}

/// Compares every pair of items.
const PAIRS: &str = "self.items.all(a, self.items.all(b, a == b || a != b))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_too_costly_for_its_schema_is_refused_and_one_too_costly_for_an_object_stops() {
    let server = TestServer::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(server.client().await);
    // 10,000 items: 10^8 comparisons.
    let refused = crds
        .create(&PostParams::default(), &crd(10_000, &[PAIRS.to_owned()]))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains(
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x"
        ),
        "{}",
        status.message
    );

    // 500 items: within the estimate, but over the per-call limit when the list is full.
    server
        .create_crds(vec![crd(500, &[PAIRS.to_owned()])])
        .await;
    let piles = piles(server.client().await);
    piles
        .create(&PostParams::default(), &pile("small", 20))
        .await
        .unwrap();
    let stopped = piles
        .create(&PostParams::default(), &pile("large", 500))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = stopped else {
        panic!("{stopped:?}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status
            .message
            .contains(&format!("call cost exceeds limit for rule: {PAIRS}")),
        "{}",
        status.message
    );
    assert!(piles.get_opt("large").await.unwrap().is_none());
    server.stop().await;
}

/// Twenty rules each over every pair of 200 items: within every limit, and slow.
fn slow_rules() -> Vec<String> {
    (0..20)
        .map(|i| format!("self.items.all(a, self.items.all(b, a.size() + b.size() >= {i}))"))
        .collect()
}

// One thread serves everything: a validation on it would hold up every other request.
#[tokio::test(flavor = "current_thread")]
async fn while_a_slow_validation_runs_reads_and_health_checks_are_answered() {
    // Items of 60 characters: a body of about 13 KB, prepared on a thread of its own.
    reads_are_answered_during_slow_writes(60).await;
}

// A small write is prepared on the thread serving it until its rules have run for the server's
// `prepare_here_for`, then handed to a thread of its own.
#[tokio::test(flavor = "current_thread")]
async fn while_a_slow_validation_of_a_small_write_runs_reads_and_health_checks_are_answered() {
    // Items of 20 characters: a body of about 5 KB.
    reads_are_answered_during_slow_writes(20).await;
}

/// Creates three Piles of 200 items of `item_length` characters under the slow rules, and
/// checks that a GET and a health check are answered while they are validated.
async fn reads_are_answered_during_slow_writes(item_length: usize) {
    let server = TestServer::start().await;
    server.create_crds(vec![crd(200, &slow_rules())]).await;
    let client = server.client().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut settings = ConfigMap::default();
    settings.metadata.name = Some("settings".into());
    maps.create(&PostParams::default(), &settings)
        .await
        .unwrap();

    let writes: Vec<_> = (0..3)
        .map(|i| {
            let piles = piles(client.clone());
            tokio::spawn(async move {
                piles
                    .create(
                        &PostParams::default(),
                        &pile_of(&format!("slow-{i}"), 200, item_length),
                    )
                    .await
            })
        })
        .collect();
    // A head start, not a wait for an effect: a validation in progress leaves no trace to wait
    // for. The writes, sent first on this one thread, are what the reads below must overtake.
    tokio::time::sleep(Duration::from_millis(100)).await;
    maps.get("settings").await.unwrap();
    let health = http::Request::get("/healthz").body(Vec::new()).unwrap();
    assert_eq!(client.request_text(health).await.unwrap(), "ok");
    assert!(
        writes.iter().any(|w| !w.is_finished()),
        "the reads were answered while the validations ran"
    );
    for write in writes {
        write
            .await
            .unwrap()
            .expect("a slow but allowed write is stored");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_outlasts_the_write_deadline_stores_nothing() {
    let server = TestServer::start().await;
    server.create_crds(vec![crd(200, &slow_rules())]).await;
    let dir = server.stop().await;
    // The same data, served with a deadline far shorter than the validation takes.
    let server = TestServer::start_configured(dir, |config| {
        config.server.write_timeout = Duration::from_millis(100);
    })
    .await;
    let piles = piles(server.client().await);
    let late = piles
        .create(&PostParams::default(), &pile("late", 200))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = late else {
        panic!("{late:?}")
    };
    // Invalid (not a 504, which clients retry): the same object would take as long again.
    assert_eq!(status.code, 422);
    assert!(
        status
            .message
            .contains("validation did not finish in the time the request had"),
        "{}",
        status.message
    );
    assert!(piles.get_opt("late").await.unwrap().is_none());
    server.stop().await;
}
