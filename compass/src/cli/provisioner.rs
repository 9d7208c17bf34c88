//! Flags of `compass provisioner`: the API server holding the Runtimes, what their agents are
//! handed, and where the `embedded` provider runs them.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;

use super::{ClusterArgs, OutboundArgs, parse_duration};

/// Options of `compass provisioner`.
#[derive(Debug, Args)]
pub struct ProvisionerArgs {
    /// The API server holding the Runtimes (and, for the `embedded` provider, running their
    /// StatefulSets).
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// The Connector's URL the runtimes' agents pair with, as they reach it
    /// (`https://compass.example.com/connector/graphql`).
    #[arg(long, env = "COMPASS_PROVISIONER_CONNECTOR_URL")]
    pub connector_url: String,

    /// The CA that the management plane's serving certificate chains to, PEM, handed to agents
    /// when the system's roots do not cover it.
    #[arg(long, env = "COMPASS_PROVISIONER_AGENT_CA_FILE")]
    pub agent_ca_file: Option<PathBuf>,

    /// How long an agent's one-time token stays valid unused (`60m`, `2h`).
    #[arg(long, env = "COMPASS_PROVISIONER_TOKEN_LIFETIME", default_value = "60m", value_parser = parse_duration)]
    pub token_lifetime: Duration,

    /// Namespace of the `embedded` provider's runtimes (one StatefulSet and Service each).
    #[arg(
        long,
        env = "COMPASS_PROVISIONER_RUNTIMES_NAMESPACE",
        default_value = "compass-runtimes"
    )]
    pub runtimes_namespace: String,

    /// The `compass` image runtimes and agents run; the release's own by default.
    #[arg(long, env = "COMPASS_PROVISIONER_IMAGE")]
    pub image: Option<String>,

    /// Address of the admin listener: health and readiness.
    #[arg(long, env = "COMPASS_ADMIN_ADDRESS", default_value = "0.0.0.0:8080")]
    pub admin_address: SocketAddr,

    /// Where runtimes' clusters may be reached.
    #[command(flatten)]
    pub outbound: OutboundArgs,
}
