//! The Runtime Provisioner's API at `/provisioner/graphql`, with the original's operations and
//! types: provision, upgrade and deprovision a runtime through a provider, reconnect its agent,
//! and follow each as an asynchronous operation. It only writes the Runtime's request (the
//! provisioner runs it) and reads what the provisioner recorded; callers pass the same Gateway,
//! scopes, tenant rules and audit as the Director's.

pub mod inputs;
mod mutation;
mod query;
mod record;
pub mod types;

use async_graphql::{EmptySubscription, Schema};

pub use mutation::ProvisionerMutation;
pub use query::ProvisionerQuery;

use crate::{scopes::ScopesConfig, state::Caches};

/// Path of the Provisioner API.
pub const PROVISIONER_PATH: &str = "/provisioner/graphql";

/// The providers `provisionRuntime` offers, by name.
#[derive(Clone, Debug)]
pub struct Providers(pub Vec<String>);

impl Default for Providers {
    /// The providers `compass up` runs.
    fn default() -> Self {
        Self(
            ["embedded", "kubeconfig", "cluster-api"]
                .map(str::to_owned)
                .to_vec(),
        )
    }
}

/// The Provisioner API's schema.
pub type ProvisionerSchema = Schema<ProvisionerQuery, ProvisionerMutation, EmptySubscription>;

/// The schema over the caches and the client, offering `providers`.
pub fn build(
    caches: Caches,
    client: kube::Client,
    scopes: ScopesConfig,
    providers: Providers,
) -> ProvisionerSchema {
    Schema::build(ProvisionerQuery, ProvisionerMutation, EmptySubscription)
        .data(caches)
        .data(client)
        .data(scopes)
        .data(providers)
        .limit_depth(8)
        .limit_complexity(2_000)
        .finish()
}

/// The schema in SDL, as committed in `api/provisioner.graphql`.
pub fn sdl() -> String {
    Schema::build(ProvisionerQuery, ProvisionerMutation, EmptySubscription)
        .finish()
        .sdl()
}
