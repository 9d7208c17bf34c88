//! A GraphQL client for tests: operations over HTTPS to a Director served by the product, as a
//! client of the original Compass sends them (`Authorization: Bearer`, `Tenant` header).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::{Value, json};

/// One caller of the Director: a URL, a bearer token and (optionally) a tenant.
#[derive(Clone)]
pub struct Graphql {
    url: String,
    token: String,
    tenant: Option<String>,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// A response: HTTP status and the JSON body.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Value,
}

impl Response {
    /// `data`, failing the test when the response carries errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "the operation failed: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The first error's message and `extensions.code`, failing the test when there is none.
    pub fn error(&self) -> (String, String) {
        let error = &self.body["errors"][0];
        assert!(!error.is_null(), "expected an error, got {}", self.body);
        (
            error["message"].as_str().unwrap_or_default().to_owned(),
            error["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

impl Graphql {
    /// A caller of `url` trusting the CA `ca_pem`, presenting `token`.
    pub fn new(url: &str, ca_pem: &str, token: &str) -> Self {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots
                .add(cert.expect("the CA PEM parses"))
                .expect("the CA certificate is usable");
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        Self {
            url: url.to_owned(),
            token: token.to_owned(),
            tenant: None,
            http: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// The same caller acting in the tenant with this external id.
    pub fn tenant(&self, external_id: &str) -> Self {
        Self {
            tenant: Some(external_id.to_owned()),
            ..self.clone()
        }
    }

    /// The same caller with another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    /// The URL operations are sent to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `query` with `variables`.
    pub async fn send(&self, query: &str, variables: Value) -> Response {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.post(body.into_bytes()).await
    }

    /// Sends a raw body.
    pub async fn post(&self, body: Vec<u8>) -> Response {
        let mut request = http::Request::post(&self.url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(tenant) = &self.tenant {
            request = request.header("Tenant", tenant);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request");
        let response = self
            .http
            .request(request)
            .await
            .expect("the Director answers");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body reads")
            .to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Response { status, body }
    }

    /// Sends `query` and returns `data`, failing the test on errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.send(query, variables).await.data().clone()
    }
}
