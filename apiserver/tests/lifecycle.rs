//! Object lifecycles the server drives on its own, observed through the real `kubectl`: a deleted
//! namespace empties and goes, a terminating namespace refuses new objects, owned objects are
//! garbage-collected with their owner, and a deleted CRD takes its objects and its API with it.

use crate::test_server;

use test_server::{TestServer, eventually};

fn gone(server: &TestServer, args: &[&str]) -> bool {
    let mut get = vec!["get"];
    get.extend(args);
    let output = server.kubectl(&get);
    !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("NotFound")
}

fn application(name: &str, namespace: &str, finalizer: Option<&str>) -> String {
    let finalizers = finalizer.map_or(String::new(), |f| format!("\n  finalizers: [{f}]"));
    format!(
        "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: {namespace}{finalizers}
spec: {{}}
"
    )
}

/// A namespace `life` holding a ConfigMap, a Secret and an Application (held by `finalizer`).
fn populated_namespace(server: &TestServer, finalizer: Option<&str>) {
    server.install_compass_crds();
    server.kubectl_ok(&["create", "namespace", "life"]);
    server.kubectl_ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "life",
        "--from-literal=a=1",
    ]);
    server.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "life",
        "--from-literal=a=1",
    ]);
    server.apply_yaml(&application("shop", "life", finalizer), &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_removes_everything_in_it_and_then_the_namespace() {
    let server = TestServer::start().await;
    populated_namespace(&server, None);
    let deleted = server.kubectl_ok(&["delete", "namespace", "life", "--wait=false"]);
    assert_eq!(deleted.trim(), r#"namespace "life" deleted"#);
    eventually("the namespace to go", || async {
        gone(&server, &["namespace", "life"]).then_some(())
    })
    .await;
    for kind in ["configmap", "secret", "application"] {
        let listed = server.kubectl_ok(&["get", kind, "-A", "-o", "name"]);
        assert!(
            !listed.contains("settings") && !listed.contains("creds") && !listed.contains("shop"),
            "a {kind} survived its namespace: {listed}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminating_namespace_refuses_new_objects_until_it_is_gone() {
    let server = TestServer::start().await;
    populated_namespace(&server, Some("example.com/hold"));
    server.kubectl_ok(&["delete", "namespace", "life", "--wait=false"]);
    eventually(
        "the namespace to hold only the finalized application",
        || async {
            (gone(&server, &["configmap", "settings", "-n", "life"])
                && gone(&server, &["secret", "creds", "-n", "life"]))
            .then_some(())
        },
    )
    .await;
    let phase = server.kubectl_ok(&["get", "namespace", "life", "-o", "jsonpath={.status.phase}"]);
    assert_eq!(phase, "Terminating");
    let timestamp = server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-n",
        "life",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]);
    assert!(!timestamp.is_empty(), "the application is being deleted");

    let refused = server.kubectl_err(&["create", "configmap", "late", "-n", "life"]);
    assert!(
        refused.contains(r#"configmaps "late" is forbidden: unable to create new content in namespace life because it is being terminated"#),
        "{refused}"
    );
    let refused = server.apply_yaml_err(&application("late", "life", None), &[]);
    assert!(
        refused.contains("Forbidden") || refused.contains("forbidden"),
        "{refused}"
    );
    assert!(refused.contains("being terminated"), "{refused}");

    server.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "life",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    eventually("the namespace to go", || async {
        gone(&server, &["namespace", "life"]).then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_map_owned_by_an_application_is_collected_with_it() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(&application("shop", "default", None), &[]);
    let uid = server.kubectl_ok(&[
        "get",
        "application",
        "shop",
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    for name in ["owned", "free"] {
        let owner = if name == "owned" {
            format!(
                "\n  ownerReferences:\n  - apiVersion: compass.kyma-project.io/v1alpha1\n    kind: Application\n    name: shop\n    uid: {uid}"
            )
        } else {
            String::new()
        };
        server.apply_yaml(
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{owner}\ndata: {{a: b}}\n"),
            &[],
        );
    }
    server.kubectl_ok(&["delete", "application", "shop"]);
    eventually("the owned config map to be collected", || async {
        gone(&server, &["configmap", "owned"]).then_some(())
    })
    .await;
    server.kubectl_ok(&["get", "configmap", "free"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_crd_removes_its_objects_and_its_api() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(&application("shop", "default", None), &[]);
    let crd = "customresourcedefinition/applications.compass.kyma-project.io";
    // Without waiting, so a collector that only notices the emptied CRD on its periodic sweep
    // (every 30 s) fails the deadline below.
    server.kubectl_ok(&["delete", crd, "--wait=false"]);
    eventually("the CRD to go", || async {
        gone(&server, &[crd]).then_some(())
    })
    .await;

    let resources = server.kubectl_ok(&["api-resources", "--api-group=compass.kyma-project.io"]);
    assert!(!resources.contains("applications"), "{resources}");
    assert!(
        resources.contains("runtimes"),
        "other kinds stay: {resources}"
    );
    let missing = server.kubectl_err(&["get", "applications"]);
    assert!(
        missing.contains(r#"the server doesn't have a resource type "applications""#),
        "{missing}"
    );

    // Recreated, the CRD starts empty: the old objects were deleted, not hidden.
    server.install_compass_crds();
    let listed = server.kubectl(&["get", "applications", "-A"]);
    assert!(listed.status.success(), "{listed:?}");
    assert_eq!(
        String::from_utf8_lossy(&listed.stderr).trim(),
        "No resources found"
    );
    server.stop().await;
}
