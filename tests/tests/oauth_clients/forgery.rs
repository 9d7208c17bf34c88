//! Tokens the Gateway must refuse: a changed claim, another key (under its own or the real key
//! id), no signature, an expired token or one issued before the client's secret, all signed as
//! an attacker or an old replica could. The real key is read from its Secret, as an operator
//! with access to the system namespace could, to show that the claims are checked beyond the
//! signature. The keys are published at the JWKS URL the metadata names.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use compass_api::oauth::{ACCESS_TOKEN_TYPE, KeySet, SIGNING_KEY_SECRET};
use compass_apiserver::jwt::SigningKey;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use serde_json::{Value, json};

use super::{Env, UNAUTHENTICATED, access_token, assert_refused, claims_of, credentials, viewer};

/// `claims` with `change` applied.
fn changed(claims: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut claims = claims.clone();
    change(&mut claims);
    claims
}

pub async fn forged_foreign_and_expired_tokens_are_refused(env: &Env) {
    let admin = env.admin();
    let id = env.director.api.register_application("forged").await;
    let credentials = credentials(&admin, "requestClientCredentialsForApplication", &id).await;
    let token = access_token(env, &credentials).await;
    assert_eq!(viewer(&env.caller(&token)).await["type"], "APPLICATION");
    let claims = claims_of(&token);
    let parts: Vec<&str> = token.split('.').collect();

    let refused_as = |token: String, expected: &'static str| async move {
        assert_refused(&env.caller(&token), UNAUTHENTICATED, expected).await;
    };

    // A claim changed after signing.
    let wider = changed(&claims, |c| {
        c["scope"] = json!("application:write runtime:write")
    });
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(wider.to_string()),
        parts[2]
    );
    refused_as(tampered, "signature").await;

    // Another key, under its own id and under the real one.
    let stranger = SigningKey::ephemeral();
    let foreign = stranger.sign_typed(ACCESS_TOKEN_TYPE, &claims);
    refused_as(foreign.clone(), "key the Gateway does not hold").await;
    let (_, foreign_rest) = foreign.split_once('.').unwrap();
    refused_as(format!("{}.{foreign_rest}", parts[0]), "signature").await;

    // No signature at all.
    let header = json!({ "alg": "none", "typ": ACCESS_TOKEN_TYPE, "kid": claims_of_header(parts[0])["kid"] });
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        parts[1]
    );
    refused_as(unsigned, "not valid").await;

    // Signed with the real key, but expired, for another audience, not an access token, or
    // issued before the client's secret.
    let secrets: Api<Secret> = Api::namespaced(env.server.client().await, "compass-system");
    let secret = secrets
        .get(SIGNING_KEY_SECRET)
        .await
        .expect("the signing key Secret");
    let keys = KeySet::from_data(&secret.data.unwrap_or_default()).expect("usable keys");
    let real = keys.signing();
    assert_eq!(
        real.key_id(),
        claims_of_header(parts[0])["kid"],
        "the Secret holds the key tokens are signed with"
    );
    let now = claims["iat"].as_i64().unwrap();
    let expired = changed(&claims, |c| {
        c["iat"] = json!(now - 7200);
        c["exp"] = json!(now - 3600);
    });
    refused_as(real.sign_typed(ACCESS_TOKEN_TYPE, &expired), "expired").await;
    let elsewhere = changed(&claims, |c| c["aud"] = json!("urn:somewhere-else"));
    refused_as(
        real.sign_typed(ACCESS_TOKEN_TYPE, &elsewhere),
        "not meant for",
    )
    .await;
    refused_as(real.sign(&claims), "not an access token").await;
    let early = changed(&claims, |c| c["iat"] = json!(now - 600));
    refused_as(real.sign_typed(ACCESS_TOKEN_TYPE, &early), "re-issued").await;
    // The untouched token still works: nothing above revoked it.
    assert_eq!(viewer(&env.caller(&token)).await["type"], "APPLICATION");

    keys_are_published(env, real.key_id()).await;
}

fn claims_of_header(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn keys_are_published(env: &Env, kid: &str) {
    let get = |path: &'static str| async move {
        let response = env
            .http
            .request(http::Method::GET, path, &[], Vec::new())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        serde_json::from_slice::<Value>(response.body()).unwrap()
    };
    let metadata = get(compass_api::oauth::METADATA_PATH).await;
    assert_eq!(metadata["issuer"], compass_api::oauth::DEFAULT_ISSUER);
    let jwks_uri = metadata["jwks_uri"].as_str().unwrap();
    assert!(
        jwks_uri.ends_with(compass_api::oauth::JWKS_PATH),
        "{jwks_uri}"
    );
    assert!(
        metadata["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with(compass_api::oauth::TOKEN_PATH)
    );
    let jwks = get(compass_api::oauth::JWKS_PATH).await;
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], kid);
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"]),
        (&json!("EC"), &json!("P-256"), &json!("ES256"))
    );
    assert!(key.get("d").is_none(), "no private part is published");
}
