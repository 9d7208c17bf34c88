//! Flags of the controllers, shared by `compass up` and `compass operator`: how many objects each
//! reconciles at once and where their outbound requests may go (the latter shared with `compass
//! provisioner` too).

use clap::Args;
use compass_operator::{
    controllers::OperatorConfig,
    http::guard::{AllowedDestination, OutboundPolicy},
};

/// How the controllers work, shared by `compass up` and `compass operator`.
#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// Where the controllers may send requests.
    #[command(flatten)]
    pub outbound: OutboundArgs,

    /// How many objects each controller reconciles at once (1 to 256). Each reconcile mostly
    /// waits for its status write, so a burst of new objects becomes Ready sooner with more at
    /// once, at the price of more concurrent writes to the API server.
    #[arg(
        long = "controller-concurrency",
        env = "COMPASS_CONTROLLER_CONCURRENCY",
        value_name = "N",
        default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..=256)
    )]
    pub concurrency: u16,
}

impl ControllerArgs {
    /// The controllers' configuration these flags set; the rest as by default.
    pub fn config(self) -> OperatorConfig {
        OperatorConfig {
            outbound: self.outbound.policy(),
            concurrency: self.concurrency,
            ..OperatorConfig::default()
        }
    }
}

/// Where outbound requests may go: the controllers' (in [`ControllerArgs`]) and `compass
/// provisioner`'s.
#[derive(Debug, Args)]
pub struct OutboundArgs {
    /// Internal destinations that spec downloads, webhooks and OAuth token requests may reach:
    /// an address, a network in CIDR notation, or an address with a port (`127.0.0.1:18090`,
    /// `10.0.0.0/8`, `[::1]:8443`). Loopback, private, link-local and other internal addresses
    /// are refused unless listed here (repeatable, or comma-separated in the variable).
    #[arg(long, env = "COMPASS_OUTBOUND_ALLOW", value_delimiter = ',')]
    pub outbound_allow: Vec<AllowedDestination>,
}

impl OutboundArgs {
    /// The policy the controllers' requests follow: no internal destination but those listed.
    pub fn policy(self) -> OutboundPolicy {
        OutboundPolicy::new(self.outbound_allow)
    }
}
