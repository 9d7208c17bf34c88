//! Authentication: who sent a request. As kube-apiserver, the server accepts a client
//! certificate signed by its CA, then a bearer token (the admin token, or a ServiceAccount
//! token); a request with neither is anonymous, and one with a bearer token it cannot verify is
//! refused with 401.

pub mod client_cert;
pub mod impersonation;
pub mod jwk;
pub mod jwt;
pub mod service_account;
pub mod user;

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use rustls::pki_types::CertificateDer;

use self::{jwt::SigningKey, user::UserInfo};
use crate::{errors::ApiError, store::Store};

/// The client certificate a connection presented, verified in the TLS handshake; the listener
/// puts it into every request of that connection.
#[derive(Clone, Debug)]
pub struct PeerCertificate(pub Arc<CertificateDer<'static>>);

/// The credentials the server accepts.
pub struct Authenticator {
    admin_tokens: Vec<String>,
    signing_key: SigningKey,
}

impl Authenticator {
    /// Accepts `admin_tokens` for the superuser and ServiceAccount tokens signed by `key`.
    pub fn new(admin_tokens: Vec<String>, signing_key: SigningKey) -> Self {
        Self {
            admin_tokens,
            signing_key,
        }
    }

    /// The same authenticator with another token signing key.
    pub fn with_signing_key(self, signing_key: SigningKey) -> Self {
        Self {
            signing_key,
            ..self
        }
    }

    /// The key ServiceAccount tokens are signed with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The user of a request with `headers`, sent over a connection that presented `peer`.
    pub fn authenticate(
        &self,
        store: &Store,
        headers: &HeaderMap,
        peer: Option<&PeerCertificate>,
    ) -> Result<UserInfo, ApiError> {
        if let Some(peer) = peer {
            if client_cert::expired(&peer.0, jiff::Timestamp::now().as_second()) {
                return Err(ApiError::unauthorized());
            }
            if let Some(user) = client_cert::user_of(&peer.0) {
                return Ok(user);
            }
        }
        let Some(token) = bearer_token(headers) else {
            return Ok(UserInfo::anonymous());
        };
        if self
            .admin_tokens
            .iter()
            .any(|known| constant_time_eq(known.as_bytes(), token.as_bytes()))
        {
            return Ok(UserInfo::authenticated(
                user::ADMIN,
                vec![user::MASTERS.into()],
            ));
        }
        self.token_user(store, token, &[service_account::ISSUER])
            .map_err(|error| {
                tracing::debug!(%error, "A bearer token was refused");
                ApiError::unauthorized()
            })
    }

    /// The user of a ServiceAccount token meant for one of `audiences`.
    pub fn token_user(
        &self,
        store: &Store,
        token: &str,
        audiences: &[&str],
    ) -> Result<UserInfo, service_account::TokenError> {
        service_account::authenticate(&self.signing_key, store, token, audiences)
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares secrets without revealing, through timing, how much of them matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
