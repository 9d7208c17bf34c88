//! Runtimes for the agent benchmark: a bare control plane per runtime in this process (as
//! `compass apiserver` runs it), a Runtime Agent paired with a fresh token against each, and a
//! watch of the Kyma Applications each runtime holds, stamped as they arrive.

use std::{sync::Arc, time::Instant};

use compass_agent::{
    APPLICATION_ID_LABEL, kyma,
    metrics::AgentMetrics,
    run::{AgentOptions, run_measured},
};
use compass_apiserver::{Config, ControlPlane};
use futures_util::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

use super::{Admin, data};

/// What a runtime's watch saw: the runtime's index, the application id, whether the Kyma
/// Application now exists, and when.
pub type Seen = (usize, String, bool, Instant);

/// One runtime: its control plane and data directory, and the agent running against it.
pub struct BenchRuntime {
    /// The runtime's control plane.
    pub control_plane: ControlPlane,
    /// A client of it.
    pub client: Client,
    _data_dir: tempfile::TempDir,
}

impl BenchRuntime {
    /// Starts a bare control plane.
    pub async fn start() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let config = Config::new(data_dir.path(), "127.0.0.1:0".parse().unwrap());
        let control_plane = ControlPlane::start(config).await.unwrap();
        let kubeconfig = kube::config::Kubeconfig::read_from(&control_plane.kubeconfig).unwrap();
        let options = kube::config::KubeConfigOptions::default();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .unwrap();
        let client = Client::try_from(config).unwrap();
        // The definitions in place before anything watches them, as the agent would make them.
        compass_agent::install::ensure_crds(&client).await.unwrap();
        Self {
            client,
            control_plane,
            _data_dir: data_dir,
        }
    }

    /// Runs an agent for the runtime `runtime_id` against this control plane until `stop` is
    /// notified, with a token requested through the Director and a resync every `resync`.
    pub async fn start_agent(
        &self,
        admin: &Admin,
        runtime_id: &str,
        resync: std::time::Duration,
        metrics: AgentMetrics,
        stop: Arc<Notify>,
    ) -> tokio::task::JoinHandle<Result<(), String>> {
        let query =
            "mutation ($id: ID!) { requestOneTimeTokenForRuntime(id: $id) { token connectorURL } }";
        let answer = data(&admin.client, query, json!({ "id": runtime_id })).await;
        let invitation = &answer["requestOneTimeTokenForRuntime"];
        let overrides = [
            (
                "CONNECTOR_URL",
                invitation["connectorURL"].as_str().unwrap(),
            ),
            ("RUNTIME_ID", runtime_id),
            (
                "TENANT",
                compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID,
            ),
            ("TOKEN", invitation["token"].as_str().unwrap()),
            ("CA_CERT", admin.ca.as_str()),
        ];
        let options = AgentOptions {
            namespace: "compass-system".into(),
            overrides: overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            sync_interval: resync,
            delete_guard: 0.5,
            event_service_url: None,
            console_url: None,
        };
        let client = self.client.clone();
        tokio::spawn(async move {
            run_measured(
                client,
                options,
                metrics,
                async move { stop.notified().await },
            )
            .await
        })
    }

    /// Watches the runtime's Kyma Applications, sending what changes to `seen` as runtime
    /// `index`.
    pub fn watch(&self, index: usize, seen: mpsc::UnboundedSender<Seen>) {
        let applications: Api<kyma::Application> = Api::all(self.client.clone());
        tokio::spawn(async move {
            let mut events = watcher(applications, watcher::Config::default())
                .default_backoff()
                .boxed();
            while let Some(event) = events.next().await {
                let at = Instant::now();
                let (application, exists) = match event {
                    Ok(watcher::Event::Apply(a) | watcher::Event::InitApply(a)) => (a, true),
                    Ok(watcher::Event::Delete(a)) => (a, false),
                    _ => continue,
                };
                let id = application.labels().get(APPLICATION_ID_LABEL).cloned();
                if let Some(id) = id
                    && seen.send((index, id, exists, at)).is_err()
                {
                    return;
                }
            }
        });
    }
}
