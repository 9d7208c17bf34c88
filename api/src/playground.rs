//! The Director's GraphQL playground: GraphiQL, served from files compiled into the binary
//! (`api/assets/playground/`, versions and licences in its `VENDORED.md`), so it works where
//! there is no internet. The page is public; it holds no token, only the endpoint and, where the
//! installation has one, the external id of its default tenant for the `Tenant` header.

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Where the playground's files are served, below the Director's path.
pub const ASSETS_PATH: &str = "/director/playground/{file}";

/// The page, with `{{endpoint}}` and `{{tenant}}` to fill in.
const PAGE: &str = include_str!("../assets/playground/index.html");

/// Every file the page loads: name, content type, bytes.
const FILES: [(&str, &str, &[u8]); 6] = [
    (
        "graphiql-3.2.3.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/playground/vendor/graphiql-3.2.3.min.js"),
    ),
    (
        "graphiql-3.2.3.min.css",
        CSS,
        include_bytes!("../assets/playground/vendor/graphiql-3.2.3.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/playground/vendor/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/playground/vendor/react-dom-18.3.1.production.min.js"),
    ),
    (
        "playground.js",
        JAVASCRIPT,
        include_bytes!("../assets/playground/playground.js"),
    ),
    (
        "playground.css",
        CSS,
        include_bytes!("../assets/playground/playground.css"),
    ),
];

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// What the page may load: only this server's own files and API. GraphiQL styles its editors
/// inline and its fonts are data URIs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The playground page for the Director at `endpoint`, with `tenant` in its headers editor.
pub fn page(endpoint: &str, tenant: Option<&str>) -> Response {
    let html = PAGE
        .replace("{{endpoint}}", &escape(endpoint))
        .replace("{{tenant}}", &escape(tenant.unwrap_or_default()));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// One of the page's files.
pub async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(name, _, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Vendored names carry their version, so they never change; ours may with a new release.
    let cache = if file.starts_with("playground.") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        *bytes,
    )
        .into_response()
}

/// Text safe inside an HTML attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_files_it_serves() {
        let sources: Vec<&str> = PAGE
            .split(['"', '\''])
            .filter(|part| part.starts_with("playground/"))
            .collect();
        assert_eq!(sources.len(), FILES.len(), "{sources:?}");
        for source in sources {
            let name = source.trim_start_matches("playground/");
            assert!(FILES.iter().any(|(file, _, _)| *file == name), "{name}");
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
    }

    #[test]
    fn values_are_escaped_into_the_page() {
        assert_eq!(escape("\"><script>"), "&quot;&gt;&lt;script&gt;");
    }
}
