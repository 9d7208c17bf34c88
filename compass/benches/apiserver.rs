//! Benchmark of the embedded control plane, driven the way the product drives it: the release
//! `compass up` binary in its own process, a kube-rs client over HTTPS, realistic Application
//! objects validated against the real CRD (schema and CEL rules).
//!
//! Prints throughput and latency of create, update, get, list and watch delivery with 10,000
//! objects, the server's memory, and cold-start times. Run with
//! `cargo bench -p compass --bench apiserver` (`COMPASS_BENCH_OBJECTS` changes the count).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use compass_crds::Application;
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api,
    api::{ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams},
};
use serde_json::json;

mod support;

use support::{
    CONCURRENCY, Figures, Server, application, measure, measure_at, measure_on, quantiles,
    write_json,
};

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("COMPASS_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!(
        "embedded control plane benchmark: {n} Applications, {CONCURRENCY} concurrent requests, HTTPS\n"
    );
    // Without controllers: this measures the API server alone.
    let (server, cold) = Server::start(tempfile::tempdir().unwrap(), &["--no-controllers"]);
    println!(
        "{:<28} {:>8.0} ms",
        "cold start (empty)",
        cold.as_secs_f64() * 1e3
    );
    let client = server.client().await;
    // The server's CPU time per write is what bounds the rate on a machine whose cores the
    // bench client shares, and it moves less from run to run than the rate does.
    let pid = server.pid();

    // `compass up` installed the CRDs.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({ "metadata": { "name": "bench" } })).unwrap(),
        )
        .await
        .unwrap();
    let apps: Api<Application> = Api::namespaced(client.clone(), "bench");

    // Watch delivery: time from a create's response to its ADDED event arriving.
    let created_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let delivered: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let watch_start = apps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let watcher = {
        let apps = apps.clone();
        let created_at = created_at.clone();
        let delivered = delivered.clone();
        tokio::spawn(async move {
            let mut events = apps
                .watch(&WatchParams::default().timeout(290), &watch_start)
                .await
                .unwrap()
                .boxed();
            let mut seen = 0;
            while let Some(event) = events.try_next().await.unwrap() {
                if let WatchEvent::Added(app) = event {
                    let arrived = Instant::now();
                    let name = app.metadata.name.unwrap();
                    // The response may be processed after the event arrives; wait for it briefly.
                    let mut sent = None;
                    for _ in 0..1000 {
                        sent = created_at.lock().unwrap().get(&name).copied();
                        if sent.is_some() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    if let Some(sent) = sent {
                        delivered
                            .lock()
                            .unwrap()
                            .push(arrived.saturating_duration_since(sent));
                    }
                    seen += 1;
                    if seen == n {
                        return;
                    }
                }
            }
        })
    };

    support::phase("create");
    let create = measure_on(pid, n, |i| {
        let apps = apps.clone();
        let created_at = created_at.clone();
        async move {
            let app = application(i);
            let name = app.metadata.name.clone().unwrap();
            apps.create(&PostParams::default(), &app).await.unwrap();
            created_at.lock().unwrap().insert(name, Instant::now());
        }
    })
    .await;
    create.report("create");
    let _ = tokio::time::timeout(Duration::from_secs(60), watcher).await;
    let delivered = delivered.lock().unwrap().clone();
    let delivery = quantiles(&delivered);
    Figures::timed(delivered, create.elapsed).report_latency("watch delivery (after create)");

    support::phase("update");
    let update = measure_on(pid, n, |i| {
        let apps = apps.clone();
        async move {
            let patch = json!({ "spec": { "description": format!("Updated description of application {i}.") } });
            apps.patch(&format!("app-{i:05}"), &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
        }
    })
    .await;
    update.report("update (merge patch)");

    let get = measure_on(pid, n, |i| {
        let apps = apps.clone();
        async move {
            apps.get(&format!("app-{i:05}")).await.unwrap();
        }
    })
    .await;
    get.report("get");

    let lists = 10;
    let full = measure(lists, |_| {
        let apps = apps.clone();
        async move {
            assert_eq!(
                apps.list(&ListParams::default()).await.unwrap().items.len(),
                n
            );
        }
    })
    .await;
    full.report(&format!("list all {n} (one page)"));
    // The same list without decoding the objects on the client: the server's part. One list at
    // a time (its own latency), then ten at once (what a burst of lists does to each).
    let raw_list = |_| {
        let client = client.clone();
        async move {
            let request = http::Request::get(
                "/apis/compass.kyma-project.io/v1alpha1/namespaces/bench/applications",
            )
            .body(Vec::new())
            .unwrap();
            let body = client.request_text(request).await.unwrap();
            assert!(body.len() > n * 100);
        }
    };
    let raw_alone = measure_at(1, lists, raw_list).await;
    raw_alone.report(&format!("list all {n} (raw, one at a time)"));
    let raw = measure(lists, raw_list).await;
    raw.report(&format!("list all {n} (raw, {lists} at once)"));
    let paged = measure(lists, |_| {
        let apps = apps.clone();
        async move {
            let mut count = 0;
            let mut params = ListParams::default().limit(500);
            loop {
                let page = apps.list(&params).await.unwrap();
                count += page.items.len();
                match page.metadata.continue_ {
                    Some(token) if !token.is_empty() => params = params.continue_token(&token),
                    _ => break,
                }
            }
            assert_eq!(count, n);
        }
    })
    .await;
    paged.report(&format!("list all {n} (pages of 500)"));
    let selected = measure(100, |i| {
        let apps = apps.clone();
        async move {
            let params =
                ListParams::default().fields(&format!("metadata.name=app-{:05}", i * (n / 100)));
            assert_eq!(apps.list(&params).await.unwrap().items.len(), 1);
        }
    })
    .await;
    selected.report("list by field selector");

    let (rss, peak) = server.memory_kib();
    println!(
        "{:<28} {:>8} MiB   (peak {} MiB)",
        format!("server memory, {n} objects"),
        rss / 1024,
        peak / 1024
    );
    let data_dir = server.stop();
    let database = std::fs::metadata(data_dir.path().join("state.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{:<28} {:>8} MiB",
        "database file",
        database / (1024 * 1024)
    );
    let (server, warm) = Server::start(data_dir, &["--no-controllers"]);
    println!(
        "{:<28} {:>8.0} ms",
        format!("cold start ({n} objects)"),
        warm.as_secs_f64() * 1e3
    );
    let (restarted_rss, _) = server.memory_kib();
    println!(
        "{:<28} {:>8} MiB",
        "server memory after restart",
        restarted_rss / 1024
    );
    server.stop();
    write_json(
        "apiserver",
        &json!({
            "objects": n,
            "create": create.summary(),
            "watch_delivery": delivery,
            "update": update.summary(),
            "get": get.summary(),
            "list_all_decoded": full.summary(),
            "list_all_raw": raw.summary(),
            "list_all_raw_one_at_a_time": raw_alone.summary(),
            "list_all_pages_of_500": paged.summary(),
            "list_by_field_selector": selected.summary(),
            "memory": { "rss_mib": rss / 1024, "peak_rss_mib": peak / 1024, "restarted_rss_mib": restarted_rss / 1024 },
            "database_mib": database / (1024 * 1024),
            "cold_start_empty_ms": cold.as_secs_f64() * 1e3,
            "cold_start_full_ms": warm.as_secs_f64() * 1e3,
        }),
    );
}
