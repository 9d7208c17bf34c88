//! The Provisioner API's queries: a runtime's provisioning status, and one operation by id.

use async_graphql::{Context, Object};
use compass_crds::Runtime;

use super::{
    record::{agent, connection, last_operation, operation},
    types::{ClusterConfig, OperationStatus, ProviderConfig, RuntimeConfig, RuntimeStatus},
};
use crate::{
    director::{
        context::{caches, tenant},
        lookup::runtime_in,
    },
    errors::{ApiResult, not_found},
    scalars::Any,
    scopes::Scopes,
};

/// The Provisioner API's queries.
#[derive(Default)]
pub struct ProvisionerQuery;

#[Object(name = "Query")]
impl ProvisionerQuery {
    /// The provisioning of runtime `id`: its newest operation, its agent's connection and what
    /// it asks of its provider; and (not in the original) what its agent last reported.
    #[graphql(guard = "Scopes::query(\"runtimeStatus\")")]
    async fn runtime_status(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> ApiResult<Option<RuntimeStatus>> {
        let scope = tenant(ctx)?;
        let runtime = runtime_in(caches(ctx), &scope.namespace, &id)?;
        Ok(Some(RuntimeStatus {
            last_operation_status: last_operation(&runtime),
            runtime_connection_status: Some(connection(&runtime)),
            runtime_configuration: Some(configuration(&runtime)),
            agent: agent(&runtime),
        }))
    }

    /// Operation `id` on a runtime of the tenant, also while the runtime is being deleted.
    #[graphql(guard = "Scopes::query(\"runtimeOperationStatus\")")]
    async fn runtime_operation_status(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> ApiResult<Option<OperationStatus>> {
        let scope = tenant(ctx)?;
        caches(ctx)
            .runtimes
            .in_namespace(&scope.namespace)
            .iter()
            .find_map(|runtime| operation(runtime, &id))
            .map(Some)
            .ok_or_else(|| not_found("Operation", &id))
    }
}

/// What the runtime asks of its provider.
fn configuration(runtime: &Runtime) -> RuntimeConfig {
    let cluster = runtime.spec.provisioning.as_ref().map(|asked| {
        ClusterConfig::ProviderConfig(ProviderConfig {
            provider: asked.provider.clone(),
            kubernetes_version: asked.kubernetes_version.clone(),
            configuration: asked
                .configuration
                .clone()
                .map(|c| Any(serde_json::Value::Object(c))),
        })
    });
    RuntimeConfig {
        cluster_config: cluster,
        credentials_secret_name: None,
        kyma_config: None,
        kubeconfig: None,
    }
}
