//! Applications: the `Application` type and its children (API and event definitions, documents,
//! webhooks, fetch requests), the queries and mutations of the original Director over Application
//! objects of the caller's tenant namespace, default eventing, and registering one from a
//! template.
//!
//! Children live inside their Application, so every child edit is a read-modify-write of one
//! list, guarded by the resourceVersion that was read ([`edit`]). Credentials and large content
//! go into Secrets and ConfigMaps the Application owns ([`owned`]).

mod api_definition_mutation;
mod api_definitions;
mod build;
mod child_inputs;
mod child_lists;
mod child_mutation;
mod children;
mod content;
mod credentials;
mod documents;
mod edit;
mod event_definitions;
mod eventing;
mod inputs;
mod label_values;
mod mutation;
mod owned;
mod query;
mod rendered;
mod renderings;
mod types;
mod webhooks;

pub use api_definition_mutation::ApiMutation;
pub use api_definitions::{ApiDefinition, ApiDefinitionPage};
pub use child_mutation::ChildMutation;
pub use documents::{Document, DocumentPage};
pub use event_definitions::{EventDefinition, EventDefinitionPage};
pub use eventing::EventingMutation;
pub use inputs::ApplicationRegisterInput;
pub use mutation::{ApplicationMutation, FromTemplateMutation};
pub use query::ApplicationQuery;
pub use renderings::Renderings;
pub use types::{Application, ApplicationPage};
