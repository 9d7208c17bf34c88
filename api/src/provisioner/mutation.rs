//! The Provisioner API's mutations. Each asks for one operation on a runtime's cluster by
//! writing the Runtime (its `spec.provisioning` and the requested-operation annotation, guarded
//! by the version it was read at) and answers with the operation's id at once; the provisioner
//! runs it. One operation runs on a runtime at a time.

use async_graphql::{Context, Object};
use compass_crds::{
    Runtime,
    provisioning::RequestedOperation,
    provisioning::{
        OperationType, PROVISIONER_FINALIZER, ProvisioningStatus, REQUESTED_OPERATION_ANNOTATION,
    },
};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use super::{
    Providers,
    inputs::{ProvisionRuntimeInput, UpgradeRuntimeInput},
    record::refuse_if_busy,
    types::CleanUpRuntimeDataResult,
};
use crate::{
    director::{
        context::{caches, client, merge_fresh, tenant},
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
        ask(ctx, &id, OperationType::Provision, |runtime| {
            refuse_if_busy(runtime)?;
            if let Some(asked) = &runtime.spec.provisioning
                && ProvisioningStatus::of(runtime).provisioned()
            {
                return Err(error(
                    Code::Conflict,
                    format!(
                        "runtime {id} is provisioned by provider {}; deprovisionRuntime first",
                        asked.provider
                    ),
                ));
            }
            Ok(Some(json!({ "provisioning": request })))
        })
        .await
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
        ask(ctx, &id, OperationType::Upgrade, |runtime| {
            refuse_if_busy(runtime)?;
            refuse_unless_provisioned(runtime, &id)?;
            Ok(Some(
                json!({ "provisioning": { "kubernetesVersion": version } }),
            ))
        })
        .await
    }

    /// Deprovisions the runtime `id`: its provider removes the agent and, for a cluster it
    /// made, the cluster. The runtime stays registered (`unregisterRuntime` removes it). A
    /// Provision, Upgrade or ReconnectRuntime under way is cancelled. Answers with the
    /// Deprovision operation's id.
    #[graphql(guard = "Scopes::mutation(\"deprovisionRuntime\")")]
    async fn deprovision_runtime(&self, ctx: &Context<'_>, id: String) -> ApiResult<String> {
        ask(ctx, &id, OperationType::Deprovision, |runtime| {
            let taken_up = runtime
                .finalizers()
                .iter()
                .any(|f| f == PROVISIONER_FINALIZER);
            if runtime.spec.provisioning.is_none() || !taken_up {
                return Err(error(
                    Code::InvalidInput,
                    format!(
                        "runtime {id} has nothing provisioned; there is nothing to deprovision"
                    ),
                ));
            }
            let deprovisioning = ProvisioningStatus::of(runtime)
                .running()
                .is_some_and(|op| op.type_ == OperationType::Deprovision);
            if deprovisioning || super::record::pending(runtime).is_some() {
                refuse_if_busy(runtime)?;
            }
            Ok(Some(json!({ "provisioning": Value::Null })))
        })
        .await
    }

    /// Installs the Runtime Agent of the provisioned runtime `id` again with a fresh one-time
    /// token and has it pair again. Answers with the ReconnectRuntime operation's id.
    #[graphql(guard = "Scopes::mutation(\"reconnectRuntimeAgent\")")]
    async fn reconnect_runtime_agent(&self, ctx: &Context<'_>, id: String) -> ApiResult<String> {
        ask(ctx, &id, OperationType::ReconnectRuntime, |runtime| {
            refuse_if_busy(runtime)?;
            refuse_unless_provisioned(runtime, &id)?;
            Ok(None)
        })
        .await
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

fn refuse_unless_provisioned(runtime: &Runtime, id: &str) -> ApiResult<()> {
    if runtime.spec.provisioning.is_some() && ProvisioningStatus::of(runtime).provisioned() {
        return Ok(());
    }
    Err(error(
        Code::InvalidInput,
        format!("runtime {id} is not provisioned; provisionRuntime first"),
    ))
}

/// Asks for an operation of `type_` on the runtime `id` of the caller's tenant, with the change
/// to its spec that `checked` gives after its checks of the runtime pass; answers with the
/// operation's id. The write is guarded by the version checked, and checked again on a
/// runtime read afresh when another writer (the operator's status) got there first.
async fn ask(
    ctx: &Context<'_>,
    id: &str,
    type_: OperationType,
    checked: impl Fn(&Runtime) -> ApiResult<Option<Value>>,
) -> ApiResult<String> {
    let scope = tenant(ctx)?;
    let caches = caches(ctx);
    let runtime = runtime_in(caches, &scope.namespace, id)?;
    let asked = RequestedOperation {
        type_,
        id: uuid::Uuid::new_v4().to_string(),
    };
    let annotation = asked.annotation();
    let change = |current: &Runtime| {
        let spec = checked(current)?;
        let mut patch = json!({
            "metadata": { "annotations": { REQUESTED_OPERATION_ANNOTATION: &annotation } },
        });
        if let Some(spec) = spec {
            patch["spec"] = spec;
        }
        Ok(patch)
    };
    let api: Api<Runtime> = Api::namespaced(client(ctx), &scope.namespace);
    merge_fresh(&api, &caches.runtimes, runtime, change, "Runtime").await?;
    Ok(asked.id)
}
