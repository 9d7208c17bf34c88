//! The API's HTTP surface: the Director at `/director/graphql` (POST for operations, GET for
//! queries, or in a browser for a GraphQL playground served from the binary), behind the
//! Gateway's authentication, and the Connector at `/connector/graphql`, opened by a one-time
//! token or a client certificate, the Provisioner at `/provisioner/graphql` behind the same
//! Gateway as the Director, and the OAuth token endpoint with its keys (`/oauth2/token`,
//! `/oauth2/jwks`), and the Cockpit web UI at `/cockpit/` (`/` leads there). An unauthenticated
//! caller's body is never read by the Director, and no body is read beyond the bound.

use std::sync::Arc;

use async_graphql_axum::GraphQLResponse;
use axum::{
    Extension, Router,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use compass_apiserver::PeerCertificate;
use kube::Client;

use crate::{
    audit::{self, Audit, AuditEntry, RequestId},
    connector::{
        CONNECTOR_PATH, Connector, ConnectorConfig, authority::Authority, schema::ConnectorSchema,
    },
    director::{
        DirectorSchema, DirectorSchemas, Limits, answers::Answers, build_schema,
        parsed_documents::ParsedDocuments, persisted_queries::PersistedQueries,
    },
    errors::Code,
    gateway::{Caller, Gateway, StaticUser},
    metrics::ApiMetrics,
    provisioner::{PROVISIONER_PATH, Providers, ProvisionerSchema},
    rate_limit::{RateLimitConfig, RateLimits},
    scopes::ScopesConfig,
    state::Caches,
};

mod agent_report;
mod assignment;
mod connector;
mod director;
mod get_query;
mod request;
mod timing;

pub use agent_report::AGENT_REPORT_PATH;
pub use assignment::ASSIGNMENT_PATH;

use request::{error_response, graphql_request};

/// Path of the Director.
pub const DIRECTOR_PATH: &str = "/director/graphql";

/// The Director's name in audit lines.
const DIRECTOR: &str = "director";

/// The Connector's name in audit lines.
const CONNECTOR: &str = "connector";

/// The Provisioner's name in audit lines.
const PROVISIONER: &str = "provisioner";

/// Configuration of the API.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Scopes each operation requires.
    pub scopes: ScopesConfig,
    /// Callers known by token digest.
    pub users: Vec<StaticUser>,
    /// Bounds on depth and complexity of one request.
    pub limits: Limits,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Namespace of the identities of integration systems (the operator's namespace).
    pub system_namespace: String,
    /// External id of the installation's default tenant, put into the playground's `Tenant`
    /// header.
    pub playground_tenant: Option<String>,
    /// The URL callers reach the API at (`https://host:port`), for the Connector URLs handed out
    /// with one-time tokens; without it, the host each caller reached.
    pub public_url: Option<String>,
    /// How long one-time tokens stay valid.
    pub token_lifetimes: crate::connector::tokens::TokenLifetimes,
    /// How the Connector issues certificates.
    pub connector: ConnectorConfig,
    /// Where audit lines go (started with [`Audit::start`]); off by default.
    pub audit: Audit,
    /// Rate limits per consumer kind.
    pub rate_limits: RateLimitConfig,
    /// The API's metrics, registered by the caller where they are served.
    pub metrics: Arc<ApiMetrics>,
    /// How OAuth access tokens are issued.
    pub oauth: crate::oauth::OAuthConfig,
    /// An external OIDC identity provider whose users the Gateway accepts.
    pub oidc: Option<crate::gateway::oidc::OidcConfig>,
    /// The providers the Provisioner API offers.
    pub providers: Providers,
    /// What the Cockpit web UI is told (its OIDC sign-in).
    pub cockpit: compass_cockpit::CockpitConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            scopes: ScopesConfig::default_config(),
            users: Vec::new(),
            limits: Limits::default(),
            max_body_bytes: 4 * 1024 * 1024,
            system_namespace: "compass-system".to_owned(),
            playground_tenant: None,
            public_url: None,
            token_lifetimes: crate::connector::tokens::TokenLifetimes::default(),
            connector: ConnectorConfig::default(),
            audit: Audit::off(),
            rate_limits: RateLimitConfig::default(),
            metrics: Arc::default(),
            oauth: crate::oauth::OAuthConfig::default(),
            oidc: None,
            providers: Providers::default(),
            cockpit: compass_cockpit::CockpitConfig::default(),
        }
    }
}

/// The running API: its schema, gateway and caches.
pub struct Api {
    schemas: DirectorSchemas,
    /// The Director's parsed documents, kept by their text.
    documents: ParsedDocuments,
    /// The texts of the Director's persisted queries, by caller and hash.
    persisted: PersistedQueries,
    /// The Director's answers, kept whole for the same question while nothing changed.
    answers: Answers,
    connector: ConnectorSchema,
    provisioner: ProvisionerSchema,
    gateway: Gateway,
    caches: Caches,
    max_body_bytes: usize,
    limits: Limits,
    playground_tenant: Option<String>,
    public_url: Option<String>,
    audit: Audit,
    rate_limits: RateLimits,
    metrics: Arc<ApiMetrics>,
    issuer: Arc<crate::oauth::Issuer>,
    /// Writes what the doors outside GraphQL keep (the agents' reports).
    client: Client,
    /// The Cockpit's configuration.
    cockpit: compass_cockpit::CockpitConfig,
}

impl Api {
    /// The API over `client`, reading the process's shared stores in `watches`, with the
    /// Connector's certificate authority and the keys of OAuth access tokens. Fails when the
    /// OIDC configuration is not usable.
    pub fn new(
        client: Client,
        watches: &compass_cache::Watches,
        config: ApiConfig,
        authority: Authority,
        keys: crate::oauth::KeySet,
    ) -> Result<Arc<Self>, String> {
        let caches = Caches::new(watches);
        let issuer = crate::oauth::Issuer::new(
            config.oauth,
            keys,
            config.public_url.clone(),
            config.system_namespace.clone(),
            caches.clone(),
            config.scopes.clone(),
        );
        let issuer = Arc::new(issuer.with_audit(config.audit.clone()));
        let mut gateway = Gateway::new(config.users, caches.clone(), config.scopes.clone())
            .with_access_tokens(issuer.clone());
        if let Some(oidc) = config.oidc {
            gateway = gateway.with_oidc(Arc::new(crate::gateway::oidc::Oidc::new(oidc)?));
        }
        let connector = Arc::new(Connector {
            authority,
            subject: config.connector.subject,
            validity: config.connector.validity,
            token_lifetimes: config.token_lifetimes,
            client: client.clone(),
            metrics: config.metrics.clone(),
        });
        config
            .metrics
            .watch_certificates(caches.system_auths.clone());
        let (schemas, documents) = build_schema(
            caches.clone(),
            client.clone(),
            config.scopes.clone(),
            config.limits,
            config.system_namespace,
            config.token_lifetimes,
            config.metrics.clone(),
        );
        let provisioner = crate::provisioner::build(
            caches.clone(),
            client.clone(),
            config.scopes.clone(),
            config.providers,
        );
        let api = Self {
            schemas,
            documents,
            answers: Answers::default(),
            persisted: PersistedQueries::default(),
            connector: crate::connector::schema::build(connector, caches.clone()),
            provisioner,
            gateway,
            caches,
            max_body_bytes: config.max_body_bytes,
            limits: config.limits,
            playground_tenant: config.playground_tenant,
            public_url: config.public_url,
            audit: config.audit,
            rate_limits: RateLimits::new(config.rate_limits, config.metrics.clone()),
            metrics: config.metrics,
            issuer,
            client,
            cockpit: config.cockpit,
        };
        Ok(Arc::new(api))
    }

    /// Completes once every store the API reads is filled (`true`), or a watch stopped first.
    pub async fn ready(&self) -> bool {
        self.caches.ready().await
    }

    /// The schema, for tests and SDL export.
    pub fn schema(&self) -> &DirectorSchema {
        &self.schemas.charged_per_field
    }

    /// The audit log, for every door to record its operations in.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// The rate limits, for every door to [`admit`](RateLimits::admit) callers by.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// The API's metrics.
    pub fn metrics(&self) -> &ApiMetrics {
        &self.metrics
    }
}

/// The router of the API.
pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route(
            DIRECTOR_PATH,
            get(director::director_get).post(director::director),
        )
        .route(ASSIGNMENT_PATH, get(assignment::assignment))
        .route(AGENT_REPORT_PATH, put(agent_report::report))
        .route(CONNECTOR_PATH, post(connector::connector))
        .route(
            PROVISIONER_PATH,
            get(provisioner_playground).post(provisioner),
        )
        .route(
            crate::playground::ASSETS_PATH,
            get(crate::playground::asset),
        )
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::oauth::router(api.issuer.clone()))
        .merge(compass_cockpit::router(api.cockpit.clone()))
        // Every route above gets a request id, echoed in `x-request-id`.
        .layer(axum::middleware::from_fn(audit::request_id::tag))
        // And is timed, the request id's tagging included.
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            timing::timed,
        ))
        .with_state(api)
}

async fn provisioner_playground(State(api): State<Arc<Api>>) -> Response {
    crate::playground::page(PROVISIONER_PATH, api.playground_tenant.as_deref())
}

/// The Provisioner: admitted as the Director's callers are, audited under its own name.
async fn provisioner(
    State(api): State<Arc<Api>>,
    Extension(request_id): Extension<RequestId>,
    Admitted(caller): Admitted,
    body: Body,
) -> Response {
    let mut request = match graphql_request(&api, body).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let consumer = audit::Consumer::from(&caller);
    let operations = audit::graphql::operations(&mut request);
    let answers = api.provisioner.execute_batch(request.data(caller)).await;
    audit::graphql::record(
        &api.audit,
        &request_id,
        PROVISIONER,
        Some(&consumer),
        &operations,
        &answers,
    );
    GraphQLResponse::from(answers).into_response()
}

/// The caller of a request to one of the Director's doors, admitted (see [`admit`]): a handler
/// taking it runs only for an admitted caller; the refusal is the answer otherwise.
pub(crate) struct Admitted(pub Caller);

impl axum::extract::FromRequestParts<Arc<Api>> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        api: &Arc<Api>,
    ) -> Result<Self, Response> {
        let request_id = parts.extensions.get::<RequestId>().cloned();
        let request_id = request_id.unwrap_or_else(|| RequestId(String::new()));
        let peer = parts
            .extensions
            .get::<PeerCertificate>()
            .cloned()
            .map(Extension);
        admit(api, &request_id, peer.as_ref(), &parts.headers)
            .await
            .map(Admitted)
    }
}

/// The caller of a request to the Director's doors, authenticated, within its rate limit and
/// acting in a tenant it may use; or the answer refusing it (audited, counted).
pub(crate) async fn admit(
    api: &Api,
    request_id: &RequestId,
    peer: Option<&Extension<PeerCertificate>>,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    let caller = match api
        .gateway
        .authenticate(headers, certificate_of(peer))
        .await
    {
        Ok(caller) => caller,
        Err(refusal) => {
            api.metrics.authentication_failure(refusal.reason);
            let refused = AuditEntry::refused(request_id, DIRECTOR, None, Code::Unauthenticated);
            api.audit.record(&refused.reason(refusal.reason));
            let status = StatusCode::UNAUTHORIZED;
            return Err(error_response(status, "UNAUTHENTICATED", &refusal.message));
        }
    };
    api.rate_limits
        .admit(caller.kind, &caller.id)
        .map_err(IntoResponse::into_response)?;
    // As the original's tenant mapping did, a caller naming a tenant it may not use is refused
    // whatever the operation.
    if !caller.may_use_named_tenant() {
        let refused =
            AuditEntry::refused(request_id, DIRECTOR, Some(&caller), Code::TenantMismatch);
        api.audit.record(&refused);
        let message = format!(
            "tenant mismatch: {} may not act in tenant {}",
            caller.id,
            caller.tenant.as_deref().unwrap_or_default()
        );
        return Err(error_response(
            StatusCode::FORBIDDEN,
            "TENANT_MISMATCH",
            &message,
        ));
    }
    Ok(caller)
}

/// The client certificate (DER) the request's connection presented, if any.
fn certificate_of(peer: Option<&Extension<PeerCertificate>>) -> Option<&[u8]> {
    peer.map(|Extension(peer)| peer.0.as_ref().as_ref())
}
