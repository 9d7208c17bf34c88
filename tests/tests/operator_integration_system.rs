//! The IntegrationSystem controller against a real control plane: applications of every tenant
//! counted, and deletion held while any application names the system.

use compass_crds::{Application, IntegrationSystem};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, eventually, ready, wait_gone};
use kube::{
    Api,
    api::{DeleteParams, Patch, PatchParams},
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integration_system_named_by_applications_is_held_until_none_does() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: { name: acme }\nspec: { externalId: ext-acme }\n",
        &[],
    );
    server.wait_tenant_ready("default").await;
    server.wait_tenant_ready("acme").await;
    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: IntegrationSystem
metadata: { name: sap-sync }
spec: { description: Syncs applications }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: IntegrationSystem
metadata: { name: unused }
spec: {}
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: { name: orders, namespace: default-tenant }
spec: { integrationSystem: sap-sync }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: { name: crm, namespace: acme }
spec: { integrationSystem: sap-sync }
"#,
        &[],
    );
    let systems: Api<IntegrationSystem> = Api::all(client.clone());
    let counted = eventually("sap-sync counts both applications", || async {
        let system = systems.get("sap-sync").await.ok()?;
        (system.status.as_ref()?.application_count == Some(2)).then_some(system)
    })
    .await;
    assert_eq!(ready(&counted).unwrap().1, "Registered");
    assert_eq!(
        counted.metadata.finalizers.as_deref(),
        Some(&["compass.kyma-project.io/integration-system-in-use".to_owned()][..])
    );

    // One that no application names goes at once.
    eventually("unused has its finalizer", || async {
        let system = systems.get("unused").await.ok()?;
        system.metadata.finalizers.is_some().then_some(())
    })
    .await;
    systems
        .delete("unused", &DeleteParams::default())
        .await
        .unwrap();
    wait_gone(&systems, "unused").await;

    server.kubectl_ok(&["delete", "intsys", "sap-sync", "--wait=false"]);
    let held = eventually("sap-sync is held", || async {
        let system = systems.get("sap-sync").await.ok()?;
        (ready(&system)?.1 == "InUse").then_some(system)
    })
    .await;
    assert!(held.metadata.deletion_timestamp.is_some());
    let message = ready(&held).unwrap().2;
    assert!(
        message.contains("acme/crm, default-tenant/orders"),
        "{message}"
    );

    // Deleting one application and clearing the other's reference releases it.
    let orders: Api<Application> = Api::namespaced(
        client.clone(),
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
    );
    orders
        .delete("orders", &DeleteParams::default())
        .await
        .unwrap();
    eventually("only crm holds sap-sync", || async {
        let system = systems.get("sap-sync").await.ok()?;
        let (_, reason, message) = ready(&system)?;
        (reason == "InUse" && !message.contains("orders")).then_some(())
    })
    .await;
    let crm: Api<Application> = Api::namespaced(client.clone(), "acme");
    let clear = json!([{ "op": "remove", "path": "/spec/integrationSystem" }]);
    crm.patch(
        "crm",
        &PatchParams::default(),
        &Patch::<()>::Json(serde_json::from_value(clear).unwrap()),
    )
    .await
    .unwrap();
    wait_gone(&systems, "sap-sync").await;

    operator.stop().await;
    server.stop().await;
}
