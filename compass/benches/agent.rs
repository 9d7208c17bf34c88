//! Benchmark of the Runtime Agent's delivery, against the release `compass up`:
//!
//! - **Delivery**: one runtime (a bare control plane in this process) with 1,000 applications
//!   assigned, its agent resynchronising only every ten minutes; 200 assignment changes (an
//!   application's scenarios patched out of, then back into, the runtime's scenario), each timed
//!   from the patch's answer to the Kyma Application deleted or applied in the runtime, beside
//!   the time a bare watch of the management plane's API server sees the same patch.
//! - **Fan-out**: 100 runtimes with an agent each, in one scenario; an application added to and
//!   removed from that scenario, each change timed until every runtime holds (or no longer holds)
//!   it; and the management plane's CPU and memory over a quiet window while the 100 agents stay
//!   connected, beside the same window before they connected.
//!
//! Run with `cargo bench -p compass --bench agent` (`COMPASS_BENCH_APPLICATIONS`,
//! `COMPASS_BENCH_CHANGES`, `COMPASS_BENCH_AGENTS`, `COMPASS_BENCH_ROUNDS` change the counts).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use compass_agent::metrics::AgentMetrics;
use compass_crds::{Application, Runtime, well_known::DEFAULT_TENANT_NAMESPACE as NAMESPACE};
use futures_util::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

mod support;

use support::{
    Server, count, create_applications, quantiles,
    runtimes::{BenchRuntime, Seen},
    write_json,
};

/// The resync of the agents: long, so that only the push channel delivers.
const RESYNC: Duration = Duration::from_secs(600);

/// CPU seconds (user and system) process `pid` used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// The management plane's CPU share (of one core) and resident memory over `window`.
async fn quiet_window(server: &Server, window: Duration) -> Value {
    let pid = server.pid();
    let before = cpu_seconds(pid);
    tokio::time::sleep(window).await;
    let used = cpu_seconds(pid) - before;
    let (rss, _) = server.memory_kib();
    json!({ "cpu_cores": used / window.as_secs_f64(), "rss_mib": rss as f64 / 1024.0, "window_s": window.as_secs() })
}

/// Waits until the operator made the default tenant's namespace and its `DEFAULT` scenario.
async fn tenant_ready(client: &Client) {
    let scenarios: Api<compass_crds::Scenario> = Api::namespaced(client.clone(), NAMESPACE);
    for _ in 0..300 {
        if scenarios.get_opt("default").await.ok().flatten().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the default tenant has no DEFAULT scenario after 30 s");
}

/// Creates a Scenario `name` in the tenant namespace.
async fn scenario(client: &Client, name: &str) {
    let scenarios: Api<compass_crds::Scenario> = Api::namespaced(client.clone(), NAMESPACE);
    let object = json!({ "apiVersion": compass_crds::API_VERSION, "kind": "Scenario", "metadata": { "name": name }, "spec": {} });
    let _ = scenarios
        .create(
            &PostParams::default(),
            &serde_json::from_value(object).unwrap(),
        )
        .await;
}

/// Creates a Runtime `name` in `scenarios`; its id.
async fn runtime(client: &Client, name: &str, scenarios: &[&str]) -> String {
    let runtimes: Api<Runtime> = Api::namespaced(client.clone(), NAMESPACE);
    let object = json!({ "apiVersion": compass_crds::API_VERSION, "kind": "Runtime", "metadata": { "name": name }, "spec": { "scenarios": scenarios } });
    let created = runtimes
        .create(
            &PostParams::default(),
            &serde_json::from_value(object).unwrap(),
        )
        .await
        .unwrap();
    created.uid().unwrap()
}

/// Sets the scenarios of application `name`; its id.
async fn set_scenarios(client: &Client, name: &str, scenarios: &[&str]) -> String {
    let applications: Api<Application> = Api::namespaced(client.clone(), NAMESPACE);
    let patch = Patch::Merge(json!({ "spec": { "scenarios": scenarios } }));
    let patched = applications
        .patch(name, &PatchParams::default(), &patch)
        .await
        .unwrap();
    patched.uid().unwrap()
}

/// Waits for the first event of `seen` about `id` being `exists` in each of `runtimes`
/// runtimes, at or after `since`; the latest arrival's delay per runtime.
async fn arrivals(
    seen: &mut mpsc::UnboundedReceiver<Seen>,
    id: &str,
    exists: bool,
    runtimes: usize,
    since: Instant,
) -> Vec<Duration> {
    let mut arrived = vec![None; runtimes];
    let mut left = runtimes;
    let deadline = since + Duration::from_secs(60);
    while left > 0 {
        let event = tokio::time::timeout_at(deadline.into(), seen.recv()).await;
        let Ok(Some((index, seen_id, seen_exists, at))) = event else {
            panic!("{left} runtimes did not see application {id} (exists: {exists}) within 60 s");
        };
        if seen_id == id && seen_exists == exists && at >= since && arrived[index].is_none() {
            arrived[index] = Some(at.duration_since(since));
            left -= 1;
        }
    }
    arrived.into_iter().flatten().collect()
}

/// Waits until `seen` has reported `count` applications existing in runtime 0.
async fn initial(seen: &mut mpsc::UnboundedReceiver<Seen>, count: usize) {
    let mut ids = std::collections::BTreeSet::new();
    while ids.len() < count {
        let event = tokio::time::timeout(Duration::from_secs(600), seen.recv()).await;
        let Ok(Some((_, id, exists, _))) = event else {
            panic!("only {} of {count} applications arrived", ids.len());
        };
        if exists {
            ids.insert(id);
        }
    }
}

/// A bare watch of the management plane's Applications, stamping each change by uid.
fn watch_management(client: &Client) -> mpsc::UnboundedReceiver<(String, Instant)> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let applications: Api<Application> = Api::namespaced(client.clone(), NAMESPACE);
    tokio::spawn(async move {
        let mut events = watcher(applications, watcher::Config::default())
            .default_backoff()
            .applied_objects()
            .boxed();
        while let Some(Ok(application)) = events.next().await {
            let uid = application.uid().unwrap_or_default();
            if sender.send((uid, Instant::now())).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Waits for the management watch to report `uid` at or after `since`.
async fn management_sees(
    watch: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    uid: &str,
    since: Instant,
) -> Duration {
    loop {
        let (seen, at) = watch.recv().await.expect("the management watch runs");
        if seen == uid && at >= since {
            return at.duration_since(since);
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let applications = count("COMPASS_BENCH_APPLICATIONS", 1000);
    let changes = count("COMPASS_BENCH_CHANGES", 200).max(2);
    let agents = count("COMPASS_BENCH_AGENTS", 100);
    let rounds = count("COMPASS_BENCH_ROUNDS", 10).max(2);
    let (server, ready) = Server::start(tempfile::tempdir().unwrap(), &[]);
    println!(
        "compass up ready in {:.2} s; {applications} applications, {changes} changes, {agents} agents",
        ready.as_secs_f64()
    );
    let admin = server.admin();
    let client = server.client().await;
    tenant_ready(&client).await;
    for name in ["other", "fanout"] {
        scenario(&client, name).await;
    }
    create_applications(&client, NAMESPACE, applications).await;
    let idle = quiet_window(&server, Duration::from_secs(20)).await;

    // Delivery to one runtime holding every application.
    let edge_id = runtime(&client, "edge", &["DEFAULT"]).await;
    let edge = BenchRuntime::start().await;
    let (sender, mut seen) = mpsc::unbounded_channel();
    edge.watch(0, sender);
    let stop = Arc::new(Notify::new());
    let metrics = AgentMetrics::default();
    let started = Instant::now();
    let agent = edge
        .start_agent(&admin, &edge_id, RESYNC, metrics.clone(), stop.clone())
        .await;
    initial(&mut seen, applications).await;
    let first_sync = started.elapsed();
    println!(
        "first synchronisation of {applications} applications: {:.2} s",
        first_sync.as_secs_f64()
    );
    let mut management = watch_management(&client);
    let (mut delivered, mut watched) = (Vec::new(), Vec::new());
    for change in 0..changes {
        let name = format!("app-{:05}", (change / 2) % applications);
        let assigned = change % 2 == 1;
        let scenarios: &[&str] = if assigned { &["DEFAULT"] } else { &["other"] };
        let since = Instant::now();
        let uid = set_scenarios(&client, &name, scenarios).await;
        delivered.extend(arrivals(&mut seen, &uid, assigned, 1, since).await);
        watched.push(management_sees(&mut management, &uid, since).await);
    }
    let delivery = quantiles(&delivered);
    let watch_reference = quantiles(&watched);
    println!("delivery (change → applied)  {delivery}");
    println!("reference: bare watch of the management plane  {watch_reference}");
    stop.notify_one();
    let _ = agent.await;
    drop(edge);

    // Fan-out: one scenario seen by many agents.
    let mut fleet = Vec::new();
    let (sender, mut seen) = mpsc::unbounded_channel();
    let stop = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    let connecting = Instant::now();
    for i in 0..agents {
        let id = runtime(&client, &format!("fleet-{i:03}"), &["fanout"]).await;
        let runtime = BenchRuntime::start().await;
        runtime.watch(i, sender.clone());
        let metrics = AgentMetrics::default();
        tasks.push(
            runtime
                .start_agent(&admin, &id, RESYNC, metrics, stop.clone())
                .await,
        );
        fleet.push(runtime);
    }
    println!(
        "{agents} runtimes and agents started in {:.1} s",
        connecting.elapsed().as_secs_f64()
    );
    // Let every agent pair and settle before the quiet window.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let connected = quiet_window(&server, Duration::from_secs(20)).await;
    let mut fanned = Vec::new();
    for round in 0..rounds {
        let name = format!("app-{:05}", applications - 1 - round / 2);
        let assigned = round % 2 == 0;
        let scenarios: &[&str] = if assigned {
            &["DEFAULT", "fanout"]
        } else {
            &["DEFAULT"]
        };
        let since = Instant::now();
        let uid = set_scenarios(&client, &name, scenarios).await;
        fanned.extend(arrivals(&mut seen, &uid, assigned, agents, since).await);
    }
    let fan_out = quantiles(&fanned);
    println!("fan-out to {agents} agents  {fan_out}");
    println!("management plane, quiet, no agents       {idle}");
    println!("management plane, quiet, {agents} agents connected  {connected}");
    stop.notify_waiters();
    for task in tasks {
        let _ = task.await;
    }
    drop(fleet);
    write_json(
        "agent",
        &json!({
            "applications": applications,
            "first_sync_s": first_sync.as_secs_f64(),
            "delivery": delivery,
            "reference_management_watch": watch_reference,
            "fan_out": { "agents": agents, "rounds": rounds, "latency": fan_out },
            "management_plane": { "no_agents": idle, "agents_connected": connected },
        }),
    );
    server.stop();
}
