//! The provisioning controller: for each Runtime with `spec.provisioning` naming a provider it
//! runs, it holds a finalizer, runs a Provision operation (a fresh one-time token for the agent,
//! the provider called until done, then the agent's pairing awaited), keeps the runtime's
//! processes or cluster up afterwards, and on deletion runs a Deprovision operation before it
//! lets the Runtime go. It writes only `status.provisioning` and the conditions `Provisioned`
//! and `AgentConnected`, under a field manager of its own.

use std::{collections::HashMap, sync::Arc, time::Duration};

use compass_crds::{
    Runtime,
    provisioning::{OperationState, OperationType, PROVISIONER_FINALIZER, ProvisioningStatus},
};
use compass_operator::controllers::events::{EventRecorder, EventType};
use futures_util::{StreamExt, future::BoxFuture};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{
        Controller,
        controller::Action,
        finalizer::{Event, finalizer},
        watcher,
    },
};
use serde_json::json;
use tokio::sync::Mutex;

use crate::{
    bootstrap::bootstrap,
    operations,
    provider::{Progress, Provider, ProviderError, RuntimeTarget},
    status::{self, FIELD_MANAGER, agent_connected, now, provisioned_condition, record_of},
};

/// How long a Provision may keep failing before it is given up as Failed.
const PROVISION_BOUND: Duration = Duration::from_secs(600);
/// Pause before a failed step is tried again.
const RETRY: Duration = Duration::from_secs(5);

/// Issues a one-time token for the runtime `name` of `namespace`, as
/// `requestOneTimeTokenForRuntime` does.
pub type TokenIssuer =
    Arc<dyn Fn(String, String) -> BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// What the provisioner runs with.
pub struct ProvisionerConfig {
    /// The providers it runs, by name.
    pub providers: Vec<Arc<dyn Provider>>,
    /// Where agents' one-time tokens come from.
    pub issue_token: TokenIssuer,
    /// The Connector's URL agents pair with.
    pub connector_url: String,
    /// The CA the management plane's serving certificate chains to, PEM, for agents.
    pub ca_cert: Option<String>,
}

pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) recorder: EventRecorder,
    pub(crate) providers: HashMap<&'static str, Arc<dyn Provider>>,
    pub(crate) config: ProvisionerConfig,
    /// Tokens issued for runtimes still being provisioned, by runtime id: one per provisioning.
    pub(crate) tokens: Mutex<HashMap<String, String>>,
}

/// Why a reconcile stopped short; it is tried again after [`RETRY`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub(crate) String);

/// Runs the controller until `shutdown` completes.
pub async fn run(
    client: Client,
    config: ProvisionerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let providers = config
        .providers
        .iter()
        .map(|p| (p.name(), p.clone()))
        .collect();
    let context = Arc::new(Context {
        recorder: EventRecorder::new(client.clone(), FIELD_MANAGER),
        client: client.clone(),
        providers,
        config,
        tokens: Mutex::new(HashMap::new()),
    });
    let runtimes: Api<Runtime> = Api::all(client);
    let providers = context.config.providers.clone();
    let controller = Controller::new(runtimes, watcher::Config::default())
        .run(reconcile, |_, _, _| Action::requeue(RETRY), context)
        .for_each(|_| async {});
    // On shutdown a reconcile under way is dropped (each is idempotent and runs again at the
    // next start); then each provider stops what it runs on this machine.
    tokio::select! {
        () = controller => {}
        () = shutdown => {}
    }
    for provider in providers {
        provider.shutdown().await;
    }
}

async fn reconcile(runtime: Arc<Runtime>, ctx: Arc<Context>) -> Result<Action, Error> {
    let held = runtime
        .finalizers()
        .iter()
        .any(|f| f == PROVISIONER_FINALIZER);
    let Some(request) = runtime.spec.provisioning.as_ref() else {
        if !held {
            return Ok(Action::await_change());
        }
        // The request was withdrawn from a provisioned runtime (or the runtime is going
        // without one): what the provider made goes, then the finalizer.
        deprovision(&ctx, &runtime).await?;
        release(&ctx, &runtime).await?;
        return Ok(Action::await_change());
    };
    if !ctx.providers.contains_key(request.provider.as_str()) && !held {
        // Another provisioner (a third party's controller) may serve this provider.
        return Ok(Action::await_change());
    }
    let namespace = runtime.namespace().unwrap_or_default();
    let api: Api<Runtime> = Api::namespaced(ctx.client.clone(), &namespace);
    finalizer(&api, PROVISIONER_FINALIZER, runtime, |event| async {
        match event {
            Event::Apply(runtime) => provision(&ctx, &runtime).await,
            Event::Cleanup(runtime) => deprovision(&ctx, &runtime).await,
        }
    })
    .await
    .map_err(|e| Error(e.to_string()))
}

/// What the provider works for: the request, or, when it was withdrawn, the provider that made
/// what stands.
fn target(runtime: &Runtime) -> RuntimeTarget {
    let recorded = record_of(runtime).provider;
    let request = runtime.spec.provisioning.clone().unwrap_or_else(|| {
        compass_crds::provisioning::ProvisioningSpec {
            provider: recorded.unwrap_or_default(),
            ..Default::default()
        }
    });
    RuntimeTarget {
        namespace: runtime.namespace().unwrap_or_default(),
        name: runtime.name_any(),
        id: runtime.uid().unwrap_or_default(),
        request,
    }
}

/// Takes the provisioner's finalizer off `runtime`, guarded by the resource version it has now
/// (the status just written moved it).
async fn release(ctx: &Context, runtime: &Runtime) -> Result<(), Error> {
    let api: Api<Runtime> =
        Api::namespaced(ctx.client.clone(), &runtime.namespace().unwrap_or_default());
    let Some(runtime) = api
        .get_opt(&runtime.name_any())
        .await
        .map_err(|e| Error(format!("reading the Runtime failed: {e}")))?
    else {
        return Ok(());
    };
    let remaining: Vec<&String> = runtime
        .finalizers()
        .iter()
        .filter(|f| *f != PROVISIONER_FINALIZER)
        .collect();
    let patch = json!({ "metadata": {
        "finalizers": remaining,
        "resourceVersion": runtime.resource_version(),
    }});
    api.patch(
        &runtime.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|e| Error(format!("releasing the Runtime's finalizer failed: {e}")))?;
    Ok(())
}

async fn provision(ctx: &Context, runtime: &Runtime) -> Result<Action, Error> {
    let target = target(runtime);
    let mut record = record_of(runtime);
    let provider = ctx.providers.get(target.request.provider.as_str()).cloned();
    let Some(provider) = provider else {
        let names: Vec<&str> = ctx.providers.keys().copied().collect();
        let message = format!(
            "no provider {:?} runs here; the providers available are {names:?}",
            target.request.provider
        );
        status::write(
            &ctx.client,
            runtime,
            &record,
            provisioned_condition(false, "ProviderNotAvailable", &message),
        )
        .await?;
        return Ok(Action::await_change());
    };
    record.provider = Some(target.request.provider.clone());
    let first = !operations::provisioned(&record);
    if first && operations::running(&record).is_none() {
        let provider = &target.request.provider;
        let note = format!("provider {provider} makes the runtime's cluster and starts its agent");
        status::event(
            &ctx.recorder,
            runtime,
            EventType::Normal,
            "ProvisioningStarted",
            &note,
        )
        .await;
    }
    let operation = first.then(|| operations::ensure(&mut record, OperationType::Provision, now()));
    let agent = match first {
        true => Some(bootstrap(ctx, &target).await?),
        false => None,
    };
    let outcome = provider.provision(&target, agent.as_ref()).await;
    let (condition, action) = settle(ctx, runtime, &target, &mut record, operation, outcome).await;
    status::write(&ctx.client, runtime, &record, condition).await?;
    Ok(action)
}

/// Records what the provider's `outcome` means for the runtime's `operation` (when it is being
/// provisioned): the `Provisioned` condition and when to look again.
async fn settle(
    ctx: &Context,
    runtime: &Runtime,
    target: &RuntimeTarget,
    record: &mut ProvisioningStatus,
    operation: Option<String>,
    outcome: Result<Progress, ProviderError>,
) -> (Condition, Action) {
    match (outcome, &operation) {
        (Ok(Progress::Done(message)), Some(id)) if agent_connected(runtime) => {
            operations::finish(
                record,
                id,
                OperationState::Succeeded,
                format!("{message}; the agent paired"),
                now(),
            );
            ctx.tokens.lock().await.remove(&target.id);
            let note = format!("{message}; the agent paired");
            status::event(
                &ctx.recorder,
                runtime,
                EventType::Normal,
                "Provisioned",
                &note,
            )
            .await;
            (
                provisioned_condition(true, "Provisioned", &message),
                Action::requeue(Duration::from_secs(300)),
            )
        }
        (Ok(Progress::Done(message)), Some(id)) => {
            operations::progress(
                record,
                id,
                format!("{message}; waiting for the agent to pair"),
            );
            (
                provisioned_condition(true, "Provisioned", &message),
                Action::requeue(Duration::from_secs(1)),
            )
        }
        (Ok(Progress::Done(message)), None) => (
            provisioned_condition(true, "Provisioned", &message),
            Action::requeue(Duration::from_secs(300)),
        ),
        (Ok(Progress::Waiting(message, after)), _) => {
            if let Some(id) = &operation {
                operations::progress(record, id, &message);
            }
            (
                provisioned_condition(false, "Provisioning", &message),
                Action::requeue(after),
            )
        }
        (Err(error), _) => {
            let note = error.to_string();
            status::event(
                &ctx.recorder,
                runtime,
                EventType::Warning,
                "ProvisioningFailed",
                &note,
            )
            .await;
            failed_step(record, operation.as_deref(), &error)
        }
    }
}

/// A failed provider step: retried, until the operation's bound or at once when the request is
/// not usable, then the operation is Failed.
fn failed_step(
    record: &mut ProvisioningStatus,
    operation: Option<&str>,
    error: &ProviderError,
) -> (Condition, Action) {
    let message = error.to_string();
    let started = operation
        .and_then(|id| record.operations.iter().find(|op| op.id == id))
        .map(|op| op.start_time.0);
    let over = started.is_some_and(|at| {
        jiff::Timestamp::now().duration_since(at)
            > jiff::SignedDuration::try_from(PROVISION_BOUND).unwrap_or_default()
    });
    match (operation, error) {
        (Some(id), ProviderError::Invalid(_)) => {
            operations::finish(record, id, OperationState::Failed, &message, now());
        }
        (Some(id), ProviderError::Failed(_)) if over => {
            operations::finish(
                record,
                id,
                OperationState::Failed,
                format!("{message}; given up after {} s", PROVISION_BOUND.as_secs()),
                now(),
            );
        }
        (Some(id), ProviderError::Failed(_)) => {
            operations::progress(record, id, format!("{message}; trying again"));
        }
        (None, _) => {}
    }
    (
        provisioned_condition(false, "ProvisioningFailed", &message),
        Action::requeue(RETRY),
    )
}

async fn deprovision(ctx: &Context, runtime: &Runtime) -> Result<Action, Error> {
    let target = target(runtime);
    let mut record = record_of(runtime);
    let id = operations::ensure(&mut record, OperationType::Deprovision, now());
    ctx.tokens.lock().await.remove(&target.id);
    let Some(provider) = ctx.providers.get(target.request.provider.as_str()).cloned() else {
        // Nothing of this provider runs here: nothing to remove.
        return Ok(Action::await_change());
    };
    match provider.deprovision(&target).await {
        Ok(Progress::Done(message)) => {
            operations::finish(&mut record, &id, OperationState::Succeeded, &message, now());
            status::event(
                &ctx.recorder,
                runtime,
                EventType::Normal,
                "Deprovisioned",
                &message,
            )
            .await;
            status::write(
                &ctx.client,
                runtime,
                &record,
                provisioned_condition(false, "Deprovisioned", &message),
            )
            .await?;
            Ok(Action::await_change())
        }
        Ok(Progress::Waiting(message, _)) => {
            operations::progress(&mut record, &id, &message);
            status::write(
                &ctx.client,
                runtime,
                &record,
                provisioned_condition(false, "Deprovisioning", &message),
            )
            .await?;
            // An error keeps the finalizer until the provider is done.
            Err(Error(message))
        }
        Err(error) => {
            let message = error.to_string();
            operations::progress(&mut record, &id, format!("{message}; trying again"));
            status::write(
                &ctx.client,
                runtime,
                &record,
                provisioned_condition(false, "DeprovisioningFailed", &message),
            )
            .await?;
            Err(Error(message))
        }
    }
}
