//! Integration systems, global and held while applications use them, and the system auths of
//! integration systems and runtimes, each listed by its owner and deleted only by its own
//! mutation.

use compass_tests::{TestServer, eventually, graphql::Graphql};
use serde_json::json;

use super::{NAMESPACE, register};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_systems_are_global_and_held_while_applications_use_them() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    // Integration systems need no tenant.
    let admin = director.api.admin.clone();
    let register = "mutation ($in: IntegrationSystemInput!) { registerIntegrationSystem(in: $in) { id name description auths { id } } }";
    let created = admin
        .data(
            register,
            json!({ "in": { "name": "sync", "description": "syncs" } }),
        )
        .await["registerIntegrationSystem"]
        .clone();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["auths"], json!([]));
    let (_, code) = admin
        .send(register, json!({ "in": { "name": "sync" } }))
        .await
        .error();
    assert_eq!(code, "NOT_UNIQUE");
    let updated = admin
        .data(
            "mutation ($id: ID!) { updateIntegrationSystem(id: $id, in: { name: \"sync\", description: \"syncs more\" }) { description } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateIntegrationSystem"]["description"],
        "syncs more"
    );
    let listed = admin
        .data(
            "{ integrationSystems { data { name } totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["integrationSystems"]["totalCount"], 1);

    // A SystemAuth object of the integration system shows in its auths, and only the matching
    // delete mutation removes it.
    // In a tenant, so that the delete mutations of tenants' objects get as far as the auth.
    let in_tenant = admin.tenant(compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID);
    only_its_own_mutation_deletes(
        &server,
        &in_tenant,
        Owner {
            field: "integrationSystem",
            id: &id,
            subject: "{kind: IntegrationSystem, name: sync}",
            namespace: "compass-system",
            deleted_by: "deleteSystemAuthForIntegrationSystem",
            refused_by: [
                ("deleteSystemAuthForApplication", "NOT_FOUND"),
                ("deleteSystemAuthForRuntime", "NOT_FOUND"),
            ],
        },
    )
    .await;

    // An application naming it holds it.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: crm, namespace: default-tenant}\nspec: {integrationSystem: sync}\n",
        &[],
    );
    let tenant = admin.tenant(compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID);
    eventually("the Director sees the application", || async {
        let data = tenant
            .data(
                "{ applications { data { integrationSystemID } } }",
                json!({}),
            )
            .await;
        (data["applications"]["data"][0]["integrationSystemID"] == id.as_str()).then_some(())
    })
    .await;
    let response = admin
        .send(
            "mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    let (message, code) = response.error();
    assert_eq!(code, "CONFLICT");
    assert!(message.contains("default-tenant/crm"), "{message}");
    server.kubectl_ok(&["delete", "application", "crm", "-n", NAMESPACE, "--wait"]);
    let gone = admin
        .data_eventually(
            "the integration system can go",
            "mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone["unregisterIntegrationSystem"]["name"], "sync");
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_system_auths_are_listed_and_deleted_only_as_runtime_auths() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let client = director.api.default_tenant();
    let runtime = register(&client, json!({ "name": "edge" })).await;
    let id = runtime["id"].as_str().unwrap().to_owned();
    only_its_own_mutation_deletes(
        &server,
        &client,
        Owner {
            field: "runtime",
            id: &id,
            subject: "{kind: Runtime, name: edge}",
            namespace: NAMESPACE,
            deleted_by: "deleteSystemAuthForRuntime",
            refused_by: [
                // Within its tenant the caller may learn whose auth it is.
                ("deleteSystemAuthForApplication", "INVALID_INPUT"),
                ("deleteSystemAuthForIntegrationSystem", "NOT_FOUND"),
            ],
        },
    )
    .await;
    director.stop().await;
}

/// The owner of a SystemAuth, and how the Director reads and deletes its auths.
struct Owner<'a> {
    /// The query field that reads the owner by id (`runtime`, `integrationSystem`).
    field: &'static str,
    /// The owner's id.
    id: &'a str,
    /// The SystemAuth's `spec.subject`, in YAML.
    subject: &'static str,
    /// Where its SystemAuth objects live.
    namespace: &'static str,
    /// The one mutation that deletes its auths.
    deleted_by: &'static str,
    /// The other delete mutations, each with the code it refuses the auth with.
    refused_by: [(&'static str, &'static str); 2],
}

/// The mutations that delete a system auth, one per kind of owner.
const DELETE_MUTATIONS: [&str; 3] = [
    "deleteSystemAuthForApplication",
    "deleteSystemAuthForRuntime",
    "deleteSystemAuthForIntegrationSystem",
];

/// A SystemAuth object of `owner`, written with kubectl, shows in the owner's `auths`; the delete
/// mutations of other kinds of owner refuse it, as if it were not there, and the owner's own
/// mutation deletes it, object and all.
async fn only_its_own_mutation_deletes(server: &TestServer, caller: &Graphql, owner: Owner<'_>) {
    let Owner {
        field,
        id,
        subject,
        namespace,
        deleted_by,
        refused_by,
    } = owner;
    let mut every_mutation: Vec<&str> = refused_by.iter().map(|(m, _)| *m).collect();
    every_mutation.push(deleted_by);
    every_mutation.sort_unstable();
    let mut expected = DELETE_MUTATIONS.to_vec();
    expected.sort_unstable();
    assert_eq!(every_mutation, expected, "every delete mutation is tried");
    server.apply_yaml(
        &format!(
            "apiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {{name: the-auth, namespace: {namespace}}}\nspec: {{subject: {subject}}}\n"
        ),
        &[],
    );
    let query = format!("query ($id: ID!) {{ {field}(id: $id) {{ auths {{ id }} }} }}");
    let auth_id = eventually(&format!("the {field} lists its auth"), || async {
        let data = caller.data(&query, json!({ "id": id })).await;
        data[field]["auths"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    for (wrong, expected_code) in refused_by {
        let response = caller
            .send(
                &format!("mutation ($a: ID!) {{ {wrong}(authID: $a) {{ id }} }}"),
                json!({ "a": auth_id }),
            )
            .await;
        let (message, code) = response.error();
        assert_eq!(code, expected_code, "{wrong}: {message}");
        assert!(
            message.contains("not to a") || message.contains("not found"),
            "{wrong}: {message}"
        );
    }
    let deleted = caller
        .data(
            &format!("mutation ($a: ID!) {{ {deleted_by}(authID: $a) {{ id }} }}"),
            json!({ "a": auth_id }),
        )
        .await;
    assert_eq!(deleted[deleted_by]["id"], auth_id.as_str());
    let gone = server.kubectl_err(&["get", "systemauth", "the-auth", "-n", namespace]);
    assert!(gone.contains("NotFound"), "{gone}");
}
