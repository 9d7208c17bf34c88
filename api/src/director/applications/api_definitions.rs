//! API definitions as the Director shows them: the `APIDefinition` type, its spec, and the
//! credentials each runtime calls it with (its own, else those the application's webhook
//! returned for it, else the API's default).

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
use compass_crds::{application as crd, ids::ChildKind};

use super::{
    build::{shown_api_type, shown_format},
    children::{Child, FetchRequest, Version},
    content, credentials,
};
use crate::{
    director::{
        auth::Auth,
        charged::Charged,
        context::caches,
        enums::{ApiSpecType, SpecFormat},
        in_order::InOrder,
        lookup::runtime_in,
        plain::{self, Plain},
    },
    errors::ApiResult,
    pagination::PageInfo,
    scalars::Clob,
    state::Caches,
};

/// An API of an application.
#[derive(Clone)]
pub struct ApiDefinition(pub Child);

impl ApiDefinition {
    fn def(&self) -> &crd::ApiDefinition {
        &self.0.app.spec.api_definitions[self.0.index]
    }

    /// Its specification, if it has one.
    fn spec_view(&self) -> Option<ApiSpec> {
        self.def().spec.as_ref().map(|_| ApiSpec(self.0.clone()))
    }
}

/// The credentials an API is called with from one runtime.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "APIRuntimeAuth")]
pub struct ApiRuntimeAuth {
    /// The runtime.
    #[graphql(name = "runtimeID")]
    pub runtime_id: ID,
    /// Its credentials: its own, else those the application's webhook returned for it, else
    /// the API's default.
    pub auth: Option<Auth>,
}

/// The credentials of `runtime` (a name) for an API: its own entry, else what the application's
/// webhook returned for it, else the API's default.
pub fn auth_for(caches: &Caches, api: &ApiDefinition, runtime: &str) -> Option<Auth> {
    let namespace = api.0.namespace();
    let definition = api.def();
    if let Some(own) = definition
        .runtime_auths
        .iter()
        .find(|a| a.runtime == runtime)
    {
        return Some(credentials::read(caches, namespace, &own.auth));
    }
    let returned = api
        .0
        .app
        .status
        .as_ref()
        .and_then(|s| s.runtime_credentials.iter().find(|c| c.runtime == runtime))
        .and_then(|c| c.secret.as_deref())
        .and_then(|secret| credentials::read_returned(caches, namespace, secret));
    returned.or_else(|| {
        definition
            .default_auth
            .as_ref()
            .map(|a| credentials::read(caches, namespace, a))
    })
}

#[Object(name = "APIDefinition")]
impl ApiDefinition {
    /// Its id, derived from the application's id and its name.
    async fn id(&self) -> ID {
        self.0.id(ChildKind::ApiDefinition, &self.def().name)
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

    /// What it offers.
    async fn description(&self) -> Option<&str> {
        self.def().description.as_deref()
    }

    /// Its specification.
    async fn spec(&self) -> Option<InOrder<ApiSpec>> {
        self.spec_view().map(InOrder)
    }

    /// Where runtimes call it.
    #[graphql(name = "targetURL")]
    async fn target_url(&self) -> &str {
        &self.def().target_url
    }

    /// Groups versions of the same API.
    async fn group(&self) -> Option<&str> {
        self.def().group.as_deref()
    }

    /// The credentials every runtime of the tenant calls it with.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<Charged<ApiRuntimeAuth>>> {
        let caches = caches(ctx);
        let runtimes = caches.runtimes.in_namespace(self.0.namespace());
        Some(
            runtimes
                .iter()
                .filter(|r| r.metadata.deletion_timestamp.is_none())
                .map(|r| ApiRuntimeAuth {
                    runtime_id: ID(r.metadata.uid.clone().unwrap_or_default()),
                    auth: auth_for(caches, self, r.metadata.name.as_deref().unwrap_or_default()),
                })
                .map(Charged)
                .collect(),
        )
    }

    /// The credentials one runtime calls it with. The runtime must exist in the tenant.
    async fn auth(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "runtimeID")] runtime_id: ID,
    ) -> ApiResult<Option<ApiRuntimeAuth>> {
        let caches = caches(ctx);
        let runtime = runtime_in(caches, self.0.namespace(), &runtime_id)?;
        let name = runtime.metadata.name.as_deref().unwrap_or_default();
        Ok(Some(ApiRuntimeAuth {
            auth: auth_for(caches, self, name),
            runtime_id,
        }))
    }

    /// The credentials of runtimes without their own.
    #[graphql(name = "defaultAuth")]
    async fn default_auth(&self, ctx: &Context<'_>) -> Option<Auth> {
        let auth = self.def().default_auth.as_ref()?;
        Some(credentials::read(caches(ctx), self.0.namespace(), auth))
    }

    /// Its version.
    async fn version(&self) -> Option<InOrder<Version>> {
        self.def().version.as_ref().map(Version::from).map(InOrder)
    }
}

impl Plain for ApiDefinition {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        let name = ctx.item.node.name.node.as_str();
        if self.0.write_kept(ctx, ChildKind::ApiDefinition, name, out) {
            return Some(Ok(()));
        }
        match name {
            "spec" => {
                let spec = self.0.kept_spec(ctx, ChildKind::ApiDefinition);
                plain::optional(ctx, spec.then(|| ApiSpec(self.0.clone())).as_ref(), out)
            }
            "version" => {
                let version = self.def().version.as_ref().map(Version::from);
                plain::optional(ctx, version.as_ref(), out)
            }
            _ => None,
        }
    }
}

impl Plain for ApiRuntimeAuth {}

/// The specification of an API.
pub struct ApiSpec(pub Child);

impl ApiSpec {
    fn parts(&self) -> (&crd::ApiDefinition, &crd::ApiSpec) {
        let definition = &self.0.app.spec.api_definitions[self.0.index];
        // Only made for definitions with a spec.
        let spec = definition.spec.as_ref().expect("an API spec");
        (definition, spec)
    }

    /// Where its content is: inline, in a ConfigMap, or as last fetched.
    fn content(&self) -> content::Source<'_> {
        let (definition, spec) = self.parts();
        content::Source {
            kind: ChildKind::ApiDefinition,
            name: &definition.name,
            data: spec.data.as_deref(),
            data_from: spec.data_from.as_ref(),
        }
    }

    /// Its kind.
    fn type_now(&self) -> ApiSpecType {
        shown_api_type(self.parts().1.type_)
    }

    /// Where it is downloaded from.
    fn fetch_request_now(&self) -> Option<FetchRequest> {
        let (definition, spec) = self.parts();
        let kind = ChildKind::ApiDefinition;
        FetchRequest::of(
            &self.0,
            kind,
            &definition.name,
            spec.fetch_request.as_deref(),
        )
    }
}

#[Object(name = "APISpec")]
impl ApiSpec {
    /// The specification: inline, from its ConfigMap, or as last fetched.
    async fn data(&self, ctx: &Context<'_>) -> Option<Clob> {
        content::read(caches(ctx), &self.0.app, self.content())
    }

    /// Its serialization.
    async fn format(&self) -> SpecFormat {
        shown_format(self.parts().1.format)
    }

    /// Its kind.
    #[graphql(name = "type")]
    async fn type_(&self) -> ApiSpecType {
        self.type_now()
    }

    /// Where it is downloaded from.
    #[graphql(name = "fetchRequest")]
    async fn fetch_request(&self) -> Option<InOrder<FetchRequest>> {
        self.fetch_request_now().map(InOrder)
    }
}

impl Plain for ApiSpec {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        let (content, fetch_request) = (|| self.content(), || self.fetch_request_now());
        (self.0).plain_spec(ctx, ChildKind::ApiDefinition, content, fetch_request, out)
    }
}

/// A page of API definitions.
#[derive(SimpleObject)]
#[graphql(name = "APIDefinitionPage", rename_fields = "camelCase")]
pub struct ApiDefinitionPage {
    /// The API definitions.
    pub data: Vec<Charged<ApiDefinition>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
