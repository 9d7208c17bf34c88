//! Scopes decide what a caller may do: one holding every read scope and no other reads what it
//! is allowed to, and every kind of mutation is refused with `INSUFFICIENT_SCOPES` before it
//! changes anything.

use std::collections::BTreeSet;

use compass_api::{
    gateway::{StaticUser, digest},
    scopes::ScopesConfig,
};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_with_only_read_scopes_is_refused_every_mutation_and_changes_nothing() {
    let server = TestServer::start().await;
    let read_only: BTreeSet<String> = ScopesConfig::default_config()
        .all_scopes()
        .into_iter()
        .filter(|scope| scope.ends_with(":read"))
        .collect();
    assert!(read_only.contains("application:read"), "{read_only:?}");
    assert!(read_only.iter().all(|scope| !scope.contains("write")));
    let auditor = StaticUser {
        name: "auditor".into(),
        token_sha256: digest("auditor-token"),
        scopes: read_only,
        tenants: [DEFAULT_TENANT_EXTERNAL_ID.to_owned()].into(),
    };
    let director = server.start_director(vec![auditor]).await;
    let admin = director.api.default_tenant();
    let everything = "{ applications { data { id name description } } runtimes { totalCount } labelDefinitions { key } integrationSystems { totalCount } }";
    let registered = admin
        .data(
            "mutation { registerApplication(in: { name: \"kept\", description: \"as registered\" }) { id } }",
            json!({}),
        )
        .await;
    let id = registered["registerApplication"]["id"].clone();
    let before = admin.data(everything, json!({})).await;

    let auditor = admin.with_token("auditor-token");
    assert_eq!(
        auditor.data(everything, json!({})).await,
        before,
        "reads are allowed"
    );
    let mutations = [
        "mutation { registerApplication(in: { name: \"sneaky\" }) { id } }",
        "mutation ($id: ID!) { updateApplication(id: $id, in: { name: \"kept\", description: \"changed\" }) { id } }",
        "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"sneaky\", value: \"yes\") { key } }",
        "mutation ($id: ID!) { unregisterApplication(id: $id) { id } }",
        "mutation { registerRuntime(in: { name: \"sneaky\" }) { id } }",
        "mutation { createLabelDefinition(in: { key: \"sneaky\" }) { key } }",
        "mutation { registerIntegrationSystem(in: { name: \"sneaky\" }) { id } }",
    ];
    for mutation in mutations {
        let variables = if mutation.contains("$id") {
            json!({ "id": id })
        } else {
            json!({})
        };
        let (message, code) = auditor.send(mutation, variables).await.error();
        assert_eq!(code, "INSUFFICIENT_SCOPES", "{mutation}: {message}");
        assert!(
            message.contains("insufficient scopes provided"),
            "{mutation}: {message}"
        );
    }
    assert_eq!(
        admin.data(everything, json!({})).await,
        before,
        "the refused mutations changed nothing"
    );
    director.stop().await;
    server.stop().await;
}
