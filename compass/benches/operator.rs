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

/// How far the ratio to the floor moves between runs of the same build, as a fraction: runs
/// within an hour measured 1.23 to 2.00 (2026-12-06), wider than the 15 % `scripts/bench-compare`
/// assumes for a ratio.
const RATIO_NOISE: f64 = 0.25;

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
    let (floor, floor_cpu) =
        measure_floor(&client, control_plane.pid(), applications, runtimes).await;

    let admin = format!("127.0.0.1:{}", free_port());
    let operator = Operator::spawn(&kubeconfig, &admin);
    assert!(wait_ready(&admin).await, "the operator became ready");
    let (idle_rss, _) = operator.memory_mib();
    let run = converge(
        &client,
        control_plane.pid(),
        operator.0.id(),
        applications,
        runtimes,
    )
    .await;
    let ratio = run.all_ready.as_secs_f64() / floor.as_secs_f64();
    println!("{:<44} {:>8.2}", "ratio to the floor", ratio);
    let per_object = run.operator_writes as f64 / total as f64;
    println!(
        "{:<44} {:>8}   ({per_object:.2} per object)",
        "writes by the operator until all Ready", run.operator_writes
    );
    let events = events_published(&client, &admin, run.started).await;
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
            "apply_s": run.applied.as_secs_f64(),
            "all_ready_s": run.all_ready.as_secs_f64(),
            "ratio_to_floor": ratio,
            "ratio_to_floor_noise": RATIO_NOISE,
            "operator_writes_per_object": per_object,
            "events_published_s": events.after.as_secs_f64(),
            "events": events.count,
            "events_dropped": events.dropped,
            "memory": { "rss_mib": rss, "peak_rss_mib": peak, "idle_rss_mib": idle_rss },
            "cpu_s": { "floor": floor_cpu.json(), "until_all_ready": run.cpu.json() },
        }),
    );
}

/// The floor, on objects of their own that no controller sees: a bare client creating each
/// object and writing its Ready status, at the same concurrency. Its objects are deleted after.
async fn measure_floor(
    client: &Client,
    control_plane: u32,
    applications: usize,
    runtimes: usize,
) -> (Duration, Cpu) {
    prepare_namespace(client, "floor").await;
    let before = Cpu::now(control_plane, None);
    let floor = create_objects(
        client,
        "floor",
        applications,
        runtimes,
        AfterCreate::WriteReady,
    )
    .await;
    let cpu = Cpu::now(control_plane, None).since(&before);
    println!(
        "{:<44} {:>8.2} s   ({:.0} writes/s)",
        "floor: bare client creates + Ready status",
        floor.as_secs_f64(),
        2.0 * (applications + runtimes) as f64 / floor.as_secs_f64()
    );
    cpu.print("CPU during the floor");
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
    (floor, cpu)
}

/// What the operator did with a burst of new objects.
struct Convergence {
    started: Instant,
    /// How long creating every object took.
    applied: Duration,
    /// From the first create until every object was Ready.
    all_ready: Duration,
    cpu: Cpu,
    /// The operator's writes until all were Ready (status, finalizers, Events, ConfigMaps).
    operator_writes: u64,
}

/// Creates every object while the operator runs and waits until each is Ready.
async fn converge(
    client: &Client,
    control_plane: u32,
    operator: u32,
    applications: usize,
    runtimes: usize,
) -> Convergence {
    let total = applications + runtimes;
    prepare_namespace(client, "bench").await;
    let ready = ReadyWatch::start(client, "bench");
    let writes_before = resource_version(client).await;
    support::phase("operator converging");
    let before = Cpu::now(control_plane, Some(operator));
    let started = Instant::now();
    let applied = create_objects(
        client,
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
    let all_ready = started.elapsed();
    let cpu = Cpu::now(control_plane, Some(operator)).since(&before);
    cpu.print("CPU until all Ready");
    println!(
        "{:<44} {:>8.2} s",
        "all Ready (from the first create)",
        all_ready.as_secs_f64()
    );
    // Every write advances the one global resourceVersion: what the operator wrote is the
    // advance beyond the objects the bench created.
    let operator_writes = resource_version(client).await - writes_before - total as u64;
    Convergence {
        started,
        applied,
        all_ready,
        cpu,
        operator_writes,
    }
}

/// The operator's Events about the burst.
struct Events {
    count: u64,
    /// From the first create until the last was published.
    after: Duration,
    dropped: u64,
}

/// Waits until the Events stop coming (they go out behind the statuses they describe) and
/// reads how many the operator dropped.
async fn events_published(client: &Client, admin: &str, started: Instant) -> Events {
    let (count, done) = events_settled(client, "bench").await;
    let after = done.duration_since(started);
    let dropped = scrape(admin, "/metrics")
        .await
        .lines()
        .find_map(|l| {
            l.strip_prefix("compass_controller_events_dropped_total ")?
                .parse()
                .ok()
        })
        .unwrap_or(u64::MAX);
    println!(
        "{:<44} {:>8.2} s   ({count} Events, {dropped} dropped)",
        "every Event published (from the first create)",
        after.as_secs_f64()
    );
    Events {
        count,
        after,
        dropped,
    }
}

/// CPU time of the control plane, the operator (when it runs) and the bench: on two cores
/// shared by every process, what one spends the others cannot.
struct Cpu {
    control_plane: Duration,
    operator: Option<Duration>,
    bench: Duration,
}

impl Cpu {
    /// What the control plane `control_plane`, the `operator` and this process have spent so far.
    fn now(control_plane: u32, operator: Option<u32>) -> Self {
        Self {
            control_plane: support::cpu_time(control_plane),
            operator: operator.map(support::cpu_time),
            bench: support::cpu_time(std::process::id()),
        }
    }

    /// What was spent between `earlier` and this.
    fn since(&self, earlier: &Self) -> Self {
        Self {
            control_plane: self.control_plane.saturating_sub(earlier.control_plane),
            operator: (self.operator)
                .zip(earlier.operator)
                .map(|(now, then)| now.saturating_sub(then)),
            bench: self.bench.saturating_sub(earlier.bench),
        }
    }

    fn print(&self, what: &str) {
        let operator = self.operator.map_or_else(String::new, |cpu| {
            format!(", operator {:.2} s", cpu.as_secs_f64())
        });
        println!(
            "{what:<44} control plane {:.2} s{operator}, bench {:.2} s",
            self.control_plane.as_secs_f64(),
            self.bench.as_secs_f64()
        );
    }

    fn json(&self) -> Value {
        let mut json = serde_json::json!({
            "control_plane": self.control_plane.as_secs_f64(),
            "bench": self.bench.as_secs_f64(),
        });
        if let Some(operator) = self.operator {
            json["operator"] = operator.as_secs_f64().into();
        }
        json
    }
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
