//! A stand-in OpenID Connect provider for the Cockpit's sign-in: HTTPS with a certificate of its
//! own, an authorization endpoint that signs the user in at once and sends the browser back with
//! a code, a token endpoint (callable from the page, CORS) that checks the PKCE verifier against
//! the challenge and answers ES256 ID tokens, and the JWKS the Gateway checks them with.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The client id the Cockpit is registered under, the audience of its tokens.
pub const CLIENT_ID: &str = "cockpit";

/// The running provider.
pub struct Idp {
    /// Its base URL, the issuer of its tokens.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

/// What the provider keeps: its key, and the PKCE challenge and redirect of each code.
struct State {
    key: EcdsaKeyPair,
    issuer: String,
    claims: Value,
    codes: Mutex<HashMap<String, (String, String)>>,
}

impl Idp {
    /// Starts the provider on a free loopback port, writing its certificate to `ca_file`; its
    /// users carry `claims` (tenants, groups) besides the standard ones.
    pub async fn start(ca_file: &Path, claims: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let url = format!("https://127.0.0.1:{}", address.port());
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let signing = rcgen::KeyPair::generate().unwrap();
        let certificate = params.self_signed(&signing).unwrap();
        std::fs::write(ca_file, certificate.pem()).unwrap();
        let chain = vec![certificate.der().clone()];
        let key = rustls::pki_types::PrivateKeyDer::try_from(signing.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let state = Arc::new(State {
            key,
            issuer: url.clone(),
            claims,
            codes: Mutex::default(),
        });
        let (authorize_state, token_state, jwks_state) = (state.clone(), state.clone(), state);
        let router = Router::new()
            .route(
                "/authorize",
                get(move |uri: Uri| async move { authorize(&authorize_state, &uri) }),
            )
            .route(
                "/token",
                post(move |headers: HeaderMap, body: Bytes| async move {
                    token(&token_state, &headers, &body)
                }),
            )
            .route(
                "/jwks",
                get(move || async move { axum::Json(jwks(&jwks_state)) }),
            );
        let task = tokio::spawn(async move {
            let options = compass_apiserver::listener::ListenerOptions::default();
            let forever = std::future::pending::<()>();
            compass_apiserver::listener::serve(listener, Some(acceptor), router, &options, forever)
                .await;
        });
        Self { url, task }
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn query(text: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// The user is signed in at once: back to the client with a code bound to its challenge.
fn authorize(state: &State, uri: &Uri) -> Response {
    let params = query(uri.query().unwrap_or_default());
    let ok = params.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && params.get("response_type").map(String::as_str) == Some("code")
        && params.get("code_challenge_method").map(String::as_str) == Some("S256");
    let (Some(redirect), Some(challenge), true) =
        (params.get("redirect_uri"), params.get("code_challenge"), ok)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "not an authorization request with PKCE",
        )
            .into_response();
    };
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut bytes).unwrap();
    let code = B64.encode(bytes);
    state
        .codes
        .lock()
        .unwrap()
        .insert(code.clone(), (challenge.clone(), redirect.clone()));
    let mut back = url::Url::parse(redirect).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair(
            "state",
            params.get("state").map(String::as_str).unwrap_or_default(),
        );
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// A code and its verifier exchanged for an ID token, once.
fn token(state: &State, headers: &HeaderMap, body: &[u8]) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or("*")
        .to_owned();
    let cors = [(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin)];
    let form = query(&String::from_utf8_lossy(body));
    let issued = form
        .get("code")
        .and_then(|code| state.codes.lock().unwrap().remove(code));
    let verified = issued.filter(|(challenge, redirect)| {
        let verifier = form
            .get("code_verifier")
            .map(String::as_str)
            .unwrap_or_default();
        B64.encode(Sha256::digest(verifier.as_bytes())) == *challenge
            && form.get("redirect_uri") == Some(redirect)
            && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
    });
    if verified.is_none() {
        let refusal = json!({ "error": "invalid_grant" });
        return (StatusCode::BAD_REQUEST, cors, axum::Json(refusal)).into_response();
    }
    let token = id_token(state);
    let answer = json!({ "id_token": token, "access_token": token, "token_type": "Bearer", "expires_in": 600 });
    (cors, axum::Json(answer)).into_response()
}

fn id_token(state: &State) -> String {
    let now = jiff::Timestamp::now().as_second();
    let mut claims = json!({ "iss": state.issuer, "aud": CLIENT_ID, "sub": "dana", "iat": now, "exp": now + 600 });
    for (key, value) in state.claims.as_object().unwrap() {
        claims[key] = value.clone();
    }
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": "cockpit-idp" });
    let signed = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = state
        .key
        .sign(&SystemRandom::new(), signed.as_bytes())
        .unwrap();
    format!("{signed}.{}", B64.encode(signature.as_ref()))
}

fn jwks(state: &State) -> Value {
    // The public key is the uncompressed point: 0x04, then x and y.
    let point = state.key.public_key().as_ref();
    json!({ "keys": [{ "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "cockpit-idp",
        "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]) }] })
}
