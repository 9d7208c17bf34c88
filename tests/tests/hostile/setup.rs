//! Two tenants on one control plane, operator and Director: `victim`, populated richly as the
//! admin (applications with every kind of child, credentials, labels and their definitions,
//! scenarios, runtimes, default eventing, an application from a template, system auths, a Secret
//! and a ConfigMap of its own), and `attacker`, populated alike so it has ids of its own to mix
//! with the victim's ([`populate`]). The attacker gets a GraphQL user with every scope but only
//! its own tenant, and kubeconfigs in its tenant's editor and viewer groups.

use std::collections::BTreeMap;

use axum::{
    Router,
    routing::{get, post},
};
use compass_api::{
    gateway::{StaticUser, digest},
    scopes::ScopesConfig,
};
use compass_operator::controllers::tenant_access::{
    EDITORS_BINDING, VIEWERS_BINDING, editors_group, viewers_group,
};
use compass_tests::{TestDirector, TestServer, eventually, graphql::Graphql, users::User};
use k8s_openapi::api::rbac::v1::RoleBinding;
use serde_json::json;

use super::populate;

/// The victim's external id, which it sends in the `Tenant` header.
pub const VICTIM_EXT: &str = "5d1c9e2a-7b3f-4c8d-9e6a-2f4b8c1d3e5a";
/// The attacker's external id, the only tenant its GraphQL user may act in.
pub const ATTACKER_EXT: &str = "a7e3c1b9-2d4f-4a6e-8c0b-9f1e3d5c7b2a";
/// The attacker's bearer token.
pub const ATTACKER_TOKEN: &str = "attacker-token-3f9a2c";
/// The victim's namespace, named unlike its Tenant so that both can be tried as a header.
pub const VICTIM_NS: &str = "victim-ns";
/// The attacker's namespace (its Tenant's name).
pub const ATTACKER_NS: &str = "attacker";

const TENANTS: &str = "apiVersion: compass.kyma-project.io/v1alpha1
kind: Tenant
metadata: {name: victim}
spec: {externalId: 5d1c9e2a-7b3f-4c8d-9e6a-2f4b8c1d3e5a, namespace: victim-ns, displayName: vsecret-corp}
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Tenant
metadata: {name: attacker}
spec: {externalId: a7e3c1b9-2d4f-4a6e-8c0b-9f1e3d5c7b2a}
";

/// Every id and name of one tenant's objects, by kind.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    /// Application ids.
    pub apps: Vec<String>,
    /// API definition ids.
    pub apis: Vec<String>,
    /// Event definition ids.
    pub events: Vec<String>,
    /// Document ids.
    pub documents: Vec<String>,
    /// Webhook ids.
    pub webhooks: Vec<String>,
    /// Runtime ids.
    pub runtimes: Vec<String>,
    /// System auth ids (of applications and runtimes).
    pub auths: Vec<String>,
    /// Keys of label definitions only this tenant has.
    pub label_keys: Vec<String>,
    /// Scenarios only this tenant has.
    pub scenarios: Vec<String>,
    /// The name of each application, runtime, API and event definition, by id.
    pub name_of: BTreeMap<String, String>,
}

impl Ids {
    /// Every id, whatever its kind.
    pub fn all_ids(&self) -> Vec<String> {
        [
            &self.apps,
            &self.apis,
            &self.events,
            &self.documents,
            &self.webhooks,
            &self.runtimes,
            &self.auths,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

/// The control plane, the two tenants and the attacker's credentials.
pub struct World {
    /// The control plane.
    pub server: TestServer,
    /// The operator and the Director.
    pub director: TestDirector,
    /// The attacker's GraphQL user, in its own tenant.
    pub attacker: Graphql,
    /// The victim's objects.
    pub victim: Ids,
    /// The attacker's objects.
    pub own: Ids,
    /// The victim Tenant's uid (its internal id).
    pub victim_internal_id: String,
    /// The integration system the victim's application names (global, as in the original).
    pub integration_system: String,
    /// A kubectl user in the attacker's editors group.
    pub editor: User,
    /// A kubectl user in the attacker's viewers group.
    pub viewer: User,
}

/// The attacker's GraphQL user: every scope there is, but only its own tenant.
fn attacker_user() -> StaticUser {
    StaticUser {
        name: "mallory".into(),
        token_sha256: digest(ATTACKER_TOKEN),
        scopes: ScopesConfig::default_config().all_scopes(),
        tenants: [ATTACKER_EXT.to_owned()].into(),
    }
}

/// Stands in for both tenants' endpoints. The operator calls the webhooks as soon as a runtime
/// sees an application, and fetches specs; answering here (rather than at an unreachable public
/// host) lets those calls succeed once and for all, so nothing is retried while the data is
/// compared before and after the attacks.
async fn endpoints() -> String {
    let granted = |who: &'static str| {
        json!({ "credential": { "basic": { "username": format!("{who}-granted-user"), "password": format!("{who}-granted-pass") } } })
            .to_string()
    };
    let router = Router::new()
        .route(
            "/victim/hook",
            post(move || async move { granted("vsecret") }),
        )
        .route(
            "/attacker/hook",
            post(move || async move { granted("atk") }),
        )
        .route(
            "/victim/catalog.yaml",
            get(|| async {
                "openapi: 3.0.0\ninfo: {title: vsecret-catalog, version: 1.0.0}\npaths: {}\n"
            }),
        );
    compass_tests::serve(router).await
}

/// The admin acting in `external_id`, once the Director serves that tenant.
async fn admin_in(director: &TestDirector, external_id: &str) -> Graphql {
    let client = director.api.admin.tenant(external_id);
    client
        .data_eventually(
            "the Director knows the tenant",
            "{ applications { totalCount } }",
            json!({}),
        )
        .await;
    client
}

/// Waits until the tenant's viewer and editor RoleBindings exist, so that a refusal is RBAC's
/// verdict and not a namespace still being set up.
async fn wait_roles(server: &TestServer, namespace: &str) {
    let bindings: kube::Api<RoleBinding> = kube::Api::namespaced(server.client().await, namespace);
    eventually(&format!("{namespace}'s RoleBindings"), || async {
        bindings.get_opt(VIEWERS_BINDING).await.ok()??;
        bindings.get_opt(EDITORS_BINDING).await.ok()?
    })
    .await;
}

/// Starts everything and populates both tenants.
pub async fn world() -> World {
    let server = TestServer::start().await;
    let base = endpoints().await;
    let director = server.start_director(vec![attacker_user()]).await;
    server.apply_yaml(TENANTS, &[]);
    for tenant in ["victim", "attacker"] {
        server.wait_tenant_ready(tenant).await;
    }
    let admin_victim = admin_in(&director, VICTIM_EXT).await;
    let admin_attacker = admin_in(&director, ATTACKER_EXT).await;
    let integration_system = populate::globals(&director.api.default_tenant()).await;
    let victim = populate::victim(&server, &admin_victim, &base, &integration_system).await;
    let own = populate::attacker(&server, &admin_attacker, &base).await;
    for namespace in [VICTIM_NS, ATTACKER_NS] {
        wait_roles(&server, namespace).await;
    }
    let tenants: kube::Api<compass_crds::Tenant> = kube::Api::all(server.client().await);
    let victim_internal_id = tenants.get("victim").await.unwrap().metadata.uid.unwrap();
    let editor = server.user("mallory", &[&editors_group("attacker")], Some(ATTACKER_NS));
    let viewer = server.user("eve", &[&viewers_group("attacker")], Some(ATTACKER_NS));
    let attacker = director
        .api
        .admin
        .with_token(ATTACKER_TOKEN)
        .tenant(ATTACKER_EXT);
    World {
        server,
        director,
        attacker,
        victim,
        own,
        victim_internal_id,
        integration_system,
        editor,
        viewer,
    }
}
