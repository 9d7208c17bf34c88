//! A CRD the project has never seen, through the real `kubectl`: it becomes Established and is
//! served in both versions, with its short name, category and printer columns; defaults are
//! applied, and nullable, int-or-string and preserved fields keep what they are given.

use crate::gadget_crd;
use crate::test_server;

use gadget_crd::{MINIMAL, gadget, server_with_gadgets};
use serde_json::{Value, json};
use test_server::{TestServer, condition};

fn get_json(server: &TestServer, args: &[&str]) -> Value {
    let mut all = vec!["get", "-o", "json"];
    all.extend(args);
    serde_json::from_str(&server.kubectl_ok(&all)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unseen_crd_is_established_and_discoverable_in_both_versions() {
    let server = server_with_gadgets().await;
    let resources = server.kubectl_ok(&[
        "api-resources",
        "--api-group=toys.example.com",
        "--no-headers",
    ]);
    assert_eq!(
        resources.split_whitespace().collect::<Vec<_>>(),
        ["gadgets", "gdg", "toys.example.com/v1", "true", "Gadget"]
    );
    let group: Value =
        serde_json::from_str(&server.kubectl_ok(&["get", "--raw", "/apis/toys.example.com"]))
            .unwrap();
    let versions: Vec<&str> = group["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["v1", "v1beta1"]);
    assert_eq!(group["preferredVersion"]["version"], "v1");
    let crd = get_json(&server, &["crd", "gadgets.toys.example.com"]);
    let established = condition(&crd, "Established").expect("an Established condition");
    assert_eq!(established.0, "True");
    assert_eq!(crd["status"]["acceptedNames"]["shortNames"], json!(["gdg"]));
    assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_short_name_and_the_category_list_gadgets_with_their_printer_columns() {
    let server = server_with_gadgets().await;
    let mut spec = MINIMAL.to_vec();
    spec.extend(["size: 7", "builtAt: \"2020-01-02T03:04:05Z\""]);
    server.apply_yaml(&gadget("g1", &spec), &[]);

    let table = server.kubectl_ok(&["get", "gdg"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[0], ["NAME", "COLOR", "SIZE", "BUILT"]);
    assert_eq!(&rows[1][..3], ["g1", "red", "7"]);
    assert!(
        rows[1][3].ends_with(['s', 'm', 'h', 'd', 'y']),
        "a date column shows an age: {table}"
    );

    // NB: kubectl expands categories from its discovery cache without refreshing it on a miss
    // (kubernetes/kubernetes#65517); `api-resources` refreshes it.
    server.kubectl_ok(&["api-resources"]);
    let by_category = server.kubectl_ok(&["get", "toybox"]);
    assert_eq!(by_category, table, "the category lists the same table");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_are_applied_on_create_including_inside_list_items() {
    let server = server_with_gadgets().await;
    let mut spec = MINIMAL.to_vec();
    spec.push("parts: [{name: wheel}, {name: bell, count: 2}]");
    server.apply_yaml(&gadget("g1", &spec), &[]);
    let object = get_json(&server, &["gadget", "g1"]);
    assert_eq!(object["spec"]["size"], 3);
    assert_eq!(object["spec"]["minSize"], 1);
    assert_eq!(
        object["spec"]["parts"],
        json!([{"name": "wheel", "count": 1}, {"name": "bell", "count": 2}])
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nullable_int_or_string_and_preserved_fields_keep_what_they_are_given() {
    let server = server_with_gadgets().await;
    let mut spec = MINIMAL.to_vec();
    spec.extend([
        "note: null",
        "nickname: null",
        "port: http",
        "extra: {anything: {goes: [1, two, {three: true}]}}",
    ]);
    // `kubectl create` sends the nulls as written; `apply` would leave them out.
    let output = server.kubectl_with_stdin(&["create", "-f", "-"], &gadget("g1", &spec));
    assert!(output.status.success(), "{output:?}");
    let mut numbered = MINIMAL.to_vec();
    numbered.push("port: 8080");
    server.apply_yaml(&gadget("g2", &numbered), &[]);

    let first = get_json(&server, &["gadget", "g1"]);
    let spec = first["spec"].as_object().unwrap();
    assert_eq!(spec.get("note"), Some(&Value::Null), "nullable keeps null");
    assert!(
        !spec.contains_key("nickname"),
        "a null in a non-nullable field without a default is dropped: {first}"
    );
    assert_eq!(first["spec"]["port"], "http");
    assert_eq!(
        first["spec"]["extra"],
        json!({"anything": {"goes": [1, "two", {"three": true}]}})
    );
    let second = get_json(&server, &["gadget", "g2"]);
    assert_eq!(second["spec"]["port"], 8080);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_reads_in_either_served_version_with_that_api_version() {
    let server = server_with_gadgets().await;
    server.apply_yaml(&gadget("g1", &MINIMAL), &[]);
    let beta = get_json(&server, &["gadgets.v1beta1.toys.example.com", "g1"]);
    assert_eq!(beta["apiVersion"], "toys.example.com/v1beta1");
    assert_eq!(beta["spec"]["serial"], "AB-1234");

    let written_in_beta =
        gadget("g2", &MINIMAL).replace("toys.example.com/v1", "toys.example.com/v1beta1");
    server.apply_yaml(&written_in_beta, &[]);
    let stable = get_json(&server, &["gadgets.v1.toys.example.com", "g2"]);
    assert_eq!(stable["apiVersion"], "toys.example.com/v1");
    // Defaults of the storage version are applied when an object is read from storage, so v1
    // defaults show even though the v1beta1 schema has none.
    assert_eq!(stable["spec"]["size"], 3, "{stable}");
    let listed = get_json(&server, &["gadgets.v1beta1.toys.example.com"]);
    let versions: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["apiVersion"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["toys.example.com/v1beta1"; 2]);
    server.stop().await;
}
