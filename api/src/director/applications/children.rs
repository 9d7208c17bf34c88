//! The children of an application as the Director shows them: `EventDefinition`, `Document`,
//! `Webhook`, specs' fetch requests and versions, and their pages (API definitions are in
//! `apis`). Each is a view of one entry of the Application's spec, so nothing
//! is copied until a field is asked for.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use compass_crds::{
    Application,
    application::{self as crd, FetchCondition},
    ids::ChildKind,
};

use super::{
    build::{shown_format, shown_mode},
    content, credentials, id_of,
};
use crate::{
    director::{
        context::caches,
        enums::{
            ApplicationWebhookType, DocumentFormat, EventSpecType, FetchMode,
            FetchRequestStatusCondition, SpecFormat,
        },
        types::auth::Auth,
    },
    pagination::PageInfo,
    scalars::{Clob, Timestamp},
};

/// One entry of an application's list of children of some kind.
#[derive(Clone)]
pub struct Child {
    /// The application.
    pub app: Arc<Application>,
    /// Position in the list.
    pub index: usize,
}

impl Child {
    /// The application's namespace.
    pub fn namespace(&self) -> &str {
        self.app.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// The application's id.
    pub fn app_id(&self) -> ID {
        ID(self.app.metadata.uid.clone().unwrap_or_default())
    }
}

/// Events of an application.
#[derive(Clone)]
pub struct EventDefinition(pub Child);

impl EventDefinition {
    fn def(&self) -> &crd::EventDefinition {
        &self.0.app.spec.event_definitions[self.0.index]
    }
}

#[Object]
impl EventDefinition {
    /// Its id, derived from the application's id and its name.
    async fn id(&self) -> ID {
        ID(id_of(
            &self.0.app,
            ChildKind::EventDefinition,
            &self.def().name,
        ))
    }

    /// The application's id.
    #[graphql(name = "applicationID")]
    async fn application_id(&self) -> ID {
        self.0.app_id()
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.def().name
    }

    /// What the events describe.
    async fn description(&self) -> Option<&str> {
        self.def().description.as_deref()
    }

    /// Groups versions of the same events.
    async fn group(&self) -> Option<&str> {
        self.def().group.as_deref()
    }

    /// Their specification.
    async fn spec(&self) -> Option<EventSpec> {
        self.def().spec.as_ref().map(|_| EventSpec(self.0.clone()))
    }

    /// Their version.
    async fn version(&self) -> Option<Version> {
        self.def().version.as_ref().map(Version::from)
    }
}

/// The specification of events.
pub struct EventSpec(pub Child);

impl EventSpec {
    fn parts(&self) -> (&crd::EventDefinition, &crd::EventSpec) {
        let definition = &self.0.app.spec.event_definitions[self.0.index];
        // Only made for definitions with a spec.
        let spec = definition.spec.as_ref().expect("an event spec");
        (definition, spec)
    }
}

#[Object]
impl EventSpec {
    /// The specification: inline, from its ConfigMap, or as last fetched.
    async fn data(&self, ctx: &Context<'_>) -> Option<Clob> {
        let (definition, spec) = self.parts();
        content::read(
            caches(ctx),
            &self.0.app,
            ChildKind::EventDefinition,
            &definition.name,
            spec.data.as_ref(),
            spec.data_from.as_ref(),
        )
    }

    /// Its kind.
    #[graphql(name = "type")]
    async fn type_(&self) -> EventSpecType {
        EventSpecType::AsyncApi
    }

    /// Its serialization.
    async fn format(&self) -> SpecFormat {
        shown_format(self.parts().1.format)
    }

    /// Where it is downloaded from.
    #[graphql(name = "fetchRequest")]
    async fn fetch_request(&self) -> Option<FetchRequest> {
        let (definition, spec) = self.parts();
        FetchRequest::of(
            &self.0,
            ChildKind::EventDefinition,
            &definition.name,
            spec.fetch_request.as_ref(),
        )
    }
}

/// A document about an application.
#[derive(Clone)]
pub struct Document(pub Child);

impl Document {
    fn doc(&self) -> &crd::Document {
        &self.0.app.spec.documents[self.0.index]
    }
}

#[Object]
impl Document {
    /// Its id, derived from the application's id and its title.
    async fn id(&self) -> ID {
        ID(id_of(&self.0.app, ChildKind::Document, &self.doc().title))
    }

    /// The application's id.
    #[graphql(name = "applicationID")]
    async fn application_id(&self) -> ID {
        self.0.app_id()
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.doc().title
    }

    /// The name shown to people.
    #[graphql(name = "displayName")]
    async fn display_name(&self) -> &str {
        &self.doc().display_name
    }

    /// What it covers.
    async fn description(&self) -> &str {
        &self.doc().description
    }

    /// Its markup.
    async fn format(&self) -> DocumentFormat {
        DocumentFormat::Markdown
    }

    /// Its category.
    async fn kind(&self) -> Option<&str> {
        self.doc().kind.as_deref()
    }

    /// Its content: inline, from its ConfigMap, or as last fetched.
    async fn data(&self, ctx: &Context<'_>) -> Option<Clob> {
        let doc = self.doc();
        content::read(
            caches(ctx),
            &self.0.app,
            ChildKind::Document,
            &doc.title,
            doc.data.as_ref(),
            doc.data_from.as_ref(),
        )
    }

    /// Where it is downloaded from.
    #[graphql(name = "fetchRequest")]
    async fn fetch_request(&self) -> Option<FetchRequest> {
        let doc = self.doc();
        FetchRequest::of(
            &self.0,
            ChildKind::Document,
            &doc.title,
            doc.fetch_request.as_ref(),
        )
    }
}

/// An endpoint of an application that the management plane calls.
#[derive(Clone)]
pub struct Webhook(pub Child);

impl Webhook {
    fn hook(&self) -> &crd::Webhook {
        &self.0.app.spec.webhooks[self.0.index]
    }
}

#[Object]
impl Webhook {
    /// Its id, derived from the application's id and the webhook's name.
    async fn id(&self) -> ID {
        ID(id_of(&self.0.app, ChildKind::Webhook, &self.hook().name))
    }

    /// The application's id.
    #[graphql(name = "applicationID")]
    async fn application_id(&self) -> ID {
        self.0.app_id()
    }

    /// When it is called.
    #[graphql(name = "type")]
    async fn type_(&self) -> ApplicationWebhookType {
        ApplicationWebhookType::ConfigurationChanged
    }

    /// Where it is called.
    async fn url(&self) -> &str {
        &self.hook().url
    }

    /// Credentials presented to it.
    async fn auth(&self, ctx: &Context<'_>) -> Option<Auth> {
        let auth = self.hook().auth.as_ref()?;
        Some(credentials::read(caches(ctx), self.0.namespace(), auth))
    }
}

/// Where a specification or document is downloaded from, and how the last download went.
pub struct FetchRequest {
    app: Arc<Application>,
    kind: ChildKind,
    name: String,
    request: crd::FetchRequest,
}

impl FetchRequest {
    /// The fetch request of a child, if it has one.
    pub fn of(
        child: &Child,
        kind: ChildKind,
        name: &str,
        request: Option<&crd::FetchRequest>,
    ) -> Option<Self> {
        Some(Self {
            app: child.app.clone(),
            kind,
            name: name.to_owned(),
            request: request?.clone(),
        })
    }
}

/// How the last download of a fetch request went.
#[derive(Clone, Debug, SimpleObject)]
pub struct FetchRequestStatus {
    /// `INITIAL` until the operator downloaded it.
    pub condition: FetchRequestStatusCondition,
    /// When.
    pub timestamp: Timestamp,
}

#[Object]
impl FetchRequest {
    /// The URL.
    async fn url(&self) -> &str {
        &self.request.url
    }

    /// Credentials presented to the URL.
    async fn auth(&self, ctx: &Context<'_>) -> Option<Auth> {
        let auth = self.request.auth.as_ref()?;
        let namespace = self.app.metadata.namespace.as_deref().unwrap_or_default();
        Some(credentials::read(caches(ctx), namespace, auth))
    }

    /// What the URL returns.
    async fn mode(&self) -> FetchMode {
        shown_mode(self.request.mode)
    }

    /// Which files of a package or index to take.
    async fn filter(&self) -> Option<&str> {
        self.request.filter.as_deref()
    }

    /// How the last download went, as the operator reported it.
    async fn status(&self) -> FetchRequestStatus {
        match content::fetch_status(&self.app, self.kind, &self.name) {
            Some(fetch) => FetchRequestStatus {
                condition: match fetch.condition {
                    FetchCondition::Initial => FetchRequestStatusCondition::Initial,
                    FetchCondition::Succeeded => FetchRequestStatusCondition::Succeeded,
                    FetchCondition::Failed => FetchRequestStatusCondition::Failed,
                },
                timestamp: Timestamp(fetch.timestamp.0),
            },
            None => FetchRequestStatus {
                condition: FetchRequestStatusCondition::Initial,
                timestamp: Timestamp(
                    self.app
                        .metadata
                        .creation_timestamp
                        .as_ref()
                        .map_or_else(jiff::Timestamp::now, |t| t.0),
                ),
            },
        }
    }
}

/// A version of an API or events.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct Version {
    /// The version.
    pub value: String,
    /// Whether it is deprecated.
    pub deprecated: Option<bool>,
    /// Since which version it is deprecated.
    pub deprecated_since: Option<String>,
    /// Whether it will be removed.
    pub for_removal: Option<bool>,
}

impl From<&crd::Version> for Version {
    fn from(version: &crd::Version) -> Self {
        Self {
            value: version.value.clone(),
            deprecated: Some(version.deprecated.unwrap_or(false)),
            deprecated_since: version.deprecated_since.clone(),
            for_removal: Some(version.for_removal.unwrap_or(false)),
        }
    }
}

/// A page of event definitions.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct EventDefinitionPage {
    /// The event definitions.
    pub data: Vec<EventDefinition>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}

/// A page of documents.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct DocumentPage {
    /// The documents.
    pub data: Vec<Document>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
