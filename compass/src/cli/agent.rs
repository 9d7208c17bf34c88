//! Flags of `compass agent`: the runtime cluster, where the agent's configuration is, and
//! configuration keys given directly (they take precedence over the configuration's).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;

use super::{ClusterArgs, parse_duration};

/// Options of `compass agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The runtime cluster the agent applies applications to.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Namespace of the configuration (`compass-agent-configuration`, a Secret or ConfigMap with
    /// CONNECTOR_URL, RUNTIME_ID, TENANT, TOKEN and CA_CERT) and of the agent's credentials.
    #[arg(
        long,
        env = "COMPASS_AGENT_NAMESPACE",
        default_value = "compass-system"
    )]
    pub namespace: String,

    /// The Connector's URL (CONNECTOR_URL), instead of the configuration's.
    #[arg(long, env = "COMPASS_AGENT_CONNECTOR_URL")]
    pub connector_url: Option<String>,

    /// This runtime's id in the management plane (RUNTIME_ID).
    #[arg(long, env = "COMPASS_AGENT_RUNTIME_ID")]
    pub runtime_id: Option<String>,

    /// The external id of the runtime's tenant (TENANT).
    #[arg(long, env = "COMPASS_AGENT_TENANT")]
    pub tenant: Option<String>,

    /// The one-time token of `requestOneTimeTokenForRuntime` (TOKEN).
    // A token is URL-safe base64 and starts with `-` about once in 64.
    #[arg(
        long,
        env = "COMPASS_AGENT_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,

    /// PEM certificates the management plane's serving certificate is checked against (CA_CERT);
    /// under `compass up`, its `ca.crt`.
    #[arg(long, env = "COMPASS_AGENT_CA_CERT_FILE")]
    pub ca_cert_file: Option<PathBuf>,

    /// The runtime's event service URL, reported on the runtime as `runtime_eventServiceUrl`.
    #[arg(long, env = "COMPASS_AGENT_EVENT_SERVICE_URL")]
    pub event_service_url: Option<url::Url>,

    /// The runtime's console URL, reported on the runtime as `runtime_consoleUrl`.
    #[arg(long, env = "COMPASS_AGENT_CONSOLE_URL")]
    pub console_url: Option<url::Url>,

    /// Time between full synchronisations; changes arrive sooner, over the push channel.
    #[arg(long, env = "COMPASS_AGENT_SYNC_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub sync_interval: Duration,

    /// Largest share (0 to 1) of the managed applications one synchronisation deletes without a
    /// second complete answer of the management plane confirming it.
    #[arg(long, env = "COMPASS_AGENT_DELETE_GUARD", default_value = "0.5", value_parser = parse_share)]
    pub delete_guard: f64,

    /// Address of the agent's admin listener: health and metrics (`compass_agent_*`). Plain
    /// HTTP: keep it on loopback or inside the cluster. Agents on one machine each need their own.
    #[arg(
        long,
        env = "COMPASS_AGENT_ADMIN_ADDRESS",
        default_value = "127.0.0.1:8090"
    )]
    pub admin_address: SocketAddr,
}

fn parse_share(text: &str) -> Result<f64, String> {
    let share: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("{text:?} is not between 0 and 1"))
    }
}
