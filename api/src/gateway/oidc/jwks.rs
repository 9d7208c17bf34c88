//! Fetching an identity provider's JWKS: HTTPS only, no redirects, bounded in time and size; keys
//! this module cannot use (other types, encryption keys) are skipped.

use std::time::Duration;

use bytes::Bytes;
use compass_apiserver::jwk::VerifyingKey;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::Value;

/// How long one fetch may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest JWKS read.
const MAX_BYTES: usize = 256 * 1024;

/// Fetches one JWKS URL.
pub(super) struct Fetcher {
    url: http::Uri,
    http: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Fetcher {
    /// A fetcher of `url` (https), trusting `ca_pem` if given, else the public web PKI.
    pub(super) fn new(url: &str, ca_pem: Option<&str>) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("the JWKS URL {url} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("https") || uri.host().is_none() {
            return Err(format!(
                "the JWKS URL {url} must be an https URL with a host"
            ));
        }
        let tls = crate::client::trusting(ca_pem, "OIDC CA")?.with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        Ok(Self {
            url: uri,
            http: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The usable keys of the JWKS.
    pub(super) async fn fetch(&self) -> Result<Vec<VerifyingKey>, String> {
        let body = tokio::time::timeout(TIMEOUT, self.get())
            .await
            .map_err(|_| format!("no answer within {}s", TIMEOUT.as_secs()))??;
        let document: Value =
            serde_json::from_slice(&body).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
        let listed = document["keys"]
            .as_array()
            .ok_or("the JWKS has no `keys` list")?;
        let keys: Vec<VerifyingKey> = listed
            .iter()
            .filter_map(|jwk| match VerifyingKey::from_jwk(jwk) {
                Ok(key) => Some(key),
                Err(error) => {
                    tracing::debug!(%error, kid = %jwk["kid"], "Skipping a key of the JWKS");
                    None
                }
            })
            .collect();
        if keys.is_empty() {
            return Err("the JWKS holds no usable RS256 or ES256 key".to_owned());
        }
        Ok(keys)
    }

    async fn get(&self) -> Result<Bytes, String> {
        let request = http::Request::get(self.url.clone())
            .header("accept", "application/json")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| format!("the request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("the answer was HTTP {}", response.status()));
        }
        Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .map_err(|e| format!("reading the JWKS failed (at most {MAX_BYTES} bytes): {e}"))
    }
}
