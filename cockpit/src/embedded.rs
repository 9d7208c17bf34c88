//! Files compiled into the binary and how they are answered: content type by extension, an
//! ETag of the content with `If-None-Match` answered by 304, a cache policy and the page's
//! security headers.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// Its path below `assets/`, with `/` separators.
    pub path: &'static str,
    /// Its content.
    pub bytes: &'static [u8],
    /// A quoted ETag of its content.
    pub etag: &'static str,
}

/// What the Cockpit's pages may load and run: only this server's own files and API. No inline
/// script or style is allowed; the pages need none.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The embedded file at `path` (below `assets/`), if there is one.
pub fn find(path: &str) -> Option<Asset> {
    FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|&(path, bytes, etag)| Asset { path, bytes, etag })
}

/// Every embedded file.
pub fn all() -> impl Iterator<Item = Asset> {
    FILES
        .iter()
        .map(|&(path, bytes, etag)| Asset { path, bytes, etag })
}

/// The answer with `asset` to a request with `headers`: 304 when the caller holds this version.
/// Versioned vendor files (their names carry the version) are cached for good; the rest is
/// revalidated on every load, which the ETag makes cheap.
pub fn respond(asset: Asset, headers: &HeaderMap) -> Response {
    let cache = if asset.path.starts_with("vendor/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type(asset.path))],
            asset.bytes,
        )
            .into_response()
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The content type of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_distinct_etag_and_a_known_type() {
        let files: Vec<Asset> = all().collect();
        assert!(files.iter().any(|file| file.path == "index.html"));
        for file in &files {
            assert!(file.etag.starts_with('"') && file.etag.ends_with('"'));
            let typed = file.path.contains("LICENSE")
                || content_type(file.path) != "text/plain; charset=utf-8";
            assert!(typed, "{} has no content type", file.path);
        }
    }

    #[test]
    fn a_matching_etag_is_answered_not_modified() {
        let index = find("index.html").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(index.etag));
        assert_eq!(respond(index, &headers).status(), StatusCode::NOT_MODIFIED);
        let fresh = respond(index, &HeaderMap::new());
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(fresh.headers()[header::CACHE_CONTROL], "no-cache");
    }
}
