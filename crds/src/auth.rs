//! Credentials used to call an application's endpoints: its APIs, its webhooks and the URLs specs
//! are fetched from. Secret material never sits in a custom resource; it is read from a Secret in
//! the object's namespace.

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema::{LONG_STRING_MAX_LENGTH, OBJECT_NAME_PATTERN};

// Optional almost everywhere (a webhook's, a fetch request's, an API's default), and held there
// boxed: inline, its room (about 300 bytes) would be in every copy of every definition the caches
// hold, set or not. `application::tests` keeps the definitions that small.
/// How to authenticate requests to an endpoint: one credential, optional extra headers and query
/// parameters, and optionally a CSRF token to fetch before each request.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    /// The credential presented with every request.
    pub credential: CredentialData,

    /// Extra HTTP headers sent with every request; each header may carry several values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_headers: Option<BTreeMap<String, Vec<String>>>,

    /// Extra query parameters added to every request; each parameter may carry several values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_query_params: Option<BTreeMap<String, Vec<String>>>,

    /// A token to obtain before each request, such as a CSRF token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_auth: Option<CredentialRequestAuth>,
}

/// A credential: exactly one of `basic` or `oauth`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.basic) != has(self.oauth)")
    .message("exactly one of basic or oauth must be set"))]
pub struct CredentialData {
    /// HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicCredential>,

    /// OAuth 2.0 client credentials grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthCredential>,
}

/// HTTP basic authentication. The referenced Secret holds the keys `username` and `password`
/// (the layout of a `kubernetes.io/basic-auth` Secret).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicCredential {
    /// Secret in the same namespace holding `username` and `password`.
    pub secret_ref: SecretReference,
}

/// OAuth 2.0 client credentials. The referenced Secret holds the keys `clientId` and
/// `clientSecret`; a token is requested from `url` and sent as a bearer token.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthCredential {
    /// Secret in the same namespace holding `clientId` and `clientSecret`.
    pub secret_ref: SecretReference,

    /// Token endpoint of the authorization server.
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub url: String,
}

/// A token requested before each call to the endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRequestAuth {
    /// Fetch a CSRF token and send it with each request.
    pub csrf: CsrfTokenRequestAuth,
}

/// Where and how to fetch a CSRF token.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsrfTokenRequestAuth {
    /// URL the token is requested from.
    #[serde(rename = "tokenEndpointURL")]
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub token_endpoint_url: String,

    /// Credential presented to the token endpoint.
    pub credential: CredentialData,

    /// Extra HTTP headers sent to the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_headers: Option<BTreeMap<String, Vec<String>>>,

    /// Extra query parameters sent to the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_query_params: Option<BTreeMap<String, Vec<String>>>,
}

/// A Secret in the namespace of the object that refers to it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretReference {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub name: String,
}
