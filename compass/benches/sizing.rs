//! Benchmark of one `compass up` process, control plane, controllers and Director together,
//! holding 10,000 Applications and 1,000 Runtimes, all Ready: its resident memory, beside the same
//! process idle and the size of what it stores, measured in the same run.
//!
//! Run with `cargo bench -p compass --bench up` (`COMPASS_BENCH_APPLICATIONS` and
//! `COMPASS_BENCH_RUNTIMES` change the counts). The figures are also written as JSON.

use std::time::{Duration, Instant};

use serde_json::json;

mod support;

use support::{
    Server,
    landscape::{SCENARIOS, create_objects, landscape_size, prepare_namespace, ready_count},
    write_json,
};

#[tokio::main]
async fn main() {
    let (applications, runtimes) = landscape_size();
    let total = applications + runtimes;
    println!(
        "compass up benchmark: {applications} Applications and {runtimes} Runtimes over {SCENARIOS} scenarios, one process\n"
    );
    let (server, started_in) = Server::start(tempfile::tempdir().unwrap(), &[]);
    let client = server.client().await;
    // Let the caches settle after start before reading the idle figure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle, _) = server.memory_kib();

    prepare_namespace(&client, "bench").await;
    let started = Instant::now();
    create_objects(&client, "bench", applications, runtimes).await;
    while ready_count(&client, "bench").await < total {
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "not all Ready after 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let converged = started.elapsed();
    // What stays once the burst is over, not the peak of converging.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, peak) = server.memory_kib();
    let stored = std::fs::read_dir(server.data_dir.path())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("state.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{:<44} {:>8.2} s",
        "ready after start",
        started_in.as_secs_f64()
    );
    println!("{:<44} {:>8.1} MiB", "RSS idle", mib(idle));
    println!(
        "{:<44} {:>8.2} s",
        "all Ready (from the first create)",
        converged.as_secs_f64()
    );
    println!(
        "{:<44} {:>8.1} MiB   (peak {:.1} MiB)",
        "RSS with every object Ready",
        mib(rss),
        mib(peak)
    );
    println!(
        "{:<44} {:>8.1} MiB",
        "database files",
        stored as f64 / 1048576.0
    );
    write_json(
        "up",
        &json!({
            "applications": applications,
            "runtimes": runtimes,
            "ready_after_start_s": started_in.as_secs_f64(),
            "rss_idle_mib": mib(idle),
            "all_ready_s": converged.as_secs_f64(),
            "rss_all_ready_mib": mib(rss),
            "rss_peak_mib": mib(peak),
            "database_mib": stored as f64 / 1048576.0,
        }),
    );
    server.stop();
}
