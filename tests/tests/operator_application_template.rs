//! The ApplicationTemplate controller against a real control plane: placeholders declared and
//! used, and an input that makes a valid application.

use compass_crds::ApplicationTemplate;
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, eventually};
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde_json::json;

fn ready(template: &ApplicationTemplate) -> Option<(String, String, String)> {
    let status = template.status.as_ref()?;
    if status.observed_generation != template.metadata.generation {
        return None;
    }
    let found = status.conditions.iter().find(|c| c.type_ == "Ready")?;
    Some((
        found.status.clone(),
        found.reason.clone(),
        found.message.clone(),
    ))
}

const TEMPLATES: &str = r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: ApplicationTemplate
metadata: { name: commerce }
spec:
  description: A commerce system of one region
  placeholders:
    - { name: name, description: The application's name }
    - { name: region }
  applicationInput:
    name: "{{name}}"
    providerName: SAP
    labels: { region: "{{region}}" }
    apiDefinitions:
      - name: orders
        targetURL: "https://{{region}}.commerce.example.com/api"
        spec: { type: OPEN_API, format: JSON, data: "{}" }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: ApplicationTemplate
metadata: { name: unused }
spec:
  placeholders: [{ name: name }, { name: region }]
  applicationInput: { name: "{{name}}" }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: ApplicationTemplate
metadata: { name: undeclared }
spec:
  placeholders: [{ name: name }]
  applicationInput: { name: "{{name}}", description: "For {{customer}}" }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: ApplicationTemplate
metadata: { name: not-an-application }
spec:
  applicationInput: { name: Shop, scenarios: DEFAULT }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_ready_only_when_placeholders_match_and_the_input_is_an_application() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.apply_yaml(TEMPLATES, &[]);
    let templates: Api<ApplicationTemplate> = Api::all(client.clone());
    let reported = |name: &'static str, reason: &'static str| {
        let templates = templates.clone();
        async move {
            eventually(&format!("{name} reports {reason}"), || async {
                let template = templates.get(name).await.ok()?;
                let found = ready(&template)?;
                (found.1 == reason).then_some(found)
            })
            .await
        }
    };
    let (status, _, _) = reported("commerce", "InputValid").await;
    assert_eq!(status, "True");
    let (status, _, message) = reported("unused", "PlaceholderUnused").await;
    assert_eq!(status, "False");
    assert!(message.contains("region"), "{message}");
    let (_, _, message) = reported("undeclared", "PlaceholderUndeclared").await;
    assert!(message.contains("{{customer}}"), "{message}");
    let (_, _, message) = reported("not-an-application", "InvalidApplicationInput").await;
    assert!(message.contains("name \"Shop\""), "{message}");
    assert!(
        message.contains("spec.scenarios in body must be of type array"),
        "{message}"
    );

    // Using the placeholder makes the template Ready.
    let fixed = json!({ "spec": { "applicationInput": { "description": "In {{region}}" } } });
    templates
        .patch("unused", &PatchParams::default(), &Patch::Merge(&fixed))
        .await
        .unwrap();
    reported("unused", "InputValid").await;
    server.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "apptmpl/unused",
        "apptmpl/commerce",
        "--timeout=10s",
    ]);

    operator.stop().await;
    server.stop().await;
}
