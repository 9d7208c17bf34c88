//! The Gateway honours the operator's verdicts on tenants: a Tenant duplicating another's
//! external id never takes over its `Tenant` header (and its deletion leaves the rightful tenant
//! answering at once), a Tenant naming another tenant's namespace never serves it, and no Tenant
//! can take a system namespace. A tenant-restricted caller lists only its own tenants.

use crate::director_application_env;

use compass_api::gateway::{StaticUser, digest};
use compass_tests::eventually;
use director_application_env::{Env, assert_code, register};
use serde_json::json;

const ACME: &str = "7f4e2b1a-9c3d-4e5f-8a6b-1c2d3e4f5a6b";
const SQUATTER: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

fn tenant_yaml(name: &str, external_id: &str, namespace: Option<&str>) -> String {
    let namespace = namespace
        .map(|n| format!(", namespace: {n}"))
        .unwrap_or_default();
    format!(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec: {{externalId: {external_id}{namespace}}}\n"
    )
}

/// The reason of a Tenant's Ready condition, once the operator wrote one.
async fn ready_reason(env: &Env, name: &str) -> String {
    eventually("the tenant has a verdict", || async {
        let reason = env.server.kubectl_ok(&[
            "get",
            "tenant",
            name,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}",
        ]);
        (!reason.is_empty()).then_some(reason)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_sound_tenants_answer_to_their_external_id() {
    let env = Env::start().await;
    let acme = env.other_tenant("acme", ACME).await;
    let shop = register(&acme, json!({ "name": "shop" })).await;
    let shop_id = shop["id"].as_str().unwrap().to_owned();
    let count = "{ applications { data { id name } totalCount } }";

    // A duplicate of acme's external id is refused by the operator and never answers.
    env.server
        .apply_yaml(&tenant_yaml("acme-copy", ACME, None), &[]);
    assert_eq!(ready_reason(&env, "acme-copy").await, "DuplicateExternalId");
    for _ in 0..20 {
        let answer = acme.data(count, json!({})).await;
        assert_eq!(answer["applications"]["data"][0]["id"], shop_id.as_str());
    }
    // Its deletion leaves acme answering at once: no request in between fails.
    env.server
        .kubectl_ok(&["delete", "tenant", "acme-copy", "--wait=false"]);
    for _ in 0..20 {
        let answer = acme.data(count, json!({})).await;
        assert_eq!(answer["applications"]["totalCount"], 1);
    }

    // A tenant naming acme's namespace is refused and does not serve it.
    env.server
        .apply_yaml(&tenant_yaml("squatter", SQUATTER, Some("acme")), &[]);
    assert_eq!(ready_reason(&env, "squatter").await, "NamespaceConflict");
    let squatter = env.director.api.admin.tenant(SQUATTER);
    let message = assert_code(&squatter.send(count, json!({})).await, "TENANT_NOT_FOUND");
    assert!(message.contains("Ready"), "{message}");
    let by_id = squatter
        .send(
            "query ($id: ID!) { application(id: $id) { name } }",
            json!({ "id": shop_id }),
        )
        .await;
    assert_code(&by_id, "TENANT_NOT_FOUND");

    // System namespaces are refused at the door.
    for namespace in ["compass-system", "kube-system", "kube-anything", "default"] {
        let error = env.server.apply_yaml_err(
            &tenant_yaml(
                "intruder",
                "9f8e7d6c-5b4a-4392-8190-a1b2c3d4e5f6",
                Some(namespace),
            ),
            &[],
        );
        assert!(
            error.contains("may not be a system namespace"),
            "{namespace}: {error}"
        );
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_restricted_caller_lists_only_its_tenants() {
    let env = Env::start().await;
    env.other_tenant("acme", ACME).await;
    let restricted = StaticUser {
        name: "acme-reader".into(),
        token_sha256: digest("acme-reader-token"),
        scopes: ["tenant:read".to_owned()].into(),
        tenants: [ACME.to_owned()].into(),
    };
    let api = env.server.start_api(vec![restricted]).await;
    let query = "{ tenants { id name } }";
    let everyone = api.admin.data(query, json!({})).await;
    assert_eq!(
        everyone["tenants"].as_array().unwrap().len(),
        2,
        "{everyone}"
    );
    let mine = api
        .admin
        .with_token("acme-reader-token")
        .data(query, json!({}))
        .await;
    assert_eq!(mine["tenants"], json!([{ "id": ACME, "name": "acme" }]));
    api.stop().await;
    env.stop().await;
}
