//! The Connector: how an application or runtime gets an identity of its own. A one-time token
//! (issued through the Director, redeemed exactly once) or a certificate issued earlier opens the
//! Connector's GraphQL API, which hands out the subject a CSR must carry and signs it with the
//! Connector's own certificate authority.

pub mod authority;
pub mod certificates;
pub mod schema;
pub mod signing;
pub mod tokens;

use axum::http::{HeaderMap, Uri};
use kube::Client;

use crate::{gateway::Refusal, state::Caches};

/// Path of the Connector's GraphQL API.
pub const CONNECTOR_PATH: &str = "/connector/graphql";

/// How the Connector issues certificates.
#[derive(Clone, Debug, Default)]
pub struct ConnectorConfig {
    /// The subject fields besides the common name.
    pub subject: signing::SubjectTemplate,
    /// How long certificates are valid, by kind of holder.
    pub validity: certificates::CertificateValidity,
    /// The Secret of the CA in the system namespace (`compass-connector-ca` by default).
    pub ca_secret: Option<String>,
}

/// The Connector's state: its CA, its rules and the client it writes identities with.
pub struct Connector {
    /// The certificate authority.
    pub authority: authority::Authority,
    /// The subject fields besides the common name.
    pub subject: signing::SubjectTemplate,
    /// How long certificates are valid.
    pub validity: certificates::CertificateValidity,
    /// How long one-time tokens are valid.
    pub token_lifetimes: tokens::TokenLifetimes,
    /// The client identities are written with.
    pub client: Client,
    /// Where tokens and certificates are counted.
    pub metrics: std::sync::Arc<crate::metrics::ApiMetrics>,
}

/// What a Connector request presents: its one-time token (the `Connector-Token` header, or the
/// `token` query parameter as the original's legacy URL carries it), else its client certificate.
pub fn credential_of(
    caches: &Caches,
    headers: &HeaderMap,
    uri: &Uri,
    certificate: Option<&[u8]>,
) -> schema::Credential {
    let header = headers
        .get("connector-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let query = || {
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .find(|(key, value)| key == "token" && !value.is_empty())
            .map(|(_, value)| value.into_owned())
    };
    if let Some(token) = header.or_else(query) {
        return schema::Credential::Token(token);
    }
    let Some(der) = certificate else {
        return schema::Credential::Refused(Refusal::new(
            "missing_credentials",
            "unauthenticated: send the one-time token in the Connector-Token header, or call with a client certificate the Connector issued",
        ));
    };
    let now = jiff::Timestamp::now().as_second();
    match crate::gateway::certificates::identify(caches, der, now) {
        Ok(identity) if schema::takes_certificates(&identity.auth) => {
            schema::Credential::Certificate(identity)
        }
        Ok(_) => schema::Credential::Refused(Refusal::new(
            "unknown_identity",
            "only applications and runtimes hold certificates",
        )),
        Err(refusal) => schema::Credential::Refused(refusal),
    }
}

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

    /// The Director's URL.
    pub fn director(&self) -> String {
        format!("{}{}", self.0, crate::server::DIRECTOR_PATH)
    }
}
