//! OAuth 2.0 client credentials: a token is requested from the credential's token endpoint and
//! kept until shortly before it expires, so a spec fetch or webhook call does not cost a token
//! request each time.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::Full;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{HttpClient, auth::AuthError};

/// Largest token response read.
const TOKEN_RESPONSE_MAX_BYTES: usize = 64 * 1024;
/// How long a token without `expires_in` is kept.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Most tokens kept; the cache is emptied when it would grow beyond.
const MAX_TOKENS: usize = 1024;

/// Tokens by token endpoint and client.
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<TokenKey, CachedToken>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct TokenKey {
    url: String,
    client_id: String,
    // The secret is part of the key so that a rotated secret gets a new token at once.
    secret_digest: [u8; 32],
}

struct CachedToken {
    token: String,
    expires: Instant,
}

/// The token endpoint's answer (RFC 6749 section 5.1).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenCache {
    fn get(&self, key: &TokenKey) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(key)
            .filter(|cached| cached.expires > Instant::now())
            .map(|cached| cached.token.clone())
    }

    fn put(&self, key: TokenKey, token: String, lifetime: Duration) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= MAX_TOKENS {
            tokens.retain(|_, cached| cached.expires > Instant::now());
            if tokens.len() >= MAX_TOKENS {
                tokens.clear();
            }
        }
        tokens.insert(
            key,
            CachedToken {
                token,
                expires: Instant::now() + lifetime,
            },
        );
    }

    /// Forgets every token of the token endpoint `url`, for example after a call was refused
    /// with 401.
    pub fn forget(&self, url: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|key, _| key.url != url);
    }
}

/// How long to keep a token the server says lives `expires_in` seconds: a tenth less, and at
/// least 30 seconds less when it lives long enough for that.
fn lifetime(expires_in: Option<u64>) -> Duration {
    match expires_in {
        None => DEFAULT_LIFETIME,
        Some(seconds) => {
            let margin = (seconds / 10).max(30.min(seconds / 2));
            Duration::from_secs(seconds.saturating_sub(margin))
        }
    }
}

/// `Basic` authorization of a user (or client) and password.
pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// A bearer token for the client from the token endpoint `url`, from the cache when one is still
/// valid.
pub async fn token(
    http: &HttpClient,
    url: &str,
    client_id: &str,
    client_secret: &str,
    timeout: Duration,
) -> Result<String, AuthError> {
    let key = TokenKey {
        url: url.to_owned(),
        client_id: client_id.to_owned(),
        secret_digest: Sha256::digest(client_secret.as_bytes()).into(),
    };
    if let Some(token) = http.tokens.get(&key) {
        return Ok(token);
    }
    let failed = |reason: String| AuthError::Token {
        url: url.to_owned(),
        reason,
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, basic(client_id, client_secret))
        .body(Full::new(Bytes::from_static(
            b"grant_type=client_credentials",
        )))
        .map_err(|e| failed(e.to_string()))?;
    let response = http
        .send(request, timeout, TOKEN_RESPONSE_MAX_BYTES)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !(200..300).contains(&response.status) {
        return Err(failed(format!(
            "the token endpoint answered {}",
            super::status_text(response.status)
        )));
    }
    let answer: TokenResponse = serde_json::from_slice(&response.body)
        .map_err(|e| failed(format!("the answer is not a token response: {e}")))?;
    http.tokens.put(
        key,
        answer.access_token.clone(),
        lifetime(answer.expires_in),
    );
    Ok(answer.access_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_for_most_of_their_lifetime() {
        assert_eq!(lifetime(None), DEFAULT_LIFETIME);
        assert_eq!(lifetime(Some(3600)), Duration::from_secs(3240));
        assert_eq!(lifetime(Some(60)), Duration::from_secs(30));
        assert_eq!(lifetime(Some(10)), Duration::from_secs(5));
        assert_eq!(lifetime(Some(0)), Duration::ZERO);
    }

    #[test]
    fn basic_authorization_is_base64_of_user_colon_password() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn expired_and_forgotten_tokens_are_not_returned() {
        let cache = TokenCache::default();
        let key = |url: &str| TokenKey {
            url: url.to_owned(),
            client_id: "c".into(),
            secret_digest: [0; 32],
        };
        cache.put(key("a"), "t1".into(), Duration::from_secs(60));
        cache.put(key("b"), "t2".into(), Duration::ZERO);
        assert_eq!(cache.get(&key("a")).as_deref(), Some("t1"));
        assert_eq!(cache.get(&key("b")), None);
        cache.forget("a");
        assert_eq!(cache.get(&key("a")), None);
    }
}
