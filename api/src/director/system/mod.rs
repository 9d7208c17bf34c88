//! What is not about one kind of object: who is calling (`viewer`), the tenants the caller may
//! act in, health checks, and the pairing mutations that issue client identities.

mod mutation;
mod query;
mod types;

pub use mutation::SystemMutation;
pub use query::SystemQuery;
pub use types::{HealthCheckPage, OneTimeToken};
