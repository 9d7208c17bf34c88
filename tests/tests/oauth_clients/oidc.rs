//! Users of an external OIDC provider: a second API on the same control plane trusts a stand-in
//! provider whose JWKS is served over HTTPS; its users act with the scopes of their groups in the
//! tenants of their tenants claim. The JWKS is fetched when a token first needs it, and a token
//! naming a key the provider does not publish is refused without fetching it again at once.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use compass_api::gateway::oidc::OidcConfig;
use compass_apiserver::jwt::SigningKey;
use serde_json::{Value, json};

use super::{
    Env, OTHER_TENANT, TENANT_MISMATCH, UNAUTHENTICATED, assert_insufficient_scopes,
    assert_refused, default_tenant, viewer,
};

const ISSUER: &str = "https://idp.example";

/// Serves `jwks` at `/keys` over HTTPS with the control plane's certificate, counting requests;
/// returns the URL.
async fn serve_jwks(env: &Env, jwks: Value, fetches: Arc<AtomicUsize>) -> String {
    let router = axum::Router::new().route(
        "/keys",
        axum::routing::get(move || {
            fetches.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let tls = env
        .server
        .control_plane
        .tls()
        .expect("the control plane serves TLS");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        let options = compass_apiserver::listener::ListenerOptions::default();
        compass_apiserver::listener::serve(
            socket,
            Some(acceptor),
            router,
            &options,
            std::future::pending(),
        )
        .await;
    });
    format!("https://127.0.0.1:{port}/keys")
}

pub async fn users_of_the_provider_act_with_their_groups_scopes(env: &Env) {
    let provider = SigningKey::ephemeral();
    let fetches = Arc::new(AtomicUsize::new(0));
    let jwks = json!({ "keys": [provider.public_jwk()] });
    let jwks_url = serve_jwks(env, jwks, fetches.clone()).await;
    let config = OidcConfig {
        issuer: ISSUER.to_owned(),
        audience: "compass".to_owned(),
        jwks_url,
        ca_pem: Some(env.server.control_plane.ca_pem.clone()),
        tenants_claim: "tenants".to_owned(),
        groups_claim: "groups".to_owned(),
        group_scopes: [(
            "viewers".to_owned(),
            ["application:read".to_owned(), "runtime:read".to_owned()].into(),
        )]
        .into(),
        refresh_interval: Duration::from_secs(3600),
    };
    let api = env
        .server
        .start_api_with(compass_api::server::ApiConfig {
            oidc: Some(config),
            ..compass_api::server::ApiConfig::default()
        })
        .await;
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({
        "iss": ISSUER, "aud": ["compass"], "sub": "alice@example.com",
        "iat": now, "exp": now + 300,
        "groups": ["viewers", "strangers"], "tenants": [default_tenant()],
    });
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        0,
        "fetched only when needed"
    );
    let alice = api.admin.with_token(&provider.sign(&claims));
    assert_eq!(
        viewer(&alice).await,
        json!({ "id": "alice@example.com", "type": "USER" })
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let in_tenant = alice.tenant(default_tenant());
    in_tenant
        .data("{ applications { totalCount } }", json!({}))
        .await;
    assert_insufficient_scopes(
        &in_tenant,
        "mutation { registerApplication(in: { name: \"by-alice\" }) { id } }",
    )
    .await;
    assert_refused(&alice.tenant(OTHER_TENANT), TENANT_MISMATCH, "").await;

    // Refused: expired, for another audience, and signed by a key the provider does not
    // publish (which does not make the Gateway fetch the keys again within the interval).
    let expired = json!({ "iss": ISSUER, "aud": "compass", "sub": "a", "exp": now - 3600 });
    let elsewhere = json!({ "iss": ISSUER, "aud": "other", "sub": "a", "exp": now + 300 });
    let stranger = SigningKey::ephemeral();
    let cases = [
        (provider.sign(&expired), "expired"),
        (provider.sign(&elsewhere), "not meant for"),
        (stranger.sign(&claims), "does not publish"),
        (stranger.sign(&claims), "does not publish"),
    ];
    for (token, expected) in cases {
        assert_refused(&api.admin.with_token(&token), UNAUTHENTICATED, expected).await;
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "refetched at most once per interval"
    );
    // Static users keep working beside the provider's.
    assert_eq!(
        viewer(&api.admin).await,
        json!({ "id": "admin", "type": "USER" })
    );
    api.stop().await;
}
