//! The API's HTTP surface: the Director at `/director/graphql` (POST for operations, GET for a
//! GraphQL playground), behind the Gateway's authentication, with a bound on request bodies.

use std::sync::Arc;

use async_graphql::http::{GraphQLPlaygroundConfig, playground_source};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use kube::Client;
use serde_json::json;

use crate::{
    cache::Task,
    director::{DirectorSchema, Limits, build_schema},
    gateway::{Gateway, StaticUser},
    scopes::ScopesConfig,
    state::Caches,
};

/// Path of the Director.
pub const DIRECTOR_PATH: &str = "/director/graphql";

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
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            scopes: ScopesConfig::default_config(),
            users: Vec::new(),
            limits: Limits::default(),
            max_body_bytes: 4 * 1024 * 1024,
            system_namespace: "compass-system".to_owned(),
        }
    }
}

/// The running API: its schema, gateway and caches.
pub struct Api {
    schema: DirectorSchema,
    gateway: Gateway,
    caches: Caches,
    max_body_bytes: usize,
}

impl Api {
    /// The API over `client`, and the watch tasks that fill its caches (spawn them).
    pub fn new(client: Client, config: ApiConfig) -> (Arc<Self>, Vec<Task>) {
        let caches = Caches::default();
        let drivers = caches.drivers(&client);
        let schema = build_schema(
            caches.clone(),
            client,
            config.scopes,
            config.limits,
            config.system_namespace,
        );
        let api = Self {
            schema,
            gateway: Gateway::new(config.users),
            caches,
            max_body_bytes: config.max_body_bytes,
        };
        (Arc::new(api), drivers)
    }

    /// Completes once every cache is filled.
    pub async fn ready(&self) {
        self.caches.ready().await;
    }

    /// The schema, for tests and SDL export.
    pub fn schema(&self) -> &DirectorSchema {
        &self.schema
    }
}

/// The router of the API.
pub fn router(api: Arc<Api>) -> Router {
    let limit = api.max_body_bytes;
    Router::new()
        .route(DIRECTOR_PATH, get(playground).post(director))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(api)
}

async fn playground() -> Html<String> {
    Html(playground_source(GraphQLPlaygroundConfig::new(
        DIRECTOR_PATH,
    )))
}

async fn director(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let Some(caller) = api.gateway.authenticate(&headers) else {
        let body = json!({ "errors": [{ "message": "unauthenticated: send Authorization: Bearer <token>", "extensions": { "code": "UNAUTHENTICATED" } }] });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    };
    // As the original's tenant mapping did, a caller naming a tenant it may not use is refused
    // whatever the operation.
    if !caller.may_use_named_tenant() {
        let message = format!(
            "tenant mismatch: {} may not act in tenant {}",
            caller.id,
            caller.tenant.as_deref().unwrap_or_default()
        );
        let body = json!({ "errors": [{ "message": message, "extensions": { "code": "TENANT_MISMATCH" } }] });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    GraphQLResponse::from(api.schema.execute(request.into_inner().data(caller)).await)
        .into_response()
}
