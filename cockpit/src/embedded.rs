//! Files compiled into the binary and how they are answered, for the Cockpit and the Director's
//! playground alike: content type by extension, an ETag of the content with `If-None-Match`
//! answered by 304, a cache policy, and the page's security headers.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// Its name (for the Cockpit, its path below `assets/`, with `/` separators).
    pub path: &'static str,
    /// Its content.
    pub bytes: &'static [u8],
    /// A digest of its content ([`digest`]), the ETag.
    pub digest: u64,
}

/// How a set of files is served.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The `Content-Security-Policy` of what the files make up.
    pub content_security_policy: HeaderValue,
    /// Whether the file never changes under its name (a vendored file whose name carries its
    /// version): cached for good; otherwise revalidated on every load, which the ETag makes
    /// cheap.
    pub immutable: bool,
}

/// What the Cockpit's pages may load and run: only this server's own files and API. No inline
/// script or style is allowed; the pages need none. An OIDC provider's token endpoint is added
/// to `connect-src` where one is configured.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The Cockpit's file at `path` (below `assets/`), if there is one.
pub fn find(path: &str) -> Option<Asset> {
    all().find(|asset| asset.path == path)
}

/// Every file of the Cockpit.
pub fn all() -> impl Iterator<Item = Asset> {
    FILES.iter().map(|&(path, bytes, digest)| Asset {
        path,
        bytes,
        digest,
    })
}

/// The answer with one of the Cockpit's files under the page's `content_security_policy`:
/// vendored files (under `vendor/`, their names carry the version) are immutable.
pub fn respond(
    asset: Asset,
    headers: &HeaderMap,
    content_security_policy: &HeaderValue,
) -> Response {
    let policy = Policy {
        content_security_policy: content_security_policy.clone(),
        immutable: asset.path.starts_with("vendor/"),
    };
    respond_with(asset, headers, policy)
}

/// The answer with `asset` to a request with `headers`, under `policy`: 304 when the caller holds
/// this version.
pub fn respond_with(asset: Asset, headers: &HeaderMap, policy: Policy) -> Response {
    let etag = format!("\"{:016x}\"", asset.digest);
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == etag || tag.strip_prefix("W/") == Some(&etag) || tag == "*"
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type(asset.path))],
            asset.bytes,
        )
            .into_response()
    };
    let cache = if policy.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let out = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, etag);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        policy.content_security_policy,
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

/// FNV-1a over `bytes` (the build script computes the same for the Cockpit's files).
pub fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
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
    fn every_file_has_its_digest_and_a_known_type() {
        let files: Vec<Asset> = all().collect();
        assert!(files.iter().any(|file| file.path == "index.html"));
        for file in &files {
            assert_eq!(file.digest, digest(file.bytes), "{}", file.path);
            let typed = file.path.contains("LICENSE")
                || content_type(file.path) != "text/plain; charset=utf-8";
            assert!(typed, "{} has no content type", file.path);
        }
    }

    #[test]
    fn a_matching_etag_is_answered_not_modified() {
        let index = find("index.html").unwrap();
        let policy = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
        let fresh = respond(index, &HeaderMap::new(), &policy);
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(fresh.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = fresh.headers()[header::ETAG].clone();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, etag);
        let again = respond(index, &headers, &policy);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}
