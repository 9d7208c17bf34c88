//! The Director's GraphQL playground: GraphiQL, served from files compiled into the binary
//! (`api/assets/playground/`, versions and licences in its `VENDORED.md`), so it works where
//! there is no internet. The page is public; it holds no token, only the endpoint and, where the
//! installation has one, the external id of its default tenant for the `Tenant` header.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use compass_cockpit::embedded::{self, Asset, Policy};

/// Where the playground's files are served, below the Director's path.
pub const ASSETS_PATH: &str = "/director/playground/{file}";

/// The page, with `{{endpoint}}` and `{{tenant}}` to fill in.
const PAGE: &str = include_str!("../assets/playground/index.html");

/// Every file the page loads: name and bytes.
const FILES: [(&str, &[u8]); 6] = [
    (
        "graphiql-3.2.3.min.js",
        include_bytes!("../assets/playground/vendor/graphiql-3.2.3.min.js"),
    ),
    (
        "graphiql-3.2.3.min.css",
        include_bytes!("../assets/playground/vendor/graphiql-3.2.3.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        include_bytes!("../assets/playground/vendor/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        include_bytes!("../assets/playground/vendor/react-dom-18.3.1.production.min.js"),
    ),
    (
        "playground.js",
        include_bytes!("../assets/playground/playground.js"),
    ),
    (
        "playground.css",
        include_bytes!("../assets/playground/playground.css"),
    ),
];

/// The digests of [`FILES`], in order, computed once on first use.
static DIGESTS: LazyLock<Vec<u64>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, bytes)| embedded::digest(bytes))
        .collect()
});

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

/// One of the page's files, served as the Cockpit's are (ETag, 304, content type by name).
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = FILES.iter().position(|(name, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (path, bytes) = FILES[index];
    let asset = Asset {
        path,
        bytes,
        digest: DIGESTS[index],
    };
    // Vendored names carry their version, so they never change; ours may with a new release.
    let policy = Policy {
        content_security_policy: HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        immutable: !file.starts_with("playground."),
    };
    embedded::respond_with(asset, &headers, policy)
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
            assert!(FILES.iter().any(|(file, _)| *file == name), "{name}");
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
    }

    #[tokio::test]
    async fn files_are_served_with_their_type_cache_policy_and_etag() {
        let own = asset(Path("playground.js".to_owned()), HeaderMap::new()).await;
        assert_eq!(own.status(), StatusCode::OK);
        assert_eq!(own.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(
            own.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let mut held = HeaderMap::new();
        held.insert(header::IF_NONE_MATCH, own.headers()[header::ETAG].clone());
        let again = asset(Path("playground.js".to_owned()), held).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let vendored = asset(Path("graphiql-3.2.3.min.css".to_owned()), HeaderMap::new()).await;
        let cache = vendored.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("immutable"), "{cache}");
        assert_eq!(
            vendored.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        let missing = asset(Path("other.js".to_owned()), HeaderMap::new()).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn values_are_escaped_into_the_page() {
        assert_eq!(escape("\"><script>"), "&quot;&gt;&lt;script&gt;");
    }
}
