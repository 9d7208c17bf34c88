//! The `Application` type as the Director shows it, over an Application object of the tenant
//! namespace: its simple fields, labels (with the system labels), status from the `Ready`
//! condition, children in pages ordered by id, identities and eventing configuration.

use std::sync::{Arc, OnceLock};

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
use compass_crds::{SubjectKind, ids::ChildKind};

use super::{
    api_definitions::{ApiDefinition, ApiDefinitionPage},
    children::{Child, find_child},
    documents::{Document, DocumentPage},
    event_definitions::{EventDefinition, EventDefinitionPage},
    eventing::{self, ApplicationEventingConfiguration},
    label_values::ApplicationLabels,
    rendered::Rendered,
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
pub struct Application(
    pub Arc<compass_crds::Application>,
    /// Its fields as rendered, once looked up.
    OnceLock<Arc<Rendered>>,
);

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

/// A paged child's id, kept with its application's fields as rendered.
fn by_kept_id(kind: ChildKind) -> impl Fn(&Child) -> &str {
    move |child| child.kept_id(kind).unwrap_or_default()
}

impl ApplicationPage {
    /// The applications of `page`, their renderings looked up together.
    pub fn of(caches: &Caches, page: Page<Arc<compass_crds::Application>>) -> Self {
        let mut rendered = caches.renderings.of_each(&page.data).into_iter();
        page.map(|object| {
            let rendered = rendered.next().map(OnceLock::from).unwrap_or_default();
            Application(object, rendered)
        })
        .into()
    }
}

impl Application {
    /// The application `object` shows.
    pub fn new(object: Arc<compass_crds::Application>) -> Self {
        Self(object, OnceLock::new())
    }

    /// Its fields as rendered for this version of it.
    fn rendered(&self, caches: &Caches) -> &Arc<Rendered> {
        self.1.get_or_init(|| caches.renderings.of(&self.0))
    }

    /// Pages its children of `kind` that pass `keep`, in id order.
    fn page_of<T>(
        &self,
        caches: &Caches,
        kind: ChildKind,
        keep: impl Fn(usize) -> bool,
        wrap: impl Fn(Child) -> T,
        (first, after): (Option<i32>, Option<&PageCursor>),
    ) -> ApiResult<Page<T>> {
        let rendered = self.rendered(caches);
        // Each kind paged is kept in id order, with the ids.
        let in_id_order = rendered.in_id_order(kind).unwrap_or_default();
        let children: Vec<Child> = (in_id_order.iter())
            .map(|index| *index as usize)
            .filter(|index| keep(*index))
            .map(|index| Child {
                app: self.0.clone(),
                index,
                rendered: OnceLock::from(rendered.clone()),
            })
            .collect();
        let after = after.map(|cursor| cursor.0.as_str());
        Ok(paginate_by(children, by_kept_id(kind), first, after)?.map(wrap))
    }

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
        caches: &Caches,
        group: Option<String>,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<ApiDefinitionPage> {
        let definitions = &self.0.spec.api_definitions;
        let keep = |i: usize| group.is_none() || definitions[i].group == group;
        let kind = ChildKind::ApiDefinition;
        let page = self.page_of(caches, kind, keep, ApiDefinition, (first, after.as_ref()))?;
        Ok(page.into())
    }

    /// A page of its events, or of those of one group.
    fn event_definition_page(
        &self,
        caches: &Caches,
        group: Option<String>,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<EventDefinitionPage> {
        let definitions = &self.0.spec.event_definitions;
        let keep = |i: usize| group.is_none() || definitions[i].group == group;
        let kind = ChildKind::EventDefinition;
        let page = self.page_of(caches, kind, keep, EventDefinition, (first, after.as_ref()))?;
        Ok(page.into())
    }

    /// A page of its documents.
    fn document_page(
        &self,
        caches: &Caches,
        first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<DocumentPage> {
        let kind = ChildKind::Document;
        let page = self.page_of(caches, kind, |_| true, Document, (first, after.as_ref()))?;
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
                        rendered: OnceLock::new(),
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
        ctx: &Context<'_>,
        group: Option<String>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<ApiDefinitionPage>>> {
        Ok(Some(InOrder(self.api_definition_page(
            caches(ctx),
            group,
            first,
            after,
        )?)))
    }

    /// Its events, or those of one group, in id order.
    #[graphql(name = "eventDefinitions")]
    async fn event_definitions(
        &self,
        ctx: &Context<'_>,
        group: Option<String>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<EventDefinitionPage>>> {
        Ok(Some(InOrder(self.event_definition_page(
            caches(ctx),
            group,
            first,
            after,
        )?)))
    }

    /// Its documents, in id order.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<Option<InOrder<DocumentPage>>> {
        Ok(Some(InOrder(self.document_page(
            caches(ctx),
            first,
            after,
        )?)))
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
        let caches = caches(ctx);
        let name = ctx.item.node.name.node.as_str();
        if self.rendered(caches).write_field(name, out) {
            return Some(Ok(()));
        }
        match name {
            "integrationSystemID" => {
                out.optional_text(integration_system_id(caches, &self.0).as_deref());
            }
            "labels" => {
                let system = integration_system_id(caches, &self.0).unwrap_or_default();
                self.rendered(caches).write_labels(&system, out);
            }
            "status" => return plain::object(ctx, &self.status_now(), out),
            "apiDefinitions" => {
                let page = self.api_definition_page(caches, None, first, None).ok()?;
                return plain::object(ctx, &page, out);
            }
            "eventDefinitions" => {
                let page = self.event_definition_page(caches, None, first, None).ok()?;
                return plain::object(ctx, &page, out);
            }
            "documents" => {
                let page = self.document_page(caches, first, None).ok()?;
                return plain::object(ctx, &page, out);
            }
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
