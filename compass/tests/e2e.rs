//! End to end, as a person runs it: the real `compass up`, `kubectl apply -f examples/`, and
//! every object Ready. The catalog's spec download and the CRM's webhook go to a local server. The
//! examples name 127.0.0.1:18090 for it (where `examples/serve.py` listens); the tests serve on a
//! free port instead and apply copies of the examples naming that port, so they never wait for
//! each other or collide with anything else on the machine.

use crate::compass_up;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Router,
    http::HeaderMap,
    routing::{get, post},
};
use compass_up::CompassUp;

/// Where the examples expect their endpoints.
const EXAMPLES_ENDPOINTS: &str = "127.0.0.1:18090";

/// The examples' endpoints on a free port: the catalog's spec and a webhook that answers with
/// credentials. Returns the server's task, its address and how often the webhook was called.
async fn examples_server() -> (tokio::task::JoinHandle<()>, String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let spec =
        std::fs::read_to_string(compass_up::repo().join("examples/specs/catalog-openapi.json"))
            .unwrap();
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().unwrap().to_string();
    (
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }),
        address,
        calls,
    )
}

/// A copy of the manifests `kubectl apply -f examples/` applies, with the examples' endpoints
/// moved to `address`.
fn examples_at(address: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(compass_up::repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let manifest = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        );
        if path.is_file() && manifest {
            let text = std::fs::read_to_string(&path).unwrap();
            let moved = text.replace(EXAMPLES_ENDPOINTS, address);
            std::fs::write(copy.path().join(path.file_name().unwrap()), moved).unwrap();
        }
    }
    copy
}

/// Waits until every object the examples create is Ready; on failure the message carries every
/// object of the product.
fn wait_all_ready(compass: &CompassUp) {
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
        let output = compass.kubectl(&args);
        if !output.status.success() {
            let objects = compass.kubectl(&["get", "compass", "-A", "-o", "yaml"]);
            panic!(
                "kubectl {} failed: {}\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&objects.stdout)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_becomes_ready_on_compass_up() {
    let (server, endpoints, webhook_calls) = examples_server().await;
    let examples = examples_at(&endpoints);
    let data_dir = tempfile::tempdir().unwrap();
    let compass = CompassUp::start(data_dir.path(), &["--outbound-allow", &endpoints]);
    compass.kubectl_ok(&["apply", "-f", &examples.path().display().to_string()]);
    wait_all_ready(&compass);

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
    let (server, endpoints, _) = examples_server().await;
    let examples = examples_at(&endpoints);
    let data_dir = tempfile::tempdir().unwrap();
    let compass = CompassUp::start(data_dir.path(), &["--outbound-allow", &endpoints]);
    compass.kubectl_ok(&["apply", "-f", &examples.path().display().to_string()]);
    // Killed at once: the controllers have only begun.
    compass.kill();
    let compass = CompassUp::start(data_dir.path(), &["--outbound-allow", &endpoints]);
    wait_all_ready(&compass);
    let applications = compass.kubectl_ok(&["get", "applications", "-n", "acme", "-o", "name"]);
    assert_eq!(applications.lines().count(), 3, "{applications}");
    compass.kill();
    server.abort();
}
