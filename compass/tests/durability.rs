//! Durability of the real `compass up` process: every write it acknowledged survives `kill -9`,
//! resourceVersions keep increasing after the restart, and a data directory serves one process
//! at a time.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{
    Api, Client, Config, ResourceExt,
    api::{ListParams, ObjectMeta, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use tokio::sync::Notify;

/// How long the test waits for the process before it fails.
const DEADLINE: Duration = Duration::from_secs(20);
/// Writes acknowledged before the process is killed.
const ACKNOWLEDGED: usize = 200;
/// Writes in flight at once; several are cut off by the kill.
const CONCURRENCY: usize = 8;

/// A running `compass up`, killed when dropped so a failing test leaves no process behind.
struct Compass {
    child: Child,
}

impl Compass {
    /// Starts `compass up` on `data_dir` and a free port, and waits until it says it is ready.
    fn start(data_dir: &Path) -> Self {
        let mut child = up(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready, is_ready) = mpsc::channel();
        // Keeps reading until the process ends, so its stdout never fills up.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("compass: ready") {
                    let _ = ready.send(());
                }
            }
        });
        let compass = Self { child };
        is_ready
            .recv_timeout(DEADLINE)
            .expect("compass up becomes ready in time");
        compass
    }

    /// Sends SIGKILL and reaps the process.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Compass {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `compass up` on `data_dir` and a free loopback port, with stderr captured.
fn up(data_dir: &Path) -> Command {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_compass"));
    command
        .args(["up", "--data-dir"])
        .arg(data_dir)
        .args(["--apiserver-address", &format!("127.0.0.1:{port}")])
        // Tests run in parallel: the default ports (8080, 3000) would be taken by the other one.
        .args(["--admin-address", "127.0.0.1:0"])
        .args(["--api-address", "127.0.0.1:0"])
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// A client from the kubeconfig `compass up` wrote into `data_dir`.
async fn client(data_dir: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(data_dir.join("kubeconfig")).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn config_map(index: usize) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(format!("cm-{index:04}")),
            ..Default::default()
        },
        data: Some([("index".to_owned(), index.to_string())].into()),
        ..Default::default()
    }
}

fn rv_number(object: &impl ResourceExt) -> u64 {
    object.resource_version().unwrap().parse().unwrap()
}

/// Creates ConfigMaps as fast as the server takes them, recording each acknowledged one with its
/// resourceVersion, and notifies once [`ACKNOWLEDGED`] were.
async fn create_until_killed(
    maps: Api<ConfigMap>,
    acknowledged: Arc<Mutex<BTreeMap<String, u64>>>,
    enough: Arc<Notify>,
) {
    stream::iter(0..ACKNOWLEDGED * 10)
        .map(|index| {
            let maps = maps.clone();
            async move {
                maps.create(&PostParams::default(), &config_map(index))
                    .await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .for_each(|created| {
            if let Ok(created) = created {
                let mut acknowledged = acknowledged.lock().unwrap();
                acknowledged.insert(created.name_any(), rv_number(&created));
                if acknowledged.len() == ACKNOWLEDGED {
                    enough.notify_one();
                }
            }
            std::future::ready(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_kill_9_and_later_writes_get_larger_resource_versions() {
    let data_dir = tempfile::tempdir().unwrap();
    let compass = Compass::start(data_dir.path());
    let first_client = client(data_dir.path()).await;
    let namespace: Namespace =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": "durable" } })).unwrap();
    Api::<Namespace>::all(first_client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();

    let maps: Api<ConfigMap> = Api::namespaced(first_client, "durable");
    let acknowledged = Arc::new(Mutex::new(BTreeMap::new()));
    let enough = Arc::new(Notify::new());
    let writer = tokio::spawn(create_until_killed(
        maps,
        acknowledged.clone(),
        enough.clone(),
    ));
    let started = Instant::now();
    tokio::time::timeout(DEADLINE, enough.notified())
        .await
        .expect("the writes are acknowledged in time");
    compass.kill();
    let writes_took = started.elapsed();
    // Requests cut off by the kill fail, and are not acknowledged.
    tokio::time::timeout(DEADLINE, writer)
        .await
        .expect("the writer gives up once the server is gone")
        .unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= ACKNOWLEDGED);

    let restarted = Instant::now();
    let compass = Compass::start(data_dir.path());
    let restart_took = restarted.elapsed();
    let maps: Api<ConfigMap> = Api::namespaced(client(data_dir.path()).await, "durable");
    let stored: BTreeMap<String, ConfigMap> = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|map| (map.name_any(), map))
        .collect();
    for (name, rv) in &acknowledged {
        let map = stored
            .get(name)
            .unwrap_or_else(|| panic!("{name} was acknowledged but is gone"));
        assert_eq!(rv_number(map), *rv, "{name}");
        let index: usize = name.trim_start_matches("cm-").parse().unwrap();
        assert_eq!(map.data, config_map(index).data, "{name}");
    }

    let last = acknowledged.values().max().copied().unwrap();
    let newest = stored.values().map(rv_number).max().unwrap();
    let after = maps
        .create(&PostParams::default(), &config_map(ACKNOWLEDGED * 10))
        .await
        .unwrap();
    assert!(rv_number(&after) > last.max(newest));
    compass.kill();
    println!(
        "{} writes acknowledged in {writes_took:?} before kill -9; restart took {restart_took:?}",
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_compass_up_on_the_same_data_dir_fails_and_says_the_directory_is_in_use() {
    let data_dir = tempfile::tempdir().unwrap();
    let first = Compass::start(data_dir.path());

    let mut second = up(data_dir.path()).spawn().unwrap();
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second compass up kept running on a data directory in use");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = second.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success());
    assert!(
        stderr.contains("is in use by another compass process")
            && stderr.contains(&data_dir.path().display().to_string()),
        "{stderr}"
    );
    let namespaces: Api<Namespace> = Api::all(client(data_dir.path()).await);
    namespaces
        .list(&ListParams::default())
        .await
        .expect("the first process still serves");
    first.kill();
}
