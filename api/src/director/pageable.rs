//! The `Pageable` interface every page type implements, as in the original schema, and the one
//! conversion from a [`Page`] cut by `paginate` into the page type the schema names.

use async_graphql::{Context, Interface, ServerResult};

use super::{
    application_templates::{ApplicationTemplate, ApplicationTemplatePage},
    applications::{
        ApiDefinition, ApiDefinitionPage, Application, ApplicationPage, Document, DocumentPage,
        EventDefinition, EventDefinitionPage,
    },
    integration_systems::{IntegrationSystem, IntegrationSystemPage},
    plain::{self, Plain},
    runtimes::{Runtime, RuntimePage},
    system::HealthCheckPage,
};
use crate::pagination::{Page, PageInfo};

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

/// Implements `From<Page<item>>` for each `page => item`, and its fields answered in place: the
/// page types differ only in their names and descriptions, which the schema shows, so each is
/// its own struct.
macro_rules! from_page {
    ($($page:ty => $item:ty),+ $(,)?) => {$(
        impl From<Page<$item>> for $page {
            fn from(page: Page<$item>) -> Self {
                Self {
                    data: super::charged::each(page.data),
                    page_info: page.page_info,
                    total_count: page.total_count,
                }
            }
        }

        impl Plain for $page {
            fn plain(
                &self,
                ctx: &Context<'_>,
                out: &mut plain::Json,
            ) -> Option<ServerResult<()>> {
                match ctx.item.node.name.node.as_str() {
                    "data" => plain::list(ctx, &self.data, out),
                    "pageInfo" => plain::object(ctx, &self.page_info, out),
                    "totalCount" => {
                        out.number(self.total_count.into());
                        Some(Ok(()))
                    }
                    _ => None,
                }
            }
        }
    )+};
}

from_page! {
    ApplicationPage => Application,
    ApiDefinitionPage => ApiDefinition,
    EventDefinitionPage => EventDefinition,
    DocumentPage => Document,
    ApplicationTemplatePage => ApplicationTemplate,
    RuntimePage => Runtime,
    IntegrationSystemPage => IntegrationSystem,
}
