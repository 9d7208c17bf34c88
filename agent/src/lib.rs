//! The Runtime Agent: runs in a runtime cluster, pairs with the management plane through a
//! one-time token, applies the applications assigned to its runtime as Kyma Applications and
//! reports in `CompassConnection`.

pub mod channel;
pub mod config;
pub mod connection;
pub mod credentials;
pub mod cycle;
pub mod heartbeat;
pub mod install;
pub mod kyma;
pub mod labels;
pub mod metrics;
pub mod run;
pub mod status;
pub mod sync;

pub use install::FIELD_MANAGER;
pub use kyma::{APPLICATION_ID_LABEL, MANAGED_BY, MANAGED_BY_LABEL};

/// The labels of everything the agent manages: it touches only objects carrying them.
pub fn managed_labels() -> std::collections::BTreeMap<String, String> {
    [(MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned())].into()
}
