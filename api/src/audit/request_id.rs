//! The request id: the caller's `x-request-id` if it is a sane token, else a fresh one; put in
//! the request's extensions for the handlers and audit lines, and echoed in the response.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

/// The header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a caller.
const MAX_LENGTH: usize = 128;

/// The id of one request, as audit lines and the `x-request-id` response header carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The caller's id if it is 1 to 128 characters of letters, digits and `-_.:/+=` (what
    /// UUIDs, trace ids and base64 ids are made of), else a fresh random UUID.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        let sane = value
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_sane(v))
            .map(str::to_owned);
        Self(sane.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_LENGTH).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
}

/// Middleware giving every request a [`RequestId`] (in its extensions) and every response the
/// `x-request-id` header.
pub async fn tag(mut request: Request, next: Next) -> Response {
    let id = RequestId::from_header(request.headers().get(&REQUEST_ID_HEADER));
    let header = HeaderValue::from_str(id.as_str());
    request.extensions_mut().insert(id);
    let mut response = next.run(request).await;
    // A sane or generated id is always a valid header value.
    if let Ok(header) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_id_is_kept_and_anything_else_replaced() {
        let kept = RequestId::from_header(Some(&HeaderValue::from_static("abc-123.x:y/z+=")));
        assert_eq!(kept.as_str(), "abc-123.x:y/z+=");
        let long = "a".repeat(129);
        for bad in ["", "with space", "quote\"", long.as_str()] {
            let id = RequestId::from_header(HeaderValue::from_str(bad).ok().as_ref());
            assert_ne!(id.as_str(), bad);
            assert!(
                uuid::Uuid::parse_str(id.as_str()).is_ok(),
                "{bad:?} gives a UUID"
            );
        }
        assert_ne!(RequestId::from_header(None), RequestId::from_header(None));
    }
}
