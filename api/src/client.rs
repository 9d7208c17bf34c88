//! A client of the management plane's GraphQL APIs, the Director and the Connector: operations
//! over HTTPS, authenticated by a bearer token or by a client certificate (mutual TLS), with the
//! `Tenant` header and any other headers (`Connector-Token`). It trusts a given CA, or the public
//! web PKI's roots. Used by `compass connect`, the Runtime Agent, the tests and the benchmarks;
//! [`pairing`] runs the Connector's flow on top of it.

pub mod pairing;
mod tls;

use tls::identity;
pub(crate) use tls::trusting;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::{Value, json};

/// One caller of the Director or the Connector. Cheap to clone; connections are pooled, and
/// every clone shares the pool (and so its TLS identity).
#[derive(Clone)]
pub struct DirectorClient {
    url: String,
    token: Option<String>,
    tenant: Option<String>,
    headers: Vec<(String, String)>,
    timeout: Duration,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Longest a request may take, its answer read, unless the client is told otherwise: beyond the
/// longest poll the Gateway holds (60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

/// What the server answered: the HTTP status and the JSON body.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body (`data` and `errors`), or the text as a JSON string when it was not JSON.
    pub body: Value,
}

/// How a [`DirectorClient`] is made: where it sends, whom it trusts, what it presents.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    url: String,
    ca_pem: Option<String>,
    token: Option<String>,
    certificate: Option<(String, String)>,
    reuse_connections: bool,
    resume_sessions: bool,
}

impl ClientBuilder {
    /// Trust the CA certificates in `ca_pem` (PEM, one or more) for the server's certificate,
    /// instead of the public web PKI's roots.
    pub fn trust_pem(mut self, ca_pem: &str) -> Self {
        self.ca_pem = Some(ca_pem.to_owned());
        self
    }

    /// Trust `ca_pem` when given, else the public web PKI's roots.
    pub fn trust(mut self, ca_pem: Option<&str>) -> Self {
        self.ca_pem = ca_pem.map(str::to_owned);
        self
    }

    /// Present `token` as `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Present a client certificate in the TLS handshake: `chain_pem` holds the certificate
    /// (then its issuers), `key_pem` its private key (PKCS#8, PKCS#1 or SEC1; RSA or ECDSA).
    pub fn certificate(mut self, chain_pem: &str, key_pem: &str) -> Self {
        self.certificate = Some((chain_pem.to_owned(), key_pem.to_owned()));
        self
    }

    /// Whether a connection is kept open for the next request (the default), or each request
    /// opens a connection of its own (a new TCP connection and TLS handshake, resumed when the
    /// server allows).
    pub fn reuse_connections(mut self, reuse: bool) -> Self {
        self.reuse_connections = reuse;
        self
    }

    /// Whether a new connection resumes an earlier TLS session (the default: a shorter
    /// handshake, with no certificate sent again), or always makes a full handshake.
    pub fn resume_sessions(mut self, resume: bool) -> Self {
        self.resume_sessions = resume;
        self
    }

    /// The client; fails when a certificate or key does not parse or do not belong together.
    pub fn build(self) -> Result<DirectorClient, String> {
        let trusting = trusting(self.ca_pem.as_deref(), "CA")?;
        let mut tls = match &self.certificate {
            Some((chain_pem, key_pem)) => {
                let (chain, key) = identity(chain_pem, key_pem)?;
                trusting
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("the client certificate and key are not usable: {e}"))?
            }
            None => trusting.with_no_client_auth(),
        };
        if !self.resume_sessions {
            tls.resumption = rustls::client::Resumption::disabled();
        }
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        let mut http = Client::builder(TokioExecutor::new());
        if !self.reuse_connections {
            http.pool_max_idle_per_host(0);
        }
        Ok(DirectorClient {
            url: self.url,
            token: self.token,
            tenant: None,
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            http: http.build(connector),
        })
    }
}

impl DirectorClient {
    /// A client of `url` that trusts the public web PKI's roots and presents nothing; change
    /// that with the builder's methods.
    pub fn builder(url: &str) -> ClientBuilder {
        ClientBuilder {
            url: url.to_owned(),
            ca_pem: None,
            token: None,
            certificate: None,
            reuse_connections: true,
            resume_sessions: true,
        }
    }

    /// A caller of the Director at `url` that trusts the CA certificates in `ca_pem` and presents
    /// `token`.
    pub fn new(url: &str, ca_pem: &str, token: &str) -> Result<Self, String> {
        Self::builder(url).trust_pem(ca_pem).bearer(token).build()
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
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// The same caller with requests bounded by `timeout` instead of [`DEFAULT_TIMEOUT`].
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// The same caller without a bearer token (its client certificate, if any, remains).
    pub fn without_token(&self) -> Self {
        Self {
            token: None,
            ..self.clone()
        }
    }

    /// The same caller sending `name: value` with every request too (after any header of that
    /// name set before).
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut headers = self.headers.clone();
        headers.push((name.to_owned(), value.to_owned()));
        Self {
            headers,
            ..self.clone()
        }
    }

    /// The same caller (same TLS identity and connections) sending to another URL, say the
    /// Connector beside the Director.
    pub fn at(&self, url: &str) -> Self {
        Self {
            url: url.to_owned(),
            ..self.clone()
        }
    }

    /// The URL operations are sent to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends an operation with its variables.
    pub async fn execute(&self, query: &str, variables: Value) -> Result<Answer, String> {
        self.post(operation(query, variables)).await
    }

    /// Sends an operation with its variables and reads its answer as `T`, as a typed client
    /// does: what `T` does not name is parsed and skipped, never built. With the HTTP status;
    /// an answer that is not a `T` is an error quoting it.
    pub async fn execute_as<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<(u16, T), String> {
        let request = json_post(&self.url);
        let sent = self.send_raw(request, operation(query, variables));
        let (status, bytes) = self.bounded(&self.url, sent).await?;
        let typed = serde_json::from_slice(&bytes).map_err(|e| {
            let text = String::from_utf8_lossy(&bytes);
            let quoted: String = text.chars().take(500).collect();
            format!(
                "the answer ({status}) of {} is not as expected: {e}: {quoted}",
                self.url
            )
        })?;
        Ok((status, typed))
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
        let sent = self.request_unbounded(method, path, headers, body);
        self.bounded(path, sent).await
    }

    /// What `sent` gives, or an error naming `what` when no answer came within the client's
    /// timeout.
    async fn bounded<T>(
        &self,
        what: &str,
        sent: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        let limit = self.timeout;
        let late = || format!("{what} gave no answer within {} s", limit.as_secs());
        tokio::time::timeout(limit, sent)
            .await
            .unwrap_or_else(|_| Err(late()))
    }

    async fn request_unbounded(
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

    /// Sends a raw request body. An error means no HTTP answer came (unreachable, TLS refused,
    /// nothing within the client's timeout); it names the URL and the cause.
    pub async fn post(&self, body: Vec<u8>) -> Result<Answer, String> {
        let request = json_post(&self.url);
        self.bounded(&self.url, self.send_unbounded(request, body))
            .await
    }

    /// Sends a query by `GET`, its parameters (`query`, `operationName`, `variables`,
    /// `extensions`) already encoded as `query_string`, as clients caching by URL do. Errors as
    /// [`post`](Self::post)'s.
    pub async fn get(&self, query_string: &str) -> Result<Answer, String> {
        let url = format!("{}?{query_string}", self.url);
        let request = http::Request::get(&url).header("accept", "application/json");
        self.bounded(&self.url, self.send_unbounded(request, Vec::new()))
            .await
    }

    async fn send_unbounded(
        &self,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        let (status, bytes) = self.send_raw(request, body).await?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Answer { status, body })
    }

    /// `request` with `body`, the client's token, tenant and headers: the status and the whole
    /// body of the answer.
    async fn send_raw(
        &self,
        mut request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), String> {
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(tenant) = &self.tenant {
            request = request.header("Tenant", tenant);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("the request to {} cannot be made: {e}", self.url))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("{} did not answer: {}", self.url, with_causes(&e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| {
                format!(
                    "reading the answer of {} failed: {}",
                    self.url,
                    with_causes(&e)
                )
            })?
            .to_bytes();
        Ok((status, bytes))
    }
}

/// The body of a GraphQL request: `query` with its `variables`.
fn operation(query: &str, variables: Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}

/// A `POST` of JSON to `url`.
fn json_post(url: &str) -> http::request::Builder {
    http::Request::post(url).header("content-type", "application/json")
}

/// An error and its causes, `outer: inner: innermost`: hyper's own message ("client error
/// (Connect)") says little without them.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let line = inner.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests;
