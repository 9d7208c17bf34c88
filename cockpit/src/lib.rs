//! Cockpit, the administrator's web UI: a single page over the public GraphQL APIs (Director,
//! Provisioner, Connector tokens through the Director), compiled into the binary from
//! `cockpit/assets/` (third-party files and their licences in `assets/VENDORED.md`) and served
//! by the API listener at `/cockpit/`. The page holds no secret: the caller signs in with
//! their own token in the browser.

#![deny(missing_docs)]

pub mod embedded;

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// Where the Cockpit is served.
pub const PATH: &str = "/cockpit/";

/// The Cockpit's routes: `/cockpit/` and every path below it, with `/` and `/cockpit`
/// redirecting there. A path below it that names no file and has no extension is one of the
/// page's own views and gets the page; a missing file is 404.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(to_cockpit))
        .route("/cockpit", get(to_cockpit))
        .route("/cockpit/", get(index))
        .route("/cockpit/{*path}", get(file))
}

/// 302, as the issue asks: a browser follows it and does not remember it for good.
async fn to_cockpit() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, PATH)]).into_response()
}

async fn index(headers: HeaderMap) -> Response {
    page(&headers)
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if let Some(asset) = embedded::find(&path) {
        return embedded::respond(asset, &headers);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file",
        )
            .into_response();
    }
    page(&headers)
}

fn page(headers: &HeaderMap) -> Response {
    let index = embedded::find("index.html").expect("index.html is embedded");
    embedded::respond(index, headers)
}
