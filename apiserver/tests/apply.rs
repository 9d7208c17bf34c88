//! `kubectl apply`, client-side and server-side, against the embedded API server: what kubectl
//! prints for each outcome, the generation it leaves, and field-manager conflicts.

use crate::test_server;

use serde_json::Value;
use test_server::TestServer;

/// An Application in kubectl's default namespace with the given description.
fn application(description: &str) -> String {
    format!(
        "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: shop
spec:
  providerName: ACME
  description: {description}
"
    )
}

fn jsonpath(server: &TestServer, path: &str) -> String {
    server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-o",
        &format!("jsonpath={path}"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_side_apply_prints_created_unchanged_and_configured_and_bumps_generation_once() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let name = "application.compass.kyma-project.io/shop";

    let created = server.apply_yaml(&application("first"), &[]);
    assert_eq!(created.trim(), format!("{name} created"));
    assert_eq!(jsonpath(&server, "{.metadata.generation}"), "1");
    let first_version = jsonpath(&server, "{.metadata.resourceVersion}");

    let unchanged = server.apply_yaml(&application("first"), &[]);
    assert_eq!(unchanged.trim(), format!("{name} unchanged"));
    assert_eq!(
        jsonpath(&server, "{.metadata.resourceVersion}"),
        first_version
    );

    let configured = server.apply_yaml(&application("second"), &[]);
    assert_eq!(configured.trim(), format!("{name} configured"));
    assert_eq!(jsonpath(&server, "{.metadata.generation}"), "2");
    assert_eq!(jsonpath(&server, "{.spec.description}"), "second");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_prints_serverside_applied_and_records_its_manager() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let name = "application.compass.kyma-project.io/shop";

    let created = server.apply_yaml(&application("first"), &["--server-side"]);
    assert_eq!(created.trim(), format!("{name} serverside-applied"));
    let again = server.apply_yaml(&application("second"), &["--server-side"]);
    assert_eq!(again.trim(), format!("{name} serverside-applied"));
    assert_eq!(jsonpath(&server, "{.metadata.generation}"), "2");
    let managers = jsonpath(
        &server,
        "{range .metadata.managedFields[*]}{.manager}/{.operation} {end}",
    );
    assert_eq!(managers.trim(), "kubectl/Apply");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_field_manager_changing_a_value_conflicts_unless_it_forces() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(&application("first"), &["--server-side"]);

    // The same value is shared without a conflict.
    server.apply_yaml(
        &application("first"),
        &["--server-side", "--field-manager=other"],
    );

    let refused = server.apply_yaml_err(
        &application("theirs"),
        &["--server-side", "--field-manager=other"],
    );
    assert!(refused.contains("conflict"), "{refused}");
    assert!(
        refused.contains(r#"conflict with "kubectl""#) && refused.contains(".spec.description"),
        "{refused}"
    );
    assert_eq!(jsonpath(&server, "{.spec.description}"), "first");

    let forced = server.apply_yaml(
        &application("theirs"),
        &[
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
        ],
    );
    assert_eq!(
        forced.trim(),
        "application.compass.kyma-project.io/shop serverside-applied"
    );
    assert_eq!(jsonpath(&server, "{.spec.description}"), "theirs");
    let json = server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    let object: Value = serde_json::from_str(&json).unwrap();
    let owners: Vec<&str> = object["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| !entry["fieldsV1"]["f:spec"]["f:description"].is_null())
        .map(|entry| entry["manager"].as_str().unwrap())
        .collect();
    assert_eq!(
        owners,
        ["other"],
        "only the forcing manager owns the field now"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_file_applies_item_by_item_and_an_item_with_an_unknown_field_is_refused() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(&application("first"), &[]);
    // What `kubectl get -o yaml` writes for several objects, applied back as it is: the
    // configuration kubectl records in its annotation is the whole listed object now.
    let listed = server.kubectl_ok(&["get", "applications", "-o", "yaml"]);
    assert!(listed.contains("kind: List"), "{listed}");
    let applied = server.apply_yaml(&listed, &[]);
    assert_eq!(
        applied.trim(),
        "application.compass.kyma-project.io/shop configured"
    );
    assert_eq!(jsonpath(&server, "{.spec.description}"), "first");
    let list = "apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
  data:
    mode: fast
- apiVersion: compass.kyma-project.io/v1alpha1
  kind: Application
  metadata:
    name: shelf
  spec:
    providerName: ACME
";
    let applied = server.apply_yaml(list, &[]);
    assert_eq!(
        applied.lines().collect::<Vec<_>>(),
        [
            "configmap/settings created",
            "application.compass.kyma-project.io/shelf created",
        ]
    );
    let mistaken = "apiVersion: v1
kind: List
items:
- apiVersion: compass.kyma-project.io/v1alpha1
  kind: Application
  metadata:
    name: typo
  spec:
    providerName: ACME
    descripton: misspelt
";
    let refused = server.apply_yaml_err(mistaken, &[]);
    assert!(
        refused.contains(r#"unknown field "spec.descripton""#),
        "{refused}"
    );
    assert!(
        !server
            .kubectl(&["get", "application", "typo"])
            .status
            .success()
    );
    server.stop().await;
}
