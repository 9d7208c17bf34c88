//! OAuth 2.0 client credentials, served by the Gateway itself (no external identity server): the
//! Director's `requestClientCredentialsFor*` register a client (a new SystemAuth whose uid is the
//! client id, with the digest of a fresh secret in its status), the token endpoint exchanges the
//! id and secret for a short-lived access token (an ES256 JWT, RFC 9068), and the Gateway accepts
//! that token as long as the client and its subject exist. The signing key lives in a Secret of
//! the system namespace; its public half is published as a JWKS.

mod clients;
mod keys;
mod token_endpoint;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;

pub use clients::{ClientCredentials, issue_client_credentials};
pub(crate) use clients::{ClientProblem, registered};
pub use keys::{KeySet, SIGNING_KEY_SECRET, load_or_create};

use crate::{audit::Audit, connector::PublicUrl, scopes::ScopesConfig, state::Caches};

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// Path of the public keys access tokens are signed with.
pub const JWKS_PATH: &str = "/oauth2/jwks";
/// Path of the authorization server's metadata (RFC 8414).
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The `typ` of access tokens (RFC 9068), so no other JWT passes for one.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The token endpoint's name in audit lines.
const OAUTH: &str = "oauth";
/// The issuer access tokens name when none is configured and the API has no public URL.
pub const DEFAULT_ISSUER: &str = "urn:compass:gateway";
/// The audience access tokens name unless configured otherwise.
pub const DEFAULT_AUDIENCE: &str = "urn:compass:director";

/// How access tokens are issued.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    /// The `iss` of access tokens; the API's public URL when unset, else [`DEFAULT_ISSUER`].
    pub issuer: Option<String>,
    /// The `aud` of access tokens, which the Gateway requires.
    pub audience: String,
    /// How long an access token is valid. Revocation does not wait for it: the Gateway checks the
    /// client on every request.
    pub token_lifetime: Duration,
    /// Name of the Secret in the system namespace holding the signing key.
    pub signing_key_secret: String,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: DEFAULT_AUDIENCE.to_owned(),
            token_lifetime: Duration::from_secs(60 * 60),
            signing_key_secret: SIGNING_KEY_SECRET.to_owned(),
        }
    }
}

/// The authorization server: issues access tokens and tells the Gateway which are valid.
pub struct Issuer {
    issuer: String,
    config: OAuthConfig,
    keys: KeySet,
    public_url: Option<String>,
    system_namespace: String,
    caches: Caches,
    scopes: ScopesConfig,
    audit: Audit,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("config", &self.config)
            .field("key_id", &self.keys.signing().key_id())
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer of tokens signed with `keys`, for the clients in `caches`.
    pub fn new(
        config: OAuthConfig,
        keys: KeySet,
        public_url: Option<String>,
        system_namespace: String,
        caches: Caches,
        scopes: ScopesConfig,
    ) -> Self {
        let issuer = (config.issuer.clone())
            .or_else(|| public_url.clone())
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        Self {
            issuer,
            config,
            keys,
            public_url,
            system_namespace,
            caches,
            scopes,
            audit: Audit::off(),
        }
    }

    /// The same issuer, recording every token request in `audit`.
    #[must_use]
    pub fn with_audit(self, audit: Audit) -> Self {
        Self { audit, ..self }
    }

    /// The keys tokens are signed and checked with.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The `iss` of access tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` of access tokens.
    pub fn audience(&self) -> &str {
        &self.config.audience
    }

    /// The scopes configuration, whose fixed scopes per consumer kind bound what a token grants.
    pub fn scopes(&self) -> &ScopesConfig {
        &self.scopes
    }

    /// The stores clients are looked up in.
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// The namespace of integration systems' identities.
    pub fn system_namespace(&self) -> &str {
        &self.system_namespace
    }
}

/// The token endpoint, the JWKS and the metadata document.
pub fn router<S>(issuer: Arc<Issuer>) -> Router<S> {
    Router::new()
        .route(TOKEN_PATH, post(token_endpoint::token))
        .route(JWKS_PATH, get(jwks))
        .route(METADATA_PATH, get(metadata))
        .with_state(issuer)
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(issuer.keys.jwks().clone()),
    )
        .into_response()
}

async fn metadata(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    let base = PublicUrl::of(issuer.public_url.as_deref(), &headers).0;
    let scopes: std::collections::BTreeSet<String> = [
        crate::gateway::ConsumerKind::Application,
        crate::gateway::ConsumerKind::Runtime,
        crate::gateway::ConsumerKind::IntegrationSystem,
    ]
    .into_iter()
    .flat_map(|kind| issuer.scopes.consumer_scopes(kind))
    .collect();
    axum::Json(json!({
        "issuer": issuer.issuer,
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "scopes_supported": scopes,
    }))
    .into_response()
}
