//! Event definitions as the Director shows them: the `EventDefinition` type, its spec, and its
//! page.

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
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
        plain::{self, Plain},
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

    /// Their specification, if they have one.
    fn spec_view(&self) -> Option<EventSpec> {
        self.def().spec.as_ref().map(|_| EventSpec(self.0.clone()))
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
        self.spec_view().map(InOrder)
    }

    /// Their version.
    async fn version(&self) -> Option<InOrder<Version>> {
        self.def().version.as_ref().map(Version::from).map(InOrder)
    }
}

impl Plain for EventDefinition {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        let name = ctx.item.node.name.node.as_str();
        if self
            .0
            .write_kept(ctx, ChildKind::EventDefinition, name, out)
        {
            return Some(Ok(()));
        }
        match name {
            "spec" => {
                let spec = self.0.kept_spec(ctx, ChildKind::EventDefinition);
                plain::optional(ctx, spec.then(|| EventSpec(self.0.clone())).as_ref(), out)
            }
            "version" => {
                let version = self.def().version.as_ref().map(Version::from);
                plain::optional(ctx, version.as_ref(), out)
            }
            _ => None,
        }
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

    /// Where its content is: inline, in a ConfigMap, or as last fetched.
    fn content(&self) -> content::Source<'_> {
        let (definition, spec) = self.parts();
        content::Source {
            kind: ChildKind::EventDefinition,
            name: &definition.name,
            data: spec.data.as_deref(),
            data_from: spec.data_from.as_ref(),
        }
    }

    /// Where it is downloaded from.
    fn fetch_request_now(&self) -> Option<FetchRequest> {
        let (definition, spec) = self.parts();
        let kind = ChildKind::EventDefinition;
        FetchRequest::of(
            &self.0,
            kind,
            &definition.name,
            spec.fetch_request.as_deref(),
        )
    }
}

#[Object]
impl EventSpec {
    /// The specification: inline, from its ConfigMap, or as last fetched.
    async fn data(&self, ctx: &Context<'_>) -> Option<Clob> {
        content::read(caches(ctx), &self.0.app, self.content())
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
        self.fetch_request_now().map(InOrder)
    }
}

impl Plain for EventSpec {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        let (content, fetch_request) = (|| self.content(), || self.fetch_request_now());
        (self.0).plain_spec(ctx, ChildKind::EventDefinition, content, fetch_request, out)
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
