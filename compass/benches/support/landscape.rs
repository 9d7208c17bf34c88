//! The landscape the operator and `compass up` benchmarks create: a namespace with its scenarios,
//! Applications and Runtimes spread over them, and how many of them are Ready.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams, PostParams},
    core::DynamicObject,
    discovery::ApiResource,
    runtime::{WatchStreamExt, watcher},
};
use serde_json::{Value, json};

use super::CONCURRENCY;

/// Scenarios the objects are spread over: each runtime sees a tenth of the applications.
pub const SCENARIOS: usize = 10;

/// How many Applications and Runtimes the landscape holds: `COMPASS_BENCH_APPLICATIONS` and
/// `COMPASS_BENCH_RUNTIMES`, 10,000 and 1,000 unless set.
pub fn landscape_size() -> (usize, usize) {
    let count = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (
        count("COMPASS_BENCH_APPLICATIONS", 10_000),
        count("COMPASS_BENCH_RUNTIMES", 1_000),
    )
}

pub fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "compass.kyma-project.io".into(),
        version: "v1alpha1".into(),
        api_version: compass_crds::API_VERSION.into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn application(i: usize) -> Value {
    json!({
        "apiVersion": compass_crds::API_VERSION, "kind": "Application",
        "metadata": { "name": format!("app-{i:05}") },
        "spec": {
            "providerName": "Bench Corp",
            "description": format!("Benchmark application {i}."),
            "labels": { "tier": i % 3 },
            "scenarios": [format!("scenario-{}", i % SCENARIOS)],
            "apiDefinitions": [{
                "name": "orders", "targetURL": format!("https://app-{i}.bench.example/orders"),
                "spec": { "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0\n" },
            }],
        },
    })
}

fn runtime(i: usize) -> Value {
    json!({
        "apiVersion": compass_crds::API_VERSION, "kind": "Runtime",
        "metadata": { "name": format!("rt-{i:04}") },
        "spec": { "description": format!("Benchmark runtime {i}."), "scenarios": [format!("scenario-{}", i % SCENARIOS)] },
    })
}

/// Creates the namespace and its scenarios (untimed); either may exist already (a tenant's
/// namespace, its `DEFAULT` scenario).
pub async fn prepare_namespace(client: &Client, namespace: &str) {
    let namespaces: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&()),
    );
    let ns = serde_json::from_value(
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace } }),
    )
    .unwrap();
    created_unless_there(namespaces.create(&PostParams::default(), &ns).await);
    let scenarios: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &resource("Scenario", "scenarios"),
    );
    for name in (0..SCENARIOS)
        .map(|s| format!("scenario-{s}"))
        .chain(["default".to_owned()])
    {
        let mut scenario = json!({ "apiVersion": compass_crds::API_VERSION, "kind": "Scenario", "metadata": { "name": name }, "spec": {} });
        if name == "default" {
            scenario["spec"] = json!({ "name": "DEFAULT" });
        }
        let scenario = serde_json::from_value(scenario).unwrap();
        created_unless_there(scenarios.create(&PostParams::default(), &scenario).await);
    }
}

fn created_unless_there(created: kube::Result<DynamicObject>) {
    match created {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("creating failed: {error}"),
    }
}

/// What the bench does after creating each object.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AfterCreate {
    /// Nothing: a controller is to make it Ready.
    Nothing,
    /// Writes its `Ready` status itself (server-side apply of the status subresource), as an
    /// operator with nothing to compute would: the floor an operator is measured against.
    WriteReady,
}

/// Creates every object, `CONCURRENCY` at a time (each followed by `after`); returns how long
/// that took.
pub async fn create_objects(
    client: &Client,
    namespace: &str,
    applications: usize,
    runtimes: usize,
    after: AfterCreate,
) -> Duration {
    let apps: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &resource("Application", "applications"),
    );
    let rts: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &resource("Runtime", "runtimes"));
    let started = Instant::now();
    let objects = (0..runtimes)
        .map(|i| (true, i))
        .chain((0..applications).map(|i| (false, i)));
    stream::iter(objects)
        .for_each_concurrent(CONCURRENCY, |(is_runtime, i)| {
            let (api, object) = if is_runtime {
                (rts.clone(), runtime(i))
            } else {
                (apps.clone(), application(i))
            };
            async move {
                let created = api
                    .create(
                        &PostParams::default(),
                        &serde_json::from_value(object).unwrap(),
                    )
                    .await
                    .unwrap();
                if after == AfterCreate::WriteReady {
                    let name = created.metadata.name.unwrap();
                    let kind = if is_runtime { "Runtime" } else { "Application" };
                    let status = ready_status(kind, i);
                    let apply = PatchParams::apply("bench").force();
                    api.patch_status(&name, &apply, &Patch::Apply(&status))
                        .await
                        .unwrap();
                }
            }
        })
        .await;
    started.elapsed()
}

/// The `Ready` status an operator writes for the `i`th object of `kind`.
fn ready_status(kind: &str, i: usize) -> Value {
    json!({
        "apiVersion": compass_crds::API_VERSION, "kind": kind,
        "status": {
            "observedGeneration": 1,
            "conditions": [{
                "type": "Ready", "status": "True", "reason": "Bench",
                "message": "written by the bench", "observedGeneration": 1,
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }],
            "scenarios": [format!("scenario-{}", i % SCENARIOS)],
        },
    })
}

/// Counts the namespace's Applications and Runtimes that are Ready for their current generation,
/// from watches of both kinds: waiting for a large landscape must not load the server with a
/// full list per check (a list of 55,000 objects takes seconds to send and decode).
pub struct ReadyWatch {
    ready: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ReadyWatch {
    /// Starts watching `namespace`.
    pub fn start(client: &Client, namespace: &str) -> Self {
        let ready = Arc::new(AtomicUsize::new(0));
        let tasks = [("Application", "applications"), ("Runtime", "runtimes")]
            .into_iter()
            .map(|(kind, plural)| {
                let api = Api::namespaced_with(client.clone(), namespace, &resource(kind, plural));
                tokio::spawn(count_ready(api, ready.clone()))
            })
            .collect();
        Self { ready, tasks }
    }

    /// Waits until `total` objects are Ready, at most `limit`; returns whether they are.
    pub async fn wait_for(&self, total: usize, limit: Duration) -> bool {
        let started = Instant::now();
        while self.ready.load(Ordering::Relaxed) < total {
            if started.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        true
    }
}

impl Drop for ReadyWatch {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|task| task.abort());
    }
}

/// Keeps `ready` counting the objects of `api` that are Ready for their current generation.
async fn count_ready(api: Api<DynamicObject>, ready: Arc<AtomicUsize>) {
    let mut states: HashMap<String, bool> = HashMap::new();
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    while let Some(event) = events.next().await {
        let (name, now) = match event {
            Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => {
                (object.name_any(), is_ready(&object))
            }
            Ok(watcher::Event::Delete(object)) => (object.name_any(), false),
            _ => continue,
        };
        match (states.insert(name, now).unwrap_or(false), now) {
            (false, true) => ready.fetch_add(1, Ordering::Relaxed),
            (true, false) => ready.fetch_sub(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

/// Whether `object` has `Ready=True` for its current generation.
fn is_ready(object: &DynamicObject) -> bool {
    let generation = object.metadata.generation;
    object.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| {
            c["type"] == "Ready"
                && c["status"] == "True"
                && c["observedGeneration"].as_i64() == generation
        })
}

/// The number of Events in `namespace` once it stopped growing for two seconds (at most two
/// minutes), and when it last grew.
pub async fn events_settled(client: &Client, namespace: &str) -> (u64, Instant) {
    let count = || async {
        let path = format!("/apis/events.k8s.io/v1/namespaces/{namespace}/events?limit=1");
        let request = http::Request::get(path).body(Vec::new()).unwrap();
        let list: Value =
            serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
        let listed = list["items"].as_array().map_or(0, Vec::len) as u64;
        listed + list["metadata"]["remainingItemCount"].as_u64().unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seen, mut grew) = (count().await, Instant::now());
    while grew.elapsed() < Duration::from_secs(2) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = count().await;
        if now != seen {
            (seen, grew) = (now, Instant::now());
        }
    }
    (seen, grew)
}
