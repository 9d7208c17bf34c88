//! Every GraphQL example under `examples/graphql/applications/` runs against a fresh Director, in
//! file-name order, each with the ids earlier examples returned as variables; none may answer
//! with errors, and none may be skipped.

use crate::director_application_env;

use std::{collections::BTreeMap, fs, path::PathBuf};

use axum::{Router, routing::get};
use compass_tests::serve;
use director_application_env::{Env, register_runtime};
use serde_json::{Value, json};

fn examples() -> Vec<PathBuf> {
    let dir = compass_tests::repo_root().join("examples/graphql/applications");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    files
}

/// Ids an example's answer provides to later examples: (variable, JSON pointer into `data`).
fn captures(file: &str) -> &'static [(&'static str, &'static str)] {
    match file {
        "01-register-application.graphql" => &[
            ("applicationID", "/result/id"),
            ("webhookID", "/result/webhooks/0/id"),
            ("apiID", "/result/apiDefinitions/data/0/id"),
            ("eventID", "/result/eventDefinitions/data/0/id"),
            ("documentID", "/result/documents/data/0/id"),
        ],
        "08-add-webhook.graphql" => &[("webhookID", "/result/id")],
        "11-add-api-definition.graphql" => &[("apiID", "/result/id")],
        "19-add-event-definition.graphql" => &[("eventID", "/result/id")],
        "24-add-document.graphql" => &[("documentID", "/result/id")],
        "30-create-application-template.graphql" => &[("templateID", "/result/id")],
        _ => &[],
    }
}

/// What some answers must say, beyond having no errors: (JSON pointer into `data`, value).
fn expectations(file: &str) -> Vec<(&'static str, Value)> {
    match file {
        "01-register-application.graphql" => vec![
            ("/result/name", json!("wordpress")),
            ("/result/apiDefinitions/totalCount", json!(1)),
        ],
        "03-query-applications-by-labels.graphql" => vec![("/result/totalCount", json!(1))],
        "07-delete-application-label.graphql" => {
            vec![("/result/value/team", json!("marketing"))]
        }
        "15-query-api-runtime-auths.graphql" => vec![(
            "/result/apiDefinition/auth/auth/credential/clientId",
            json!("edge-client"),
        )],
        "26-query-applications-for-runtime.graphql" => vec![("/result/totalCount", json!(1))],
        "28-query-eventing-configuration.graphql" => vec![(
            "/result/eventingConfiguration/defaultURL",
            json!("https://edge.example.com/events/wordpress/v1/events"),
        )],
        "34-register-application-from-template.graphql" => vec![
            ("/result/name", json!("outdoor-shop")),
            (
                "/result/healthCheckURL",
                json!("https://outdoor.example.com/healthz"),
            ),
        ],
        "36-unregister-application.graphql" => vec![("/result/name", json!("wordpress"))],
        _ => Vec::new(),
    }
}

/// The variables an example uses, from those known so far.
fn variables_for(text: &str, known: &BTreeMap<String, Value>) -> Value {
    let used: serde_json::Map<String, Value> = known
        .iter()
        .filter(|(name, _)| text.contains(&format!("${name}")))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Value::Object(used)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_application_example_runs_in_order_without_errors() {
    let files = examples();
    assert!(
        files.len() >= 30,
        "examples/graphql/applications/ lost files"
    );
    let env = Env::start().await;
    let spec = Router::new().route(
        "/openapi.yaml",
        get(|| async { "openapi: 3.0.0\ninfo: {title: Posts, version: 1.0.0}\npaths: {}\n" }),
    );
    let base = serve(spec).await;
    let runtime = register_runtime(
        &env.client,
        "edge",
        json!({ "runtime/event_service_url": "https://edge.example.com/events" }),
    )
    .await;
    let system = env
        .director
        .api
        .admin
        .data(
            "mutation { registerIntegrationSystem(in: { name: \"publishing\" }) { id } }",
            json!({}),
        )
        .await["registerIntegrationSystem"]["id"]
        .clone();
    let mut known: BTreeMap<String, Value> = BTreeMap::from([
        ("runtimeID".to_owned(), json!(runtime)),
        ("integrationSystemID".to_owned(), system),
        ("specURL".to_owned(), json!(format!("{base}/openapi.yaml"))),
    ]);

    let mut ran = Vec::new();
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(file.ends_with(".graphql"), "{file} is not a .graphql file");
        let text = fs::read_to_string(path).unwrap();
        assert!(
            text.starts_with("# ") && text.lines().nth(1).is_some_and(|l| !l.starts_with('#')),
            "{file} must start with a one-line # comment saying what it does"
        );
        let operations = text
            .lines()
            .filter(|l| l.starts_with("query ") || l.starts_with("mutation "))
            .count();
        assert_eq!(
            operations, 1,
            "{file} must hold exactly one named operation"
        );
        let response = env.client.send(&text, variables_for(&text, &known)).await;
        assert!(
            response.body.get("errors").is_none(),
            "{file} answered with errors: {}",
            response.body
        );
        let data = &response.body["data"];
        for (pointer, expected) in expectations(&file) {
            assert_eq!(
                data.pointer(pointer),
                Some(&expected),
                "{file}: {pointer} in {data}"
            );
        }
        for (variable, pointer) in captures(&file) {
            let value = data
                .pointer(pointer)
                .filter(|v| v.is_string())
                .unwrap_or_else(|| panic!("{file} gave no {pointer}: {data}"));
            known.insert((*variable).to_owned(), value.clone());
        }
        ran.push(file);
    }
    assert_eq!(ran.len(), files.len(), "every example ran");
    env.stop().await;
}
