//! The Runtime Agent for tests: its configuration written as a runtime's operator writes it, the
//! real agent run in-process against a runtime's control plane, and what it applied and reports
//! read back from that control plane.

use std::{collections::BTreeMap, time::Duration};

use compass_agent::{
    APPLICATION_ID_LABEL,
    connection::{CONNECTION_NAME, CompassConnection},
    kyma,
    metrics::AgentMetrics,
    run::{AgentOptions, run_measured},
};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::{Value, json};

/// The agent's namespace in the runtime, as the original's.
pub const AGENT_NAMESPACE: &str = "compass-system";
/// The agent's configuration Secret.
pub const CONFIGURATION_NAME: &str = "compass-agent-configuration";

/// The configuration keys of an agent pairing through `connector_url` with `token` as the
/// runtime `runtime_id` of the default tenant, trusting the CA `ca_pem`.
pub fn settings(
    connector_url: &str,
    runtime_id: &str,
    token: &str,
    ca_pem: &str,
) -> BTreeMap<String, String> {
    [
        ("CONNECTOR_URL", connector_url),
        ("RUNTIME_ID", runtime_id),
        (
            "TENANT",
            compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID,
        ),
        ("TOKEN", token),
        ("CA_CERT", ca_pem),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// Writes the agent's configuration Secret in the runtime (and its namespace), as an operator
/// of the runtime writes it.
pub async fn configure(runtime: &Client, data: &BTreeMap<String, String>) {
    let namespaces: Api<Namespace> = Api::all(runtime.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(AGENT_NAMESPACE.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    let _ = namespaces.create(&PostParams::default(), &namespace).await;
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(CONFIGURATION_NAME.into()),
            namespace: Some(AGENT_NAMESPACE.into()),
            ..ObjectMeta::default()
        },
        string_data: Some(data.clone()),
        ..Secret::default()
    };
    let secrets: Api<Secret> = Api::namespaced(runtime.clone(), AGENT_NAMESPACE);
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("the configuration Secret is created");
}

/// Sets one key of the configuration Secret (a fresh `TOKEN`, say).
pub async fn reconfigure(runtime: &Client, key: &str, value: &str) {
    let secrets: Api<Secret> = Api::namespaced(runtime.clone(), AGENT_NAMESPACE);
    let patch = json!({ "stringData": { key: value } });
    secrets
        .patch(
            CONFIGURATION_NAME,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .expect("the configuration Secret is changed");
}

/// A client of `server` authenticated with `token` alone (a ServiceAccount's, say).
pub async fn client_with_token(server: &crate::TestServer, token: &str) -> Client {
    let kubeconfig = Kubeconfig::read_from(server.kubeconfig()).expect("the kubeconfig reads");
    let mut kubeconfig = serde_json::to_value(kubeconfig).expect("JSON");
    kubeconfig["users"][0]["user"] = json!({ "token": token.trim() });
    let kubeconfig: Kubeconfig = serde_json::from_value(kubeconfig).expect("a kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("the kubeconfig is valid");
    Client::try_from(config).expect("a client")
}

/// The ids of the applications the runtime holds, sorted.
pub async fn applied(runtime: &Client) -> Vec<String> {
    let applications: Api<kyma::Application> = Api::all(runtime.clone());
    let mut ids: Vec<String> = applications
        .list(&ListParams::default())
        .await
        .map(|list| list.items)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.labels().get(APPLICATION_ID_LABEL).cloned())
        .collect();
    ids.sort();
    ids
}

/// `CompassConnection`'s status as JSON; null when there is none.
pub async fn connection_status(runtime: &Client) -> Value {
    let connections: Api<CompassConnection> = Api::all(runtime.clone());
    match connections.get_opt(CONNECTION_NAME).await {
        Ok(Some(connection)) => serde_json::to_value(connection).expect("JSON")["status"].clone(),
        _ => Value::Null,
    }
}

/// Waits until `CompassConnection` reports `state`; its status then.
pub async fn wait_state(runtime: &Client, state: &str) -> Value {
    crate::eventually(&format!("the connection reports {state}"), || async {
        let status = connection_status(runtime).await;
        (status["connectionState"] == state).then_some(status)
    })
    .await
}

/// The agent's options in tests: its configuration from the Secret plus `overrides`, a full
/// resynchronisation every `sync_interval`, no URLs to report.
pub fn options(overrides: BTreeMap<String, String>, sync_interval: Duration) -> AgentOptions {
    AgentOptions {
        namespace: AGENT_NAMESPACE.into(),
        overrides,
        sync_interval,
        delete_guard: 0.5,
        event_service_url: None,
        console_url: None,
    }
}

/// The real agent, running in-process against a runtime's control plane.
pub struct RunningAgent {
    /// What it counted: applications written, deleted, failed.
    pub metrics: AgentMetrics,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl RunningAgent {
    /// Starts the agent against `runtime` with `options`.
    pub fn start(runtime: &Client, options: AgentOptions) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = AgentMetrics::default();
        let task = tokio::spawn(run_measured(
            runtime.clone(),
            options,
            metrics.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            metrics,
            stop,
            task,
        }
    }

    /// Stops the agent and waits for it; fails the test when it failed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let outcome = self.task.await.expect("the agent's task completes");
        assert!(outcome.is_ok(), "the agent failed: {outcome:?}");
    }
}

impl crate::TestApi {
    /// The agent's configuration for the runtime `runtime_id` in the default tenant: a fresh
    /// one-time token requested through the Director, the Connector's URL and the CA.
    pub async fn agent_settings(&self, runtime_id: &str) -> BTreeMap<String, String> {
        let invitation = self.runtime_token(runtime_id).await;
        settings(
            &invitation.connector_url,
            runtime_id,
            &invitation.token,
            &self.ca_pem,
        )
    }

    /// Allows the scenarios `names` in the default tenant (`DEFAULT` must be among them): an
    /// application can then leave the runtime's `DEFAULT` for another.
    pub async fn allow_scenarios(&self, names: &[&str]) {
        self.default_tenant()
            .data(
                "mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key } }",
                json!({ "in": { "key": "scenarios", "schema": crate::scenarios_schema(names) } }),
            )
            .await;
    }

    /// Puts the application `id` in the scenarios `names`, and in no other.
    pub async fn set_application_scenarios(&self, id: &str, names: &[&str]) {
        self.default_tenant()
            .data(
                "mutation ($id: ID!, $names: Any!) { setApplicationLabel(applicationID: $id, key: \"scenarios\", value: $names) { key } }",
                json!({ "id": id, "names": names }),
            )
            .await;
    }
}
