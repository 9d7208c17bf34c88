//! The agent's loop. Each cycle reads the configuration, makes sure the agent has a certificate
//! (pairing through the one-time token when it has none, or when `CompassConnection` was
//! deleted; renewing at 70 % of its lifetime or when `spec.refreshCredentialsNow` asks), then
//! synchronises, and reports each step in `CompassConnection`'s status. What it applied stays
//! applied whatever fails.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use compass_operator::controllers::events::EventRecorder;
use jiff::Timestamp;
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::{
    channel,
    config::AgentConfig,
    connection::{CONNECTION_NAME, CompassConnection},
    credentials::Credentials,
    install, labels,
    sync::{self, SyncError},
};

/// How the agent runs.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// Namespace of the configuration and the credentials Secret.
    pub namespace: String,
    /// Configuration keys given as flags, taking precedence over the configuration's.
    pub overrides: BTreeMap<String, String>,
    /// Time between synchronisations.
    pub sync_interval: Duration,
    /// Largest share of the managed applications one synchronisation deletes without a second
    /// answer confirming it.
    pub delete_guard: f64,
    /// The runtime's event service URL, reported as its `runtime_eventServiceUrl` label.
    pub event_service_url: Option<String>,
    /// The runtime's console URL, reported as its `runtime_consoleUrl` label.
    pub console_url: Option<String>,
}

/// Runs until `shutdown` completes.
pub async fn run(
    client: Client,
    options: AgentOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let installed = install::ensure_crds(&client).await?;
    for crd in installed {
        tracing::info!(%crd, "Installed a CustomResourceDefinition");
    }
    // The credentials are written there right after pairing spends the token: on a bare runtime
    // the namespace must exist first, or the token would be spent for nothing.
    sync::ensure_namespace(&client, &options.namespace).await?;
    let recorder = EventRecorder::new(client.clone(), "compass-runtime-agent");
    let changed = Arc::new(Notify::new());
    let mut channel: Option<(String, tokio::task::JoinHandle<()>)> = None;
    tokio::pin!(shutdown);
    loop {
        match cycle(&client, &options, &recorder).await {
            Ok((config, credentials, synced)) => {
                if let Err(error) = synced {
                    tracing::warn!(%error, "Synchronisation failed; what was applied stays");
                }
                // One push channel, with the current certificate: a renewal opens a new one.
                if channel
                    .as_ref()
                    .is_none_or(|(chain, _)| *chain != credentials.chain_pem)
                {
                    if let Some((_, task)) = channel.take() {
                        task.abort();
                    }
                    if let Ok(director) = credentials.director(&config) {
                        let watching = channel::watch(
                            director,
                            config.runtime_id.clone(),
                            config.tenant.clone(),
                            changed.clone(),
                        );
                        channel = Some((credentials.chain_pem.clone(), tokio::spawn(watching)));
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "The agent is not connected; what was applied stays")
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(options.sync_interval) => {}
            () = changed.notified() => {}
        }
    }
    if let Some((_, task)) = channel {
        task.abort();
    }
    Ok(())
}

/// What a cycle found: the configuration, the credentials, and how the synchronisation went.
type Cycle = (AgentConfig, Credentials, Result<(), String>);

/// One cycle: credentials, then synchronisation.
async fn cycle(
    client: &Client,
    options: &AgentOptions,
    recorder: &EventRecorder,
) -> Result<Cycle, String> {
    let connections: Api<CompassConnection> = Api::all(client.clone());
    let config = match AgentConfig::read(client, &options.namespace, &options.overrides).await {
        Ok(config) => config,
        Err(error) => {
            report(
                &connections,
                "ConnectionFailed",
                json!({ "connectionStatus": { "error": error } }),
            )
            .await;
            return Err(error);
        }
    };
    let connection = connections
        .get_opt(CONNECTION_NAME)
        .await
        .map_err(|e| e.to_string())?;
    let credentials =
        credentials(client, options, &config, &connections, connection.as_ref()).await?;
    let synced = synchronise(
        client,
        options,
        recorder,
        &config,
        &credentials,
        &connections,
    )
    .await;
    Ok((config, credentials, synced))
}

/// The agent's credentials: the stored ones, renewed when due; new ones by pairing when there
/// are none or `CompassConnection` is gone.
async fn credentials(
    client: &Client,
    options: &AgentOptions,
    config: &AgentConfig,
    connections: &Api<CompassConnection>,
    connection: Option<&CompassConnection>,
) -> Result<Credentials, String> {
    let stored = match connection {
        Some(_) => Credentials::load(client, &options.namespace).await?,
        None => None,
    };
    let now = Timestamp::now();
    let Some(stored) = stored else {
        let paired = match Credentials::pair(config).await {
            Ok(paired) => paired,
            Err(error) => {
                let error = format!("pairing with the one-time token failed: {error}");
                ensure_connection(connections, config, None).await?;
                report(
                    connections,
                    "ConnectionFailed",
                    json!({ "connectionStatus": { "error": error } }),
                )
                .await;
                return Err(error);
            }
        };
        paired.store(client, &options.namespace).await?;
        ensure_connection(connections, config, Some(&paired)).await?;
        let status = json!({ "connectionStatus": {
            "established": now, "lastSuccess": now, "error": null,
            "certificateStatus": certificate_status(&paired),
        }});
        report(connections, "Connected", status).await;
        return Ok(paired);
    };
    let asked = connection.is_some_and(|c| c.spec.refresh_credentials_now);
    if !asked && !stored.due_for_renewal(now) {
        return Ok(stored);
    }
    match stored.renew(config).await {
        Ok(renewed) => {
            renewed.store(client, &options.namespace).await?;
            if asked {
                let clear = json!({ "spec": { "refreshCredentialsNow": false } });
                let _ = connections
                    .patch(
                        CONNECTION_NAME,
                        &PatchParams::default(),
                        &Patch::Merge(&clear),
                    )
                    .await;
            }
            let status = json!({ "connectionStatus": {
                "renewed": now, "lastSuccess": now, "error": null,
                "certificateStatus": certificate_status(&renewed),
            }});
            report(connections, "Connected", status).await;
            Ok(renewed)
        }
        Err(error) => {
            let error = format!("renewing the certificate failed: {error}");
            report(
                connections,
                "ConnectionMaintenanceFailed",
                json!({ "connectionStatus": { "error": error } }),
            )
            .await;
            // The current certificate still works until it expires.
            Ok(stored)
        }
    }
}

fn certificate_status(credentials: &Credentials) -> Value {
    json!({ "acquired": credentials.acquired, "notBefore": credentials.acquired, "notAfter": credentials.not_after })
}

/// Creates `CompassConnection` when it does not exist, naming where the management plane is.
async fn ensure_connection(
    connections: &Api<CompassConnection>,
    config: &AgentConfig,
    credentials: Option<&Credentials>,
) -> Result<(), String> {
    let director = credentials
        .map(|c| c.director_url.clone())
        .unwrap_or_default();
    let object = json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "CompassConnection",
        "metadata": { "name": CONNECTION_NAME, "labels": crate::managed_labels() },
        "spec": { "managementInfo": { "connectorUrl": config.connector_url, "directorUrl": director } },
    });
    let object: CompassConnection = serde_json::from_value(object).map_err(|e| e.to_string())?;
    match connections.create(&PostParams::default(), &object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            if credentials.is_some() {
                let spec = json!({ "spec": { "managementInfo": { "connectorUrl": config.connector_url, "directorUrl": director } } });
                let _ = connections
                    .patch(
                        CONNECTION_NAME,
                        &PatchParams::default(),
                        &Patch::Merge(&spec),
                    )
                    .await;
            }
            Ok(())
        }
        Err(e) => Err(format!("creating CompassConnection failed: {e}")),
    }
}

/// Fetches, applies and deletes, reporting the outcome.
async fn synchronise(
    client: &Client,
    options: &AgentOptions,
    recorder: &EventRecorder,
    config: &AgentConfig,
    credentials: &Credentials,
    connections: &Api<CompassConnection>,
) -> Result<(), String> {
    let now = Timestamp::now();
    let director = credentials.director(config)?;
    let fetched = match sync::fetch(&director, &config.runtime_id).await {
        Ok(fetched) => fetched,
        Err(error) => {
            let state = match error {
                SyncError::Refused(_) => "ConnectionFailed",
                _ => "SynchronizationFailed",
            };
            let status = json!({ "synchronizationStatus": { "lastAttempt": now, "error": error.to_string() } });
            report(connections, state, status).await;
            return Err(error.to_string());
        }
    };
    let assigned = fetched
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    let applied = sync::apply(client, &config.tenant, &fetched).await;
    let mut unassigned = sync::unassigned(client, &assigned)
        .await
        .map_err(|e| e.to_string())?;
    let managed = applied.applied.len() + unassigned.len();
    if !sync::within_guard(unassigned.len(), managed, options.delete_guard) {
        // A second complete answer must agree before that many go.
        let again = sync::fetch(&director, &config.runtime_id)
            .await
            .map_err(|e| e.to_string())?;
        let confirmed: std::collections::BTreeSet<String> = again
            .iter()
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect();
        if confirmed != assigned {
            unassigned.clear();
        }
    }
    sync::delete(client, recorder, &config.runtime_id, &unassigned)
        .await
        .map_err(|e| e.to_string())?;
    if let Err(error) = report_labels(options, &director, &config.runtime_id).await {
        let status = json!({ "synchronizationStatus": { "lastAttempt": now, "error": error } });
        report(connections, "MetadataUpdateFailed", status).await;
        return Err(error);
    }
    let (state, error) = match applied.failed.as_slice() {
        [] => ("Synchronized", Value::Null),
        failed => ("ResourceApplicationFailed", json!(format!("{failed:?}"))),
    };
    let status = json!({
        "connectionStatus": { "lastSync": now, "lastSuccess": now },
        "synchronizationStatus": {
            "lastAttempt": now, "lastSuccessfulFetch": now,
            "lastSuccessfulApplication": if applied.failed.is_empty() { json!(now) } else { Value::Null },
            "error": error,
        },
    });
    report(connections, state, status).await;
    Ok(())
}

/// Sets the runtime's URL labels the options name, when it does not carry them yet.
async fn report_labels(
    options: &AgentOptions,
    director: &compass_api::client::DirectorClient,
    runtime_id: &str,
) -> Result<(), String> {
    let wanted: Vec<(&str, &str)> = [
        (
            labels::EVENT_SERVICE_URL_LABEL,
            options.event_service_url.as_deref(),
        ),
        (labels::CONSOLE_URL_LABEL, options.console_url.as_deref()),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .collect();
    labels::report(director, runtime_id, &wanted)
        .await
        .map(|_| ())
}

/// Merges `status` (with `connectionState`) into `CompassConnection`'s status; failures are
/// logged, never fatal.
async fn report(connections: &Api<CompassConnection>, state: &str, mut status: Value) {
    status["connectionState"] = json!(state);
    status["conditions"] = json!([ready_condition(connections, state, &status).await]);
    let patch = json!({ "status": status });
    if let Err(error) = connections
        .patch_status(
            CONNECTION_NAME,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        tracing::warn!(%error, "Reporting in CompassConnection failed");
    }
}

/// The `Ready` condition of `state`: true while connected and synchronised. Its transition time
/// moves only when its status does.
async fn ready_condition(
    connections: &Api<CompassConnection>,
    state: &str,
    status: &Value,
) -> Value {
    let ready = matches!(state, "Connected" | "Synchronized");
    let value = if ready { "True" } else { "False" };
    let current = connections.get_opt(CONNECTION_NAME).await.ok().flatten();
    let generation = current.as_ref().and_then(|c| c.metadata.generation);
    let previous = current
        .and_then(|c| c.status)
        .and_then(|s| s.conditions.into_iter().find(|c| c.type_ == "Ready"));
    let since = match previous {
        Some(previous) if previous.status == value => json!(previous.last_transition_time),
        _ => json!(Timestamp::now()),
    };
    let error = [
        &status["connectionStatus"]["error"],
        &status["synchronizationStatus"]["error"],
    ]
    .into_iter()
    .find_map(|e| e.as_str().map(str::to_owned));
    let message = error.unwrap_or_else(|| match ready {
        true => "connected to the management plane and synchronised".to_owned(),
        false => format!("the agent is {state}"),
    });
    json!({
        "type": "Ready", "status": value, "reason": state, "message": message,
        "lastTransitionTime": since, "observedGeneration": generation,
    })
}
