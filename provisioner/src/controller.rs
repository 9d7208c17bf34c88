//! The provisioning controller: for each Runtime with `spec.provisioning` naming a provider it
//! runs, it holds a finalizer, runs a Provision operation (a fresh one-time token for the agent,
//! the provider called until done, then the agent's pairing awaited), then Upgrade and
//! ReconnectRuntime operations as asked for, keeps the runtime's processes or cluster up, and on
//! deletion (or when the request is withdrawn) runs a Deprovision operation before it lets the
//! Runtime go. It writes only `status.provisioning` and the conditions `Provisioned` and
//! `AgentConnected`, under a field manager of its own.

use std::{collections::HashMap, sync::Arc, time::Duration};

use compass_crds::{
    Runtime,
    provisioning::{
        PROVISIONER_FINALIZER, ProvisioningSpec, ProvisioningStatus, RequestedOperation,
    },
};
use compass_operator::controllers::{events::EventRecorder, stores::Watches};
use futures_util::{StreamExt, future::BoxFuture};
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{
        Controller,
        controller::Action,
        finalizer::{Event, finalizer},
    },
};
use serde_json::json;
use tokio::sync::Mutex;

use crate::{
    changes,
    deprovision::deprovision,
    operations::{self, Step},
    provider::{Provider, RuntimeTarget},
    provision::provision,
    status::{self, FIELD_MANAGER, provisioned_condition},
};

/// Pause before a failed reconcile (a deprovisioning step, a write) is tried again.
pub(crate) const RETRY: Duration = Duration::from_secs(5);

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
    /// Failed provider steps in a row, by runtime id.
    pub(crate) backoff: crate::backoff::Backoff,
}

/// Why a reconcile stopped short; it is tried again after [`RETRY`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub(crate) String);

/// Runs the controller on the runtimes' store of `watches` (shared with the rest of the
/// process) until `shutdown` completes.
pub async fn run(
    client: Client,
    config: ProvisionerConfig,
    watches: &Watches,
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
        backoff: crate::backoff::Backoff::default(),
    });
    let runtimes = watches.runtimes();
    let providers = context.config.providers.clone();
    // Every change of a runtime (its status too: a step written there leads to the next one).
    let controller = Controller::for_shared_stream(runtimes.subscribe(), runtimes.store())
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
            Event::Apply(runtime) => apply(&ctx, &runtime).await,
            Event::Cleanup(runtime) => deprovision(&ctx, &runtime).await,
        }
    })
    .await
    .map_err(|e| Error(e.to_string()))
}

/// Carries out the request of a runtime that has one: the next step its record and what a
/// caller asked for call for, by the provider it names.
async fn apply(ctx: &Context, runtime: &Runtime) -> Result<Action, Error> {
    let target = target(runtime);
    let mut record = ProvisioningStatus::of(runtime);
    let Some(provider) = ctx.providers.get(target.request.provider.as_str()).cloned() else {
        let names: Vec<&str> = ctx.providers.keys().copied().collect();
        let message = format!(
            "no provider {:?} runs here; the providers available are {names:?}",
            target.request.provider
        );
        let condition = provisioned_condition(false, "ProviderNotAvailable", &message);
        status::write(&ctx.client, runtime, &record, condition).await?;
        return Ok(Action::await_change());
    };
    record.provider = Some(target.request.provider.clone());
    let requested = record.unanswered(RequestedOperation::of(runtime));
    let step = operations::next_step(&record, &target.request, requested.as_ref());
    let work = changes::Work {
        ctx,
        runtime,
        target: &target,
        provider: provider.as_ref(),
        requested: requested.as_ref(),
    };
    match step {
        Step::Provision => provision(work, record).await,
        Step::Maintain => changes::maintain(work, record).await,
        Step::Upgrade(version) => changes::upgrade(work, record, &version).await,
        Step::Reconnect => changes::reconnect(work, record).await,
    }
}

/// What the provider works for: the request, or, when it was withdrawn, the provider that made
/// what stands.
pub(crate) fn target(runtime: &Runtime) -> RuntimeTarget {
    let recorded = ProvisioningStatus::of(runtime).provider;
    let request = runtime
        .spec
        .provisioning
        .clone()
        .unwrap_or_else(|| ProvisioningSpec {
            provider: recorded.unwrap_or_default(),
            ..Default::default()
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
