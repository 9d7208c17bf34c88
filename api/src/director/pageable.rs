//! The `Pageable` interface every page type implements, as in the original schema.

use async_graphql::Interface;

use super::{
    applications::{
        ApiDefinitionPage, ApplicationPage, ApplicationTemplatePage, DocumentPage,
        EventDefinitionPage,
    },
    integration_systems::IntegrationSystemPage,
    runtimes::RuntimePage,
    types::system::HealthCheckPage,
};
use crate::pagination::PageInfo;

/// A page of a longer list.
// NB: clippy reads the repeated keys of separate `field(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "pageInfo", method = "page_info", ty = "&PageInfo"),
    field(name = "totalCount", method = "total_count", ty = "&i32")
)]
pub enum Pageable {
    /// A page of applications.
    Application(ApplicationPage),
    /// A page of API definitions.
    ApiDefinition(ApiDefinitionPage),
    /// A page of event definitions.
    EventDefinition(EventDefinitionPage),
    /// A page of documents.
    Document(DocumentPage),
    /// A page of application templates.
    ApplicationTemplate(ApplicationTemplatePage),
    /// A page of runtimes.
    Runtime(RuntimePage),
    /// A page of integration systems.
    IntegrationSystem(IntegrationSystemPage),
    /// A page of health checks.
    HealthCheck(HealthCheckPage),
}
