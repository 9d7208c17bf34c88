//! Outbound HTTP: how the operator calls applications' URLs to download specs and documents and to
//! deliver webhooks. Every call has a timeout and a bound on the response size; https URLs are
//! verified against the public web PKI; only addresses the [`guard::OutboundPolicy`] permits are
//! connected to, on every hop of a redirect too. Requests carry an application's credentials through
//! [`HttpClient::authorize`] (`auth.rs`), which reads the Secrets they name and keeps OAuth tokens
//! until they expire (`oauth.rs`).

pub mod auth;
pub mod guard;
pub mod oauth;
pub mod secrets;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

use guard::{GuardedConnector, OutboundPolicy, Refused};

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
    /// The destination is not one outbound calls may reach.
    #[error("{0}")]
    Refused(String),
    /// A redirect could not be followed.
    #[error("{0}")]
    Redirect(String),
    /// The connection or the exchange failed.
    #[error("{0}")]
    Transport(String),
}

/// The operator's HTTP client. Cheap to clone; connections are pooled.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpsConnector<GuardedConnector>, Full<Bytes>>,
    /// OAuth tokens obtained for credentials, shared by every clone.
    pub tokens: Arc<oauth::TokenCache>,
}

impl HttpClient {
    /// A client for http and https URLs that connects only where `policy` permits.
    pub fn new(policy: OutboundPolicy) -> Self {
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .expect("the ring provider supports the default protocol versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(GuardedConnector::new(policy));
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
                .map_err(|e| match refusal(&e) {
                    Some(refused) => HttpError::Refused(refused.to_string()),
                    None => HttpError::Transport(error_chain(&e)),
                })?;
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

/// Most redirects one GET follows, as browsers and curl bound them.
const MAX_REDIRECTS: usize = 5;

impl HttpClient {
    /// Sends a GET and follows its redirects (at most [`MAX_REDIRECTS`]), all within `timeout`.
    /// Each hop connects through the outbound guard again; credentials in headers are dropped when
    /// a redirect leaves the origin they were meant for.
    pub async fn get(
        &self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
        max_bytes: usize,
    ) -> Result<Response, HttpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let (parts, body) = request.into_parts();
        let mut uri = parts.uri;
        let mut headers = parts.headers;
        for _ in 0..=MAX_REDIRECTS {
            let mut hop = Request::new(body.clone());
            *hop.uri_mut() = uri.clone();
            *hop.headers_mut() = headers.clone();
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let response = self.send(hop, left, max_bytes).await.map_err(|e| match e {
                HttpError::Timeout(_) => HttpError::Timeout(timeout),
                other => other,
            })?;
            let Some(next) = redirect_target(&uri, &response)? else {
                return Ok(response);
            };
            if !same_origin(&uri, &next) {
                for name in [
                    http::header::AUTHORIZATION,
                    http::header::COOKIE,
                    http::header::PROXY_AUTHORIZATION,
                ] {
                    headers.remove(name);
                }
                headers.remove(auth::CSRF_HEADER);
            }
            uri = next;
        }
        Err(HttpError::Redirect(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}

/// Where a redirect response points, resolved against the URL that answered; `None` when the
/// response is not a redirect.
fn redirect_target(
    current: &http::Uri,
    response: &Response,
) -> Result<Option<http::Uri>, HttpError> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let invalid =
        |reason: &str| HttpError::Redirect(format!("the redirect from {current} {reason}"));
    let location = response
        .headers
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid("has no Location"))?;
    let base = url::Url::parse(&current.to_string()).map_err(|_| invalid("cannot be resolved"))?;
    let next = base
        .join(location)
        .map_err(|_| invalid("points to an invalid URL"))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(invalid("leaves http and https"));
    }
    next.as_str()
        .parse()
        .map(Some)
        .map_err(|_| invalid("points to an invalid URL"))
}

fn same_origin(a: &http::Uri, b: &http::Uri) -> bool {
    a.scheme() == b.scheme() && a.authority() == b.authority()
}

/// The refusal of the outbound guard among an error's causes.
fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<Refused>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
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
