//! A check that the real `kubectl` reads these documents: a throwaway plain-HTTP server on
//! 127.0.0.1 answers discovery, serves the documents and logs every request, and `kubectl
//! explain` and `kubectl apply` run against it. Like every kubectl test it needs `kubectl` on
//! PATH; `cargo test -p compass-apiserver kubectl -- --nocapture` shows what kubectl sent.

use std::{
    collections::BTreeMap,
    process::Command,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{OpenApiDocuments, fixtures::all_resources};
use crate::resource::ResourceInfo;

#[derive(Clone)]
struct Server {
    docs: OpenApiDocuments,
    resources: Arc<Vec<ResourceInfo>>,
    log: Arc<Mutex<Vec<String>>>,
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `APIResourceList` of one group-version, with a `<plural>/status` entry where served.
fn resource_list(resources: &[ResourceInfo], group_version: &str) -> Value {
    let mut entries = Vec::new();
    for r in resources
        .iter()
        .filter(|r| r.api_version() == group_version)
    {
        let verbs = [
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ];
        entries.push(json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": verbs, "shortNames": r.short_names, "categories": r.categories,
        }));
        if r.status_subresource {
            entries.push(json!({
                "name": format!("{}/status", r.plural), "singularName": "",
                "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get", "patch", "update"],
            }));
        }
    }
    json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": entries })
}

fn group_list(resources: &[ResourceInfo]) -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in resources.iter().filter(|r| !r.group.is_empty()) {
        let versions = groups.entry(&r.group).or_default();
        if !versions.contains(&r.version.as_str()) {
            versions.push(&r.version);
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({ "groupVersion": format!("{name}/{v}"), "version": v }))
                .collect();
            json!({ "name": name, "versions": versions, "preferredVersion": versions[0] })
        })
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// An existing Namespace `demo` last applied with one label and one finalizer, to which a
/// controller added a second finalizer. Applying it again makes kubectl compute a strategic merge
/// patch from the `api/v1` document: with `finalizers` marked `patch-strategy: merge` the patch
/// deletes only the applied finalizer and keeps the controller's.
fn existing_namespace() -> Value {
    let applied = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"annotations":{},"finalizers":["a.example.com"],"labels":{"team":"a"},"name":"demo"}}"#;
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "demo", "uid": "4f7c8a8e-0000-4000-8000-000000000001", "resourceVersion": "5",
        "labels": { "team": "a" }, "finalizers": ["a.example.com", "controller.example.com"],
        "annotations": { "kubectl.kubernetes.io/last-applied-configuration": applied } } })
}

async fn handle(
    State(server): State<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_end_matches('/').to_string();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    server.log.lock().unwrap().push(format!(
        "{method} {} [{content_type}] {}",
        uri,
        String::from_utf8_lossy(&body)
    ));
    let not_found = || {
        json_response(
            StatusCode::NOT_FOUND,
            &json!({ "kind": "Status", "apiVersion": "v1", "status": "Failure",
                     "reason": "NotFound", "code": 404, "message": "not found" }),
        )
    };
    let resources = server.resources.as_slice();
    match (method.as_str(), path.as_str()) {
        ("GET", "/version") => json_response(
            StatusCode::OK,
            &json!({ "major": "1", "minor": "32", "gitVersion": "v1.32.5", "platform": "linux/amd64" }),
        ),
        ("GET", "/api") => json_response(
            StatusCode::OK,
            &json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs":
                     [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1" }] }),
        ),
        ("GET", "/apis") => json_response(StatusCode::OK, &group_list(resources)),
        ("GET", "/api/v1") => json_response(StatusCode::OK, &resource_list(resources, "v1")),
        ("GET", "/openapi/v3") => json_response(StatusCode::OK, server.docs.index()),
        ("GET", p) if p.starts_with("/openapi/v3/") => {
            match server.docs.document(&p["/openapi/v3/".len()..]) {
                Some((bytes, hash)) => (
                    [
                        (header::CONTENT_TYPE, "application/json".to_string()),
                        (header::ETAG, format!("\"{hash}\"")),
                    ],
                    bytes.clone(),
                )
                    .into_response(),
                None => not_found(),
            }
        }
        ("GET", "/api/v1/namespaces/demo") => json_response(StatusCode::OK, &existing_namespace()),
        ("PATCH", "/api/v1/namespaces/demo") => {
            json_response(StatusCode::OK, &existing_namespace())
        }
        ("GET", p) if p.matches('/').count() == 3 && p.starts_with("/apis/") => json_response(
            StatusCode::OK,
            &resource_list(resources, &p["/apis/".len()..]),
        ),
        ("POST", _) => {
            let mut object: Value = serde_json::from_slice(&body).unwrap_or_default();
            object["metadata"]["uid"] = "4f7c8a8e-0000-4000-8000-000000000002".into();
            object["metadata"]["resourceVersion"] = "7".into();
            json_response(StatusCode::CREATED, &object)
        }
        ("PATCH", _) => {
            let mut object: Value = serde_json::from_slice(&body).unwrap_or_default();
            object["metadata"]["resourceVersion"] = "8".into();
            json_response(StatusCode::CREATED, &object)
        }
        _ => not_found(),
    }
}

/// Runs kubectl against the server and returns (success, stdout, stderr).
fn kubectl(
    port: u16,
    dir: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    use std::io::Write;
    let mut command = Command::new("kubectl");
    command
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .arg(format!("--server=http://127.0.0.1:{port}"))
        .arg(format!("--cache-dir={}", dir.join("cache").display()))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("kubectl on PATH");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

const APPLICATION: &str = "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: {name: billing, namespace: default}
spec: {providerName: ACME}
";

const APPLICATION_WITH_TYPO: &str = "apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: {name: billing2, namespace: default}
spec: {providerName: ACME, provderNme: typo}
";

const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {team: b}, finalizers: [b.example.com]}
";

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_explains_and_applies_with_these_documents() {
    let resources = all_resources();
    let server = Server {
        docs: OpenApiDocuments::build(&resources),
        resources: Arc::new(resources),
        log: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new().fallback(handle).with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().to_path_buf();
    std::fs::write(dir.join("kubeconfig"), "").unwrap();

    // Each run with the text its output must contain.
    let runs: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["explain", "applications.spec"],
            None,
            "FIELD: spec <Object>",
        ),
        (
            &["explain", "applications.metadata.finalizers"],
            None,
            "FIELD: finalizers <[]string>",
        ),
        (&["explain", "namespaces"], None, "KIND:       Namespace"),
        (
            &["explain", "crd.spec.versions.schema"],
            None,
            "openAPIV3Schema\t<JSONSchemaProps>",
        ),
        (
            &["explain", "leases.spec", "--recursive"],
            None,
            "holderIdentity\t<string>",
        ),
        (&["apply", "-f", "-"], Some(APPLICATION), "billing created"),
        // Accepted: kubectl leaves unknown fields to the server once it sees fieldValidation.
        (
            &["apply", "-f", "-"],
            Some(APPLICATION_WITH_TYPO),
            "billing2 created",
        ),
        (
            &["apply", "--server-side", "-f", "-"],
            Some(APPLICATION),
            "serverside-applied",
        ),
        (&["apply", "-f", "-"], Some(NAMESPACE), "demo configured"),
    ];
    let mut failures = Vec::new();
    for (args, stdin, expected) in runs {
        let shown = args.join(" ");
        let (dir, args, stdin) = (dir.clone(), args.to_vec(), *stdin);
        let (ok, stdout, stderr) =
            tokio::task::spawn_blocking(move || kubectl(port, &dir, &args, stdin))
                .await
                .unwrap();
        println!("=== kubectl {shown} -> ok={ok}\n{stdout}{stderr}");
        if !ok || !stdout.contains(expected) || stderr.contains("warning") {
            failures.push(shown);
        }
    }
    println!("=== requests");
    let log = server.log.lock().unwrap().clone();
    for line in &log {
        let shown: String = line.chars().take(600).collect();
        println!("{shown}");
    }
    let sent = |needle: &str| log.iter().any(|line| line.contains(needle));
    if !sent("applications?fieldManager=kubectl-client-side-apply&fieldValidation=Strict") {
        failures.push("POST with fieldValidation=Strict".into());
    }
    if !sent("\"$deleteFromPrimitiveList/finalizers\":[\"a.example.com\"]") {
        failures.push("strategic merge patch merging metadata.finalizers".into());
    }
    assert!(failures.is_empty(), "kubectl failed: {failures:?}");
}
