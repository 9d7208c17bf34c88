//! The sizing benchmark: one `compass up` process (control plane, controllers and Director
//! together) holding landscapes of growing size, each measured the same way in one run: time until
//! every object is Ready (and until its Events are out), memory, database size, a Director page
//! query (each page asked once, and one page asked again), a full LIST (one at a time), watch
//! delivery, and a cold start on the stored data. It prints the table `docs/sizing.md` publishes.
//!
//! Run with `cargo bench -p compass --bench sizing`. `COMPASS_BENCH_SIZES` lists the numbers of
//! Applications (1000,10000,50000,100000 unless set), each landscape with a tenth as many
//! Runtimes over ten scenarios. The figures are also written as JSON.

use std::time::{Duration, Instant};

use compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
use futures_util::{StreamExt, TryStreamExt};
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams, WatchEvent, WatchParams},
    core::DynamicObject,
};
use serde_json::{Value, json};

mod support;

use support::{
    Server,
    landscape::{
        AfterCreate, ReadyWatch, SCENARIOS, create_objects, events_settled, prepare_namespace,
        resource,
    },
    measure_at,
    pages::{APPLICATIONS_WALK, each_page_once, page_asked_again, walk},
    quantiles, write_json,
};

/// Where the landscape lives: the default tenant, so that the Director answers for it.
const NAMESPACE: &str = DEFAULT_TENANT_NAMESPACE;

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("COMPASS_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,50000,100000".into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("COMPASS_BENCH_SIZES: numbers separated by commas")
        })
        .collect();
    println!(
        "sizing benchmark: one compass up per landscape, {SCENARIOS} scenarios, Runtimes a tenth of the Applications\n"
    );
    let mut rows = Vec::new();
    for applications in sizes {
        let row = measure_landscape(applications, applications / 10).await;
        println!(
            "{}\n",
            serde_json::to_string_pretty(&row).unwrap_or_default()
        );
        rows.push(row);
    }
    print_table(&rows);
    write_json("sizing", &json!({ "landscapes": rows }));
}

/// Every figure of one landscape, from an empty data directory to a restart on the stored data.
async fn measure_landscape(applications: usize, runtimes: usize) -> Value {
    let total = applications + runtimes;
    println!("{applications} Applications, {runtimes} Runtimes");
    let (server, empty_start) = Server::start(tempfile::tempdir().unwrap(), &[]);
    let client = server.client().await;
    // Let the caches settle after start before reading the idle figure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle, _) = server.memory_kib();

    prepare_namespace(&client, NAMESPACE).await;
    let ready = ReadyWatch::start(&client, NAMESPACE);
    let started = Instant::now();
    let created = create_objects(
        &client,
        NAMESPACE,
        applications,
        runtimes,
        AfterCreate::Nothing,
    )
    .await;
    let limit = Duration::from_secs(3600);
    assert!(
        ready.wait_for(total, limit).await,
        "not all Ready after an hour"
    );
    let converged = started.elapsed();
    // The operator's Events follow the statuses (they wait while reconciles run): the figures
    // below are of the landscape at rest, so they wait for the last Event too.
    let (_, events_done) = events_settled(&client, NAMESPACE).await;
    let events_published = events_done.duration_since(started);
    // What stays once the burst is over, not the peak of converging.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, peak) = server.memory_kib();

    let director = server.admin().client;
    // A page asked again (its answer kept), and up to 100 pages each asked once (computed).
    let page_kept = page_asked_again(&director, 100).await;
    let (cursors, _) = walk(&director, APPLICATIONS_WALK, json!({})).await;
    // Every page but the first (asked above) and the last (which may be short).
    let distinct = &cursors[1.min(cursors.len())..cursors.len().saturating_sub(1)];
    let page = server
        .timed(each_page_once(
            &director,
            &distinct[..distinct.len().min(100)],
            1,
        ))
        .await;
    // One at a time: a LIST's own latency.
    let list = measure_at(1, 5, |_| {
        let client = client.clone();
        async move {
            let path = format!(
                "/apis/compass.kyma-project.io/v1alpha1/namespaces/{NAMESPACE}/applications"
            );
            let request = http::Request::get(path).body(Vec::new()).unwrap();
            let body = client.request_text(request).await.unwrap();
            assert!(body.len() > applications * 100);
        }
    })
    .await;
    let delivery = watch_delivery(&client, applications, 200).await;

    let data_dir = server.stop();
    let database = database_bytes(data_dir.path());
    let (server, cold_start) = Server::start(data_dir, &[]);
    let (restarted, _) = server.memory_kib();
    server.stop();

    let mib = |kib: u64| kib as f64 / 1024.0;
    json!({
        "applications": applications,
        "runtimes": runtimes,
        "ready_after_start_empty_s": empty_start.as_secs_f64(),
        "rss_idle_mib": mib(idle),
        "create_s": created.as_secs_f64(),
        "all_ready_s": converged.as_secs_f64(),
        "events_published_s": events_published.as_secs_f64(),
        "rss_all_ready_mib": mib(rss),
        "rss_peak_mib": mib(peak),
        "database_mib": database as f64 / 1048576.0,
        "page_query": page.summary(),
        "page_query_kept": page_kept.summary(),
        "list_all": list.summary(),
        "watch_delivery": quantiles(&delivery),
        "cold_start_s": cold_start.as_secs_f64(),
        "rss_after_restart_mib": mib(restarted),
    })
}

/// `changes` annotation patches of Applications, one after another, each timed from sending the
/// patch until a watch of the namespace's Applications delivers the change: the write and its
/// delivery, as a controller sees a change. (The event can arrive before the patch's own answer,
/// so the time from the answer would measure nothing.)
async fn watch_delivery(client: &Client, applications: usize, changes: usize) -> Vec<Duration> {
    let apps: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        NAMESPACE,
        &resource("Application", "applications"),
    );
    let mut events = apps
        .watch(&WatchParams::default().timeout(290), "0")
        .await
        .unwrap()
        .boxed();
    let mut delivered = Vec::with_capacity(changes);
    for change in 0..changes {
        let name = format!("app-{:05}", change * applications / changes);
        let marker = format!("change-{change}");
        let patch = json!({ "metadata": { "annotations": { "bench/change": marker } } });
        let sent = Instant::now();
        apps.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
        loop {
            let event = events
                .try_next()
                .await
                .unwrap()
                .expect("the watch stays open");
            if let WatchEvent::Modified(object) = event
                && object.annotations().get("bench/change") == Some(&marker)
            {
                break;
            }
        }
        delivered.push(sent.elapsed());
    }
    delivered
}

/// Bytes of the database files (with the write-ahead log) in `dir`.
fn database_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("state.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0)
}

/// The table as `docs/sizing.md` shows it, with what to give the process: its memory at the peak
/// of converging with a quarter more as headroom, and three times its database on disk (the
/// write-ahead log and space freed by pruned history come on top of the file).
fn print_table(rows: &[Value]) {
    println!(
        "| Applications + Runtimes | all Ready | memory (peak) | database | cold start | page of 100 computed, p50 / p99 (in the server) | page kept, p50 | LIST all, p50 | watch p99 | give it: memory, disk |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let f = |key: &str| row[key].as_f64().unwrap_or(0.0);
        let ms = |key: &str, q: &str| row[key][q].as_f64().unwrap_or(0.0);
        let memory = (f("rss_peak_mib") * 1.25 / 128.0).ceil() * 128.0;
        let disk = (f("database_mib") * 3.0 / 256.0).ceil() * 256.0;
        println!(
            "| {} + {} | {:.1} s | {:.0} MiB ({:.0}) | {:.0} MiB | {:.2} s | {:.1} / {:.1} ms ({:.1} / {:.1}) | {:.1} ms | {:.0} ms | {:.1} ms | {memory:.0} MiB, {disk:.0} MiB |",
            row["applications"],
            row["runtimes"],
            f("all_ready_s"),
            f("rss_all_ready_mib"),
            f("rss_peak_mib"),
            f("database_mib"),
            f("cold_start_s"),
            ms("page_query", "p50_ms"),
            ms("page_query", "p99_ms"),
            ms("page_query", "server_p50_ms"),
            ms("page_query", "server_p99_ms"),
            ms("page_query_kept", "p50_ms"),
            ms("list_all", "p50_ms"),
            ms("watch_delivery", "p99_ms"),
        );
    }
}
