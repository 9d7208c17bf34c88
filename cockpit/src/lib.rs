//! Cockpit, the administrator's web UI: a single page over the public GraphQL APIs (Director,
//! Provisioner, Connector tokens through the Director), compiled into the binary from
//! `cockpit/assets/` (third-party files and their licences in `assets/VENDORED.md`) and served
//! by the API listener at `/cockpit/`. The page holds no secret: the caller signs in with
//! their own token in the browser.

#![deny(missing_docs)]

pub mod embedded;

use std::sync::Arc;

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

/// Where the Cockpit is served.
pub const PATH: &str = "/cockpit/";

/// What the page is told about this installation (`/cockpit/config.json`).
#[derive(Clone, Debug, Default)]
pub struct CockpitConfig {
    /// Sign-in through an OIDC provider (authorization code with PKCE), where one is configured.
    pub oidc: Option<OidcSignIn>,
}

/// An OIDC provider the page signs users in with: a public client using the authorization code
/// flow with PKCE. The provider's token endpoint must allow this origin (CORS).
#[derive(Clone, Debug)]
pub struct OidcSignIn {
    /// The provider's authorization endpoint.
    pub authorization_url: String,
    /// The provider's token endpoint.
    pub token_url: String,
    /// The client id registered at the provider (the audience the Gateway expects).
    pub client_id: String,
    /// The scopes asked for (`openid` at least).
    pub scope: String,
}

/// What every answer of the Cockpit shares: its configuration as JSON and its page's policy.
struct Shared {
    config: String,
    policy: HeaderValue,
}

/// The Cockpit's routes: `/cockpit/` and every path below it, with `/` and `/cockpit`
/// redirecting there. A path below it that names no file and has no extension is one of the
/// page's own views and gets the page; a missing file is 404.
pub fn router<S: Clone + Send + Sync + 'static>(config: CockpitConfig) -> Router<S> {
    let shared = Arc::new(Shared {
        config: config_json(&config),
        policy: policy(&config),
    });
    let (for_index, for_files, for_config) = (shared.clone(), shared.clone(), shared);
    Router::new()
        .route("/", get(to_cockpit))
        .route("/cockpit", get(to_cockpit))
        .route(
            "/cockpit/",
            get(move |headers: HeaderMap| async move { page(&headers, &for_index.policy) }),
        )
        .route(
            "/cockpit/config.json",
            get(move || async move {
                let headers = [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-cache"),
                ];
                (headers, for_config.config.clone()).into_response()
            }),
        )
        .route(
            "/cockpit/{*path}",
            get(
                move |Path(path): Path<String>, headers: HeaderMap| async move {
                    file(&path, &headers, &for_files.policy)
                },
            ),
        )
}

/// 302, as the issue asks: a browser follows it and does not remember it for good.
async fn to_cockpit() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, PATH)]).into_response()
}

fn file(path: &str, headers: &HeaderMap, policy: &HeaderValue) -> Response {
    if let Some(asset) = embedded::find(path) {
        return embedded::respond(asset, headers, policy);
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
    page(headers, policy)
}

fn page(headers: &HeaderMap, policy: &HeaderValue) -> Response {
    let index = embedded::find("index.html").expect("index.html is embedded");
    embedded::respond(index, headers, policy)
}

fn config_json(config: &CockpitConfig) -> String {
    let oidc = config.oidc.as_ref().map(|oidc| {
        json!({
            "authorizationUrl": oidc.authorization_url,
            "tokenUrl": oidc.token_url,
            "clientId": oidc.client_id,
            "scope": oidc.scope,
        })
    });
    json!({ "oidc": oidc }).to_string()
}

/// The page's policy: [`embedded::CONTENT_SECURITY_POLICY`], with the OIDC provider's token
/// endpoint allowed for `fetch` where one is configured.
fn policy(config: &CockpitConfig) -> HeaderValue {
    let mut text = embedded::CONTENT_SECURITY_POLICY.to_owned();
    if let Some(origin) = config.oidc.as_ref().and_then(|o| origin_of(&o.token_url)) {
        text.push_str(&format!("; connect-src 'self' {origin}"));
    }
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static(embedded::CONTENT_SECURITY_POLICY))
}

/// `https://host:port` of an http(s) URL, if it is one and holds nothing a policy cannot.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = url.len() - rest.len() + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = &url[..end];
    let clean = origin
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-:/[]".contains(c));
    clean.then_some(origin)
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
        router::<()>(CockpitConfig::default())
            .oneshot(request)
            .await
            .unwrap()
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
    fn an_oidc_token_endpoint_is_allowed_to_be_called_and_nothing_else() {
        let config = CockpitConfig {
            oidc: Some(OidcSignIn {
                authorization_url: "https://idp.example/authorize".to_owned(),
                token_url: "https://idp.example:8443/token?x=1".to_owned(),
                client_id: "cockpit".to_owned(),
                scope: "openid".to_owned(),
            }),
        };
        let policy = policy(&config);
        assert!(
            policy
                .to_str()
                .unwrap()
                .ends_with("; connect-src 'self' https://idp.example:8443"),
            "{policy:?}"
        );
        assert_eq!(origin_of("https://a.example;script-src *"), None);
        assert!(config_json(&config).contains("\"clientId\":\"cockpit\""));
        assert_eq!(config_json(&CockpitConfig::default()), "{\"oidc\":null}");
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
