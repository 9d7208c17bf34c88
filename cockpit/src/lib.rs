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

#[cfg(test)]
mod tests {
    use axum::{
        body::Body,
        http::{Request, StatusCode, header},
    };
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str) -> Response {
        let request = Request::get(path).body(Body::empty()).unwrap();
        router::<()>().oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn the_root_leads_to_the_cockpit() {
        for path in ["/", "/cockpit"] {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::FOUND, "{path}");
            assert_eq!(response.headers()[header::LOCATION], PATH);
        }
    }

    #[tokio::test]
    async fn the_page_and_its_views_are_served_under_a_strict_policy() {
        for path in [
            "/cockpit/",
            "/cockpit/applications",
            "/cockpit/runtimes/some-id",
        ] {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers();
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(policy.starts_with("default-src 'self'") && !policy.contains("unsafe"));
        }
    }

    #[tokio::test]
    async fn files_have_their_type_and_a_missing_file_is_not_found() {
        let script = get("/cockpit/js/main.js").await;
        assert_eq!(script.status(), StatusCode::OK);
        assert_eq!(
            script.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let vendor = get("/cockpit/vendor/preact-11.2.0.mjs").await;
        let cache = vendor.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("immutable"), "{cache}");
        assert_eq!(
            get("/cockpit/js/missing.js").await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for asset in embedded::all().filter(|a| !a.path.starts_with("vendor/")) {
            let text = String::from_utf8_lossy(asset.bytes);
            for needle in [
                "src=\"http",
                "href=\"http",
                "from 'http",
                "import('http",
                "<script>",
            ] {
                assert!(!text.contains(needle), "{} has {needle}", asset.path);
            }
        }
    }
}
