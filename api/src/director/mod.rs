//! The Director GraphQL API: the original Compass Director's schema over the custom resources of
//! the caller's tenant namespace.

pub mod context;
pub mod enums;
mod integration_systems;
mod label_definitions;
pub mod labels;
pub mod runtimes;
pub mod scenarios;
pub mod status;
mod system;
pub mod system_auths;
pub mod types;
pub mod validate;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::{scopes::ScopesConfig, state::Caches};

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    label_definitions::LabelDefinitionQuery,
    runtimes::RuntimeQuery,
    integration_systems::IntegrationSystemQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    system::SystemMutation,
    label_definitions::LabelDefinitionMutation,
    runtimes::RuntimeMutation,
    integration_systems::IntegrationSystemMutation,
    system_auths::SystemAuthMutation,
);

/// The Director schema.
pub type DirectorSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits on what one request may ask for.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest selection.
    pub depth: usize,
    /// Largest complexity (roughly, the number of fields resolved).
    pub complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 15,
            complexity: 20_000,
        }
    }
}

/// Builds the schema over the caches, the client and the scopes configuration.
pub fn build_schema(
    caches: Caches,
    client: kube::Client,
    scopes: ScopesConfig,
    limits: Limits,
    system_namespace: String,
) -> DirectorSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(caches)
        .data(client)
        .data(scopes)
        .data(system_auths::SystemNamespace(system_namespace))
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .finish()
}

/// The schema in SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
