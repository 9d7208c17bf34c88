//! Observing objects with the real `kubectl`: the metadata the server sets, `get -w` printing
//! table rows of changes as they happen, and `kubectl wait` honouring observedGeneration.

use crate::test_server;

use std::time::Duration;

use serde_json::Value;
use test_server::TestServer;

const APPLICATION: &str = "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: shop
spec:
  description: A web shop.
";

/// Writes the status of Application `shop` through the status subresource: Ready is True for
/// `observed` generation, and the scenarios and runtime count printer columns show.
fn write_ready_status(server: &TestServer, observed: i64) {
    let status = serde_json::json!({
        "status": {
            "observedGeneration": observed,
            "scenarios": ["DEFAULT", "marketing"],
            "scenarioSummary": "DEFAULT, marketing",
            "runtimeCount": 3,
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "reason": "Reconciled",
                "message": "All good.",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "observedGeneration": observed,
            }],
        }
    });
    server.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_yaml_shows_the_metadata_the_server_sets() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(APPLICATION, &[]);
    let yaml = server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    let object: Value = serde_yaml::from_str(&yaml).unwrap();
    let metadata = &object["metadata"];
    let uid = metadata["uid"].as_str().unwrap();
    assert_eq!(uid.len(), 36, "a UUID: {uid}");
    assert_eq!(uid.matches('-').count(), 4, "a UUID: {uid}");
    let version = metadata["resourceVersion"].as_str().unwrap();
    assert!(version.parse::<u64>().is_ok(), "{version}");
    let created = metadata["creationTimestamp"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "RFC 3339 in whole seconds: {created}"
    );
    assert_eq!(metadata["generation"], 1);
    assert_eq!(metadata["namespace"], "default");
    let managed = &metadata["managedFields"][0];
    assert_eq!(managed["manager"], "kubectl-client-side-apply");
    assert_eq!(managed["operation"], "Update");
    assert_eq!(managed["fieldsType"], "FieldsV1");
    assert!(
        managed["fieldsV1"]["f:spec"]["f:description"].is_object(),
        "{yaml}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_prints_the_printer_columns_of_a_change_made_meanwhile() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(APPLICATION, &[]);
    let mut watch = server.kubectl_stream(&["get", "applications", "-w"]);
    let header = watch.line_where(Duration::from_secs(10), |line| line.starts_with("NAME"));
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(columns, ["NAME", "READY", "SCENARIOS", "RUNTIMES", "AGE"]);
    watch.line_where(Duration::from_secs(10), |line| line.starts_with("shop "));

    write_ready_status(&server, 1);
    // The READY, SCENARIOS and RUNTIMES cells come from the CRD's printer columns, which only a
    // Table watch event carries.
    let changed = watch.line_where(Duration::from_secs(10), |line| {
        let cells: Vec<&str> = line.split_whitespace().collect();
        cells.len() == 6 && cells[0] == "shop" && cells[1] == "True"
    });
    let cells: Vec<&str> = changed.split_whitespace().collect();
    assert_eq!(
        &cells[..5],
        ["shop", "True", "DEFAULT,", "marketing", "3"],
        "{changed}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_wait_for_ready_passes_only_when_the_condition_observed_the_current_generation() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(APPLICATION, &[]);
    server.apply_yaml(
        &APPLICATION.replace("A web shop.", "A bigger web shop."),
        &[],
    );
    let generation = server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-o",
        "jsonpath={.metadata.generation}",
    ]);
    assert_eq!(generation, "2");

    write_ready_status(&server, 1);
    let stale = server.kubectl_err(&[
        "wait",
        "--for=condition=Ready",
        "application/shop",
        "--timeout=1s",
    ]);
    assert!(stale.contains("timed out"), "{stale}");

    write_ready_status(&server, 2);
    let met = server.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "application/shop",
        "--timeout=10s",
    ]);
    assert_eq!(
        met.trim(),
        "application.compass.kyma-project.io/shop condition met"
    );
    server.stop().await;
}
