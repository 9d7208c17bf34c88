//! Credentials as the Director shows and takes them: `Auth` with one credential (basic or OAuth
//! client credentials), extra headers and query parameters, and an optional CSRF token request.
//! Shown on applications' webhooks, API definitions and fetch requests, and on client identities.

use async_graphql::{InputObject, SimpleObject, Union};

use crate::scalars::{HttpHeaders, QueryParams};

/// How to authenticate requests to an endpoint.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct Auth {
    /// The credential.
    pub credential: CredentialData,
    /// Extra headers sent with every request.
    pub additional_headers: Option<HttpHeaders>,
    /// Extra query parameters sent with every request.
    pub additional_query_params: Option<QueryParams>,
    /// A token requested before each call.
    pub request_auth: Option<CredentialRequestAuth>,
}

/// A credential.
#[derive(Clone, Debug, PartialEq, Union)]
pub enum CredentialData {
    /// HTTP basic authentication.
    Basic(BasicCredentialData),
    /// OAuth 2.0 client credentials.
    OAuth(OAuthCredentialData),
}

/// HTTP basic authentication.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct BasicCredentialData {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// OAuth 2.0 client credentials.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
#[graphql(name = "OAuthCredentialData")]
pub struct OAuthCredentialData {
    /// Client id.
    #[graphql(name = "clientId")]
    pub client_id: async_graphql::ID,
    /// Client secret.
    #[graphql(name = "clientSecret")]
    pub client_secret: String,
    /// Token endpoint.
    pub url: String,
}

/// A token requested before each call.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct CredentialRequestAuth {
    /// A CSRF token.
    pub csrf: Option<CsrfTokenCredentialRequestAuth>,
}

/// Where and how to fetch a CSRF token.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
#[graphql(name = "CSRFTokenCredentialRequestAuth")]
pub struct CsrfTokenCredentialRequestAuth {
    /// Token endpoint.
    #[graphql(name = "tokenEndpointURL")]
    pub token_endpoint_url: String,
    /// Credential presented to it.
    pub credential: CredentialData,
    /// Extra headers sent to it.
    #[graphql(name = "additionalHeaders")]
    pub additional_headers: Option<HttpHeaders>,
    /// Extra query parameters sent to it.
    #[graphql(name = "additionalQueryParams")]
    pub additional_query_params: Option<QueryParams>,
}

/// Credentials to store.
#[derive(Clone, Debug, PartialEq, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct AuthInput {
    /// **Validation:** exactly one of basic and oauth.
    pub credential: CredentialDataInput,
    /// Extra headers sent with every request.
    pub additional_headers: Option<HttpHeaders>,
    /// Extra query parameters sent with every request.
    pub additional_query_params: Option<QueryParams>,
    /// A token requested before each call.
    pub request_auth: Option<CredentialRequestAuthInput>,
}

/// A credential to store: exactly one member.
#[derive(Clone, Debug, PartialEq, Eq, InputObject)]
pub struct CredentialDataInput {
    /// HTTP basic authentication.
    pub basic: Option<BasicCredentialDataInput>,
    /// OAuth 2.0 client credentials.
    pub oauth: Option<OAuthCredentialDataInput>,
}

/// HTTP basic authentication.
#[derive(Clone, Debug, PartialEq, Eq, InputObject)]
pub struct BasicCredentialDataInput {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// OAuth 2.0 client credentials.
#[derive(Clone, Debug, PartialEq, Eq, InputObject)]
#[graphql(name = "OAuthCredentialDataInput")]
pub struct OAuthCredentialDataInput {
    /// Client id.
    #[graphql(name = "clientId")]
    pub client_id: async_graphql::ID,
    /// Client secret.
    #[graphql(name = "clientSecret")]
    pub client_secret: String,
    /// **Validation:** valid URL.
    pub url: String,
}

/// A token to request before each call: exactly one member.
#[derive(Clone, Debug, PartialEq, InputObject)]
pub struct CredentialRequestAuthInput {
    /// A CSRF token.
    pub csrf: Option<CsrfTokenCredentialRequestAuthInput>,
}

/// Where and how to fetch a CSRF token.
#[derive(Clone, Debug, PartialEq, InputObject)]
#[graphql(name = "CSRFTokenCredentialRequestAuthInput")]
pub struct CsrfTokenCredentialRequestAuthInput {
    /// **Validation:** valid URL.
    #[graphql(name = "tokenEndpointURL")]
    pub token_endpoint_url: String,
    /// Credential presented to the token endpoint.
    pub credential: CredentialDataInput,
    /// Extra headers sent to it.
    #[graphql(name = "additionalHeaders")]
    pub additional_headers: Option<HttpHeaders>,
    /// Extra query parameters sent to it.
    #[graphql(name = "additionalQueryParams")]
    pub additional_query_params: Option<QueryParams>,
}
