//! Everyday `kubectl` verbs against the embedded API server: finalizers holding a deleted object,
//! label and field selectors, the system namespaces, and the imperative commands on built-in
//! kinds (`create`, `label`, `annotate`, `patch` of every type, `delete`, `get -w`).

use crate::test_server;

use std::time::Duration;

use test_server::{TestServer, eventually};

fn get(server: &TestServer, args: &[&str], path: &str) -> String {
    let jsonpath = format!("jsonpath={path}");
    let mut all = vec!["get"];
    all.extend(args);
    all.extend(["-o", jsonpath.as_str()]);
    server.kubectl_ok(&all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalizer_holds_a_deleted_object_until_it_is_removed() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: held
  finalizers: [example.com/hold]
spec: {}
",
        &[],
    );
    let deleted = server.kubectl_ok(&["delete", "application", "held", "--wait=false"]);
    assert_eq!(
        deleted.trim(),
        r#"application.compass.kyma-project.io "held" deleted"#
    );
    let app = ["application", "held"];
    let timestamp = get(&server, &app, "{.metadata.deletionTimestamp}");
    assert!(timestamp.ends_with('Z'), "deletionTimestamp: {timestamp:?}");
    assert_eq!(
        get(&server, &app, "{.metadata.finalizers}"),
        r#"["example.com/hold"]"#
    );

    server.kubectl_ok(&[
        "patch",
        "application",
        "held",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    eventually("the application to disappear", || async {
        (!server
            .kubectl(&["get", "application", "held"])
            .status
            .success())
        .then_some(())
    })
    .await;
    let gone = server.kubectl_err(&["get", "application", "held"]);
    assert!(gone.contains("NotFound"), "{gone}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors_pick_exactly_the_matching_objects() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.kubectl_ok(&["create", "namespace", "sel"]);
    let mut manifests = String::new();
    for (name, env) in [
        ("a", Some("prod")),
        ("b", Some("dev")),
        ("c", Some("test")),
        ("d", None),
    ] {
        let labels = match env {
            Some(env) => format!("{{suite: sel, env: {env}}}"),
            None => "{suite: sel}".to_owned(),
        };
        manifests.push_str(&format!(
            "---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: sel, labels: {labels}}}
spec: {{}}
"
        ));
    }
    server.apply_yaml(&manifests, &[]);

    let names = |selector: &[&str]| {
        let mut args = vec!["applications", "-n", "sel"];
        args.extend(selector);
        get(&server, &args, "{.items[*].metadata.name}")
    };
    assert_eq!(names(&["-l", "env=prod"]), "a");
    assert_eq!(names(&["-l", "env!=prod"]), "b c d");
    assert_eq!(names(&["-l", "env in (prod,dev)"]), "a b");
    assert_eq!(names(&["-l", "env notin (prod)"]), "b c d");
    assert_eq!(names(&["-l", "env"]), "a b c");
    assert_eq!(names(&["-l", "!env"]), "d");
    assert_eq!(names(&["-l", "suite=sel,env notin (prod,test)"]), "b d");
    assert_eq!(names(&["--field-selector", "metadata.name=c"]), "c");
    assert_eq!(names(&["--field-selector", "metadata.name!=c"]), "a b d");
    assert_eq!(
        names(&["-l", "env", "--field-selector", "metadata.name!=a"]),
        "b c"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_namespaces_exist_and_default_may_not_be_deleted() {
    let server = TestServer::start().await;
    let names = server.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [
            "namespace/default",
            "namespace/kube-node-lease",
            "namespace/kube-public",
            "namespace/kube-system"
        ]
    );
    let refused = server.kubectl_err(&["delete", "namespace", "default"]);
    assert_eq!(
        refused.trim(),
        r#"Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted"#
    );
    server.kubectl_ok(&["create", "namespace", "verbs"]);
    let by_name = server.kubectl_ok(&[
        "get",
        "namespaces",
        "-l",
        "kubernetes.io/metadata.name=verbs",
        "-o",
        "name",
    ]);
    assert_eq!(by_name.trim(), "namespace/verbs");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_secret_generic_stores_an_opaque_secret_with_base64_data() {
    let server = TestServer::start().await;
    let created = server.kubectl_ok(&["create", "namespace", "verbs"]);
    assert_eq!(created.trim(), "namespace/verbs created");
    let secret = server.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "verbs",
        "--from-literal=user=admin",
        "--from-literal=password=s3cr3t",
    ]);
    assert_eq!(secret.trim(), "secret/creds created");
    let secret = ["secret", "creds", "-n", "verbs"];
    assert_eq!(get(&server, &secret, "{.type}"), "Opaque");
    assert_eq!(get(&server, &secret, "{.data.user}"), "YWRtaW4=");
    assert_eq!(get(&server, &secret, "{.data.password}"), "czNjcjN0");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_annotate_need_overwrite_to_change_a_value() {
    let server = TestServer::start().await;
    let created = server.kubectl_ok(&["create", "configmap", "settings", "--from-literal=a=1"]);
    assert_eq!(created.trim(), "configmap/settings created");
    let cm = ["configmap", "settings"];

    let labeled = server.kubectl_ok(&["label", "configmap", "settings", "tier=gold"]);
    assert_eq!(labeled.trim(), "configmap/settings labeled");
    let refused = server.kubectl_err(&["label", "configmap", "settings", "tier=silver"]);
    assert!(refused.contains("--overwrite is false"), "{refused}");
    server.kubectl_ok(&[
        "label",
        "configmap",
        "settings",
        "tier=silver",
        "--overwrite",
    ]);
    assert_eq!(get(&server, &cm, "{.metadata.labels.tier}"), "silver");
    server.kubectl_ok(&["label", "configmap", "settings", "tier-"]);
    assert_eq!(get(&server, &cm, "{.metadata.labels}"), "");

    let annotated = server.kubectl_ok(&["annotate", "configmap", "settings", "note=one"]);
    assert_eq!(annotated.trim(), "configmap/settings annotated");
    let refused = server.kubectl_err(&["annotate", "configmap", "settings", "note=two"]);
    assert!(refused.contains("--overwrite is false"), "{refused}");
    assert_eq!(get(&server, &cm, "{.metadata.annotations.note}"), "one");
    server.kubectl_ok(&[
        "annotate",
        "configmap",
        "settings",
        "note=two",
        "--overwrite",
    ]);
    assert_eq!(get(&server, &cm, "{.metadata.annotations.note}"), "two");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_applies_strategic_merge_and_json_patches_to_a_config_map() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "configmap", "settings", "--from-literal=a=1"]);
    let cm = ["configmap", "settings"];
    let data = || get(&server, &cm, "{.data}");

    // Strategic merge is kubectl's default patch type for built-in kinds.
    let patched = server.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ]);
    assert_eq!(patched.trim(), "configmap/settings patched");
    assert_eq!(data(), r#"{"a":"1","b":"2"}"#);

    server.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "--type=merge",
        "-p",
        r#"{"data":{"a":null,"c":"3"}}"#,
    ]);
    assert_eq!(data(), r#"{"b":"2","c":"3"}"#);

    let json_patch = |expected: &str, value: &str| {
        format!(
            r#"[{{"op":"test","path":"/data/b","value":"{expected}"}},{{"op":"replace","path":"/data/b","value":"{value}"}}]"#
        )
    };
    server.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "--type=json",
        "-p",
        &json_patch("2", "20"),
    ]);
    assert_eq!(data(), r#"{"b":"20","c":"3"}"#);
    let failed = server.kubectl_err(&[
        "patch",
        "configmap",
        "settings",
        "--type=json",
        "-p",
        &json_patch("2", "200"),
    ]);
    assert!(failed.contains("test"), "{failed}");
    assert_eq!(
        data(),
        r#"{"b":"20","c":"3"}"#,
        "a failed test changes nothing"
    );

    let unchanged = server.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "-p",
        r#"{"data":{"c":"3"}}"#,
    ]);
    assert_eq!(unchanged.trim(), "configmap/settings patched (no change)");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_a_config_map_and_get_then_reports_not_found() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "configmap", "settings", "--from-literal=a=1"]);
    let deleted = server.kubectl_ok(&["delete", "configmap", "settings"]);
    assert_eq!(deleted.trim(), r#"configmap "settings" deleted"#);
    let missing = server.kubectl_err(&["get", "configmap", "settings"]);
    assert_eq!(
        missing.trim(),
        r#"Error from server (NotFound): configmaps "settings" not found"#
    );
    let again = server.kubectl_err(&["delete", "configmap", "settings"]);
    assert!(again.contains("NotFound"), "{again}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_on_config_maps_prints_additions_and_changes() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "configmap", "first", "--from-literal=a=1"]);
    let mut watch = server.kubectl_stream(&["get", "configmaps", "-w"]);
    let header = watch.line_where(Duration::from_secs(10), |line| line.starts_with("NAME"));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "DATA", "AGE"]
    );
    watch.line_where(Duration::from_secs(10), |line| line.starts_with("first "));

    server.kubectl_ok(&["create", "configmap", "second", "--from-literal=a=1"]);
    watch.line_where(Duration::from_secs(10), |line| line.starts_with("second "));
    server.kubectl_ok(&[
        "patch",
        "configmap",
        "first",
        "-p",
        r#"{"data":{"b":"2","c":"3"}}"#,
    ]);
    watch.line_where(Duration::from_secs(10), |line| {
        line.split_whitespace().take(2).eq(["first", "3"])
    });
    server.stop().await;
}
