//! Event definitions as the Director shows them: the `EventDefinition` type, its spec, and its
//! page.

use async_graphql::{Context, ID, Object, SimpleObject};
use compass_crds::{application as crd, ids::ChildKind};

use super::{
    build::shown_format,
    children::{Child, FetchRequest, Version},
    content,
};
use crate::{
    director::{
        charged::Charged,
        context::caches,
        enums::{EventSpecType, SpecFormat},
        in_order::InOrder,
    },
    pagination::PageInfo,
    scalars::Clob,
};

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
        self.0.id(ChildKind::EventDefinition, &self.def().name)
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
    async fn spec(&self) -> Option<InOrder<EventSpec>> {
        self.def()
            .spec
            .as_ref()
            .map(|_| InOrder(EventSpec(self.0.clone())))
    }

    /// Their version.
    async fn version(&self) -> Option<InOrder<Version>> {
        self.def()
            .version
            .as_ref()
            .map(|v| InOrder(Version::from(v)))
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
    async fn fetch_request(&self) -> Option<InOrder<FetchRequest>> {
        let (definition, spec) = self.parts();
        FetchRequest::of(
            &self.0,
            ChildKind::EventDefinition,
            &definition.name,
            spec.fetch_request.as_deref(),
        )
        .map(InOrder)
    }
}

/// A page of event definitions.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct EventDefinitionPage {
    /// The event definitions.
    pub data: Vec<Charged<EventDefinition>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
