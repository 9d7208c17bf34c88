//! Tenant users through the Kubernetes door: the operator, acting as its ServiceAccount with
//! exactly the RBAC of `manifests/`, binds the viewer and editor ClusterRoles in each tenant
//! namespace (which the API server's escalation check lets it do only through `bind` on those
//! two), and a user in a tenant's group sees or changes that tenant and nothing else.

use compass_operator::controllers::{
    OperatorConfig,
    tenant_access::{
        EDITOR_ROLE, EDITORS_BINDING, VIEWER_ROLE, VIEWERS_BINDING, editors_group, viewers_group,
    },
};
use compass_tests::{TestServer, eventually};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;

const TENANTS: &str = "apiVersion: compass.kyma-project.io/v1alpha1
kind: Tenant
metadata:
  name: acme
spec:
  externalId: ext-acme
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Tenant
metadata:
  name: globex
spec:
  externalId: ext-globex
";

/// The operator, running as the ServiceAccount `compass-operator` bound by the manifests.
async fn operator_as_its_service_account(server: &TestServer) -> compass_tests::TestOperator {
    server.install_compass_crds();
    server.kubectl_ok(&["create", "namespace", "compass-system"]);
    for file in [
        "manifests/serviceaccounts.yaml",
        "manifests/rbac-operator.yaml",
        "manifests/rbac-tenants.yaml",
    ] {
        server.kubectl_ok(&["apply", "-n", "compass-system", "-f", file]);
    }
    let token = server.kubectl_ok(&[
        "create",
        "token",
        "compass-operator",
        "-n",
        "compass-system",
        "--duration",
        "2h",
    ]);
    let identity = server.token_user("compass-operator", token.trim());
    let client = server.client_as(&identity).await;
    server
        .start_operator_as(client, OperatorConfig::default())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_groups_see_or_change_their_tenant_and_nothing_else() {
    let server = TestServer::start().await;
    let operator = operator_as_its_service_account(&server).await;
    server.apply_yaml(TENANTS, &[]);
    let client = server.client().await;
    for tenant in ["acme", "globex"] {
        let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), tenant);
        let bound = eventually(&format!("{tenant}'s RoleBindings"), || async {
            let viewers = bindings.get_opt(VIEWERS_BINDING).await.ok()??;
            let editors = bindings.get_opt(EDITORS_BINDING).await.ok()??;
            Some([viewers.role_ref.name, editors.role_ref.name])
        })
        .await;
        assert_eq!(bound, [VIEWER_ROLE, EDITOR_ROLE]);
        server.kubectl_ok(&["wait", "--for=condition=Ready", "tenant", tenant]);
    }

    let editor = server.user("ann", &[&editors_group("acme")], Some("acme"));
    let viewer = server.user("vic", &[&viewers_group("acme")], Some("acme"));
    let scenario = "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: marketing\nspec:\n  description: Campaigns.\n";
    server.apply_yaml_as(&editor, scenario);
    server.kubectl_as_ok(
        &editor,
        &["create", "secret", "generic", "creds", "--from-literal=a=b"],
    );
    let listed = server.kubectl_as_ok(&viewer, &["get", "scenarios", "-o", "name"]);
    assert!(
        listed.contains("scenario.compass.kyma-project.io/marketing"),
        "{listed}"
    );
    server.kubectl_as_ok(&viewer, &["get", "events"]);

    let apps = "applications.compass.kyma-project.io";
    let scenarios = "scenarios.compass.kyma-project.io";
    for (user, verb, resource, namespace, allowed) in [
        (&editor, "create", apps, "acme", true),
        (
            &editor,
            "delete",
            "runtimes.compass.kyma-project.io",
            "acme",
            true,
        ),
        (&editor, "get", apps, "globex", false),
        (
            &editor,
            "list",
            "tenants.compass.kyma-project.io",
            "",
            false,
        ),
        (&viewer, "list", apps, "acme", true),
        (&viewer, "create", apps, "acme", false),
        (&viewer, "get", "secrets", "acme", false),
        (&viewer, "list", scenarios, "globex", false),
    ] {
        let mut args = vec![verb, resource];
        if !namespace.is_empty() {
            args.extend(["-n", namespace]);
        }
        assert_eq!(server.can_i(user, &args), allowed, "{args:?}");
    }
    let status = [
        "patch",
        "applications.compass.kyma-project.io",
        "--subresource=status",
        "-n",
        "acme",
    ];
    assert!(!server.can_i(&editor, &status), "status is the operator's");
    let refused = server.kubectl_as_err(&viewer, &["create", "secret", "generic", "x"]);
    assert!(
        refused.contains(r#"User "vic" cannot create resource "secrets""#),
        "{refused}"
    );
    let refused = server.kubectl_as_err(&editor, &["get", "scenarios", "-n", "globex"]);
    assert!(
        refused.contains(r#"scenarios.compass.kyma-project.io is forbidden: User "ann" cannot list resource "scenarios" in API group "compass.kyma-project.io" in the namespace "globex""#),
        "{refused}"
    );
    operator.stop().await;
    server.stop().await;
}
