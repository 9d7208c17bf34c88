//! OAuth client credentials end to end, over HTTPS: the Director issues credentials, the token
//! endpoint exchanges them for access tokens, and the Gateway accepts those tokens as the
//! application, runtime or integration system they belong to, until the client or its subject is
//! deleted ([`clients`]); integration systems act in any tenant on their own applications only
//! ([`integration_systems`]); forged, foreign and expired tokens are refused ([`forgery`]); and
//! users of an external OIDC provider are accepted with their groups' scopes ([`oidc`]).
//!
//! The parts share one control plane, operator and API: they are independent of each other, and
//! each works on objects of its own.

mod clients;
mod forgery;
mod integration_systems;
mod oidc;

use base64::Engine as _;
use compass_api::client::DirectorClient;
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestDirector, TestServer, graphql::Graphql};
use serde_json::{Value, json};

/// External id of the second tenant.
const OTHER_TENANT: &str = "ext-acme";

/// What every part uses.
struct Env {
    server: TestServer,
    director: TestDirector,
    /// Raw HTTPS to the API's host: the token endpoint, the JWKS.
    http: DirectorClient,
}

impl Env {
    /// The admin in the default tenant.
    fn admin(&self) -> Graphql {
        self.director.api.default_tenant()
    }

    /// A caller presenting `token`, with no `Tenant` header.
    fn caller(&self, token: &str) -> Graphql {
        self.director.api.admin.with_token(token)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_clients_get_tokens_act_as_themselves_and_lose_them_when_deleted() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    server.apply_yaml(
        &format!(
            "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {{name: acme}}\nspec: {{externalId: {OTHER_TENANT}}}\n"
        ),
        &[],
    );
    server.wait_tenant_ready("acme").await;
    let http =
        DirectorClient::new(&director.api.url, &server.control_plane.ca_pem, "").expect("a client");
    let env = Env {
        server,
        director,
        http,
    };
    env.director
        .api
        .admin
        .tenant(OTHER_TENANT)
        .data_eventually(
            "the Director sees the second tenant",
            "{ applications { totalCount } }",
            json!({}),
        )
        .await;

    clients::applications_and_runtimes(&env).await;
    integration_systems::act_in_every_tenant_on_their_own_applications(&env).await;
    forgery::forged_foreign_and_expired_tokens_are_refused(&env).await;
    oidc::users_of_the_provider_act_with_their_groups_scopes(&env).await;

    let Env {
        server, director, ..
    } = env;
    director.stop().await;
    server.stop().await;
}

/// Credentials as `requestClientCredentialsFor*` return them.
struct Credentials {
    /// The application's, runtime's or integration system's id, which `viewer` answers.
    subject_id: String,
    client_id: String,
    client_secret: String,
    url: String,
}

/// Asks `mutation` (`requestClientCredentialsFor<Kind>`) for credentials of the object `id`.
async fn credentials(caller: &Graphql, mutation: &str, id: &str) -> Credentials {
    let query = format!(
        "mutation ($id: ID!) {{ {mutation}(id: $id) {{ id auth {{ credential {{ ... on OAuthCredentialData {{ clientId clientSecret url }} }} }} }} }}"
    );
    let answer = caller.data(&query, json!({ "id": id })).await;
    let auth = &answer[mutation];
    let credential = &auth["auth"]["credential"];
    assert_eq!(
        auth["id"], credential["clientId"],
        "the client id is the auth's id"
    );
    Credentials {
        subject_id: id.to_owned(),
        client_id: credential["clientId"].as_str().unwrap().to_owned(),
        client_secret: credential["clientSecret"].as_str().unwrap().to_owned(),
        url: credential["url"].as_str().unwrap().to_owned(),
    }
}

/// The token endpoint's answer: status, `Cache-Control`, `WWW-Authenticate` and the JSON body.
struct TokenAnswer {
    status: u16,
    cache_control: String,
    challenge: Option<String>,
    body: Value,
}

/// `POST /oauth2/token` with `headers` and the form `body`.
async fn token_request(env: &Env, headers: &[(&str, &str)], body: &str) -> TokenAnswer {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    let response = env
        .http
        .request(
            http::Method::POST,
            compass_api::oauth::TOKEN_PATH,
            &all,
            body.as_bytes().to_vec(),
        )
        .await
        .expect("the token endpoint answers");
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    TokenAnswer {
        status: response.status().as_u16(),
        cache_control: header("cache-control").unwrap_or_default(),
        challenge: header("www-authenticate"),
        body: serde_json::from_slice(response.body()).expect("the answer is JSON"),
    }
}

/// `Authorization: Basic` of a client id and secret (RFC 6749 §2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_encode(s);
    let pair = format!("{}:{}", encode(id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// application/x-www-form-urlencoded encoding of one value.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The client credentials grant for the client `id` with `secret`, by HTTP Basic.
async fn token_by_basic(env: &Env, id: &str, secret: &str) -> TokenAnswer {
    let authorization = basic(id, secret);
    token_request(
        env,
        &[("authorization", &authorization)],
        "grant_type=client_credentials",
    )
    .await
}

/// An access token for `credentials`, by HTTP Basic.
async fn access_token(env: &Env, credentials: &Credentials) -> String {
    let answer = token_by_basic(env, &credentials.client_id, &credentials.client_secret).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["access_token"].as_str().unwrap().to_owned()
}

/// The claims of a JWT, unverified.
fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// `viewer` as `caller` sees it: its id and type.
async fn viewer(caller: &Graphql) -> Value {
    caller.data("{ viewer { id type } }", json!({})).await["viewer"].clone()
}

/// The HTTP status and error of a `viewer` query by `caller`, which is expected to fail.
async fn refused(caller: &Graphql) -> (u16, String, String) {
    let response = caller.send("{ viewer { id } }", json!({})).await;
    let (message, code) = response.error();
    (response.status, code, message)
}

/// Fails the test unless a `viewer` query by `caller` is refused with `status` and `code`, the
/// message containing `expected`.
async fn assert_refused(caller: &Graphql, (status, code): (u16, &str), expected: &str) {
    let (got_status, got_code, message) = refused(caller).await;
    assert_eq!((got_status, got_code.as_str()), (status, code), "{message}");
    assert!(
        message.contains(expected),
        "expected {expected:?} in {message:?}"
    );
}

/// Fails the test unless `caller`'s `mutation` is refused for insufficient scopes.
async fn assert_insufficient_scopes(caller: &Graphql, mutation: &str) {
    let (message, code) = caller.send(mutation, json!({})).await.error();
    assert_eq!(code, "INSUFFICIENT_SCOPES", "{message}");
}

/// The 401 a `viewer` query is refused with for an identity it does not accept.
const UNAUTHENTICATED: (u16, &str) = (401, "UNAUTHENTICATED");

/// The 403 a `viewer` query is refused with in a tenant the caller may not use.
const TENANT_MISMATCH: (u16, &str) = (403, "TENANT_MISMATCH");

/// The default tenant's external id.
fn default_tenant() -> &'static str {
    DEFAULT_TENANT_EXTERNAL_ID
}
