//! `POST /oauth2/token`: the client-credentials grant (RFC 6749 §4.4). The client authenticates
//! with HTTP Basic (§2.3.1: id and secret form-urlencoded, then base64) or with `client_id` and
//! `client_secret` in the form, never both; an optional `scope` narrows the consumer kind's fixed
//! scopes. Errors are §5.2's JSON. Answers are never cached.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    Extension,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use serde_json::json;

use super::{ACCESS_TOKEN_TYPE, ClientProblem, Issuer, OAUTH, registered};
use crate::{
    audit::{AuditEntry, Consumer, OperationKind, RequestId},
    connector::tokens::token_digest,
    errors::Code,
    gateway::constant_time_eq,
};

/// Largest token request body: a form of a few short fields.
const MAX_BODY_BYTES: usize = 8 * 1024;

/// A token request, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TokenRequest {
    client_id: String,
    client_secret: String,
    /// The scopes asked for, if any.
    scope: Option<BTreeSet<String>>,
    /// Whether the client authenticated with HTTP Basic.
    basic: bool,
}

/// An error answer of RFC 6749 §5.2.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum OAuthError {
    /// A parameter is missing, repeated or malformed.
    InvalidRequest(String),
    /// Client authentication failed; `basic` when the client tried HTTP Basic (or sent nothing).
    InvalidClient { basic: bool, message: String },
    /// Another grant than `client_credentials`.
    UnsupportedGrantType(String),
    /// A scope the client does not hold.
    InvalidScope(String),
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, code, description, challenge) = match self {
            Self::InvalidRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request", m, false),
            Self::InvalidClient { basic, message } => {
                (StatusCode::UNAUTHORIZED, "invalid_client", message, basic)
            }
            Self::UnsupportedGrantType(m) => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type", m, false)
            }
            Self::InvalidScope(m) => (StatusCode::BAD_REQUEST, "invalid_scope", m, false),
        };
        let body = json!({ "error": code, "error_description": description });
        let mut response = (status, no_store(), axum::Json(body)).into_response();
        if challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"compass\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// Parses a token request from its `Content-Type`, `Authorization` and body.
pub(super) fn parse(
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<TokenRequest, OAuthError> {
    let invalid = |m: &str| OAuthError::InvalidRequest(m.to_owned());
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim);
    if !media.is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded")) {
        return Err(invalid(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let mut form = std::collections::BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        // RFC 6749 §3.2: parameters sent without a value are treated as omitted.
        if value.is_empty() {
            continue;
        }
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(invalid(&format!("the parameter {name} is repeated")));
        }
    }
    match form.get("grant_type").map(String::as_str) {
        None => return Err(invalid("grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type {other} is not supported; only client_credentials is"
            )));
        }
    }
    let posted = (form.remove("client_id"), form.remove("client_secret"));
    let (client_id, client_secret, basic) = match (authorization, posted) {
        (Some(_), (Some(_), _) | (_, Some(_))) => {
            return Err(invalid(
                "the client authenticated twice: use HTTP Basic or client_id and client_secret, not both",
            ));
        }
        (Some(header), _) => {
            let (id, secret) = basic_credentials(header)?;
            (id, secret, true)
        }
        (None, (Some(id), Some(secret))) => (id, secret, false),
        (None, (Some(_), None)) => {
            return Err(OAuthError::InvalidClient {
                basic: false,
                message: "client_secret is required".to_owned(),
            });
        }
        (None, (None, _)) => {
            return Err(OAuthError::InvalidClient {
                basic: true,
                message:
                    "client authentication is required: HTTP Basic, or client_id and client_secret"
                        .to_owned(),
            });
        }
    };
    let scope = form.get("scope").map(|s| {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    });
    Ok(TokenRequest {
        client_id,
        client_secret,
        scope: scope.filter(|s| !s.is_empty()),
        basic,
    })
}

/// The client id and secret of an `Authorization: Basic` header (RFC 6749 §2.3.1).
fn basic_credentials(header: &str) -> Result<(String, String), OAuthError> {
    let refused = |m: &str| OAuthError::InvalidClient {
        basic: true,
        message: m.to_owned(),
    };
    let (scheme, encoded) = header.trim().split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refused(
            "only HTTP Basic client authentication is supported",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| refused("the Basic credentials are not base64 of UTF-8"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| refused("the Basic credentials have no ':'"))?;
    match (form_decode(id), form_decode(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() => Ok((id, secret)),
        _ => Err(refused("the Basic credentials are not form-urlencoded")),
    }
}

/// Undoes application/x-www-form-urlencoded encoding of one value: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut input = text.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = [input.next()?, input.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
            }
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).ok()
}

/// The token endpoint. Every request makes an audit line: the client a token was issued to, or
/// why none was.
pub(super) async fn token(
    State(issuer): State<Arc<Issuer>>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let entry =
        AuditEntry::new(&request_id, OAUTH).operation(OperationKind::Mutation, None, ["token"]);
    match answer(&issuer, &headers, body).await {
        Ok((response, consumer)) => {
            issuer.audit.record(&entry.consumer(&consumer));
            response
        }
        Err(error) => {
            let refused = match &error {
                OAuthError::InvalidClient { .. } => entry
                    .errors([Code::Unauthenticated.as_str()])
                    .reason("invalid_client"),
                _ => entry.errors([Code::InvalidInput.as_str()]),
            };
            issuer.audit.record(&refused);
            error.into_response()
        }
    }
}

async fn answer(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Response, Consumer), OAuthError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            OAuthError::InvalidRequest(format!(
                "the request body is larger than {MAX_BODY_BYTES} bytes"
            ))
        })?;
    let request = parse(
        text(header::CONTENT_TYPE),
        text(header::AUTHORIZATION),
        &bytes,
    )?;
    let refused = || OAuthError::InvalidClient {
        basic: request.basic,
        message:
            "client authentication failed: unknown client, wrong secret, or the client was deleted"
                .to_owned(),
    };
    let client = registered(
        issuer.caches(),
        issuer.system_namespace(),
        &request.client_id,
    )
    .map_err(|problem| match problem {
        ClientProblem::Unknown | ClientProblem::SubjectGone => refused(),
    })?;
    let presented = token_digest(&request.client_secret);
    if !constant_time_eq(
        presented.as_bytes(),
        client.secret.client_secret_hash.as_bytes(),
    ) {
        return Err(refused());
    }
    let held = issuer.scopes().consumer_scopes(client.kind);
    let granted = granted_scopes(&held, request.scope.as_ref())?;
    let now = jiff::Timestamp::now().as_second();
    let lifetime = issuer.config.token_lifetime.as_secs();
    let scope = granted.into_iter().collect::<Vec<_>>().join(" ");
    let claims = json!({
        "iss": issuer.issuer(),
        "sub": request.client_id,
        "aud": issuer.audience(),
        "client_id": request.client_id,
        "iat": now,
        "exp": now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        "jti": uuid::Uuid::new_v4().to_string(),
        "scope": scope,
    });
    let token = issuer
        .keys()
        .signing()
        .sign_typed(ACCESS_TOKEN_TYPE, &claims);
    let body = json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": lifetime,
        "scope": scope,
    });
    let consumer = Consumer {
        id: request.client_id,
        kind: client.kind,
        tenant: client.tenant,
    };
    Ok((
        (StatusCode::OK, no_store(), axum::Json(body)).into_response(),
        consumer,
    ))
}

/// The scopes a token grants: those asked for, which must all be `held`, or else all of `held`.
fn granted_scopes(
    held: &BTreeSet<String>,
    asked: Option<&BTreeSet<String>>,
) -> Result<BTreeSet<String>, OAuthError> {
    let Some(asked) = asked else {
        return Ok(held.clone());
    };
    let unknown: Vec<&str> = asked.difference(held).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(OAuthError::InvalidScope(format!(
            "the client may not have the scopes {}; it holds {}",
            unknown.join(" "),
            held.iter().cloned().collect::<Vec<_>>().join(" ")
        )));
    }
    Ok(asked.clone())
}

#[cfg(test)]
mod tests;
