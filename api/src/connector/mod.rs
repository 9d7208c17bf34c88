//! The Connector: how an application or runtime gets an identity of its own. A one-time token
//! (issued through the Director, redeemed exactly once) or a certificate issued earlier opens the
//! Connector's GraphQL API, which hands out the subject a CSR must carry and signs it with the
//! Connector's own certificate authority.

pub mod authority;
pub mod signing;
pub mod tokens;

/// Path of the Connector's GraphQL API.
pub const CONNECTOR_PATH: &str = "/connector/graphql";

/// Where callers reach this API (`https://host:port`), for the URLs handed out with tokens: the
/// configured public URL, or else the host the caller itself reached.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub String);

impl PublicUrl {
    /// From the configured URL, or the request's `Host` header.
    pub fn of(configured: Option<&str>, headers: &axum::http::HeaderMap) -> Self {
        let url = match configured {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = headers
                    .get(axum::http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                format!("https://{host}")
            }
        };
        Self(url)
    }

    /// The Connector's URL.
    pub fn connector(&self) -> String {
        format!("{}{CONNECTOR_PATH}", self.0)
    }
}
