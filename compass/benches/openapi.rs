//! Benchmark of the control plane's OpenAPI v3 documents, the ones `kubectl apply` and `kubectl
//! explain` read, through the server's own door: an in-process control plane serving the
//! product's CRDs, each in a second version too (as during a version migration). It measures
//! fetching the index and every group-version document, and how long a CRD change takes to show
//! as a new document hash in the index (what kubectl waits for before it sees the new schema).
//!
//! Run with `cargo bench -p compass --bench openapi` (`COMPASS_BENCH_RUNS` changes how many
//! changes are timed). The figures are also written as JSON.

use std::time::{Duration, Instant};

use compass_apiserver::{Config, ControlPlane};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api, Client,
    api::{PostParams, ResourceExt},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::{Value, json};

mod support;

use support::write_json;

/// The group-version of the Application CRD's stored version, as the index names it.
const COMPASS_V1ALPHA1: &str = "apis/compass.kyma-project.io/v1alpha1";

/// `GET path` as the admin; the body as JSON.
async fn get(client: &Client, path: &str) -> Value {
    let request = http::Request::get(path)
        .body(Vec::new())
        .expect("a request");
    let text = client
        .request_text(request)
        .await
        .expect("the server answers");
    serde_json::from_str(&text).expect("JSON")
}

/// The URL (with its hash) the index gives for `group_version`.
fn document_url(index: &Value, group_version: &str) -> String {
    index["paths"][group_version]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("the index names no {group_version}: {index}"))
        .to_owned()
}

/// Every Compass CRD with a second served version, `v1beta1`, beside its stored one.
fn crds_in_two_versions() -> Vec<CustomResourceDefinition> {
    compass_crds::all_crds()
        .into_iter()
        .map(|mut crd| {
            let mut second = crd.spec.versions[0].clone();
            second.name = "v1beta1".into();
            second.storage = false;
            crd.spec.versions.push(second);
            crd
        })
        .collect()
}

/// Creates `crds` and waits until each is Established.
async fn install(client: &Client, crds: &[CustomResourceDefinition]) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crds {
        api.create(&PostParams::default(), crd)
            .await
            .expect("the CRD is created");
    }
    for crd in crds {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = api.get(&crd.name_any()).await.expect("the CRD exists");
            let conditions = found.status.and_then(|s| s.conditions).unwrap_or_default();
            if conditions
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} is not Established",
                crd.name_any()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Changes the description of the Application CRD's stored version to `text`.
async fn describe_applications(client: &Client, text: &str) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut crd = api
        .get("applications.compass.kyma-project.io")
        .await
        .expect("the Application CRD exists");
    let schema = crd.spec.versions[0]
        .schema
        .as_mut()
        .and_then(|s| s.open_api_v3_schema.as_mut())
        .expect("a schema");
    schema.description = Some(text.to_owned());
    api.replace(&crd.name_any(), &PostParams::default(), &crd)
        .await
        .expect("the CRD is replaced");
}

/// The median and the largest of `times`.
fn median_and_max(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("COMPASS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .max(1);
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let address = "127.0.0.1:0".parse().expect("an address");
    let control_plane = ControlPlane::start(Config::new(data_dir.path(), address))
        .await
        .expect("the control plane starts");
    let kubeconfig = Kubeconfig::read_from(&control_plane.kubeconfig).expect("a kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("a valid kubeconfig");
    let client = Client::try_from(config).expect("a client");
    let crds = crds_in_two_versions();
    install(&client, &crds).await;

    let started = Instant::now();
    let index = get(&client, "/openapi/v3").await;
    let index_took = started.elapsed();
    let paths: Vec<String> = index["paths"]
        .as_object()
        .expect("paths")
        .values()
        .filter_map(|p| p["serverRelativeURL"].as_str().map(str::to_owned))
        .collect();
    let started = Instant::now();
    let mut bytes = 0;
    for path in &paths {
        bytes += get(&client, path).await.to_string().len();
    }
    let documents_took = started.elapsed();

    // Each change is timed until the index names a new document for its group-version.
    let mut updates = Vec::new();
    let mut current = document_url(&index, COMPASS_V1ALPHA1);
    for run in 0..runs {
        let started = Instant::now();
        describe_applications(&client, &format!("Applications, revision {run}")).await;
        loop {
            let url = document_url(&get(&client, "/openapi/v3").await, COMPASS_V1ALPHA1);
            if url != current {
                current = url;
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the index never changed"
            );
        }
        updates.push(started.elapsed());
    }
    let (median, max) = median_and_max(updates);
    control_plane.shutdown().await;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} CRDs in two versions, {} documents, {bytes} bytes\n\
         index: {index_took:?}; every document: {documents_took:?}\n\
         a CRD change until the index names the new document: median {median:?}, max {max:?} \
         ({runs} changes)",
        crds.len(),
        paths.len(),
    );
    write_json(
        "openapi",
        &json!({
            "crds": crds.len(),
            "documents": paths.len(),
            "bytes": bytes,
            "index_ms": ms(index_took),
            "all_documents_ms": ms(documents_took),
            "crd_change_to_new_document_median_ms": ms(median),
            "crd_change_to_new_document_max_ms": ms(max),
        }),
    );
}
