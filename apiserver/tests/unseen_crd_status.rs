//! The status subresource, generation and resourceVersion of a CRD the project has never seen,
//! through the real `kubectl`: only spec changes bump the generation, status and spec each
//! change only through their own endpoint, and a write that changes nothing keeps the version.

use crate::gadget_crd;
use crate::test_server;

use gadget_crd::{MINIMAL, gadget, server_with_gadgets};
use test_server::TestServer;

fn field(server: &TestServer, path: &str) -> String {
    server.kubectl_ok(&["get", "gadget", "g1", "-o", &format!("jsonpath={path}")])
}

fn version(server: &TestServer) -> String {
    field(server, "{.metadata.resourceVersion}")
}

fn patch(server: &TestServer, extra: &[&str], body: &str) -> String {
    let mut args = vec!["patch", "gadget", "g1", "--type=merge", "-p", body];
    args.extend(extra);
    server.kubectl_ok(&args).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_spec_changes_bump_the_generation() {
    let server = server_with_gadgets().await;
    server.apply_yaml(&gadget("g1", &MINIMAL), &[]);
    assert_eq!(field(&server, "{.metadata.generation}"), "1");

    let before = version(&server);
    server.kubectl_ok(&["label", "gadget", "g1", "team=toys"]);
    assert_eq!(field(&server, "{.metadata.generation}"), "1", "labels");
    assert_ne!(version(&server), before, "a label change is a new version");

    let before = version(&server);
    patch(
        &server,
        &["--subresource=status"],
        r#"{"status":{"phase":"Built"}}"#,
    );
    assert_eq!(field(&server, "{.status.phase}"), "Built");
    assert_eq!(field(&server, "{.metadata.generation}"), "1", "status");
    assert_ne!(version(&server), before, "a status change is a new version");

    patch(&server, &[], r#"{"spec":{"color":"blue"}}"#);
    assert_eq!(field(&server, "{.metadata.generation}"), "2", "spec");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_only_through_the_status_subresource_and_spec_only_through_the_object() {
    let server = server_with_gadgets().await;
    let mut manifest = gadget("g1", &MINIMAL);
    manifest.push_str("status:\n  phase: Invented\n");
    server.apply_yaml(&manifest, &[]);
    assert_eq!(
        field(&server, "{.status}"),
        "",
        "status is dropped on create"
    );

    patch(
        &server,
        &["--subresource=status"],
        r#"{"status":{"phase":"Built"}}"#,
    );
    let before = version(&server);
    let ignored = patch(&server, &[], r#"{"status":{"phase":"Broken"}}"#);
    assert_eq!(ignored, "gadget.toys.example.com/g1 patched (no change)");
    assert_eq!(field(&server, "{.status.phase}"), "Built");
    assert_eq!(version(&server), before);

    let ignored = patch(
        &server,
        &["--subresource=status"],
        r#"{"spec":{"color":"green"}}"#,
    );
    assert_eq!(ignored, "gadget.toys.example.com/g1 patched (no change)");
    assert_eq!(field(&server, "{.spec.color}"), "red");
    assert_eq!(field(&server, "{.metadata.generation}"), "1");
    assert_eq!(version(&server), before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_changes_nothing_keeps_the_resource_version() {
    let server = server_with_gadgets().await;
    server.apply_yaml(&gadget("g1", &MINIMAL), &["--server-side"]);
    patch(
        &server,
        &["--subresource=status"],
        r#"{"status":{"phase":"Built"}}"#,
    );
    let before = version(&server);

    let same = patch(&server, &[], r#"{"spec":{"color":"red"}}"#);
    assert_eq!(same, "gadget.toys.example.com/g1 patched (no change)");
    let same = patch(
        &server,
        &["--subresource=status"],
        r#"{"status":{"phase":"Built"}}"#,
    );
    assert_eq!(same, "gadget.toys.example.com/g1 patched (no change)");
    server.apply_yaml(&gadget("g1", &MINIMAL), &["--server-side"]);

    let current = server.kubectl_ok(&["get", "gadget", "g1", "-o", "yaml"]);
    let replaced = server.kubectl_with_stdin(&["replace", "-f", "-"], &current);
    assert!(replaced.status.success(), "{replaced:?}");

    assert_eq!(version(&server), before, "no write changed anything");
    assert_eq!(field(&server, "{.metadata.generation}"), "1");
    server.stop().await;
}
