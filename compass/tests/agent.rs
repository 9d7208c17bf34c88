//! The Runtime Agent as a user runs it: `compass up` for the management plane and `compass
//! apiserver` for the runtime, side by side, and `compass agent` started with a token requested
//! through the Director. The assigned application appears in the runtime, the management plane
//! shows the agent's report, the agent's admin listener serves its metrics, and
//! `spec.resyncNow` is honoured and cleared.

use crate::compass_up;

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use compass_api::client::DirectorClient;
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID as TENANT;
use compass_up::{CompassUp, free_port};
use serde_json::{Value, json};

/// Polls `check` every 200 ms until it returns something, failing after 30 s with `what`.
fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `data` of an operation by the admin, failing on errors.
fn data(
    runtime: &tokio::runtime::Runtime,
    admin: &DirectorClient,
    query: &str,
    vars: Value,
) -> Value {
    let answer = runtime.block_on(admin.execute(query, vars)).unwrap();
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    answer.body["data"].clone()
}

/// The body of a plain-HTTP GET of `path` on `address`.
fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// `compass agent` for the runtime served from `runtime_dir`, with `args`, and its admin port.
fn agent_command(runtime_dir: &Path, admin: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_compass"));
    command
        .arg("agent")
        .arg("--kubeconfig")
        .arg(runtime_dir.join("kubeconfig"))
        .args(["--admin-address", admin, "--sync-interval", "60s"])
        .args(args)
        .env_remove("KUBECONFIG");
    command
}

#[test]
fn an_agent_started_with_a_token_applies_reports_and_serves_its_metrics() {
    let management_dir = tempfile::tempdir().unwrap();
    let runtime_dir = tempfile::tempdir().unwrap();
    let management = CompassUp::start(management_dir.path(), &[]);
    let runtime = CompassUp::start_apiserver(runtime_dir.path(), &[]);

    let tokio = tokio::runtime::Runtime::new().unwrap();
    let token = std::fs::read_to_string(management_dir.path().join("admin-token")).unwrap();
    let ca_file = management_dir.path().join("ca.crt");
    let ca = std::fs::read_to_string(&ca_file).unwrap();
    let admin = DirectorClient::new(&management.director_url(), &ca, token.trim())
        .unwrap()
        .tenant(TENANT);
    let register = "mutation ($name: String!) { registerApplication(in: { name: $name }) { id } }";
    let shop = data(&tokio, &admin, register, json!({ "name": "shop" }));
    let shop = shop["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let register = "mutation { registerRuntime(in: { name: \"edge\" }) { id } }";
    let edge = data(&tokio, &admin, register, json!({}));
    let edge = edge["registerRuntime"]["id"].as_str().unwrap().to_owned();
    let request =
        "mutation ($id: ID!) { requestOneTimeTokenForRuntime(id: $id) { token connectorURL } }";
    let invitation = data(&tokio, &admin, request, json!({ "id": edge }));
    let invitation = &invitation["requestOneTimeTokenForRuntime"];

    let admin_address = format!("127.0.0.1:{}", free_port());
    let flags = [
        "--connector-url",
        invitation["connectorURL"].as_str().unwrap(),
        "--runtime-id",
        &edge,
        "--tenant",
        TENANT,
        "--token",
        invitation["token"].as_str().unwrap(),
        "--ca-cert-file",
        ca_file.to_str().unwrap(),
    ];
    let agent = CompassUp::spawn(
        agent_command(runtime_dir.path(), &admin_address, &flags),
        runtime_dir.path(),
    );

    let kyma = "applications.applicationconnector.kyma-project.io";
    let selector = format!("compass.kyma-project.io/application-id={shop}");
    until("the shop is applied in the runtime", || {
        let listed = runtime.kubectl(&["get", kyma, "-l", &selector, "-o", "name"]);
        (!String::from_utf8_lossy(&listed.stdout).trim().is_empty()).then_some(())
    });
    let wide = until("the management plane shows the agent's report", || {
        let wide = management.kubectl_ok(&["get", "runtimes", "-A", "-o", "wide"]);
        wide.contains("Synchronized").then_some(wide)
    });
    assert!(wide.contains(env!("CARGO_PKG_VERSION")), "{wide}");

    let metrics = http_get(&admin_address, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("compass_agent_applications_applied_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("compass_agent_certificate_expiry_timestamp_seconds"),
        "{metrics}"
    );

    // A resync asked for in CompassConnection runs at once (the interval is a minute) and the
    // request is cleared.
    let last_attempt = || {
        let path = "jsonpath={.status.synchronizationStatus.lastAttempt}";
        runtime.kubectl_ok(&["get", "compassconnection", "compass-connection", "-o", path])
    };
    let before = last_attempt();
    std::thread::sleep(Duration::from_millis(1100));
    let ask = r#"{"spec":{"resyncNow":true}}"#;
    runtime.kubectl_ok(&[
        "patch",
        "compassconnection",
        "compass-connection",
        "--type",
        "merge",
        "-p",
        ask,
    ]);
    until("the resync ran and its request was cleared", || {
        let path = "jsonpath={.spec.resyncNow}";
        let asked =
            runtime.kubectl_ok(&["get", "compassconnection", "compass-connection", "-o", path]);
        (asked != "true" && last_attempt() != before).then_some(())
    });

    let lines = agent.interrupt();
    assert!(
        lines.iter().any(|l| l.contains("compass: agent running")),
        "{lines:#?}"
    );
}
