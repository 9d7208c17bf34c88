//! Reading a paged list one page ahead, for the in-process client: while a caller decodes a page
//! of a list, the control plane already assembles the next on the other core.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    http::{Method, Request, Response, StatusCode, Uri},
};
use kube::client::Body as Asked;
use tokio::task::JoinHandle;
use tower::{Service, ServiceExt};

/// How many pages are held ahead at most (one per list being read at the same time).
const PAGES_AHEAD: usize = 8;

/// How long a page read ahead is kept for its caller; a list not read on by then was given up.
const KEPT_FOR: Duration = Duration::from_secs(30);

/// How far into a page its metadata (and so its continue token) is looked for.
const HEAD_MAX: usize = 64 * 1024;

/// A service that, when a page of a list comes back with a continue token, asks `inner` for the
/// next page at once, and answers that page's request with it when it comes.
///
/// A page read ahead is the answer the caller would have had, had it asked the moment the page
/// before was done: a caller cannot tell it from a fast one. Each page read ahead serves one
/// request, the one with the same path and query; the next page of a list the caller gave up is
/// dropped after [`KEPT_FOR`], or earlier once [`PAGES_AHEAD`] newer ones wait.
#[derive(Clone)]
pub struct ReadAhead<S> {
    inner: S,
    ahead: Arc<Mutex<Vec<Ahead>>>,
}

/// What a [`ReadAhead`] asks: the control plane's router (or, in the tests, a stand-in).
pub trait Inner:
    Service<Request<Asked>, Response = Response<Body>, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static
{
}

impl<S> Inner for S where
    S: Service<Request<Asked>, Response = Response<Body>, Error = Infallible, Future: Send>
        + Clone
        + Send
        + 'static
{
}

/// A page asked for ahead of its caller.
struct Ahead {
    request: PageRequest,
    asked: Instant,
    page: JoinHandle<Response<Body>>,
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.page.abort();
    }
}

impl<S> ReadAhead<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            ahead: Arc::default(),
        }
    }

    /// The page read ahead for `request`, if one is held.
    fn take(&self, request: &PageRequest) -> Option<Ahead> {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        let index = ahead.iter().position(|held| held.request == *request)?;
        Some(ahead.swap_remove(index))
    }

    /// Holds `page`, dropping what was given up or what no longer fits.
    fn hold(&self, page: Ahead) {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        ahead.retain(|held| held.asked.elapsed() < KEPT_FOR);
        if ahead.len() >= PAGES_AHEAD {
            ahead.remove(0);
        }
        ahead.push(page);
    }
}

impl<S: Inner> Service<Request<Asked>> for ReadAhead<S> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router is always ready; each call readies its own clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Asked>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let Some(page) = PageRequest::of(&request) else {
                return this.inner.clone().oneshot(request).await;
            };
            // What the next page's request is made of (the request's body cannot be shared).
            let asked = copy(&request);
            let response = match this.take(&page) {
                Some(mut ahead) => match (&mut ahead.page).await {
                    Ok(response) => response,
                    Err(_) => this.inner.clone().oneshot(request).await?,
                },
                None => this.inner.clone().oneshot(request).await?,
            };
            Ok(this.read_on(asked, response).await)
        })
    }
}

impl<S: Inner> ReadAhead<S> {
    /// Passes `response` (a page of the list `asked` asks for) on, and asks for the next page if
    /// it names one.
    async fn read_on(self, asked: Request<Asked>, response: Response<Body>) -> Response<Body> {
        if response.status() != StatusCode::OK {
            return response;
        }
        let (parts, body) = response.into_parts();
        // In the process the page is one piece of memory already: this takes it, not a copy.
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return Response::from_parts(parts, Body::empty());
        };
        if let Some(token) = continue_token(&bytes)
            && let Some(next) = next_page(&asked, &token)
            && let Some(key) = PageRequest::of(&next)
        {
            let inner = self.inner.clone();
            let page = tokio::spawn(async move {
                match inner.oneshot(next).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            });
            self.hold(Ahead {
                request: key,
                asked: Instant::now(),
                page,
            });
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}

/// What identifies a request for a page of a list: its path and its query's parameters, sorted,
/// and every header it carries (the credentials among them).
#[derive(PartialEq, Eq)]
struct PageRequest {
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, Vec<u8>)>,
}

impl PageRequest {
    /// The request's identity when it is a GET of a page of a list (`limit` set, not a watch).
    fn of<B>(request: &Request<B>) -> Option<Self> {
        if request.method() != Method::GET {
            return None;
        }
        let mut query: Vec<(String, String)> =
            url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let is_page = query.iter().any(|(key, _)| key == "limit")
            && !query
                .iter()
                .any(|(key, value)| key == "watch" && value != "false");
        if !is_page {
            return None;
        }
        query.sort();
        let mut headers: Vec<(String, Vec<u8>)> = (request.headers().iter())
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        headers.sort();
        Some(Self {
            path: request.uri().path().to_owned(),
            query,
            headers,
        })
    }
}

/// A bodiless copy of `request`: a page is asked for with a GET, which carries none.
fn copy(request: &Request<Asked>) -> Request<Asked> {
    let mut copy = Request::new(Asked::empty());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// The request for the page after the one `request` asked for: the same list, going on from
/// `token`. As with any client, a continued list names no resourceVersion of its own.
fn next_page(request: &Request<Asked>, token: &str) -> Option<Request<Asked>> {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let asked = url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes());
    for (key, value) in asked {
        if !matches!(
            &*key,
            "continue" | "resourceVersion" | "resourceVersionMatch"
        ) {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("continue", token);
    let uri = format!("{}?{}", request.uri().path(), query.finish());
    let mut next = copy(request);
    *next.uri_mut() = uri.parse::<Uri>().ok()?;
    Some(next)
}

/// The continue token of a list page, read from the metadata at its head: the control plane
/// writes `apiVersion`, `kind` and `metadata` before `items`. `None` if the page is the last, or
/// is written some other way (then nothing is read ahead).
fn continue_token(page: &[u8]) -> Option<String> {
    const ITEMS: &[u8] = b",\"items\":[";
    let head = &page[..page.len().min(HEAD_MAX)];
    let end = head.windows(ITEMS.len()).position(|w| w == ITEMS)?;
    let mut json = head[..end].to_vec();
    json.push(b'}');
    let head: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let token = head.get("metadata")?.get("continue")?.as_str()?;
    (!token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests;
