//! End to end, as a person runs it: the real `compass up`, `kubectl apply -f examples/`, and
//! every object Ready. The catalog's spec download and the CRM's webhook go to a local server on
//! the port the examples name (127.0.0.1:18090).

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    http::HeaderMap,
    routing::{get, post},
};
use tokio::sync::Mutex;

/// The examples' fixed port is shared, so these tests take turns.
static EXAMPLES_PORT: Mutex<()> = Mutex::const_new(());

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serves the examples' spec directory and a webhook that answers with credentials.
async fn examples_server() -> (tokio::task::JoinHandle<()>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let spec = std::fs::read_to_string(repo().join("examples/specs/catalog-openapi.json")).unwrap();
    let router = Router::new()
        .route("/catalog-openapi.json", get(move || async move { spec }))
        .route(
            "/crm/configuration-changed",
            post(move |headers: HeaderMap| async move {
                counted.fetch_add(1, Ordering::SeqCst);
                let authorized = headers.get("authorization").is_some_and(|v| v.to_str().unwrap_or_default().starts_with("Basic "));
                if authorized {
                    (axum::http::StatusCode::OK, r#"{"credential":{"basic":{"username":"runtime-user","password":"runtime-secret"}}}"#)
                } else {
                    (axum::http::StatusCode::UNAUTHORIZED, "{}")
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:18090")
        .await
        .expect("port 18090 is free");
    (
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }),
        calls,
    )
}

struct Compass {
    child: Child,
    data_dir: PathBuf,
}

impl Compass {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_compass"))
            .args(["up", "--data-dir"])
            .arg(data_dir)
            .args(["--apiserver-address", &format!("127.0.0.1:{}", free_port())])
            .args(["--admin-address", &format!("127.0.0.1:{}", free_port())])
            .args(["--api-address", "127.0.0.1:0"])
            .args(["--outbound-allow", "127.0.0.1:18090"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("compass starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        assert!(
            lines.any(|line| line.unwrap().starts_with("compass: ready")),
            "compass up did not become ready"
        );
        Self {
            child,
            data_dir: data_dir.to_owned(),
        }
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", self.data_dir.join("kubeconfig"))
            .env("KUBECACHEDIR", self.data_dir.join("kubectl-cache"))
            .current_dir(repo())
            .output()
            .expect("kubectl is on PATH")
    }

    fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            output.status.success(),
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until every object the examples create is Ready; on failure the message carries every
    /// object of the product.
    fn wait_all_ready(&self) {
        let kinds = [
            ("tenants", None),
            ("integrationsystems", None),
            ("applicationtemplates", None),
            ("scenarios", Some("acme")),
            ("labeldefinitions", Some("acme")),
            ("applications", Some("acme")),
            ("runtimes", Some("acme")),
            ("systemauths", Some("acme")),
        ];
        for (kind, namespace) in kinds {
            let mut args = vec![
                "wait",
                "--for=condition=Ready",
                kind,
                "--all",
                "--timeout=90s",
            ];
            if let Some(namespace) = namespace {
                args.extend(["-n", namespace]);
            }
            let output = self.kubectl(&args);
            if !output.status.success() {
                let objects = self.kubectl(&["get", "compass", "-A", "-o", "yaml"]);
                panic!(
                    "kubectl {} failed: {}\n{}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr),
                    String::from_utf8_lossy(&objects.stdout)
                );
            }
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Compass {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_becomes_ready_on_compass_up() {
    let _port = EXAMPLES_PORT.lock().await;
    let (server, webhook_calls) = examples_server().await;
    let data_dir = tempfile::tempdir().unwrap();
    let compass = Compass::start(data_dir.path());
    compass.kubectl_ok(&["apply", "-f", "examples/"]);
    compass.wait_all_ready();

    let listing = compass.kubectl_ok(&["get", "compass", "-A"]);
    assert!(
        !listing.contains("False"),
        "an object is not Ready:\n{listing}"
    );
    let catalog = compass.kubectl_ok(&[
        "get",
        "application",
        "catalog",
        "-n",
        "acme",
        "-o",
        "jsonpath={.status.apiDefinitions[0].fetch.condition}",
    ]);
    assert_eq!(catalog, "SUCCEEDED");
    let credentials = compass.kubectl_ok(&[
        "get",
        "application",
        "crm",
        "-n",
        "acme",
        "-o",
        "jsonpath={.status.runtimeCredentials[*].runtime}",
    ]);
    assert_eq!(
        credentials, "prod-eu",
        "the CRM webhook delivered credentials for the runtime it shares a scenario with"
    );
    assert!(webhook_calls.load(Ordering::SeqCst) >= 1);
    // The README's flow warns of nothing: no object waited for something the operator or the
    // examples themselves create a moment later.
    let warnings = compass.kubectl_ok(&[
        "get",
        "events",
        "-A",
        "--field-selector",
        "type=Warning",
        "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}",
    ]);
    assert!(warnings.trim().is_empty(), "Warnings:\n{warnings}");
    compass.kill();
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_convergence_loses_nothing() {
    let _port = EXAMPLES_PORT.lock().await;
    let (server, _) = examples_server().await;
    let data_dir = tempfile::tempdir().unwrap();
    let compass = Compass::start(data_dir.path());
    compass.kubectl_ok(&["apply", "-f", "examples/"]);
    // Killed at once: the controllers have only begun.
    compass.kill();
    let compass = Compass::start(data_dir.path());
    compass.wait_all_ready();
    let applications = compass.kubectl_ok(&["get", "applications", "-n", "acme", "-o", "name"]);
    assert_eq!(applications.lines().count(), 3, "{applications}");
    compass.kill();
    server.abort();
}
