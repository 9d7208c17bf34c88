//! The Director GraphQL API: the original Compass Director's schema over the custom resources of
//! the caller's tenant namespace.

pub mod answer_limit;
pub mod applications;
pub mod context;
pub mod enums;
mod integration_systems;
mod label_definitions;
pub mod labels;
mod pageable;
pub mod runtimes;
pub mod scenarios;
pub mod status;
mod system;
pub mod system_auths;
pub mod types;
pub mod validate;
pub mod variable_usage;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::{scopes::ScopesConfig, state::Caches};

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    label_definitions::LabelDefinitionQuery,
    runtimes::RuntimeQuery,
    integration_systems::IntegrationSystemQuery,
    applications::ApplicationQuery,
    applications::TemplateQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    system::SystemMutation,
    label_definitions::LabelDefinitionMutation,
    runtimes::RuntimeMutation,
    integration_systems::IntegrationSystemMutation,
    system_auths::SystemAuthMutation,
    applications::ApplicationMutation,
    applications::ChildMutation,
    applications::ApiMutation,
    applications::EventingMutation,
    applications::TemplateMutation,
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
    /// Most operations in one batch.
    pub batch: usize,
    /// Largest answer to one HTTP request (all operations of a batch together), in bytes.
    pub answer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // A page of 100 applications with a few fetched specs each (up to 900 KiB apiece) fits
        // in the answer bound; a thousand aliases of one spec do not.
        Self {
            depth: 15,
            complexity: 20_000,
            batch: 10,
            answer_bytes: 32 * 1024 * 1024,
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
        .register_output_type::<pageable::Pageable>()
        .register_output_type::<types::system::OneTimeToken>()
        .register_input_type::<labels::LabelInput>()
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .extension(answer_limit::AnswerLimit)
        .extension(variable_usage::VariableUsage)
        .finish()
}

/// The schema in SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<pageable::Pageable>()
        .register_output_type::<types::system::OneTimeToken>()
        .register_input_type::<labels::LabelInput>()
        .finish()
        .sdl()
}
