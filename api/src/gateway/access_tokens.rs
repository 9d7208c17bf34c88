//! Access tokens from the Gateway's own token endpoint, as `Authorization: Bearer`: the signature
//! (ES256, by a key of the set, named by `kid`), type, issuer, audience and expiry are checked,
//! then the client is looked up on every request, so deleting its SystemAuth (or its subject)
//! stops the token at once, however long it had left.

use std::collections::BTreeSet;

use compass_apiserver::jwk::Unverified;
use serde_json::Value;

use super::{Caller, ConsumerKind, Refusal, TenantAccess};
use crate::oauth::{ACCESS_TOKEN_TYPE, ClientProblem, Issuer, registered};

/// How far a replica's clock may run ahead of the one that issued a token.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// What the Gateway reads from a verified access token.
#[derive(Debug, PartialEq, Eq)]
struct Claims {
    /// The client id.
    sub: String,
    /// When it was issued, in seconds since the epoch.
    iat: i64,
    /// The scopes it grants.
    scopes: BTreeSet<String>,
}

/// The caller an access token stands for, acting in `tenant` (from the `Tenant` header), at
/// `now` (seconds since the epoch).
pub(super) fn caller(
    issuer: &Issuer,
    token: Unverified<'_>,
    tenant: Option<String>,
    now: i64,
) -> Result<Caller, Refusal> {
    if token.typ() != Some(ACCESS_TOKEN_TYPE) {
        return Err(Refusal::new(
            "invalid_claims",
            "unauthenticated: the token is not an access token (typ at+jwt)",
        ));
    }
    let key = token.kid().and_then(|kid| issuer.keys().key(kid));
    let key = key.ok_or_else(|| {
        Refusal::new(
            "unknown_token",
            "unauthenticated: the access token is signed with a key the Gateway does not hold (rotated?); request a new token",
        )
    })?;
    let claims = token.verify(key).map_err(|e| {
        Refusal::new(
            "invalid_signature",
            &format!("unauthenticated: the access token is not valid: {e}"),
        )
    })?;
    let claims = check_claims(&claims, issuer.issuer(), issuer.audience(), now)?;
    let client = registered(issuer.caches(), issuer.system_namespace(), &claims.sub).map_err(
        |problem| match problem {
            ClientProblem::Unknown => Refusal::new(
                "revoked",
                "unauthenticated: the OAuth client of this token no longer exists",
            ),
            ClientProblem::SubjectGone => Refusal::new(
                "subject_gone",
                "unauthenticated: the application, runtime or integration system of this token (or its tenant) no longer exists",
            ),
        },
    )?;
    // NB: whole seconds, as `iat` is; a secret re-issued within the second a token was issued
    // still accepts that token.
    if claims.iat < client.secret.issued_at.0.as_second() {
        return Err(Refusal::new(
            "revoked",
            "unauthenticated: the client's secret was re-issued after this token; request a new token",
        ));
    }
    let held = issuer.scopes().consumer_scopes(client.kind);
    let scopes = claims.scopes.intersection(&held).cloned().collect();
    let (tenants, tenant) = match (client.kind, client.tenant) {
        (ConsumerKind::IntegrationSystem, _) => (TenantAccess::All, tenant),
        (_, Some(own)) => (
            TenantAccess::Only([own.clone()].into()),
            tenant.or(Some(own)),
        ),
        (_, None) => (TenantAccess::Only(BTreeSet::new()), tenant),
    };
    Ok(Caller {
        id: client.subject_uid,
        client_id: Some(claims.sub),
        kind: client.kind,
        scopes,
        tenants,
        tenant,
    })
}

/// The claims of a verified access token, if it is one of this issuer for this audience and
/// valid at `now`.
fn check_claims(claims: &Value, issuer: &str, audience: &str, now: i64) -> Result<Claims, Refusal> {
    let invalid = |m: &str| {
        Refusal::new(
            "invalid_claims",
            &format!("unauthenticated: the access token {m}"),
        )
    };
    if claims["iss"].as_str() != Some(issuer) {
        return Err(invalid("is of another issuer"));
    }
    let audiences = match &claims["aud"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&audience) {
        return Err(invalid(&format!("is not meant for {audience}")));
    }
    let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) else {
        return Err(invalid("has no exp or iat"));
    };
    if now >= exp {
        return Err(Refusal::new(
            "expired_token",
            "unauthenticated: the access token has expired; request a new one",
        ));
    }
    if iat > now + CLOCK_SKEW_SECONDS {
        return Err(invalid("is issued in the future"));
    }
    let sub = claims["sub"].as_str().filter(|s| !s.is_empty());
    let sub = sub.ok_or_else(|| invalid("names no client (sub)"))?;
    let scopes = claims["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Claims {
        sub: sub.to_owned(),
        iat,
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims() -> Value {
        json!({
            "iss": "urn:test", "aud": "urn:api", "sub": "client-1",
            "iat": 1_000, "exp": 4_600, "scope": "application:read application:write",
        })
    }

    fn reason(claims: &Value, now: i64) -> &'static str {
        check_claims(claims, "urn:test", "urn:api", now)
            .unwrap_err()
            .reason
    }

    #[test]
    fn a_token_of_this_issuer_for_this_audience_is_valid_until_it_expires() {
        let checked = check_claims(&claims(), "urn:test", "urn:api", 1_000).unwrap();
        assert_eq!(checked.sub, "client-1");
        assert_eq!(checked.iat, 1_000);
        assert_eq!(checked.scopes.len(), 2);
        let mut listed = claims();
        listed["aud"] = json!(["urn:other", "urn:api"]);
        assert!(check_claims(&listed, "urn:test", "urn:api", 4_599).is_ok());
        assert_eq!(reason(&claims(), 4_600), "expired_token");
    }

    #[test]
    fn other_issuers_audiences_and_incomplete_tokens_are_refused() {
        let altered = |name: &str, value: Value| {
            let mut claims = claims();
            claims[name] = value;
            claims
        };
        let cases = [
            altered("iss", json!("urn:elsewhere")),
            altered("aud", json!("urn:other")),
            altered("aud", json!(["urn:other"])),
            altered("exp", Value::Null),
            altered("iat", json!("1000")),
            altered("sub", json!("")),
            altered("iat", json!(1_000 + 2 * CLOCK_SKEW_SECONDS)),
        ];
        for claims in cases {
            assert_eq!(reason(&claims, 1_000), "invalid_claims", "{claims}");
        }
    }
}
