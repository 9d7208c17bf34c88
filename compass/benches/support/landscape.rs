//! The landscape the operator and `compass up` benchmarks create: a namespace with its scenarios,
//! Applications and Runtimes spread over them, and how many of them are Ready.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
    core::DynamicObject,
    discovery::ApiResource,
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

/// How many of the namespace's Applications and Runtimes are Ready for their current generation.
pub async fn ready_count(client: &Client, namespace: &str) -> usize {
    let mut ready = 0;
    for plural in ["applications", "runtimes"] {
        let request = http::Request::get(format!(
            "/apis/compass.kyma-project.io/v1alpha1/namespaces/{namespace}/{plural}"
        ))
        .body(Vec::new())
        .unwrap();
        let list: Value =
            serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
        for item in list["items"].as_array().into_iter().flatten() {
            let generation = &item["metadata"]["generation"];
            let current = item["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| {
                    c["type"] == "Ready"
                        && c["status"] == "True"
                        && &c["observedGeneration"] == generation
                });
            ready += usize::from(current);
        }
    }
    ready
}
