//! The `Application` type as the Director shows it, over an Application object of the tenant
//! namespace: its simple fields, labels (with the system labels), status from the `Ready`
//! condition, children in pages ordered by id, identities and eventing configuration.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
use compass_crds::{SubjectKind, ids::ChildKind};

use super::{
    api_definitions::{ApiDefinition, ApiDefinitionPage},
    children::{Child, child_names, find_child, id_of},
    documents::{Document, DocumentPage},
    event_definitions::{EventDefinition, EventDefinitionPage},
    eventing::{self, ApplicationEventingConfiguration},
    label_values::ApplicationLabels,
    webhooks::Webhook,
};
use crate::{
    director::{
        charged::{self, Charged},
        context::caches,
        enums::ApplicationStatusCondition,
        in_order::InOrder,
        labels,
        plain::{self, Plain},
        status::{self, Phase, phase},
        system_auths::{SystemAuth, auths_of},
    },
    errors::ApiResult,
    pagination::{DEFAULT_PAGE_SIZE, Page, PageInfo, paginate_by},
    scalars::{PageCursor, Timestamp},
    state::Caches,
};

/// An external system registered in the tenant.
#[derive(Clone)]
pub struct Application(pub Arc<compass_crds::Application>);

/// Where an application stands.
#[derive(Clone, Debug, SimpleObject)]
pub struct ApplicationStatus {
    /// The state, from the application's `Ready` condition.
    pub condition: ApplicationStatusCondition,
    /// Since when.
    pub timestamp: Timestamp,
}

/// A page of applications.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationPage {
    /// The applications.
    pub data: Vec<Charged<Application>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many match.
    pub total_count: i32,
}

/// The id of the integration system an application names, if it exists.
pub fn integration_system_id(
    caches: &Caches,
    application: &compass_crds::Application,
) -> Option<String> {
    let name = application.spec.integration_system.as_deref()?;
    caches
        .integration_systems
        .get("", name)
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .and_then(|s| s.metadata.uid.clone())
}

/// An application's labels as the Director shows them.
pub fn labels_of(
    caches: &Caches,
    application: &compass_crds::Application,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let system = integration_system_id(caches, application).unwrap_or_default();
    labels::of_application(application, &system)
}

/// Pages the children of `kind` that pass `keep`, in id order.
fn page_of<T>(
    application: &Arc<compass_crds::Application>,
    kind: ChildKind,
    keep: impl Fn(usize) -> bool,
    wrap: impl Fn(Child) -> T,
    first: Option<i32>,
    after: Option<&PageCursor>,
) -> ApiResult<Page<T>> {
    // Each child's id derived once, kept in the child for its answer and paged by.
    let mut children: Vec<Child> = child_names(application, kind)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| keep(*index))
        .map(|(index, name)| Child {
            app: application.clone(),
            index,
            id: Some(id_of(application, kind, name)),
        })
        .collect();
    // Stable: children of one id (none, names being unique) stay in the order listed.
    children.sort_by(|a, b| id_of_child(a).cmp(id_of_child(b)));
    let after = after.map(|cursor| cursor.0.as_str());
    Ok(paginate_by(children, id_of_child, first, after)?.map(wrap))
}

/// The id a paged child was given.
fn id_of_child(child: &Child) -> &str {
    child.id.as_deref().unwrap_or_default()
}

impl Application {
    /// Where it stands, from its `Ready` condition.
    fn status_now(&self) -> ApplicationStatus {
        let conditions = self.0.status.iter().flat_map(|s| &s.conditions);
        let (phase, timestamp) = phase(conditions, self.0.metadata.creation_timestamp.as_ref());
        let condition = match phase {
            Phase::Initial => ApplicationStatusCondition::Initial,
            Phase::Ready => ApplicationStatusCondition::Ready,
            Phase::Failed => ApplicationStatusCondition::Failed,
            Phase::Unknown => ApplicationStatusCondition::Unknown,
        };
        ApplicationStatus {
            condition,
            timestamp,
        }
    }

    /// Its labels, or only the one under `key`.
    fn labels_with(&self, ctx: &Context<'_>, key: Option<String>) -> ApplicationLabels {
        ApplicationLabels {
            application: self.0.clone(),
            integration_system_id: integration_system_id(caches(ctx), &self.0).unwrap_or_default(),
            key,
        }
    }

    /// A page of its APIs, or of those of one group.
    fn api_definition_page(
        &self,
        group: Option<String>,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<ApiDefinitionPage> {
        let definitions = &self.0.spec.api_definitions;
        let keep = |i: usize| group.is_none() || definitions[i].group == group;
        let kind = ChildKind::ApiDefinition;
        let page = page_of(&self.0, kind, keep, ApiDefinition, first, after.as_ref())?;
        Ok(page.into())
    }

    /// A page of its events, or of those of one group.
    fn event_definition_page(
        &self,
        group: Option<String>,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<EventDefinitionPage> {
        let definitions = &self.0.spec.event_definitions;
        let keep = |i: usize| group.is_none() || definitions[i].group == group;
        let kind = ChildKind::EventDefinition;
        let page = page_of(&self.0, kind, keep, EventDefinition, first, after.as_ref())?;
        Ok(page.into())
    }

    /// A page of its documents.
    fn document_page(
        &self,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<DocumentPage> {
        let page = page_of(
            &self.0,
            ChildKind::Document,
            |_| true,
            Document,
            first,
            after.as_ref(),
        )?;
        Ok(page.into())
    }
}

#[Object]
impl Application {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Its name, unique in the tenant.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// Who provides it.
    #[graphql(name = "providerName")]
    async fn provider_name(&self) -> Option<&str> {
        self.0.spec.provider_name.as_deref()
    }

    /// What it is.
    async fn description(&self) -> Option<&str> {
        self.0.spec.description.as_deref()
    }

    /// The integration system managing it.
    #[graphql(name = "integrationSystemID")]
    async fn integration_system_id(&self, ctx: &Context<'_>) -> Option<ID> {
        integration_system_id(caches(ctx), &self.0).map(ID)
    }

    /// Its labels, or only the one with `key`: the stored labels, `scenarios`, and the system
    /// labels `name` and `integration-system-id`.
    async fn labels(&self, ctx: &Context<'_>, key: Option<String>) -> Option<ApplicationLabels> {
        Some(self.labels_with(ctx, key))
    }

    /// Where it stands.
    async fn status(&self) -> InOrder<ApplicationStatus> {
        InOrder(self.status_now())
    }

    /// Endpoints the management plane calls.
    async fn webhooks(&self) -> Option<Vec<Charged<Webhook>>> {
        Some(
            (0..self.0.spec.webhooks.len())
                .map(|index| {
                    Charged(Webhook(Child {
                        app: self.0.clone(),
                        index,
                        id: None,
                    }))
                })
                .collect(),
        )
    }

    /// URL that reports its health.
    #[graphql(name = "healthCheckURL")]
    async fn health_check_url(&self) -> Option<&str> {
        self.0.spec.health_check_url.as_deref()
    }

    /// Its APIs, or those of one group, in id order.
    #[graphql(name = "apiDefinitions")]
    async fn api_definitions(
        &self,
        group: Option<String>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<ApiDefinitionPage>>> {
        Ok(Some(InOrder(
            self.api_definition_page(group, first, after)?,
        )))
    }

    /// Its events, or those of one group, in id order.
    #[graphql(name = "eventDefinitions")]
    async fn event_definitions(
        &self,
        group: Option<String>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<EventDefinitionPage>>> {
        Ok(Some(InOrder(
            self.event_definition_page(group, first, after)?,
        )))
    }

    /// Its documents, in id order.
    async fn documents(
        &self,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<DocumentPage>>> {
        Ok(Some(InOrder(self.document_page(first, after)?)))
    }

    /// One of its APIs.
    #[graphql(name = "apiDefinition")]
    async fn api_definition(&self, id: ID) -> Option<ApiDefinition> {
        find_child(&self.0, ChildKind::ApiDefinition, &id).map(ApiDefinition)
    }

    /// One of its event definitions.
    #[graphql(name = "eventDefinition")]
    async fn event_definition(&self, id: ID) -> Option<EventDefinition> {
        find_child(&self.0, ChildKind::EventDefinition, &id).map(EventDefinition)
    }

    /// Its client identities.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<Charged<SystemAuth>>> {
        Some(charged::each(auths_of(
            caches(ctx),
            self.0.metadata.namespace.as_deref().unwrap_or_default(),
            SubjectKind::Application,
            self.0.metadata.name.as_deref().unwrap_or_default(),
        )))
    }

    /// Where its events go: the default eventing runtime's event service.
    #[graphql(name = "eventingConfiguration")]
    async fn eventing_configuration(
        &self,
        ctx: &Context<'_>,
    ) -> Option<ApplicationEventingConfiguration> {
        Some(eventing::configuration(caches(ctx), &self.0))
    }
}

impl Plain for Application {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        // A field given arguments goes through its resolver, which reads them.
        if !ctx.item.node.arguments.is_empty() {
            return None;
        }
        let first = Some(DEFAULT_PAGE_SIZE);
        let spec = &self.0.spec;
        match ctx.item.node.name.node.as_str() {
            "id" => out.text(self.0.metadata.uid.as_deref().unwrap_or_default()),
            "name" => out.text(self.0.metadata.name.as_deref().unwrap_or_default()),
            "providerName" => out.optional_text(spec.provider_name.as_deref()),
            "description" => out.optional_text(spec.description.as_deref()),
            "integrationSystemID" => {
                out.optional_text(integration_system_id(caches(ctx), &self.0).as_deref());
            }
            "labels" => self.labels_with(ctx, None).write(out),
            "healthCheckURL" => out.optional_text(spec.health_check_url.as_deref()),
            "status" => return plain::object(ctx, &self.status_now(), out),
            "apiDefinitions" => {
                let page = self.api_definition_page(None, first, None).ok()?;
                return plain::object(ctx, &page, out);
            }
            "eventDefinitions" => {
                let page = self.event_definition_page(None, first, None).ok()?;
                return plain::object(ctx, &page, out);
            }
            "documents" => return plain::object(ctx, &self.document_page(first, None).ok()?, out),
            _ => return None,
        }
        Some(Ok(()))
    }
}

impl Plain for ApplicationStatus {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        status::write_field(ctx, self.condition, &self.timestamp, out)
    }
}
