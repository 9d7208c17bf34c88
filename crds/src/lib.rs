//! Custom resource types of Compass on Kubernetes: the object model every other part reads and
//! writes, with the validation that can live in the schema.
//!
//! Kinds of the group `compass.kyma-project.io/v1alpha1`, all in the category `compass`:
//! [`Tenant`], [`Application`], [`Runtime`], [`Scenario`], [`LabelDefinition`], [`SystemAuth`],
//! [`IntegrationSystem`] and [`ApplicationTemplate`]. [`all_crds`] returns their definitions as
//! they are installed; `crdgen` writes them to `crds/yaml/`.
#![deny(missing_docs)]

mod agent_report;
pub mod application;
mod application_template;
pub mod auth;
pub mod conditions;
mod crds;
pub mod hex;
pub mod ids;
mod integration_system;
mod label_definition;
pub mod label_schema;
pub mod labels;
mod names;
mod one_copy;
pub mod provisioning;
mod runtime;
mod scenario;
pub mod schema;
mod system_auth;
mod tenant;
mod text;
pub mod well_known;

pub use agent_report::{
    AGENT_COUNT_MAX, AGENT_REPORT_ANNOTATION, AGENT_VERSION_MAX_LENGTH, AgentReport,
    ConnectionState,
};
pub use application::{Application, ApplicationSpec, ApplicationStatus};
pub use application_template::{
    AccessLevel, ApplicationTemplate, ApplicationTemplateSpec, ApplicationTemplateStatus,
    PLACEHOLDER_NAME_PATTERN, PlaceholderDefinition,
};
pub use crds::{CRDGEN, CrdGenerator, all_crds, crd_file_name, reflow_descriptions, to_yaml};
pub use integration_system::{IntegrationSystem, IntegrationSystemSpec, IntegrationSystemStatus};
pub use label_definition::{
    InvalidLabel, LabelDefinition, LabelDefinitionSpec, LabelDefinitionStatus,
};
pub use names::Names;
pub use runtime::{AgentStatus, Runtime, RuntimeSpec, RuntimeStatus};
pub use scenario::{Scenario, ScenarioSpec, ScenarioStatus};
pub use system_auth::{
    IssuedCertificate, OAuthClientRecord, OneTimeTokenRecord, SERIAL_NUMBER_PATTERN,
    SHA256_DIGEST_PATTERN, SubjectKind, SystemAuth, SystemAuthSpec, SystemAuthStatus,
    SystemAuthSubject, TokenPurpose, token_digest,
};
pub use tenant::{
    PRODUCT_NAMESPACE, RESERVED_NAMESPACES, Tenant, TenantSpec, TenantStatus, is_system_namespace,
};
pub use text::Text;

/// API group of every kind.
pub const GROUP: &str = "compass.kyma-project.io";
/// API version of every kind.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of every kind.
pub const API_VERSION: &str = "compass.kyma-project.io/v1alpha1";
/// Category of every kind: `kubectl get compass -A` lists every object of the product.
pub const CATEGORY: &str = "compass";
