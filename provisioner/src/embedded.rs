//! The `embedded` provider: a runtime on the management plane's own machine. For each runtime it
//! runs `compass apiserver` (the runtime's cluster, its data in a directory of its own, on a port
//! chosen once) and `compass agent` against it, as supervised child processes: restarted when
//! they die, stopped and their data removed on deprovisioning. The agent's configuration, with
//! the one-time token, is written into the runtime's cluster as the configuration Secret, as an
//! installation into a real cluster would; the agent finds it there after every restart.

use std::{
    collections::HashMap,
    net::TcpListener,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use futures_util::future::BoxFuture;
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::json;
use tokio::{process::Command, sync::Mutex};

use crate::{
    install::AGENT_NAMESPACE,
    provider::{AgentBootstrap, Progress, Provider, ProviderError, RuntimeTarget},
    supervisor::Supervised,
};

/// The provider's name in `spec.provisioning.provider`.
pub const EMBEDDED: &str = "embedded";

/// Field manager of what the provider writes in a runtime's cluster.
const FIELD_MANAGER: &str = "compass-provisioner";

/// The two processes of one runtime.
struct Processes {
    apiserver: Supervised,
    agent: Option<Supervised>,
}

/// Runtimes on this machine, as child processes of this one.
pub struct EmbeddedProvider {
    /// The `compass` binary the processes run.
    binary: PathBuf,
    /// Where each runtime's directory goes: `<root>/<namespace>/<name>`.
    root: PathBuf,
    running: Mutex<HashMap<String, Processes>>,
}

impl EmbeddedProvider {
    /// A provider running `binary` for each runtime, with its data under `root`.
    pub fn new(binary: PathBuf, root: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            binary,
            root,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// The directory of `runtime`.
    pub fn directory(&self, runtime: &RuntimeTarget) -> PathBuf {
        self.root.join(&runtime.namespace).join(&runtime.name)
    }

    async fn provision_now(
        &self,
        runtime: &RuntimeTarget,
        agent: Option<&AgentBootstrap>,
    ) -> Result<Progress, ProviderError> {
        let dir = self.directory(runtime);
        std::fs::create_dir_all(&dir).map_err(|e| failed("making its directory", &dir, e))?;
        let address = address_of(&dir)?;
        // The lock is held only to change what runs, never across a call to a control plane:
        // several runtimes are provisioned at once.
        self.running
            .lock()
            .await
            .entry(runtime.id.clone())
            .or_insert_with(|| Processes {
                apiserver: self.apiserver(&dir, &address),
                agent: None,
            });
        let kubeconfig = dir.join("cluster").join("kubeconfig");
        let Some(client) = client_of(&kubeconfig).await else {
            let waiting = format!("waiting for the runtime's control plane on {address}");
            return Ok(Progress::Waiting(waiting, Duration::from_millis(500)));
        };
        if let Some(agent) = agent {
            configure_agent(&client, agent).await?;
        }
        let mut running = self.running.lock().await;
        let Some(processes) = running.get_mut(&runtime.id) else {
            let gone = "the runtime was deprovisioned meanwhile".to_owned();
            return Ok(Progress::Waiting(gone, Duration::from_secs(1)));
        };
        if processes.agent.as_ref().is_none_or(|a| !a.is_running()) {
            processes.agent = Some(self.agent(&dir, &kubeconfig));
        }
        Ok(Progress::Done(format!(
            "a control plane on {address} (kubeconfig {}) and its agent run on this machine",
            kubeconfig.display()
        )))
    }

    async fn deprovision_now(&self, runtime: &RuntimeTarget) -> Result<Progress, ProviderError> {
        let processes = self.running.lock().await.remove(&runtime.id);
        if let Some(processes) = processes {
            if let Some(agent) = processes.agent {
                agent.stop().await;
            }
            processes.apiserver.stop().await;
        }
        let dir = self.directory(runtime);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed("removing its directory", &dir, e)),
        }
        Ok(Progress::Done(format!(
            "its processes stopped and {} removed",
            dir.display()
        )))
    }

    fn apiserver(&self, dir: &Path, address: &str) -> Supervised {
        let (binary, data, address) =
            (self.binary.clone(), dir.join("cluster"), address.to_owned());
        Supervised::start(
            format!("apiserver of {}", dir.display()),
            dir.join("apiserver.log"),
            move || {
                let mut command = Command::new(&binary);
                command
                    .arg("apiserver")
                    .arg("--data-dir")
                    .arg(&data)
                    .args(["--address", &address]);
                command
            },
        )
    }

    fn agent(&self, dir: &Path, kubeconfig: &Path) -> Supervised {
        let (binary, kubeconfig) = (self.binary.clone(), kubeconfig.to_owned());
        Supervised::start(
            format!("agent of {}", dir.display()),
            dir.join("agent.log"),
            move || {
                let mut command = Command::new(&binary);
                command
                    .arg("agent")
                    .arg("--kubeconfig")
                    .arg(&kubeconfig)
                    .args(["--admin-address", "127.0.0.1:0"]);
                command
            },
        )
    }
}

impl Provider for EmbeddedProvider {
    fn name(&self) -> &'static str {
        EMBEDDED
    }

    /// Stops every runtime's processes (their data stays: the next start runs them again).
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let running = std::mem::take(&mut *self.running.lock().await);
            for processes in running.into_values() {
                if let Some(agent) = processes.agent {
                    agent.stop().await;
                }
                processes.apiserver.stop().await;
            }
        })
    }

    fn provision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
        agent: Option<&'a AgentBootstrap>,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.provision_now(runtime, agent))
    }

    fn deprovision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.deprovision_now(runtime))
    }
}

fn failed(what: &str, path: &Path, error: std::io::Error) -> ProviderError {
    ProviderError::Failed(format!("{what} {} failed: {error}", path.display()))
}

/// The address the runtime's control plane listens on: chosen once (a free loopback port) and
/// kept in its directory, so a restarted control plane keeps the URL its kubeconfig names.
fn address_of(dir: &Path) -> Result<String, ProviderError> {
    let file = dir.join("address");
    if let Ok(address) = std::fs::read_to_string(&file) {
        return Ok(address.trim().to_owned());
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| ProviderError::Failed(format!("finding a free port failed: {e}")))?
        .port();
    let address = format!("127.0.0.1:{port}");
    std::fs::write(&file, &address).map_err(|e| failed("writing", &file, e))?;
    Ok(address)
}

/// A client of the runtime's control plane, once its kubeconfig exists and it answers.
async fn client_of(kubeconfig: &Path) -> Option<Client> {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).ok()?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .ok()?;
    let client = Client::try_from(config).ok()?;
    client.apiserver_version().await.ok()?;
    Some(client)
}

/// Writes the agent's namespace and configuration Secret into the runtime's cluster, as the
/// `kubeconfig` provider's installation does (a replaced token makes the agent pair again).
pub(crate) async fn configure_agent(
    client: &Client,
    agent: &AgentBootstrap,
) -> Result<(), ProviderError> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace =
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": AGENT_NAMESPACE } });
    namespaces
        .patch(AGENT_NAMESPACE, &params, &Patch::Apply(&namespace))
        .await
        .map_err(|e| {
            ProviderError::Failed(format!(
                "making {AGENT_NAMESPACE} in the runtime failed: {e}"
            ))
        })?;
    crate::install::configure(client, &agent.runtime_id, agent).await
}
