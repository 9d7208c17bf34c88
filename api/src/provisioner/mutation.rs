//! The Provisioner API's mutations. Each asks for one operation on a runtime's cluster by
//! writing the Runtime (its `spec.provisioning` and the requested-operation annotation, guarded
//! by the version it was read at) and answers with the operation's id at once; the provisioner
//! runs it. One operation runs on a runtime at a time.

use async_graphql::{Context, Object};
use compass_crds::{
    Runtime,
    provisioning::RequestedOperation,
    provisioning::{OperationType, PROVISIONER_FINALIZER, REQUESTED_OPERATION_ANNOTATION},
};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use super::{
    Providers,
    inputs::{ProvisionRuntimeInput, UpgradeRuntimeInput},
    record::{record_of, refuse_if_busy},
    types::CleanUpRuntimeDataResult,
};
use crate::{
    director::{
        context::{caches, client, merge_at, tenant},
        lookup::runtime_in,
    },
    errors::{ApiResult, Code, error},
    scopes::Scopes,
};

/// The Provisioner API's mutations.
#[derive(Default)]
pub struct ProvisionerMutation;

#[Object(name = "Mutation")]
impl ProvisionerMutation {
    /// Provisions the runtime `id` (registered through the Director) through a provider: the
    /// provider makes its cluster, or takes an existing one, and installs the Runtime Agent with
    /// a fresh one-time token. Answers with the Provision operation's id.
    #[graphql(guard = "Scopes::mutation(\"provisionRuntime\")")]
    async fn provision_runtime(
        &self,
        ctx: &Context<'_>,
        id: String,
        config: ProvisionRuntimeInput,
    ) -> ApiResult<String> {
        let request = config.request(&ctx.data_unchecked::<Providers>().0)?;
        let runtime = runtime_of(ctx, &id)?;
        refuse_if_busy(&runtime)?;
        if let Some(asked) = &runtime.spec.provisioning
            && record_of(&runtime).provisioned()
        {
            return Err(error(
                Code::Conflict,
                format!(
                    "runtime {id} is provisioned by provider {}; deprovisionRuntime first",
                    asked.provider
                ),
            ));
        }
        let spec = json!({ "provisioning": request });
        ask(ctx, &runtime, OperationType::Provision, Some(spec)).await
    }

    /// Moves the provisioned runtime `id` to another Kubernetes version, for providers that
    /// choose it. Answers with the Upgrade operation's id.
    #[graphql(guard = "Scopes::mutation(\"upgradeRuntime\")")]
    async fn upgrade_runtime(
        &self,
        ctx: &Context<'_>,
        id: String,
        config: UpgradeRuntimeInput,
    ) -> ApiResult<String> {
        let version = config.cluster_config.map(|c| c.version).unwrap_or_default();
        if version.is_empty() || version.len() > 32 {
            return Err(error(
                Code::InvalidInput,
                "config.clusterConfig.version: required, 1 to 32 characters",
            ));
        }
        let runtime = runtime_of(ctx, &id)?;
        refuse_if_busy(&runtime)?;
        refuse_unless_provisioned(&runtime, &id)?;
        let spec = json!({ "provisioning": { "kubernetesVersion": version } });
        ask(ctx, &runtime, OperationType::Upgrade, Some(spec)).await
    }

    /// Deprovisions the runtime `id`: its provider removes the agent and, for a cluster it
    /// made, the cluster. The runtime stays registered (`unregisterRuntime` removes it). A
    /// Provision, Upgrade or ReconnectRuntime under way is cancelled. Answers with the
    /// Deprovision operation's id.
    #[graphql(guard = "Scopes::mutation(\"deprovisionRuntime\")")]
    async fn deprovision_runtime(&self, ctx: &Context<'_>, id: String) -> ApiResult<String> {
        let runtime = runtime_of(ctx, &id)?;
        let taken_up = runtime
            .finalizers()
            .iter()
            .any(|f| f == PROVISIONER_FINALIZER);
        if runtime.spec.provisioning.is_none() || !taken_up {
            return Err(error(
                Code::InvalidInput,
                format!("runtime {id} has nothing provisioned; there is nothing to deprovision"),
            ));
        }
        let deprovisioning = record_of(&runtime)
            .running()
            .is_some_and(|op| op.type_ == OperationType::Deprovision);
        if deprovisioning || super::record::pending(&runtime).is_some() {
            refuse_if_busy(&runtime)?;
        }
        let spec = json!({ "provisioning": Value::Null });
        ask(ctx, &runtime, OperationType::Deprovision, Some(spec)).await
    }

    /// Installs the Runtime Agent of the provisioned runtime `id` again with a fresh one-time
    /// token and has it pair again. Answers with the ReconnectRuntime operation's id.
    #[graphql(guard = "Scopes::mutation(\"reconnectRuntimeAgent\")")]
    async fn reconnect_runtime_agent(&self, ctx: &Context<'_>, id: String) -> ApiResult<String> {
        let runtime = runtime_of(ctx, &id)?;
        refuse_if_busy(&runtime)?;
        refuse_unless_provisioned(&runtime, &id)?;
        ask(ctx, &runtime, OperationType::ReconnectRuntime, None).await
    }

    /// Not served: the provisioner keeps no data of a runtime apart from the Runtime itself,
    /// which `unregisterRuntime` removes.
    #[graphql(guard = "Scopes::mutation(\"cleanupRuntimeData\")")]
    async fn cleanup_runtime_data(
        &self,
        _ctx: &Context<'_>,
        id: String,
    ) -> ApiResult<CleanUpRuntimeDataResult> {
        Err(error(
            Code::NotAvailable,
            format!(
                "cleanupRuntimeData: the provisioner keeps no data of runtime {id} apart from the \
                 Runtime itself; deprovisionRuntime, then the Director's unregisterRuntime"
            ),
        ))
    }
}

/// The runtime `id` of the caller's tenant.
fn runtime_of(ctx: &Context<'_>, id: &str) -> ApiResult<std::sync::Arc<Runtime>> {
    let scope = tenant(ctx)?;
    runtime_in(caches(ctx), &scope.namespace, id)
}

fn refuse_unless_provisioned(runtime: &Runtime, id: &str) -> ApiResult<()> {
    if runtime.spec.provisioning.is_some() && record_of(runtime).provisioned() {
        return Ok(());
    }
    Err(error(
        Code::InvalidInput,
        format!("runtime {id} is not provisioned; provisionRuntime first"),
    ))
}

/// Asks for an operation of `type_` on `runtime` (with the change `spec` to its spec), guarded
/// by the version the checks read; answers with the operation's id.
async fn ask(
    ctx: &Context<'_>,
    runtime: &Runtime,
    type_: OperationType,
    spec: Option<Value>,
) -> ApiResult<String> {
    let asked = RequestedOperation {
        type_,
        id: uuid::Uuid::new_v4().to_string(),
    };
    let mut patch = json!({
        "metadata": { "annotations": { REQUESTED_OPERATION_ANNOTATION: asked.annotation() } },
    });
    if let Some(spec) = spec {
        patch["spec"] = spec;
    }
    let namespace = runtime.namespace().unwrap_or_default();
    let api: Api<Runtime> = Api::namespaced(client(ctx), &namespace);
    let version = runtime.resource_version().unwrap_or_default();
    let name = runtime.name_any();
    merge_at(
        &api,
        &caches(ctx).runtimes,
        &name,
        &version,
        &patch,
        "Runtime",
    )
    .await?;
    Ok(asked.id)
}
