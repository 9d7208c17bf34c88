//! Every manifest in `examples/invalid/` is rejected by the server through the real `kubectl apply`,
//! with the error its `# Expect:` line names, and nothing of it is stored.

use crate::test_server;

use std::{collections::BTreeMap, fs};

use serde::Deserialize;
use serde_json::Value;
use test_server::{TestServer, repo_root};

/// An invalid example: its file name, the text its rejection must contain, and its objects.
struct Invalid {
    file: String,
    expect: String,
    objects: Vec<Value>,
}

fn invalid_examples() -> Vec<Invalid> {
    let dir = repo_root().join("examples/invalid");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).unwrap();
            let file = format!("examples/invalid/{}", path.file_name().unwrap().display());
            let expect = text
                .lines()
                .find_map(|line| line.strip_prefix("# Expect: "))
                .unwrap_or_else(|| panic!("{file} has no `# Expect:` line"))
                .trim()
                .to_owned();
            let objects = serde_yaml::Deserializer::from_str(&text)
                .map(|document| Value::deserialize(document).unwrap())
                .filter(|value| !value.is_null())
                .collect();
            Invalid {
                file,
                expect,
                objects,
            }
        })
        .collect()
}

/// `(kubectl resource, namespace)` of an object, for `kubectl get`.
fn resource_and_namespace(object: &Value) -> (String, Option<String>) {
    let kind = object["kind"].as_str().unwrap().to_lowercase();
    let resource = match object["apiVersion"].as_str().unwrap().split_once('/') {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind,
    };
    let namespace = object["metadata"]["namespace"].as_str().map(str::to_owned);
    (resource, namespace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_example_is_rejected_with_its_expected_error_and_nothing_is_stored() {
    let server = TestServer::start().await;
    server.install_compass_crds();
    server.kubectl_ok(&["apply", "-f", "examples/"]);
    let examples = invalid_examples();
    assert!(
        examples.len() >= 20,
        "only {} invalid examples",
        examples.len()
    );

    let mut wrong = Vec::new();
    for example in &examples {
        let output = server.kubectl(&["apply", "-f", &example.file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            wrong.push(format!(
                "{}: accepted: {}",
                example.file,
                String::from_utf8_lossy(&output.stdout).trim()
            ));
        } else if !stderr.contains(&example.expect) {
            wrong.push(format!(
                "{}: expected {:?} in the error, got: {}",
                example.file,
                example.expect,
                stderr.trim()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} invalid examples were wrongly accepted or gave the wrong error:\n{}",
        wrong.len(),
        examples.len(),
        wrong.join("\n")
    );

    // Listing is one request; `kubectl get` of many names would be throttled by kubectl itself
    // (5 requests a second after a burst of 10), so each resource is listed once and one name
    // of it is also read on its own.
    let mut names: BTreeMap<(String, Option<String>), Vec<String>> = BTreeMap::new();
    for object in examples.iter().flat_map(|example| &example.objects) {
        let name = object["metadata"]["name"].as_str().unwrap().to_owned();
        names
            .entry(resource_and_namespace(object))
            .or_default()
            .push(name);
    }
    let mut stored = Vec::new();
    for ((resource, namespace), names) in names {
        let namespace = namespace.as_deref().unwrap_or("default");
        let listed = server.kubectl_ok(&["get", &resource, "-n", namespace, "-o", "name"]);
        for name in &names {
            if listed
                .lines()
                .any(|line| line.ends_with(&format!("/{name}")))
            {
                stored.push(format!("{resource}/{name}"));
            }
        }
        let missing = server.kubectl_err(&["get", &resource, &names[0], "-n", namespace]);
        assert!(
            missing.contains(&format!("\"{}\" not found", names[0])),
            "{missing}"
        );
    }
    assert!(
        stored.is_empty(),
        "rejected objects were stored: {stored:?}"
    );
    server.stop().await;
}
