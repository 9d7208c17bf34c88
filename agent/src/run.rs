//! The agent's loop: a cycle (see [`crate::cycle`]) every sync interval, at once when the push
//! channel sees the assignment change, and when `CompassConnection` asks for something (resync,
//! new credentials) or is deleted. Beside it, with the current certificate, run the push channel
//! and the heartbeat; a renewed certificate starts them afresh. What the agent applied stays
//! applied whatever fails.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use compass_operator::controllers::events::EventRecorder;
use futures_util::StreamExt;
use kube::{
    Api, Client,
    runtime::{WatchStreamExt, watcher},
};
use tokio::task::JoinHandle;

use crate::{
    channel::{self, Wake},
    connection::{CONNECTION_NAME, CompassConnection},
    cycle::{Agent, Outcome},
    heartbeat, install,
    metrics::AgentMetrics,
    status::Reporter,
    sync,
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
    run_measured(client, options, AgentMetrics::default(), shutdown).await
}

/// Runs until `shutdown` completes, counting in `metrics`.
pub async fn run_measured(
    client: Client,
    options: AgentOptions,
    metrics: AgentMetrics,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let installed = install::ensure_crds(&client).await?;
    for crd in installed {
        tracing::info!(%crd, "Installed a CustomResourceDefinition");
    }
    // The credentials are written there right after pairing spends the token: on a bare runtime
    // the namespace must exist first, or the token would be spent for nothing.
    sync::ensure_namespace(&client, &options.namespace).await?;
    let agent = Agent {
        recorder: EventRecorder::new(client.clone(), "compass-runtime-agent"),
        reporter: Reporter::new(&client),
        wake: Arc::new(Wake::default()),
        // A restarted agent trusts the digests of what it applied before: the first full
        // apply comes one period after the start, not at it.
        last_full_apply: std::sync::Mutex::new(Some(std::time::Instant::now())),
        client,
        options,
        metrics,
    };
    let requests = tokio::spawn(watch_requests(agent.client.clone(), agent.wake.clone()));
    let mut session: Option<Session> = None;
    tokio::pin!(shutdown);
    loop {
        match agent.cycle().await {
            Ok(outcome) => {
                if let Err(error) = &outcome.2 {
                    tracing::warn!(%error, "Synchronisation failed; what was applied stays");
                }
                session = Session::follow(session, &agent, &outcome);
            }
            Err(error) => {
                tracing::warn!(%error, "The agent is not connected; what was applied stays")
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(agent.options.sync_interval) => {}
            () = agent.wake.noticed() => {}
        }
    }
    requests.abort();
    drop(session);
    Ok(())
}

/// The tasks that run with one certificate: the push channel and the heartbeat.
struct Session {
    chain_pem: String,
    tasks: [JoinHandle<()>; 2],
}

impl Session {
    /// The session for the credentials of `outcome`: `current` while its certificate is the
    /// same, else a new one.
    fn follow(current: Option<Self>, agent: &Agent, outcome: &Outcome) -> Option<Self> {
        let (config, credentials, _) = outcome;
        if let Some(current) = current {
            if current.chain_pem == credentials.chain_pem {
                return Some(current);
            }
            drop(current);
        }
        let director = credentials.director(config).ok()?;
        let watching = channel::watch(
            director.clone(),
            config.runtime_id.clone(),
            config.tenant.clone(),
            agent.wake.clone(),
            agent.metrics.clone(),
        );
        let beating = heartbeat::send(
            director,
            config.runtime_id.clone(),
            config.tenant.clone(),
            agent.reporter.reports(),
        );
        Some(Self {
            chain_pem: credentials.chain_pem.clone(),
            tasks: [tokio::spawn(watching), tokio::spawn(beating)],
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Wakes the loop when `CompassConnection` asks for a resync or new credentials, or is deleted
/// (the agent then pairs again with the configuration's token).
async fn watch_requests(client: Client, wake: Arc<Wake>) {
    let connections: Api<CompassConnection> = Api::all(client);
    let config = watcher::Config::default().fields(&format!("metadata.name={CONNECTION_NAME}"));
    let mut events = watcher(connections, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        let asks = match event {
            Ok(watcher::Event::Apply(connection)) => {
                connection.spec.resync_now || connection.spec.refresh_credentials_now
            }
            Ok(watcher::Event::Delete(_)) => true,
            _ => false,
        };
        if asks {
            wake.poke();
        }
    }
}
