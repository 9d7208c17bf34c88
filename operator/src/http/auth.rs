//! Authorizing a request with an application's [`Auth`]: the credential (basic, or an OAuth
//! client-credentials token sent as a bearer token), extra headers and query parameters, and an
//! optional CSRF token fetched before the request.

use std::time::Duration;

use bytes::Bytes;
use compass_crds::auth::{Auth, CredentialData, CsrfTokenRequestAuth};
use http::{HeaderName, HeaderValue, Method, Request, Uri, header};
use http_body_util::Full;

use super::{
    HttpClient,
    oauth::{self, basic},
    secrets::{SecretSource, read_key},
};

/// Header that carries a CSRF token, and the value that asks a token endpoint for one.
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_FETCH: &str = "Fetch";
/// Largest CSRF token response read.
const CSRF_RESPONSE_MAX_BYTES: usize = 64 * 1024;

/// Why a request could not be authorized. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The credential's Secret does not exist.
    #[error("Secret {secret} (which should hold the key {key}) does not exist")]
    SecretNotFound {
        /// The Secret's name.
        secret: String,
        /// The key that was wanted.
        key: String,
    },
    /// The Secret lacks a key the credential needs.
    #[error("Secret {secret} has no key {key}")]
    KeyMissing {
        /// The Secret's name.
        secret: String,
        /// The missing key.
        key: String,
    },
    /// A key's value is not text.
    #[error("key {key} of Secret {secret} is not UTF-8 text")]
    KeyNotText {
        /// The Secret's name.
        secret: String,
        /// The key.
        key: String,
    },
    /// The Secret could not be read.
    #[error("reading Secret {secret} failed: {reason}")]
    SecretUnreadable {
        /// The Secret's name.
        secret: String,
        /// Why.
        reason: String,
    },
    /// No OAuth token could be obtained.
    #[error("requesting an OAuth token from {url} failed: {reason}")]
    Token {
        /// The token endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// No CSRF token could be obtained.
    #[error("requesting a CSRF token from {url} failed: {reason}")]
    Csrf {
        /// The token endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// An extra header or query parameter cannot be sent.
    #[error("{0}")]
    Invalid(String),
}

impl HttpClient {
    /// Sends `request` with the credentials of `auth` (if any), within `timeout` and `max_bytes`;
    /// a GET follows redirects. An answer of 401 makes the OAuth token it carried forgotten, so
    /// that the next call asks for a new one (the token may have been revoked). Any status is
    /// returned; what counts as success is the caller's to say. The one path of every call an
    /// application's URL gets: spec downloads and webhooks alike.
    pub async fn call<S: SecretSource>(
        &self,
        request: Request<Full<Bytes>>,
        auth: Option<&Auth>,
        secrets: &S,
        timeout: Duration,
        max_bytes: usize,
    ) -> Result<super::Response, String> {
        let request = match auth {
            Some(auth) => self
                .authorize(request, auth, secrets, timeout)
                .await
                .map_err(|e| e.to_string())?,
            None => request,
        };
        let response = if request.method() == Method::GET {
            self.get(request, timeout, max_bytes).await
        } else {
            self.send(request, timeout, max_bytes).await
        }
        .map_err(|e| e.to_string())?;
        if response.status == 401
            && let Some(oauth) = auth.and_then(|a| a.credential.oauth.as_ref())
        {
            self.tokens.forget(&oauth.url);
        }
        Ok(response)
    }

    /// Adds `auth` to `request`: extra headers and query parameters, the CSRF token when
    /// requested, and the credential as the `Authorization` header. Secrets are read from
    /// `secrets`; token requests take at most `timeout` each.
    pub async fn authorize<S: SecretSource>(
        &self,
        request: Request<Full<Bytes>>,
        auth: &Auth,
        secrets: &S,
        timeout: Duration,
    ) -> Result<Request<Full<Bytes>>, AuthError> {
        let mut request = request;
        add_headers(&mut request, auth.additional_headers.as_ref())?;
        add_query(&mut request, auth.additional_query_params.as_ref())?;
        if let Some(request_auth) = &auth.request_auth {
            let (token, cookies) = self.csrf(&request_auth.csrf, secrets, timeout).await?;
            let headers = request.headers_mut();
            headers.insert(HeaderName::from_static(CSRF_HEADER), token);
            if !cookies.is_empty() {
                let mut cookie = cookies.join("; ");
                if let Some(existing) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
                    cookie = format!("{existing}; {cookie}");
                }
                headers.insert(header::COOKIE, header_value("Cookie", &cookie)?);
            }
        }
        let authorization = self.credential(&auth.credential, secrets, timeout).await?;
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, authorization);
        Ok(request)
    }

    /// The `Authorization` header value of a credential.
    async fn credential<S: SecretSource>(
        &self,
        credential: &CredentialData,
        secrets: &S,
        timeout: Duration,
    ) -> Result<HeaderValue, AuthError> {
        let value = if let Some(basic_credential) = &credential.basic {
            let secret = &basic_credential.secret_ref.name;
            let user = read_key(secrets, secret, "username").await?;
            let password = read_key(secrets, secret, "password").await?;
            basic(&user, &password)
        } else if let Some(oauth_credential) = &credential.oauth {
            let secret = &oauth_credential.secret_ref.name;
            let client_id = read_key(secrets, secret, "clientId").await?;
            let client_secret = read_key(secrets, secret, "clientSecret").await?;
            let token = oauth::token(
                self,
                &oauth_credential.url,
                &client_id,
                &client_secret,
                timeout,
            )
            .await?;
            format!("Bearer {token}")
        } else {
            return Err(AuthError::Invalid(
                "the credential sets neither basic nor oauth".to_owned(),
            ));
        };
        header_value("Authorization", &value)
    }

    /// Fetches a CSRF token: the token and the cookies the endpoint set with it.
    async fn csrf<S: SecretSource>(
        &self,
        csrf: &CsrfTokenRequestAuth,
        secrets: &S,
        timeout: Duration,
    ) -> Result<(HeaderValue, Vec<String>), AuthError> {
        let url = &csrf.token_endpoint_url;
        let failed = |reason: String| AuthError::Csrf {
            url: url.clone(),
            reason,
        };
        let mut request = Request::builder()
            .method(Method::GET)
            .uri(url)
            .header(CSRF_HEADER, CSRF_FETCH)
            .body(Full::default())
            .map_err(|e| failed(e.to_string()))?;
        add_headers(&mut request, csrf.additional_headers.as_ref())?;
        add_query(&mut request, csrf.additional_query_params.as_ref())?;
        let authorization = self.credential(&csrf.credential, secrets, timeout).await?;
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, authorization);
        let response = self
            .send(request, timeout, CSRF_RESPONSE_MAX_BYTES)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !(200..300).contains(&response.status) {
            return Err(failed(format!(
                "the endpoint answered {}",
                super::status_text(response.status)
            )));
        }
        let token = response
            .headers
            .get(CSRF_HEADER)
            .cloned()
            .ok_or_else(|| failed(format!("the answer has no {CSRF_HEADER} header")))?;
        let cookies = response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|pair| pair.trim().to_owned())
            .filter(|pair| pair.contains('='))
            .collect();
        Ok((token, cookies))
    }
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, AuthError> {
    HeaderValue::from_str(value)
        .map_err(|_| AuthError::Invalid(format!("the value of header {name} cannot be sent")))
}

/// Appends each value of each extra header.
fn add_headers(
    request: &mut Request<Full<Bytes>>,
    headers: Option<&std::collections::BTreeMap<String, Vec<String>>>,
) -> Result<(), AuthError> {
    for (name, values) in headers.into_iter().flatten() {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| AuthError::Invalid(format!("{name:?} is not a valid header name")))?;
        for value in values {
            request
                .headers_mut()
                .append(header_name.clone(), header_value(name, value)?);
        }
    }
    Ok(())
}

/// Appends each value of each extra query parameter to the request's URI.
fn add_query(
    request: &mut Request<Full<Bytes>>,
    params: Option<&std::collections::BTreeMap<String, Vec<String>>>,
) -> Result<(), AuthError> {
    let pairs: Vec<String> = params
        .into_iter()
        .flatten()
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| format!("{}={}", encode(name), encode(value)))
        })
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    let uri = request.uri();
    let path = uri.path();
    let query = match uri.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{}", pairs.join("&")),
        _ => pairs.join("&"),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query =
        Some(format!("{path}?{query}").parse().map_err(|e| {
            AuthError::Invalid(format!("the query parameters cannot be sent: {e}"))
        })?);
    *request.uri_mut() = Uri::from_parts(parts)
        .map_err(|e| AuthError::Invalid(format!("the query parameters cannot be sent: {e}")))?;
    Ok(())
}

/// Percent-encodes everything but the unreserved characters of RFC 3986.
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests;
