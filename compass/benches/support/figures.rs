//! Measuring: timing calls at bounded concurrency, their quantiles and throughput, naming each
//! measurement as it starts, and writing a bench's figures as JSON.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream, stream::FuturesUnordered};
use serde_json::{Value, json};

use super::{CONCURRENCY, server_latency::Buckets};

/// Timings of one measurement.
pub struct Figures {
    /// Each call's latency.
    pub latencies: Vec<Duration>,
    /// Wall time of the whole measurement.
    pub elapsed: Duration,
    /// CPU time the server process spent meanwhile, when measured ([`Figures::on_server`]).
    pub server_cpu: Option<Duration>,
    /// CPU time the bench's own process (the client) spent meanwhile, measured with
    /// `server_cpu`: on a machine the two share, what the client spends the server cannot.
    pub client_cpu: Option<Duration>,
    /// p50 and p99 in milliseconds of the same calls as the server timed them, from its
    /// request-duration histogram ([`super::Server::timed`]).
    pub server_latency: Option<(f64, f64)>,
}

/// The latency below which the share `q` of `sorted` (ascending) falls.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// Count, p50 and p99 of `latencies`, in milliseconds, for the JSON.
pub fn quantiles(latencies: &[Duration]) -> Value {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q| quantile(&sorted, q).as_secs_f64() * 1e3;
    json!({ "count": sorted.len(), "p50_ms": at(0.5), "p99_ms": at(0.99) })
}

impl Figures {
    /// Calls timed at `latencies` over `elapsed`, nothing else measured with them.
    pub fn timed(latencies: Vec<Duration>, elapsed: Duration) -> Self {
        Self {
            latencies,
            elapsed,
            server_cpu: None,
            client_cpu: None,
            server_latency: None,
        }
    }

    /// Throughput and latency, for the JSON; with the server's CPU time per call when measured.
    pub fn summary(&self) -> Value {
        let mut summary = quantiles(&self.latencies);
        summary["per_second"] = json!(self.latencies.len() as f64 / self.elapsed.as_secs_f64());
        if let Some(per_call) = self.server_cpu_per_call() {
            summary["server_cpu_us_per_call"] = json!(per_call.as_secs_f64() * 1e6);
        }
        if let Some(per_call) = self.per_call(self.client_cpu) {
            summary["client_cpu_us_per_call"] = json!(per_call.as_secs_f64() * 1e6);
        }
        if let Some((p50, p99)) = self.server_latency {
            summary["server_p50_ms"] = json!(p50);
            summary["server_p99_ms"] = json!(p99);
        }
        summary
    }

    /// These figures with the quantiles of the server's own timing of the same calls: its
    /// histogram's requests counted while they ran.
    pub fn timed_by_server(mut self, buckets: &Buckets) -> Self {
        self.server_latency = buckets.quantile_ms(0.5).zip(buckets.quantile_ms(0.99));
        self
    }

    /// The server process's CPU time per call, when measured.
    pub fn server_cpu_per_call(&self) -> Option<Duration> {
        self.per_call(self.server_cpu)
    }

    fn per_call(&self, total: Option<Duration>) -> Option<Duration> {
        let calls = u32::try_from(self.latencies.len()).ok()?.max(1);
        Some(total? / calls)
    }

    /// These figures with the CPU time process `pid` (the server) and this process spent since
    /// they had spent the times given ([`cpu_times`]).
    pub fn on_server(mut self, pid: u32, (server, client): (Duration, Duration)) -> Self {
        let (server_now, client_now) = cpu_times(pid);
        self.server_cpu = Some(server_now.saturating_sub(server));
        self.client_cpu = Some(client_now.saturating_sub(client));
        self
    }

    /// Latencies only, for measurements whose count is not a throughput.
    pub fn report_latency(&self, what: &str) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = |q: f64| quantile(&sorted, q);
        println!(
            "{what:<28} {:>10}   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} events)",
            "",
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            sorted.len(),
        );
    }

    /// Prints throughput and latency.
    pub fn report(&self, what: &str) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = |q: f64| quantile(&sorted, q);
        let micros = |per_call: Duration| per_call.as_secs_f64() * 1e6;
        let cpu = match (self.server_cpu_per_call(), self.per_call(self.client_cpu)) {
            (Some(server), Some(client)) => format!(
                "   server CPU {:.0} µs/call, client {:.0}",
                micros(server),
                micros(client)
            ),
            (Some(server), None) => format!("   server CPU {:.0} µs/call", micros(server)),
            _ => String::new(),
        };
        let server = match self.server_latency {
            Some((p50, p99)) => {
                format!("   as the server timed them: p50 {p50:.2} ms, p99 {p99:.2}")
            }
            None => String::new(),
        };
        println!(
            "{what:<28} {:>8.0}/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} in {:.2} s){cpu}{server}",
            sorted.len() as f64 / self.elapsed.as_secs_f64(),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            sorted.len(),
            self.elapsed.as_secs_f64(),
        );
    }
}

/// Writes a benchmark's figures as JSON to `target/bench-results/<name>.json` (under
/// `CARGO_TARGET_DIR` when set) and says where.
pub fn write_json(name: &str, figures: &serde_json::Value) {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let dir = target.join("bench-results");
    let path = dir.join(format!("{name}.json"));
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(figures).unwrap_or_default(),
        )
    });
    match written {
        Ok(()) => println!("\nfigures written to {}", path.display()),
        Err(error) => eprintln!("writing {} failed: {error}", path.display()),
    }
}

/// Says on stderr which measurement starts, for a profiler to be pointed at it
/// (`scripts/flamegraph`).
pub fn phase(name: &str) {
    eprintln!("phase: {name}");
}

/// Runs `operation` for 0..n with bounded concurrency, timing each call.
pub async fn measure<F, Fut>(n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    measure_at(CONCURRENCY, n, operation).await
}

/// [`measure`], with the CPU time process `pid` (the server) spent meanwhile.
pub async fn measure_on<F, Fut>(pid: u32, n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = cpu_times(pid);
    measure(n, operation).await.on_server(pid, before)
}

/// Runs `operation` for 0..n, `concurrency` calls at a time, timing each call.
pub async fn measure_at<F, Fut>(concurrency: usize, n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let latencies: Vec<Duration> = stream::iter(0..n)
        .map(|i| {
            let call = operation(i);
            async move {
                let t = Instant::now();
                call.await;
                t.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    Figures::timed(latencies, started.elapsed())
}

/// How a measurement loads the server: a number of calls always in flight (each call sent as
/// the one before it ends), or calls sent at a steady rate whatever the answers' pace.
#[derive(Clone, Copy, Debug)]
pub enum Load {
    /// This many calls in flight.
    InFlight(usize),
    /// This many calls started each second.
    PerSecond(f64),
}

/// Runs `operation` for 0..n under `load`, timing each call.
pub async fn measure_under<F, Fut>(load: Load, n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match load {
        Load::InFlight(concurrency) => measure_at(concurrency, n, operation).await,
        Load::PerSecond(rate) => measure_paced(rate, n, operation).await,
    }
}

/// Runs `operation` for 0..n, call `i` started `i / per_second` seconds after the first
/// however many are still running, timing each from when it was due: a call started late
/// because the bench was busy counts its wait (no coordinated omission).
async fn measure_paced<F, Fut>(per_second: f64, n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = tokio::time::Instant::now();
    let due_at = |i: usize| started + Duration::from_secs_f64(i as f64 / per_second);
    let mut running = FuturesUnordered::new();
    let mut latencies = Vec::with_capacity(n);
    let mut next = 0;
    while latencies.len() < n {
        tokio::select! {
            () = tokio::time::sleep_until(due_at(next)), if next < n => {
                let (call, due) = (operation(next), due_at(next));
                running.push(async move {
                    call.await;
                    due.elapsed()
                });
                next += 1;
            }
            Some(latency) = running.next() => latencies.push(latency),
        }
    }
    Figures::timed(latencies, started.elapsed())
}

/// CPU time the server process `pid` and this process (the client) have spent so far, for
/// [`Figures::on_server`].
pub fn cpu_times(pid: u32) -> (Duration, Duration) {
    (cpu_time(pid), cpu_time(std::process::id()))
}

/// CPU time (user and system) process `pid` has spent so far, at the 10 ms resolution of
/// `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces, so it ends at the last ')'):
    // utime and stime are the 12th and 13th, in clock ticks of 1/100 s (Linux's USER_HZ).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}
