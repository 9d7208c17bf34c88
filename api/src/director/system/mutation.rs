//! Mutations issuing client identities: one-time tokens and OAuth client credentials.

use async_graphql::Object;

use super::types::{OneTimeTokenForApplication, OneTimeTokenForRuntime};
use crate::{
    director::system_auths::SystemAuth,
    errors::{ApiResult, Code, error},
    scopes::Scopes,
};

/// Mutations issuing client identities. The Connector issues one-time tokens and client
/// credentials in a later version; until then these answer `NOT_AVAILABLE` rather than hand out
/// credentials that would not work.
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

#[Object]
impl SystemMutation {
    /// A one-time token for a runtime's agent to pair with.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForRuntime\")")]
    async fn request_one_time_token_for_runtime(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForRuntime> {
        let _ = id;
        Err(not_available("requestOneTimeTokenForRuntime"))
    }

    /// A one-time token for an application to pair with.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForApplication\")")]
    async fn request_one_time_token_for_application(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForApplication> {
        let _ = id;
        Err(not_available("requestOneTimeTokenForApplication"))
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
