//! Benchmark of the operator: 10,000 Applications and 1,000 Runtimes applied at once, and the time
//! until every one is Ready, beside its floor measured in the same run: a bare client creating
//! the same objects and writing one Ready status each, at the same concurrency.
//!
//! The control plane (`compass up --no-controllers`) and the operator (`compass operator`) run as
//! separate release processes, so the operator's memory is its own. Run with
//! `cargo bench -p compass --bench operator` (`COMPASS_BENCH_APPLICATIONS` and
//! `COMPASS_BENCH_RUNTIMES` change the counts).

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use kube::{Api, Client, api::DeleteParams, core::DynamicObject, discovery::ApiResource};
use serde_json::Value;

mod support;

use support::{
    Server, free_port,
    landscape::{
        AfterCreate, ReadyWatch, SCENARIOS, create_objects, events_settled, landscape_size,
        prepare_namespace,
    },
};

/// The operator, in its own process so that its memory is its own; stopped when dropped.
struct Operator(Child);

impl Operator {
    fn spawn(kubeconfig: &Path, admin: &str) -> Self {
        let child = support::compass_command()
            .arg("operator")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--admin-address", admin])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("compass operator starts");
        Self(child)
    }

    fn memory_mib(&self) -> (u64, u64) {
        let (rss, peak) = support::memory_kib(self.0.id());
        (rss / 1024, peak / 1024)
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let (applications, runtimes) = landscape_size();
    let total = applications + runtimes;
    println!(
        "operator benchmark: {applications} Applications and {runtimes} Runtimes over {SCENARIOS} scenarios\n"
    );
    let (control_plane, _) = Server::start(tempfile::tempdir().unwrap(), &["--no-controllers"]);
    let kubeconfig = control_plane.data_dir.path().join("kubeconfig");
    let client = control_plane.client().await;

    // Floor, on objects of their own that no controller sees: a bare client creating each
    // object and writing its Ready status, at the same concurrency.
    prepare_namespace(&client, "floor").await;
    let floor_cpu = support::cpu_times(control_plane.pid());
    let floor = create_objects(
        &client,
        "floor",
        applications,
        runtimes,
        AfterCreate::WriteReady,
    )
    .await;
    println!(
        "{:<44} {:>8.2} s   ({:.0} writes/s)",
        "floor: bare client creates + Ready status",
        floor.as_secs_f64(),
        2.0 * total as f64 / floor.as_secs_f64()
    );
    let floor_cpu = cpu_since(control_plane.pid(), floor_cpu);
    print_cpu("CPU during the floor", floor_cpu, None);
    let namespaces: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&()),
    );
    namespaces
        .delete("floor", &DeleteParams::default())
        .await
        .unwrap();
    while namespaces.get_opt("floor").await.unwrap().is_some() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let admin = format!("127.0.0.1:{}", free_port());
    let operator = Operator::spawn(&kubeconfig, &admin);
    assert!(wait_ready(&admin).await, "the operator became ready");
    let (idle_rss, _) = operator.memory_mib();

    prepare_namespace(&client, "bench").await;
    let ready = ReadyWatch::start(&client, "bench");
    let writes_before = resource_version(&client).await;
    support::phase("operator converging");
    let converging_cpu = (
        support::cpu_times(control_plane.pid()),
        support::cpu_time(operator.0.id()),
    );
    let started = Instant::now();
    let applied = create_objects(
        &client,
        "bench",
        applications,
        runtimes,
        AfterCreate::Nothing,
    )
    .await;
    println!(
        "{:<44} {:>8.2} s",
        "apply (create every object)",
        applied.as_secs_f64()
    );
    let limit = Duration::from_secs(1800);
    assert!(
        ready.wait_for(total, limit).await,
        "not all Ready after 30 minutes"
    );
    let converged = started.elapsed();
    let cpu = cpu_since(control_plane.pid(), converging_cpu.0);
    let operator_cpu = support::cpu_time(operator.0.id()).saturating_sub(converging_cpu.1);
    print_cpu("CPU until all Ready", cpu, Some(operator_cpu));
    println!(
        "{:<44} {:>8.2} s",
        "all Ready (from the first create)",
        converged.as_secs_f64()
    );
    println!(
        "{:<44} {:>8.2}",
        "ratio to the floor",
        converged.as_secs_f64() / floor.as_secs_f64()
    );
    // Every write advances the one global resourceVersion: what the operator wrote (status,
    // finalizers, Events, ConfigMaps) is the advance beyond the objects the bench created.
    let operator_writes = resource_version(&client).await - writes_before - total as u64;
    println!(
        "{:<44} {:>8}   ({:.2} per object)",
        "writes by the operator until all Ready",
        operator_writes,
        operator_writes as f64 / total as f64
    );
    // Events go out behind the statuses they describe: how long until every one is published.
    let (events, events_done) = events_settled(&client, "bench").await;
    let events_after = events_done.duration_since(started);
    let dropped = scrape(&admin, "/metrics")
        .await
        .lines()
        .find_map(|l| {
            l.strip_prefix("compass_controller_events_dropped_total ")?
                .parse()
                .ok()
        })
        .unwrap_or(u64::MAX);
    println!(
        "{:<44} {:>8.2} s   ({events} Events, {dropped} dropped)",
        "every Event published (from the first create)",
        events_after.as_secs_f64()
    );
    let (rss, peak) = operator.memory_mib();
    println!(
        "{:<44} {:>8} MiB   (idle {idle_rss} MiB, peak {peak} MiB)",
        "operator memory (RSS)", rss
    );
    support::write_json(
        "operator",
        &serde_json::json!({
            "applications": applications,
            "runtimes": runtimes,
            "floor_s": floor.as_secs_f64(),
            "apply_s": applied.as_secs_f64(),
            "all_ready_s": converged.as_secs_f64(),
            "ratio_to_floor": converged.as_secs_f64() / floor.as_secs_f64(),
            "operator_writes_per_object": operator_writes as f64 / total as f64,
            "events_published_s": events_after.as_secs_f64(),
            "events": events,
            "events_dropped": dropped,
            "memory": { "rss_mib": rss, "peak_rss_mib": peak, "idle_rss_mib": idle_rss },
            "cpu_s": {
                "floor": { "control_plane": floor_cpu.0.as_secs_f64(), "bench": floor_cpu.1.as_secs_f64() },
                "until_all_ready": {
                    "control_plane": cpu.0.as_secs_f64(),
                    "operator": operator_cpu.as_secs_f64(),
                    "bench": cpu.1.as_secs_f64(),
                },
            },
        }),
    );
}

/// CPU time the control plane `pid` and the bench spent since they had spent `before`.
fn cpu_since(pid: u32, before: (Duration, Duration)) -> (Duration, Duration) {
    let now = support::cpu_times(pid);
    (
        now.0.saturating_sub(before.0),
        now.1.saturating_sub(before.1),
    )
}

/// Prints where the CPU time of a measurement went: on two cores shared by every process, what
/// one spends the others cannot.
fn print_cpu(what: &str, (control_plane, bench): (Duration, Duration), operator: Option<Duration>) {
    let operator = operator.map_or_else(String::new, |cpu| {
        format!(", operator {:.2} s", cpu.as_secs_f64())
    });
    println!(
        "{what:<44} control plane {:.2} s{operator}, bench {:.2} s",
        control_plane.as_secs_f64(),
        bench.as_secs_f64()
    );
}

/// The control plane's current resourceVersion, a counter of every write it accepted.
async fn resource_version(client: &Client) -> u64 {
    let request = http::Request::get("/api/v1/namespaces?limit=1")
        .body(Vec::new())
        .unwrap();
    let list: Value = serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
    list["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a numeric list resourceVersion")
}

/// The status and body of `GET path` on the operator's admin listener (plain HTTP).
async fn fetch(address: &str, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The body of `GET path` on the operator's admin listener, empty if it fails.
async fn scrape(address: &str, path: &str) -> String {
    fetch(address, path)
        .await
        .map(|(_, body)| body)
        .unwrap_or_default()
}

/// Polls the operator's `/readyz` until it answers 200 (up to 60 s).
async fn wait_ready(address: &str) -> bool {
    for _ in 0..600 {
        if fetch(address, "/readyz")
            .await
            .is_some_and(|(status, _)| status == 200)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
