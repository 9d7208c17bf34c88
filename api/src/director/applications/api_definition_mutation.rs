//! Mutations of an application's API definitions: add, update (keeping per-runtime credentials),
//! delete, refetch of the spec, and the credentials one runtime calls an API with.

use async_graphql::{Context, ID, Object};
use compass_crds::{application::RuntimeAuth, ids::ChildKind};

use super::{
    api_definitions::{ApiDefinition, ApiRuntimeAuth, ApiSpec, auth_for},
    build,
    child_inputs::ApiDefinitionInput,
    child_lists::{List, add, refuse_child_rename, remove, replace, request_refetch},
    children::{child_in, view},
    credentials,
    owned::Owned,
};
use crate::{
    director::{
        auth::AuthInput,
        context::{caches, tenant},
        lookup::{application_in, runtime_in},
    },
    errors::{ApiResult, invalid, not_found},
    scopes::Scopes,
};

const APIS: List<compass_crds::application::ApiDefinition> = List {
    of: |s| &s.api_definitions,
    field: "apiDefinitions",
    key: |d| &d.name,
    what: "APIDefinition",
};

const KIND: ChildKind = ChildKind::ApiDefinition;

/// Mutations of API definitions.
#[derive(Default)]
pub struct ApiMutation;

#[Object]
impl ApiMutation {
    /// Adds an API definition to an application.
    #[graphql(
        name = "addAPIDefinition",
        guard = "Scopes::mutation(\"addAPIDefinition\")"
    )]
    async fn add_api_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        #[graphql(name = "in")] input: ApiDefinitionInput,
    ) -> ApiResult<ApiDefinition> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let application = application_in(caches(ctx), &scope.namespace, &application_id)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::api_definition(&input, &app_name, &mut owned);
        let (after, name) = add(ctx, application, owned, &APIS, |_| built.clone()).await?;
        view(after, KIND, &name).map(ApiDefinition)
    }

    /// Changes an API definition; the credentials set per runtime stay. Its name cannot change.
    #[graphql(
        name = "updateAPIDefinition",
        guard = "Scopes::mutation(\"updateAPIDefinition\")"
    )]
    async fn update_api_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: ApiDefinitionInput,
    ) -> ApiResult<ApiDefinition> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let (application, name) =
            child_in(caches(ctx), &scope.namespace, &id, KIND, "APIDefinition")?;
        refuse_child_rename("in.name", &name, &input.name)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::api_definition(&input, &app_name, &mut owned);
        let (_, after) = replace(ctx, application, owned, &APIS, &name, |current| {
            let mut updated = built.clone();
            updated.runtime_auths.clone_from(&current.runtime_auths);
            Ok(updated)
        })
        .await?;
        view(after, KIND, &name).map(ApiDefinition)
    }

    /// Removes an API definition and returns it as it was.
    #[graphql(
        name = "deleteAPIDefinition",
        guard = "Scopes::mutation(\"deleteAPIDefinition\")"
    )]
    async fn delete_api_definition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ApiDefinition> {
        let scope = tenant(ctx)?;
        let (application, name) =
            child_in(caches(ctx), &scope.namespace, &id, KIND, "APIDefinition")?;
        let (before, _) = remove(ctx, application, &APIS, &name).await?;
        view(before, KIND, &name).map(ApiDefinition)
    }

    /// Asks the operator to fetch the application's specs again, and returns the API spec as it
    /// is stored now; the new content follows once the operator fetched it.
    #[graphql(
        name = "refetchAPISpec",
        guard = "Scopes::mutation(\"refetchAPISpec\")"
    )]
    async fn refetch_api_spec(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "apiID")] api_id: ID,
    ) -> ApiResult<ApiSpec> {
        let scope = tenant(ctx)?;
        let (application, name) = child_in(
            caches(ctx),
            &scope.namespace,
            &api_id,
            KIND,
            "APIDefinition",
        )?;
        let definition = application
            .spec
            .api_definitions
            .iter()
            .find(|d| d.name == name);
        let Some(spec) = definition.and_then(|d| d.spec.as_ref()) else {
            return Err(invalid(
                "apiID",
                format!("API definition {name} has no spec"),
            ));
        };
        let application = if spec.fetch_request.is_some() {
            request_refetch(ctx, application).await?
        } else {
            application
        };
        view(application, KIND, &name).map(ApiSpec)
    }

    /// Sets the credentials one runtime calls an API with, replacing earlier ones.
    #[graphql(name = "setAPIAuth", guard = "Scopes::mutation(\"setAPIAuth\")")]
    async fn set_api_auth(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "apiID")] api_id: ID,
        #[graphql(name = "runtimeID")] runtime_id: ID,
        #[graphql(name = "in")] input: AuthInput,
    ) -> ApiResult<ApiRuntimeAuth> {
        let scope = tenant(ctx)?;
        credentials::check("in", &input)?;
        let caches = caches(ctx);
        let (application, name) =
            child_in(caches, &scope.namespace, &api_id, KIND, "APIDefinition")?;
        let runtime = runtime_in(caches, &scope.namespace, &runtime_id)?;
        let runtime_name = runtime.metadata.name.clone().unwrap_or_default();
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let auth = credentials::store(&input, &app_name, &mut owned);
        let (_, after) = replace(ctx, application, owned, &APIS, &name, |current| {
            let mut updated = current.clone();
            updated.runtime_auths.retain(|a| a.runtime != runtime_name);
            updated.runtime_auths.push(RuntimeAuth {
                runtime: runtime_name.clone(),
                auth: auth.clone(),
            });
            Ok(updated)
        })
        .await?;
        let api = view(after, KIND, &name).map(ApiDefinition)?;
        Ok(ApiRuntimeAuth {
            auth: auth_for(caches, &api, &runtime_name),
            runtime_id,
        })
    }

    /// Removes the credentials one runtime calls an API with and returns them as they were; the
    /// runtime falls back to the API's default credentials.
    #[graphql(name = "deleteAPIAuth", guard = "Scopes::mutation(\"deleteAPIAuth\")")]
    async fn delete_api_auth(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "apiID")] api_id: ID,
        #[graphql(name = "runtimeID")] runtime_id: ID,
    ) -> ApiResult<ApiRuntimeAuth> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let (application, name) =
            child_in(caches, &scope.namespace, &api_id, KIND, "APIDefinition")?;
        let runtime = runtime_in(caches, &scope.namespace, &runtime_id)?;
        let runtime_name = runtime.metadata.name.clone().unwrap_or_default();
        let before = application
            .spec
            .api_definitions
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.runtime_auths.iter().find(|a| a.runtime == runtime_name))
            .map(|a| credentials::read(caches, &scope.namespace, &a.auth))
            .ok_or_else(|| not_found("APIRuntimeAuth", &runtime_id))?;
        replace(
            ctx,
            application,
            Owned::default(),
            &APIS,
            &name,
            |current| {
                let mut updated = current.clone();
                updated.runtime_auths.retain(|a| a.runtime != runtime_name);
                Ok(updated)
            },
        )
        .await?;
        Ok(ApiRuntimeAuth {
            runtime_id,
            auth: Some(before),
        })
    }
}
