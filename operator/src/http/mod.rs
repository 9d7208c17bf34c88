//! Outbound HTTP: how the operator calls applications' URLs to download specs and documents and to
//! deliver webhooks. Every call has a timeout and a bound on the response size; https URLs are
//! verified against the public web PKI. Requests carry an application's credentials through
//! [`HttpClient::authorize`] (`auth.rs`), which reads the Secrets they name and keeps OAuth tokens
//! until they expire (`oauth.rs`).

pub mod auth;
pub mod oauth;
pub mod secrets;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

/// A response that arrived in time and within the size bound.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Why a call produced no response.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not a valid http or https URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The response body exceeded the bound.
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection or the exchange failed.
    #[error("{0}")]
    Transport(String),
}

/// The operator's HTTP client. Cheap to clone; connections are pooled.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// OAuth tokens obtained for credentials, shared by every clone.
    pub tokens: Arc<oauth::TokenCache>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client for http and https URLs.
    pub fn new() -> Self {
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .expect("the ring provider supports the default protocol versions")
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            tokens: Arc::default(),
        }
    }

    /// Sends a request and reads the response, within `timeout` and `max_bytes`.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
        max_bytes: usize,
    ) -> Result<Response, HttpError> {
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| HttpError::Transport(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, max_bytes).collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    HttpError::TooLarge(max_bytes)
                } else {
                    HttpError::Transport(e.to_string())
                }
            })?;
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.to_bytes(),
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(timeout))?
    }
}

/// A status code with its reason phrase, for messages: `404 Not Found`.
pub fn status_text(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// An error and its causes in one line: "connection refused" is usually in a cause.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
