//! Application templates: global (cluster-scoped) application inputs with `{{placeholders}}`,
//! kept as ApplicationTemplate objects. Registering an application from one is an application
//! mutation (it writes an Application); this module fills the template in for it.

mod inputs;
mod mutation;
mod query;
mod stored_input;
mod types;

pub use inputs::ApplicationFromTemplateInput;
pub use mutation::TemplateMutation;
pub use query::TemplateQuery;
pub use types::{ApplicationTemplate, ApplicationTemplatePage};
