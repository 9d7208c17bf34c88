//! The LabelDefinition controller against a real control plane: existing labels checked against
//! a changed schema, an invalid JSON Schema, and a duplicate key.

use compass_crds::LabelDefinition;
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, eventually, ready};
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde_json::json;

const NS: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

async fn reason_is(
    definitions: &Api<LabelDefinition>,
    name: &str,
    reason: &str,
) -> LabelDefinition {
    eventually(&format!("{name} reports {reason}"), || async {
        let definition = definitions.get(name).await.ok()?;
        let observed = definition.status.as_ref()?.observed_generation;
        (ready(&definition)?.1 == reason && observed == definition.metadata.generation)
            .then_some(definition)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_an_existing_label_breaks_names_the_object_until_the_label_is_fixed() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: LabelDefinition
metadata: { name: region, namespace: default-tenant }
spec: { schema: { type: string } }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: { name: orders, namespace: default-tenant }
spec: { labels: { region: mars } }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Runtime
metadata: { name: edge, namespace: default-tenant }
spec: { labels: { region: eu } }
"#,
        &[],
    );
    let definitions: Api<LabelDefinition> = Api::namespaced(client.clone(), NS);
    let fine = reason_is(&definitions, "region", "SchemaSatisfied").await;
    let status = fine.status.unwrap();
    assert_eq!(status.key.as_deref(), Some("region"));
    assert_eq!(status.invalid_label_count, Some(0));

    // The schema narrows: orders' value no longer fits.
    let narrowed = json!({ "spec": { "schema": { "type": "string", "enum": ["eu", "us"] } } });
    definitions
        .patch("region", &PatchParams::default(), &Patch::Merge(&narrowed))
        .await
        .unwrap();
    let broken = reason_is(&definitions, "region", "LabelsViolateSchema").await;
    let (status, _, message) = ready(&broken).unwrap();
    assert_eq!(status, "False");
    assert!(message.contains("Application/orders"), "{message}");
    let status = broken.status.unwrap();
    assert_eq!(status.invalid_label_count, Some(1));
    assert_eq!(status.invalid_labels.len(), 1);
    let invalid = &status.invalid_labels[0];
    assert_eq!(
        (invalid.kind.as_str(), invalid.name.as_str()),
        ("Application", "orders")
    );
    assert!(invalid.message.contains("mars"), "{}", invalid.message);

    // Fixing the label clears it; so does removing a label that breaks the schema.
    server.kubectl_ok(&[
        "patch",
        "capp",
        "orders",
        "-n",
        NS,
        "--type=merge",
        "-p",
        r#"{"spec":{"labels":{"region":"us"}}}"#,
    ]);
    let fixed = reason_is(&definitions, "region", "SchemaSatisfied").await;
    assert!(fixed.status.as_ref().unwrap().invalid_labels.is_empty());
    server.kubectl_ok(&[
        "patch",
        "rt",
        "edge",
        "-n",
        NS,
        "--type=merge",
        "-p",
        r#"{"spec":{"labels":{"region":"venus"}}}"#,
    ]);
    let runtime_broken = reason_is(&definitions, "region", "LabelsViolateSchema").await;
    assert_eq!(
        runtime_broken.status.unwrap().invalid_labels[0].kind,
        "Runtime"
    );
    server.kubectl_ok(&[
        "patch",
        "rt",
        "edge",
        "-n",
        NS,
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/spec/labels"}]"#,
    ]);
    let cleared = reason_is(&definitions, "region", "SchemaSatisfied").await;
    assert_eq!(cleared.status.unwrap().invalid_label_count, Some(0));

    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_json_schema_and_a_duplicate_key_are_not_ready() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: LabelDefinition\nmetadata: { name: tier, namespace: default-tenant }\nspec: { schema: { type: strin } }\n",
        &[],
    );
    let definitions: Api<LabelDefinition> = Api::namespaced(client.clone(), NS);
    let invalid = reason_is(&definitions, "tier", "InvalidSchema").await;
    let (status, _, message) = ready(&invalid).unwrap();
    assert_eq!(status, "False");
    assert!(message.contains("not a valid JSON Schema"), "{message}");
    assert!(message.contains("strin"), "{message}");

    // Creation times are in seconds: the copy must be visibly younger.
    compass_tests::next_whole_second().await;
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: LabelDefinition\nmetadata: { name: tier-copy, namespace: default-tenant }\nspec: { key: tier }\n",
        &[],
    );
    let duplicate = reason_is(&definitions, "tier-copy", "DuplicateKey").await;
    assert!(
        ready(&duplicate)
            .unwrap()
            .2
            .contains("LabelDefinition tier "),
        "{:?}",
        ready(&duplicate)
    );

    // Fixing the schema makes the original Ready.
    let fixed = json!({ "spec": { "schema": { "type": "string" } } });
    definitions
        .patch("tier", &PatchParams::default(), &Patch::Merge(&fixed))
        .await
        .unwrap();
    reason_is(&definitions, "tier", "SchemaSatisfied").await;

    operator.stop().await;
    server.stop().await;
}
