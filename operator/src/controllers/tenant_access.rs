//! Who may use a tenant through the Kubernetes API: two ClusterRoles, a viewer and an editor of a
//! tenant's objects, installed with the product (`manifests/rbac-tenants.yaml`, and `compass up`),
//! and in each tenant namespace RoleBindings granting them there to the tenant's groups,
//! `compass:tenant:<tenant>:viewers` and `compass:tenant:<tenant>:editors`. A user in one of
//! those groups (a client certificate from `compass kubeconfig --group`, or an identity provider's
//! group claim on a real cluster) sees or changes that tenant's objects and nothing else. The
//! Tenant owns the bindings, so they go with it.
//!
//! The operator only binds: it needs `bind` on exactly these two ClusterRoles and never writes a
//! role, so it cannot grant anything else in any namespace.

use compass_crds::{Tenant, well_known::TENANT_LABEL};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};

use super::{
    Context,
    error::{Error, Result},
    tenant::FIELD_MANAGER,
};

/// The ClusterRole that reads a tenant's objects where it is bound.
pub const VIEWER_ROLE: &str = "compass-tenant-viewer";
/// The ClusterRole that reads and writes a tenant's objects where it is bound.
pub const EDITOR_ROLE: &str = "compass-tenant-editor";
/// The RoleBinding of [`VIEWER_ROLE`] to the tenant's viewers group.
pub const VIEWERS_BINDING: &str = "compass-tenant-viewers";
/// The RoleBinding of [`EDITOR_ROLE`] to the tenant's editors group.
pub const EDITORS_BINDING: &str = "compass-tenant-editors";

const READ: [&str; 3] = ["get", "list", "watch"];
const READ_WRITE: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// The group whose members may read the tenant `tenant`'s objects.
pub fn viewers_group(tenant: &str) -> String {
    format!("compass:tenant:{tenant}:viewers")
}

/// The group whose members may read and write the tenant `tenant`'s objects.
pub fn editors_group(tenant: &str) -> String {
    format!("compass:tenant:{tenant}:editors")
}

/// The namespaced kinds of the product (plural names): what lives in a tenant namespace.
fn tenant_kinds() -> Vec<String> {
    compass_crds::all_crds()
        .into_iter()
        .filter(|crd| crd.spec.scope == "Namespaced")
        .map(|crd| crd.spec.names.plural)
        .collect()
}

/// The rules of the viewer (`edit` false) or editor ClusterRole. Status stays the operator's:
/// editors write specs, and `/status` is a subresource their rules do not name.
pub fn rules(edit: bool) -> Vec<Value> {
    let compass_verbs: &[&str] = if edit { &READ_WRITE } else { &READ };
    let mut rules = vec![
        json!({ "apiGroups": [compass_crds::GROUP], "resources": tenant_kinds(), "verbs": compass_verbs }),
        // Fetched API and event specs live in ConfigMaps; Events explain what the operator did.
        json!({ "apiGroups": [""], "resources": ["configmaps", "events"], "verbs": READ }),
        json!({ "apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ }),
        // A runtime's agent heartbeat.
        json!({ "apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": READ }),
    ];
    if edit {
        // Credentials of webhooks and spec fetches, which applications reference by name.
        rules.push(json!({ "apiGroups": [""], "resources": ["secrets"], "verbs": READ_WRITE }));
    }
    rules
}

/// The viewer and editor ClusterRoles, as installed with the product.
pub fn cluster_roles() -> Vec<Value> {
    [(VIEWER_ROLE, false), (EDITOR_ROLE, true)]
        .into_iter()
        .map(|(name, edit)| {
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {
                    "name": name,
                    "labels": { "app.kubernetes.io/part-of": "compass" },
                },
                "rules": rules(edit),
            })
        })
        .collect()
}

/// Creates or updates the tenant's RoleBindings in `namespace`.
pub async fn ensure(ctx: &Context, tenant: &Tenant, namespace: &str) -> Result<()> {
    let owner = tenant
        .controller_owner_ref(&())
        .ok_or(Error::Missing("uid"))?;
    let name = tenant.name_any();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let bindings: Api<RoleBinding> = Api::namespaced(ctx.client.clone(), namespace);
    for (role, binding, group) in [
        (VIEWER_ROLE, VIEWERS_BINDING, viewers_group(&name)),
        (EDITOR_ROLE, EDITORS_BINDING, editors_group(&name)),
    ] {
        let desired = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": binding,
                "namespace": namespace,
                "labels": { TENANT_LABEL: name },
                "ownerReferences": [owner],
            },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group }],
        });
        bindings
            .patch(binding, &params, &Patch::Apply(&desired))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_and_editors_also_write_the_namespaced_kinds_and_secrets() {
        let viewer = rules(false);
        let editor = rules(true);
        let kinds = viewer[0]["resources"].as_array().unwrap();
        assert!(kinds.contains(&json!("applications")));
        assert!(
            !kinds.contains(&json!("tenants")),
            "tenants are cluster-scoped"
        );
        assert_eq!(viewer[0]["verbs"], json!(READ));
        assert_eq!(editor[0]["verbs"], json!(READ_WRITE));
        assert!(!viewer.iter().any(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .contains(&json!("secrets"))
        }));
        assert_eq!(editor.last().unwrap()["resources"], json!(["secrets"]));
        assert_eq!(viewers_group("acme"), "compass:tenant:acme:viewers");
    }
}
