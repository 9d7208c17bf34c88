//! Measures what a burst of changes to a large object costs the control plane in memory and on
//! disk: 160 one-label updates of a 2.5 MB ConfigMap, the case that once grew the process to
//! 1.74 GB and the database to about 1 GB. Alone in its file so that nothing else runs in the
//! process meanwhile. Prints its figures (`cargo test -p compass-tests --test
//! apiserver_history_memory -- --nocapture`) and fails only far beyond them.

mod test_server;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api,
    api::{ObjectMeta, Patch, PatchParams, PostParams},
};
use serde_json::json;
use test_server::TestServer;

/// VmRSS and VmHWM of this process, in MiB.
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// About `len` characters of random hexadecimal: text the store's packing cannot shrink much.
fn random_text(len: usize) -> String {
    (0..len.div_ceil(32))
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

/// Bytes of the database and its write-ahead log, in MiB.
fn database_mib(server: &TestServer) -> u64 {
    ["state.db", "state.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(server.data_dir().join(f)).ok())
        .map(|m| m.len())
        .sum::<u64>()
        / (1024 * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relabelling_a_large_object_160_times_keeps_memory_and_disk_within_the_history_bound() {
    let server = TestServer::start().await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "default");
    // 25 values of 100 kB: a 2.5 MB object, of text the store's packing cannot shrink.
    let data = (0..25)
        .map(|i| (format!("part-{i:02}"), random_text(100_000)))
        .collect();
    let map = ConfigMap {
        metadata: ObjectMeta {
            name: Some("large".into()),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    };
    maps.create(&PostParams::default(), &map).await.unwrap();
    let (rss_before, _) = memory_mib();
    for round in 0..160 {
        let patch = json!({ "metadata": { "labels": { "round": round.to_string() } } });
        maps.patch("large", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }
    let (rss_after, peak) = memory_mib();
    let database = database_mib(&server);
    let (count, bytes) = server.control_plane.state().store.history_size();
    server.control_plane.state().store.maintain().unwrap();
    let dir = server.stop().await;
    let server = TestServer::start_in(dir).await;
    let restarted = database_mib(&server);
    let (rss_restarted, _) = memory_mib();
    println!(
        "160 label updates of a 2.5 MB object: RSS {rss_before} MiB before, {rss_after} MiB after \
         (peak {peak} MiB); history {count} changes, {} MiB; database {database} MiB, \
         {restarted} MiB after a restart; RSS {rss_restarted} MiB with the restarted server",
        bytes / (1024 * 1024)
    );
    assert!(bytes <= 64 * 1024 * 1024, "history {bytes} bytes");
    // Without the byte bound the history alone held 160 versions (800 MB with the objects
    // before them); these bounds leave room for allocator slack and debug builds.
    assert!(database < 300, "database {database} MiB");
    assert!(restarted < 300, "database {restarted} MiB after a restart");
    server.stop().await;
}
