//! Applications and runtimes: credentials shown once and stored as a digest, tokens by HTTP
//! Basic or form fields, the caller's kind, tenant and scopes at the Director, identity headers a
//! client sets itself ignored, and deleting the client or its subject ending its tokens at once.

use compass_api::connector::tokens::token_digest;
use serde_json::json;

use super::{
    Env, OTHER_TENANT, TENANT_MISMATCH, UNAUTHENTICATED, access_token, assert_insufficient_scopes,
    assert_refused, basic, claims_of, credentials, default_tenant, form_encode, refused,
    token_by_basic, token_request, viewer,
};

const REQUEST_FOR_APPLICATION: &str = "requestClientCredentialsForApplication";

pub async fn applications_and_runtimes(env: &Env) {
    let admin = env.admin();
    let app_id = env.director.api.register_application("crm").await;
    let first = credentials(&admin, REQUEST_FOR_APPLICATION, &app_id).await;
    let credentials = credentials(&admin, REQUEST_FOR_APPLICATION, &app_id).await;
    assert_ne!(
        first.client_id, credentials.client_id,
        "each call is a new client"
    );
    assert!(
        credentials.url.starts_with("https://127.0.0.1:")
            && credentials.url.ends_with("/oauth2/token"),
        "{}",
        credentials.url
    );
    let secret = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &credentials.client_secret,
    )
    .expect("the secret is base64url");
    assert_eq!(secret.len(), 32, "256 random bits");

    // The secret is shown once: `auths` list the clients without it, and kubectl shows only its
    // digest.
    let auths = admin
        .data(
            "query ($id: ID!) { application(id: $id) { auths { id auth { credential { ... on OAuthCredentialData { clientSecret } } } } } }",
            json!({ "id": app_id }),
        )
        .await;
    let listed = auths["application"]["auths"].as_array().unwrap().clone();
    for id in [&first.client_id, &credentials.client_id] {
        let auth = listed
            .iter()
            .find(|a| a["id"] == json!(id))
            .expect("listed");
        assert_eq!(auth["auth"], json!(null));
    }
    let yaml = env.server.kubectl_ok(&[
        "get",
        "systemauths",
        "-n",
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
        "-o",
        "yaml",
    ]);
    assert!(
        !yaml.contains(&credentials.client_secret),
        "no secret in clear"
    );
    assert!(
        yaml.contains(&token_digest(&credentials.client_secret)),
        "{yaml}"
    );

    tokens_by_basic_and_by_form(env, &credentials).await;
    the_application_acts_as_itself(env, &credentials).await;
    wrong_secrets_and_scopes_are_refused(env, &credentials).await;

    // Deleting the client ends its tokens at once; the other client still works.
    let token = access_token(env, &credentials).await;
    let other_token = access_token(env, &first).await;
    admin
        .data(
            "mutation ($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }",
            json!({ "id": credentials.client_id }),
        )
        .await;
    assert_refused(&env.caller(&token), UNAUTHENTICATED, "no longer exists").await;
    let again = token_by_basic(env, &credentials.client_id, &credentials.client_secret).await;
    assert_eq!(
        (again.status, &again.body["error"]),
        (401, &json!("invalid_client"))
    );
    assert_eq!(
        viewer(&env.caller(&other_token)).await["type"],
        "APPLICATION"
    );

    // So does unregistering the application.
    admin
        .data(
            "mutation ($id: ID!) { unregisterApplication(id: $id) { id } }",
            json!({ "id": app_id }),
        )
        .await;
    let (status, _, message) = refused(&env.caller(&other_token)).await;
    assert_eq!(status, 401, "{message}");

    runtimes(env).await;
}

async fn tokens_by_basic_and_by_form(env: &Env, credentials: &super::Credentials) {
    let answer = token_by_basic(env, &credentials.client_id, &credentials.client_secret).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.cache_control, "no-store");
    assert_eq!(answer.body["token_type"], "bearer");
    assert_eq!(answer.body["expires_in"], 3600, "an hour by default");
    assert_eq!(answer.body["scope"], "application:read application:write");
    let claims = claims_of(answer.body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], json!(credentials.client_id));
    assert_eq!(claims["client_id"], json!(credentials.client_id));
    assert_eq!(claims["iss"], compass_api::oauth::DEFAULT_ISSUER);
    assert_eq!(claims["aud"], compass_api::oauth::DEFAULT_AUDIENCE);
    assert_eq!(claims["scope"], "application:read application:write");
    assert!(claims["jti"].is_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=application%3Aread",
        form_encode(&credentials.client_id),
        form_encode(&credentials.client_secret)
    );
    let answer = token_request(env, &[], &form).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["scope"], "application:read");
    let reader = env.caller(answer.body["access_token"].as_str().unwrap());
    assert_insufficient_scopes(
        &reader,
        "mutation { registerApplication(in: { name: \"sneaky\" }) { id } }",
    )
    .await;
}

async fn the_application_acts_as_itself(env: &Env, credentials: &super::Credentials) {
    let token = access_token(env, credentials).await;
    let caller = env.caller(&token);
    assert_eq!(
        viewer(&caller).await,
        json!({ "id": credentials.subject_id, "type": "APPLICATION" })
    );
    // Without a Tenant header it acts in its own tenant; naming it is the same.
    let own = "{ applications { data { name } } }";
    let without = caller.data(own, json!({})).await;
    assert_eq!(
        caller.tenant(default_tenant()).data(own, json!({})).await,
        without
    );
    let names = without["applications"]["data"].to_string();
    assert!(names.contains("crm"), "{names}");
    assert_refused(&caller.tenant(OTHER_TENANT), TENANT_MISMATCH, "").await;
    // Only its fixed scopes: no runtimes.
    assert_insufficient_scopes(
        &caller,
        "mutation { registerRuntime(in: { name: \"sneaky\" }) { id } }",
    )
    .await;

    // Identity headers a client sets itself change nothing.
    let spoofed = [
        (
            "client-id-from-token",
            "00000000-0000-0000-0000-000000000000",
        ),
        (
            "client-id-from-certificate",
            "00000000-0000-0000-0000-000000000000",
        ),
        ("client-certificate-hash", "abc"),
        ("certificate-data", "Hash=abc;Subject=\"CN=admin\""),
        ("content-type", "application/json"),
    ];
    let body = json!({ "query": "{ viewer { id type } }" })
        .to_string()
        .into_bytes();
    let path = compass_api::server::DIRECTOR_PATH;
    let anonymous = env
        .http
        .request(http::Method::POST, path, &spoofed, body.clone())
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "no credentials, whatever the headers"
    );
    let bearer = format!("Bearer {token}");
    let mut with_token = spoofed.to_vec();
    with_token.push(("authorization", &bearer));
    let answer = env
        .http
        .request(http::Method::POST, path, &with_token, body)
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(
        answer["data"]["viewer"]["id"],
        json!(credentials.subject_id)
    );
}

async fn wrong_secrets_and_scopes_are_refused(env: &Env, credentials: &super::Credentials) {
    let answer = token_by_basic(env, &credentials.client_id, "not-the-secret").await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error"], "invalid_client");
    assert!(answer.challenge.unwrap().starts_with("Basic"));
    assert_eq!(answer.cache_control, "no-store");
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret=wrong",
        credentials.client_id
    );
    let answer = token_request(env, &[], &form).await;
    assert_eq!(
        (answer.status, &answer.body["error"]),
        (401, &json!("invalid_client"))
    );
    assert!(
        answer.challenge.is_none(),
        "no Basic challenge for form authentication"
    );

    let authorization = basic(&credentials.client_id, &credentials.client_secret);
    let header = [("authorization", authorization.as_str())];
    let cases = [
        (
            "grant_type=client_credentials&scope=runtime%3Awrite",
            400,
            "invalid_scope",
        ),
        (
            "grant_type=authorization_code&code=x",
            400,
            "unsupported_grant_type",
        ),
        ("scope=application%3Aread", 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let answer = token_request(env, &header, body).await;
        assert_eq!(
            (answer.status, &answer.body["error"]),
            (status, &json!(error)),
            "{body}"
        );
    }
    let both = format!(
        "grant_type=client_credentials&client_id={}&client_secret=x",
        credentials.client_id
    );
    let answer = token_request(env, &header, &both).await;
    assert_eq!(
        answer.body["error"], "invalid_request",
        "two client authentications"
    );
}

async fn runtimes(env: &Env) {
    let admin = env.admin();
    let id = env.director.api.register_runtime("edge").await;
    let credentials = credentials(&admin, "requestClientCredentialsForRuntime", &id).await;
    let token = access_token(env, &credentials).await;
    let caller = env.caller(&token);
    assert_eq!(
        viewer(&caller).await,
        json!({ "id": credentials.subject_id, "type": "RUNTIME" })
    );
    let runtimes = caller
        .data("{ runtimes { data { name } } }", json!({}))
        .await;
    assert_eq!(runtimes["runtimes"]["data"], json!([{ "name": "edge" }]));
    admin
        .data(
            "mutation ($id: ID!) { deleteSystemAuthForRuntime(authID: $id) { id } }",
            json!({ "id": credentials.client_id }),
        )
        .await;
    assert_refused(&caller, UNAUTHENTICATED, "").await;
}
