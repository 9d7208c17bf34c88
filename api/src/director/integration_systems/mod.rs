//! Integration systems: global objects (cluster-scoped) that manage applications for many
//! tenants. Their queries and mutations need no tenant; one cannot be unregistered while an
//! application of any tenant names it.

mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::IntegrationSystemMutation;
pub use query::IntegrationSystemQuery;
pub use types::{IntegrationSystem, IntegrationSystemPage};
