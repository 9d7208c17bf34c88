//! The Director GraphQL API: the original Compass Director's schema over the custom resources of
//! the caller's tenant namespace, assembled here from one module per kind.
//!
//! Each kind's module holds its output types (`types`), input objects and their checks (`inputs`),
//! queries (`query`) and mutations (`mutation`), and writes only objects of its own kind (and, for
//! applications, the Secrets and ConfigMaps they own). What several kinds need lives beside them
//! in a module named for what it does; the writes one kind's mutation causes on objects of another
//! kind live there too (`label_writes`, `scenario_list`, `runtime_references`), so no kind's
//! module writes through another's.

// The kinds.
mod application_templates;
mod applications;
mod integration_systems;
mod label_definitions;
pub(crate) mod runtimes;
mod scenarios;
mod system;
mod system_auths;

// Shared by the kinds.
mod auth;
pub(crate) mod context;
mod enums;
mod event_service;
mod integration_scope;
mod label_usage;
mod label_writes;
mod labels;
pub(crate) mod lookup;
mod names;
mod pageable;
mod runtime_references;
mod scenario_list;
mod scenario_membership;
mod status;
mod validate;

// The schema's hooks into parsing and execution, and what they apply; the answer bound charged
// item by item where the hooks are left out.
pub mod answer_limit;
pub mod charged;
mod hooks;
mod in_order;
mod plain;
mod repetition;
mod variable_usage;
pub(crate) mod written;

// Beside the schema: what the agents' push channel watches, and what requests reuse.
pub mod answers;
pub mod assignment;
pub mod parsed_documents;
pub mod persisted_queries;

use async_graphql::{EmptySubscription, MergedObject, Schema};
// Kept beside the stores the Director serves from.
pub(crate) use applications::Renderings;

use crate::{scopes::ScopesConfig, state::Caches};

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    label_definitions::LabelDefinitionQuery,
    runtimes::RuntimeQuery,
    integration_systems::IntegrationSystemQuery,
    applications::ApplicationQuery,
    application_templates::TemplateQuery,
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
    application_templates::TemplateMutation,
    // It writes an Application, so it is the applications module's; the schema lists it last.
    applications::FromTemplateMutation,
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

/// The Director's schema built twice over the same resolvers: with the hooks that check and keep
/// documents and charge every field to the answer bound, and without them, for documents already
/// kept whose answers can be charged item by item (see [`charged`]).
pub struct DirectorSchemas {
    /// Every field charged; any request may run on it.
    pub charged_per_field: DirectorSchema,
    /// Items charged as they resolve; only for kept documents that repeat no field much (see
    /// [`parsed_documents::Kept`]), with [`charged::ItemCharges`] in the request.
    pub charged_per_item: DirectorSchema,
}

/// Builds the schemas over the caches, the client and the scopes configuration; resolvers count
/// what they do in `metrics`. Returns them with the documents they keep parsed, for the request
/// handler to give each request its document before anything reads it.
pub fn build_schema(
    caches: Caches,
    client: kube::Client,
    scopes: ScopesConfig,
    limits: Limits,
    system_namespace: String,
    token_lifetimes: crate::connector::tokens::TokenLifetimes,
    metrics: std::sync::Arc<crate::metrics::ApiMetrics>,
) -> (DirectorSchemas, parsed_documents::ParsedDocuments) {
    let documents = parsed_documents::ParsedDocuments::default();
    let build = || {
        Schema::build(Query::default(), Mutation::default(), EmptySubscription)
            .data(token_lifetimes)
            .data(metrics.clone())
            .data(caches.clone())
            .data(client.clone())
            .data(scopes.clone())
            .data(context::SystemNamespace(system_namespace.clone()))
            .register_output_type::<pageable::Pageable>()
            .register_output_type::<system::OneTimeToken>()
            .register_input_type::<labels::LabelInput>()
            .limit_depth(limits.depth)
            .limit_complexity(limits.complexity)
    };
    let schemas = DirectorSchemas {
        charged_per_field: build()
            .extension(hooks::Hooks::new(documents.clone()))
            .finish(),
        charged_per_item: build().finish(),
    };
    (schemas, documents)
}

/// The schema in SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<pageable::Pageable>()
        .register_output_type::<system::OneTimeToken>()
        .register_input_type::<labels::LabelInput>()
        .finish()
        .sdl()
}
