//! Mutations issuing client identities: one-time tokens and OAuth client credentials.

use async_graphql::{Context, Object};
use base64::Engine;
use compass_crds::{SubjectKind, TokenPurpose};
use kube::ResourceExt;

use super::types::{OneTimeTokenForApplication, OneTimeTokenForRuntime};
use crate::{
    connector::{PublicUrl, tokens},
    director::{
        auth::{Auth, CredentialData, OAuthCredentialData},
        context::{caches, client, system_namespace, tenant},
        integration_scope::may_change,
        lookup::{application_in, runtime_in},
        system_auths::SystemAuth,
    },
    errors::{ApiResult, Code, error, not_found},
    oauth::{TOKEN_PATH, issue_client_credentials},
    scopes::Scopes,
};

/// Mutations issuing client identities: one-time tokens for the Connector, and OAuth client
/// credentials for the Gateway's token endpoint.
#[derive(Default)]
pub struct SystemMutation;

/// Registers a new OAuth client for the application, runtime or integration system with uid
/// `id` (applications and runtimes in the caller's tenant), and answers with its id and secret
/// (shown this once) and the token endpoint's URL.
async fn client_credentials(
    ctx: &Context<'_>,
    id: &str,
    kind: SubjectKind,
) -> ApiResult<SystemAuth> {
    let caches = caches(ctx);
    let (namespace, name) = match kind {
        SubjectKind::Application => {
            let scope = tenant(ctx)?;
            let application = application_in(caches, &scope.namespace, id)?;
            may_change(ctx, &application)?;
            (scope.namespace, application.name_any())
        }
        SubjectKind::Runtime => {
            let scope = tenant(ctx)?;
            (
                scope.namespace.clone(),
                runtime_in(caches, &scope.namespace, id)?.name_any(),
            )
        }
        SubjectKind::IntegrationSystem => {
            let system = caches
                .integration_systems
                .by_uid(id)
                .filter(|s| s.metadata.deletion_timestamp.is_none())
                .ok_or_else(|| not_found("IntegrationSystem", id))?;
            (system_namespace(ctx).to_owned(), system.name_any())
        }
    };
    let issued =
        issue_client_credentials(&client(ctx), caches, &namespace, (kind, name.as_str())).await?;
    let url = format!("{}{TOKEN_PATH}", ctx.data::<PublicUrl>()?.0);
    Ok(SystemAuth {
        id: async_graphql::ID(issued.client_id.clone()),
        auth: Some(Auth {
            credential: CredentialData::OAuth(OAuthCredentialData {
                client_id: async_graphql::ID(issued.client_id),
                client_secret: issued.client_secret,
                url,
            }),
            additional_headers: None,
            additional_query_params: None,
            request_auth: None,
        }),
    })
}

/// A pairing token as the answer shows it.
struct Pairing {
    token: String,
    url: String,
    raw: String,
    raw_encoded: String,
}

/// Issues a pairing token for the application or runtime with uid `id` in the caller's tenant,
/// with the Connector's URL and `raw` (the token and URL as JSON) and `rawEncoded` (that in
/// base64).
async fn pairing(ctx: &Context<'_>, id: &str, kind: SubjectKind) -> ApiResult<Pairing> {
    let scope = tenant(ctx)?;
    let (client, caches) = (client(ctx), caches(ctx));
    let lifetimes = ctx.data::<tokens::TokenLifetimes>()?;
    let (name, lifetime) = match kind {
        SubjectKind::Runtime => (
            runtime_in(caches, &scope.namespace, id)?.name_any(),
            lifetimes.runtime,
        ),
        SubjectKind::Application => {
            let application = application_in(caches, &scope.namespace, id)?;
            may_change(ctx, &application)?;
            (application.name_any(), lifetimes.application)
        }
        SubjectKind::IntegrationSystem => {
            let rule = "integration systems get client credentials, not one-time tokens";
            return Err(error(Code::InvalidInput, rule));
        }
    };
    let subject = (kind, name.as_str());
    let purpose = TokenPurpose::Pairing;
    let token = tokens::issue(
        &client,
        &caches.system_auths,
        &scope.namespace,
        subject,
        purpose,
        lifetime,
        ctx.data::<std::sync::Arc<crate::metrics::ApiMetrics>>()?,
    )
    .await?;
    let url = ctx.data::<PublicUrl>()?.connector();
    let raw = serde_json::json!({ "token": token, "connectorURL": url }).to_string();
    let raw_encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
    Ok(Pairing {
        token,
        url,
        raw,
        raw_encoded,
    })
}

#[Object]
impl SystemMutation {
    /// A one-time token for a runtime's agent to pair with at the Connector (valid 60 minutes by
    /// default). The token is shown once: only its digest is stored.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForRuntime\")")]
    async fn request_one_time_token_for_runtime(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForRuntime> {
        let Pairing {
            token,
            url,
            raw,
            raw_encoded,
        } = pairing(ctx, &id, SubjectKind::Runtime).await?;
        Ok(OneTimeTokenForRuntime {
            token,
            connector_url: url,
            raw: Some(raw),
            raw_encoded: Some(raw_encoded),
        })
    }

    /// A one-time token for an application to pair with at the Connector (valid 5 minutes by
    /// default). The token is shown once: only its digest is stored.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForApplication\")")]
    async fn request_one_time_token_for_application(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForApplication> {
        let Pairing {
            token,
            url,
            raw,
            raw_encoded,
        } = pairing(ctx, &id, SubjectKind::Application).await?;
        Ok(OneTimeTokenForApplication {
            legacy_connector_url: format!("{url}?token={token}"),
            token,
            connector_url: url,
            raw: Some(raw),
            raw_encoded: Some(raw_encoded),
        })
    }

    /// OAuth client credentials for a runtime: a new client (a new SystemAuth) each call. The
    /// secret is shown once: only its digest is stored.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForRuntime\")")]
    async fn request_client_credentials_for_runtime(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        client_credentials(ctx, &id, SubjectKind::Runtime).await
    }

    /// OAuth client credentials for an application: a new client (a new SystemAuth) each call.
    /// The secret is shown once: only its digest is stored.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForApplication\")")]
    async fn request_client_credentials_for_application(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        client_credentials(ctx, &id, SubjectKind::Application).await
    }

    /// OAuth client credentials for an integration system: a new client (a new SystemAuth in
    /// the system namespace) each call. The secret is shown once: only its digest is stored.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForIntegrationSystem\")")]
    async fn request_client_credentials_for_integration_system(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        client_credentials(ctx, &id, SubjectKind::IntegrationSystem).await
    }
}
