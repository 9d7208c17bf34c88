//! Mutations issuing client identities: one-time tokens and OAuth client credentials.

use async_graphql::{Context, Object};
use base64::Engine;
use compass_crds::{SubjectKind, TokenPurpose};
use kube::ResourceExt;

use super::types::{OneTimeTokenForApplication, OneTimeTokenForRuntime};
use crate::{
    connector::{PublicUrl, tokens},
    director::{
        context::{caches, client, tenant},
        lookup::{application_in, runtime_in},
        system_auths::SystemAuth,
    },
    errors::{ApiResult, Code, error},
    scopes::Scopes,
};

/// Mutations issuing client identities. One-time tokens are issued; the Connector that redeems
/// them, and OAuth client credentials, come in a later version: those answer `NOT_AVAILABLE`
/// rather than hand out credentials that would not work.
#[derive(Default)]
pub struct SystemMutation;

fn not_available(what: &str) -> async_graphql::Error {
    error(
        Code::NotAvailable,
        format!(
            "{what} is not available yet: the Connector that issues it comes in a later version"
        ),
    )
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
        SubjectKind::Application => (
            application_in(caches, &scope.namespace, id)?.name_any(),
            lifetimes.application,
        ),
        SubjectKind::IntegrationSystem => {
            let rule = "integration systems get client credentials, not one-time tokens";
            return Err(error(Code::InvalidInput, rule));
        }
    };
    let subject = (kind, name.as_str());
    let purpose = TokenPurpose::Pairing;
    let token = tokens::issue(
        &client,
        caches,
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

    /// OAuth client credentials for a runtime.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForRuntime\")")]
    async fn request_client_credentials_for_runtime(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available("requestClientCredentialsForRuntime"))
    }

    /// OAuth client credentials for an application.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForApplication\")")]
    async fn request_client_credentials_for_application(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available("requestClientCredentialsForApplication"))
    }

    /// OAuth client credentials for an integration system.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForIntegrationSystem\")")]
    async fn request_client_credentials_for_integration_system(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available(
            "requestClientCredentialsForIntegrationSystem",
        ))
    }
}
