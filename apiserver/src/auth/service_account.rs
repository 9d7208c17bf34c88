//! ServiceAccount tokens: issued by the `token` subresource (what `kubectl create token` calls),
//! signed, expiring and bound to audiences, and accepted as bearer tokens while the ServiceAccount
//! they name still exists with the same uid, so deleting it revokes every token it had.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{jwt::SigningKey, user::UserInfo};
use crate::{
    errors::{ApiError, ApiResult, FieldError, Qualified},
    store::{ObjectKey, Store},
};

/// The issuer of the server's tokens, and the audience a token needs to be accepted by the API.
pub const ISSUER: &str = "https://kubernetes.default.svc";
/// Lifetime of a token when the request names none, as kube-apiserver's default.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// Shortest lifetime a request may ask for, as kube-apiserver's.
pub const MIN_EXPIRATION_SECONDS: i64 = 600;
/// Longest lifetime: longer requests are shortened to it, as kube-apiserver does with
/// `--service-account-max-token-expiration`.
pub const MAX_EXPIRATION_SECONDS: i64 = 48 * 3600;
/// Storage key of ServiceAccounts.
pub const SERVICE_ACCOUNTS: &str = "/serviceaccounts";
/// Extra key kube-apiserver puts the token id under.
const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";

/// Why a token is refused; the client only ever sees 401.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not signed by this server.
    #[error(transparent)]
    Signature(#[from] super::jwt::JwtError),
    /// Issued by another issuer, or for another audience.
    #[error("the token is not meant for this API server")]
    Audience,
    /// Past its expiry or before its start.
    #[error("the token has expired or is not valid yet")]
    Expired,
    /// Its ServiceAccount is gone or was replaced.
    #[error("the token's ServiceAccount no longer exists")]
    Revoked,
}

/// The user a bearer token stands for, when it is a valid ServiceAccount token for `audiences`.
pub fn authenticate(
    key: &SigningKey,
    store: &Store,
    token: &str,
    audiences: &[&str],
) -> Result<UserInfo, TokenError> {
    let claims = key.verify(token)?;
    let aud: Vec<&str> = claims["aud"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if claims["iss"] != ISSUER || !aud.iter().any(|a| audiences.contains(a)) {
        return Err(TokenError::Audience);
    }
    let now = Timestamp::now().as_second();
    let (Some(exp), Some(nbf)) = (claims["exp"].as_i64(), claims["nbf"].as_i64()) else {
        return Err(TokenError::Expired);
    };
    if now >= exp || now < nbf {
        return Err(TokenError::Expired);
    }
    let claim = &claims["kubernetes.io"];
    let namespace = claim["namespace"].as_str().unwrap_or_default();
    let name = claim["serviceaccount"]["name"].as_str().unwrap_or_default();
    let uid = claim["serviceaccount"]["uid"].as_str().unwrap_or_default();
    let key = ObjectKey {
        resource: SERVICE_ACCOUNTS.into(),
        namespace: namespace.into(),
        name: name.into(),
    };
    let current = store.get(&key).ok_or(TokenError::Revoked)?;
    if current.meta.uid != uid || current.meta.deleting {
        return Err(TokenError::Revoked);
    }
    let mut user = UserInfo::service_account(namespace, name, uid);
    if let Some(id) = claims["jti"].as_str() {
        user.extra
            .insert(CREDENTIAL_ID.into(), vec![format!("JTI={id}")]);
    }
    Ok(user)
}

/// Answers a TokenRequest for the ServiceAccount `name` in `namespace`: the request with its
/// defaults filled in and `status.token` set.
pub fn issue(
    key: &SigningKey,
    store: &Store,
    namespace: &str,
    name: &str,
    mut request: Value,
) -> ApiResult<Value> {
    let object_key = ObjectKey {
        resource: SERVICE_ACCOUNTS.into(),
        namespace: namespace.into(),
        name: name.into(),
    };
    let account = store.get(&object_key).ok_or_else(|| {
        let resource = Qualified {
            group: "",
            name: "serviceaccounts",
        };
        ApiError::not_found(resource, name)
    })?;
    let spec = &mut request["spec"];
    let audiences = match spec["audiences"].as_array() {
        Some(list) if !list.is_empty() => list.clone(),
        _ => vec![json!(ISSUER)],
    };
    let asked = spec["expirationSeconds"]
        .as_i64()
        .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
    check_request(spec, asked)?;
    let lifetime = asked.min(MAX_EXPIRATION_SECONDS);
    spec["audiences"] = json!(audiences);
    spec["expirationSeconds"] = json!(lifetime);
    let now = Timestamp::now().as_second();
    let jti = uuid::Uuid::new_v4().to_string();
    let claims = json!({
        "aud": audiences,
        "exp": now + lifetime,
        "iat": now,
        "nbf": now,
        "iss": ISSUER,
        "jti": jti,
        "sub": super::user::service_account_user(namespace, name),
        "kubernetes.io": {
            "namespace": namespace,
            "serviceaccount": { "name": name, "uid": account.meta.uid },
        },
    });
    let expires = Timestamp::from_second(now + lifetime)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    request["apiVersion"] = json!("authentication.k8s.io/v1");
    request["kind"] = json!("TokenRequest");
    request["metadata"] = json!({
        "name": name,
        "namespace": namespace,
        "creationTimestamp": crate::server::now(),
    });
    request["status"] = json!({ "token": key.sign(&claims), "expirationTimestamp": expires });
    Ok(request)
}

/// kube-apiserver's checks of a TokenRequest's spec.
fn check_request(spec: &Value, asked: i64) -> ApiResult<()> {
    let kind = Qualified {
        group: "authentication.k8s.io",
        name: "TokenRequest",
    };
    let mut errors = Vec::new();
    if asked < MIN_EXPIRATION_SECONDS {
        errors.push(FieldError::invalid(
            "spec.expirationSeconds",
            json!(asked),
            "may not specify a duration less than 10 minutes",
        ));
    }
    if !spec["boundObjectRef"].is_null() {
        errors.push(FieldError::forbidden(
            "spec.boundObjectRef",
            "binding tokens to objects is not supported by this server; tokens end with their \
             expiry or their ServiceAccount",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(kind, "", &errors))
    }
}
