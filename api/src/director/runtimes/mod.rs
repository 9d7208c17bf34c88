//! Runtimes: Kubernetes clusters of a tenant that consume applications, as Runtime objects of
//! the tenant namespace. Unregistering one also clears what applications hold for it, through
//! the shared `runtime_references`.

pub mod heartbeat;
mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::RuntimeMutation;
pub use query::RuntimeQuery;
pub use types::{Runtime, RuntimePage};
