//! The product's CRDs and examples through the real `kubectl`: the CRDs install and are
//! discoverable with their short names and category, every valid example applies under strict
//! field validation and reads back, and `kubectl explain` shows the field docs.

use crate::test_server;

use std::{fs, path::Path};

use serde::Deserialize;
use serde_json::Value;
use test_server::{TestServer, repo_root};

const GROUP: &str = "compass.kyma-project.io";

/// Every kind of the product's group with its plural and short name.
const KINDS: [(&str, &str, &str); 8] = [
    ("Application", "applications", "capp"),
    ("ApplicationTemplate", "applicationtemplates", "apptmpl"),
    ("IntegrationSystem", "integrationsystems", "intsys"),
    ("LabelDefinition", "labeldefinitions", "ldef"),
    ("Runtime", "runtimes", "rt"),
    ("Scenario", "scenarios", "scn"),
    ("SystemAuth", "systemauths", "sysauth"),
    ("Tenant", "tenants", "tnt"),
];

/// The objects of every `examples/*.yaml` file, in file order.
fn valid_examples() -> Vec<Value> {
    let dir = repo_root().join("examples");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files.iter().flat_map(|path| documents(path)).collect()
}

fn documents(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|value| !value.is_null())
        .collect()
}

/// How kubectl names the resource of an object: `kind.group`, or just the kind for core kinds.
fn resource_of(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap().to_lowercase();
    match object["apiVersion"].as_str().unwrap().split_once('/') {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind,
    }
}

/// The paths at which `actual` lacks something `expected` holds (extra keys in `actual` are
/// fine: the server adds defaults and metadata).
fn missing_from(expected: &Value, actual: &Value, path: &str) -> Vec<String> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => expected
            .iter()
            .flat_map(|(key, value)| {
                let child = format!("{path}.{key}");
                match actual.get(key) {
                    Some(found) => missing_from(value, found, &child),
                    None if value.is_null() => Vec::new(),
                    None => vec![format!("{child} is missing")],
                }
            })
            .collect(),
        (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
            expected
                .iter()
                .zip(actual)
                .enumerate()
                .flat_map(|(i, (e, a))| missing_from(e, a, &format!("{path}[{i}]")))
                .collect()
        }
        _ if expected == actual => Vec::new(),
        _ => vec![format!("{path} is {actual}, not {expected}")],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compass_crd_is_established_and_listed_by_kubectl_get_crd() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let names = server.kubectl_ok(&["get", "crd", "-o", "name"]);
    let mut listed: Vec<&str> = names.lines().collect();
    listed.sort();
    let mut expected: Vec<String> = KINDS
        .iter()
        .map(|(_, plural, _)| {
            format!("customresourcedefinition.apiextensions.k8s.io/{plural}.{GROUP}")
        })
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_lists_every_compass_kind_with_its_short_name() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let table = server.kubectl_ok(&["api-resources", "--api-group", GROUP, "--no-headers"]);
    let mut rows: Vec<Vec<&str>> = table
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    rows.sort();
    let expected: Vec<Vec<&str>> = KINDS
        .iter()
        .map(|(kind, plural, short)| {
            let namespaced = if matches!(
                *kind,
                "ApplicationTemplate" | "IntegrationSystem" | "Tenant"
            ) {
                "false"
            } else {
                "true"
            };
            vec![
                *plural,
                *short,
                "compass.kyma-project.io/v1alpha1",
                namespaced,
                *kind,
            ]
        })
        .collect();
    assert_eq!(rows, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_compass_lists_objects_of_every_kind_in_the_category() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    // NB: kubectl expands categories from its discovery cache without refreshing it on a miss
    // (kubernetes/kubernetes#65517), so right after CRDs are installed it needs a refresh, as
    // it does against kube-apiserver. `api-resources` refreshes the cache.
    server.kubectl_ok(&["api-resources"]);
    let empty = server.kubectl(&["get", "compass", "-A"]);
    assert!(empty.status.success(), "{empty:?}");
    assert_eq!(
        String::from_utf8_lossy(&empty.stderr).trim(),
        "No resources found"
    );
    server.kubectl_ok(&["apply", "-f", "examples/"]);
    let names = server.kubectl_ok(&["get", "compass", "-A", "-o", "name"]);
    for (kind, _, _) in KINDS {
        let prefix = format!("{}.{GROUP}/", kind.to_lowercase());
        assert!(
            names.lines().any(|line| line.starts_with(&prefix)),
            "no {kind} in `kubectl get compass -A`:\n{names}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_valid_example_applies_strictly_and_reads_back_with_kubectl_get() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let applied = server.kubectl_ok(&["apply", "-f", "examples/"]);
    let examples = valid_examples();
    assert_eq!(
        applied.lines().filter(|l| l.ends_with(" created")).count(),
        examples.len(),
        "every example object is created:\n{applied}"
    );
    let mut problems = Vec::new();
    for example in &examples {
        let name = example["metadata"]["name"].as_str().unwrap();
        let mut args = vec!["get", "-o", "json"];
        let resource = resource_of(example);
        args.extend([resource.as_str(), name]);
        if let Some(namespace) = example["metadata"]["namespace"].as_str() {
            args.extend(["-n", namespace]);
        }
        let output = server.kubectl(&args);
        if !output.status.success() {
            problems.push(format!(
                "{resource}/{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let read: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut expected = example.clone();
        if let Some(string_data) = expected.as_object_mut().unwrap().remove("stringData") {
            // The server folds a Secret's stringData into base64 data; only the keys are compared.
            for key in string_data.as_object().unwrap().keys() {
                if read["data"][key].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{resource}/{name}: data.{key} is missing"));
                }
            }
        }
        for problem in missing_from(&expected, &read, "") {
            problems.push(format!("{resource}/{name}: {problem}"));
        }
    }
    assert!(
        problems.is_empty(),
        "examples read back differently:\n{}",
        problems.join("\n")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_explain_prints_the_field_docs_of_application_spec() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    let explained = server.kubectl_ok(&["explain", "applications.spec"]);
    assert!(explained.contains("KIND:       Application"), "{explained}");
    for doc in [
        "What the application is.",
        "Who provides the application, for example a vendor.",
        "URL that reports the application's health.",
    ] {
        assert!(explained.contains(doc), "{doc:?} is not in:\n{explained}");
    }
    let field = server.kubectl_ok(&["explain", "applications.spec.scenarios"]);
    assert!(
        field.contains("Scenarios the application belongs to"),
        "{field}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_explain_works_for_namespaces() {
    let server = TestServer::start().await;
    let explained = server.kubectl_ok(&["explain", "namespaces"]);
    assert!(explained.contains("KIND:       Namespace"), "{explained}");
    assert!(
        explained.contains("Namespace provides a scope for Names."),
        "{explained}"
    );
    let spec = server.kubectl_ok(&["explain", "namespaces.spec.finalizers"]);
    assert!(spec.contains("FIELD: finalizers <[]string>"), "{spec}");
    server.stop().await;
}
