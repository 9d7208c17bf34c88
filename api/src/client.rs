//! A client of the Director: GraphQL operations over HTTPS with a bearer token and the `Tenant`
//! header, trusting a given CA. Used by the Runtime Agent, the tests and the benchmarks.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::{Value, json};

/// One caller of the Director. Cheap to clone; connections are pooled.
#[derive(Clone)]
pub struct DirectorClient {
    url: String,
    token: String,
    tenant: Option<String>,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// What the Director answered: the HTTP status and the JSON body.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body (`data` and `errors`), or the text as a JSON string when it was not JSON.
    pub body: Value,
}

impl DirectorClient {
    /// A caller of the Director at `url` that trusts the CA certificates in `ca_pem` and presents
    /// `token`.
    pub fn new(url: &str, ca_pem: &str, token: &str) -> Result<Self, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("the CA certificate does not parse: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA certificate is not usable: {e}"))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        Ok(Self {
            url: url.to_owned(),
            token: token.to_owned(),
            tenant: None,
            http: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The same caller acting in the tenant with this external id.
    pub fn tenant(&self, external_id: &str) -> Self {
        Self {
            tenant: Some(external_id.to_owned()),
            ..self.clone()
        }
    }

    /// The same caller presenting another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    /// The Director's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends an operation with its variables.
    pub async fn execute(&self, query: &str, variables: Value) -> Result<Answer, String> {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.post(body.into_bytes()).await
    }

    /// Sends `method` to `path` on the Director's host (the token endpoint, the JWKS) with
    /// `headers` and `body`, with neither the bearer token nor the `Tenant` header; returns the
    /// response with its body.
    pub async fn request(
        &self,
        method: http::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<http::Response<Bytes>, String> {
        let base: http::Uri = self.url.parse().map_err(|e| format!("{e}"))?;
        let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
        let url = format!("https://{authority}{path}");
        let mut request = http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("{url} did not answer: {e}"))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| format!("reading the answer of {url} failed: {e}"))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, bytes))
    }

    /// Sends a raw request body.
    pub async fn post(&self, body: Vec<u8>) -> Result<Answer, String> {
        let mut request = http::Request::post(&self.url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(tenant) = &self.tenant {
            request = request.header("Tenant", tenant);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("the Director at {} did not answer: {e}", self.url))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the Director's answer failed: {e}"))?
            .to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Answer { status, body })
    }
}
