//! What `compass up` installs in its control plane before anything runs: the product's CRDs,
//! the tenant ClusterRoles, the operator's namespace and the default tenant.

use k8s_openapi::{
    api::{core::v1::Namespace, rbac::v1::ClusterRole},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::json;

use compass_crds::{
    Tenant,
    well_known::{DEFAULT_TENANT_EXTERNAL_ID, DEFAULT_TENANT_NAME, DEFAULT_TENANT_NAMESPACE},
};
use compass_operator::controllers::tenant_access;

/// Field manager of what `compass up` installs.
const FIELD_MANAGER: &str = "compass-up";

/// Installs the CRDs, the tenant ClusterRoles, the operator's namespace and the default tenant.
/// Idempotent: server-side apply of the same objects on every start, so an upgraded binary
/// updates them.
pub async fn install(client: &Client, system_namespace: &str) -> Result<(), kube::Error> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in compass_crds::all_crds() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        crds.patch(&name, &params, &Patch::Apply(&crd)).await?;
    }
    let cluster_roles: Api<ClusterRole> = Api::all(client.clone());
    for role in tenant_access::cluster_roles() {
        let name = role["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        cluster_roles
            .patch(&name, &params, &Patch::Apply(&role))
            .await?;
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": system_namespace } });
    namespaces
        .patch(system_namespace, &params, &Patch::Apply(&namespace))
        .await?;
    let tenants: Api<Tenant> = Api::all(client.clone());
    let tenant = json!({
        "apiVersion": compass_crds::API_VERSION,
        "kind": "Tenant",
        "metadata": { "name": DEFAULT_TENANT_NAME },
        "spec": {
            "externalId": DEFAULT_TENANT_EXTERNAL_ID,
            "displayName": "Default",
            "namespace": DEFAULT_TENANT_NAMESPACE,
        },
    });
    tenants
        .patch(
            DEFAULT_TENANT_NAME,
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&tenant),
        )
        .await?;
    Ok(())
}
