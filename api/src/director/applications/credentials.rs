//! Credentials as the Director takes and shows them, over Secrets: each credential of an
//! `AuthInput` becomes a Secret owned by the application, and the stored `Auth` names it; an
//! `Auth` is shown by reading those Secrets from the cache. No secret value is written into a
//! custom resource or a log.

use compass_crds::auth as crd;
use k8s_openapi::api::core::v1::Secret;

use super::owned::Owned;
use crate::{
    director::{
        auth::{
            Auth, AuthInput, BasicCredentialData, CredentialData, CredentialDataInput,
            CredentialRequestAuth, CsrfTokenCredentialRequestAuth, OAuthCredentialData,
        },
        validate,
    },
    errors::{ApiResult, invalid},
    scalars::{HttpHeaders, QueryParams},
    state::Caches,
};

/// Checks credentials: exactly one kind of credential, a valid token URL, and a CSRF request
/// when `requestAuth` is given.
pub fn check(field: &str, auth: &AuthInput) -> ApiResult<()> {
    check_credential(&format!("{field}.credential"), &auth.credential)?;
    if let Some(request) = &auth.request_auth {
        let here = format!("{field}.requestAuth");
        let Some(csrf) = &request.csrf else {
            return Err(invalid(&here, "give exactly one of its members: csrf"));
        };
        validate::url(
            &format!("{here}.csrf.tokenEndpointURL"),
            &csrf.token_endpoint_url,
        )?;
        check_credential(&format!("{here}.csrf.credential"), &csrf.credential)?;
    }
    Ok(())
}

fn check_credential(field: &str, credential: &CredentialDataInput) -> ApiResult<()> {
    match (&credential.basic, &credential.oauth) {
        (Some(basic), None) => {
            validate::required(&format!("{field}.basic.username"), &basic.username, 4096)?;
            validate::required(&format!("{field}.basic.password"), &basic.password, 4096)
        }
        (None, Some(oauth)) => {
            validate::required(&format!("{field}.oauth.clientId"), &oauth.client_id, 4096)?;
            validate::required(
                &format!("{field}.oauth.clientSecret"),
                &oauth.client_secret,
                4096,
            )?;
            validate::url(&format!("{field}.oauth.url"), &oauth.url)
        }
        _ => Err(invalid(field, "give exactly one of basic and oauth")),
    }
}

/// The stored form of `auth`; its credentials go into Secrets added to `owned`.
pub fn store(auth: &AuthInput, application: &str, owned: &mut Owned) -> crd::Auth {
    crd::Auth {
        credential: store_credential(&auth.credential, application, owned),
        additional_headers: auth.additional_headers.clone().map(|h| h.0),
        additional_query_params: auth.additional_query_params.clone().map(|q| q.0),
        request_auth: auth
            .request_auth
            .as_ref()
            .and_then(|r| r.csrf.as_ref())
            .map(|csrf| crd::CredentialRequestAuth {
                csrf: crd::CsrfTokenRequestAuth {
                    token_endpoint_url: csrf.token_endpoint_url.clone(),
                    credential: store_credential(&csrf.credential, application, owned),
                    additional_headers: csrf.additional_headers.clone().map(|h| h.0),
                    additional_query_params: csrf.additional_query_params.clone().map(|q| q.0),
                },
            }),
    }
}

fn store_credential(
    credential: &CredentialDataInput,
    application: &str,
    owned: &mut Owned,
) -> crd::CredentialData {
    let reference = |name: String| crd::SecretReference { name };
    match (&credential.basic, &credential.oauth) {
        (Some(basic), _) => crd::CredentialData {
            basic: Some(crd::BasicCredential {
                secret_ref: reference(owned.secret(
                    application,
                    [
                        ("username", basic.username.clone()),
                        ("password", basic.password.clone()),
                    ],
                )),
            }),
            oauth: None,
        },
        (None, Some(oauth)) => crd::CredentialData {
            basic: None,
            oauth: Some(crd::OAuthCredential {
                secret_ref: reference(owned.secret(
                    application,
                    [
                        ("clientId", oauth.client_id.to_string()),
                        ("clientSecret", oauth.client_secret.clone()),
                    ],
                )),
                url: oauth.url.clone(),
            }),
        },
        // Refused by `check` before anything is stored.
        (None, None) => crd::CredentialData {
            basic: None,
            oauth: None,
        },
    }
}

/// One key of a cached Secret, as text; empty when the Secret or key is not there.
fn key_of(secret: Option<&Secret>, key: &str) -> String {
    secret
        .and_then(|s| s.data.as_ref()?.get(key))
        .map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned())
        .unwrap_or_default()
}

/// Shows a stored `Auth` with the credential values from its Secrets. A Secret the Director
/// does not cache (one without the credentials label) shows empty values.
pub fn read(caches: &Caches, namespace: &str, auth: &crd::Auth) -> Auth {
    Auth {
        credential: read_credential(caches, namespace, &auth.credential),
        additional_headers: auth.additional_headers.clone().map(HttpHeaders),
        additional_query_params: auth.additional_query_params.clone().map(QueryParams),
        request_auth: auth.request_auth.as_ref().map(|r| CredentialRequestAuth {
            csrf: Some(CsrfTokenCredentialRequestAuth {
                token_endpoint_url: r.csrf.token_endpoint_url.clone(),
                credential: read_credential(caches, namespace, &r.csrf.credential),
                additional_headers: r.csrf.additional_headers.clone().map(HttpHeaders),
                additional_query_params: r.csrf.additional_query_params.clone().map(QueryParams),
            }),
        }),
    }
}

fn read_credential(
    caches: &Caches,
    namespace: &str,
    credential: &crd::CredentialData,
) -> CredentialData {
    let secret = |name: &str| caches.secrets.get(namespace, name);
    match (&credential.basic, &credential.oauth) {
        (_, Some(oauth)) => {
            let secret = secret(&oauth.secret_ref.name);
            CredentialData::OAuth(OAuthCredentialData {
                client_id: async_graphql::ID(key_of(secret.as_deref(), "clientId")),
                client_secret: key_of(secret.as_deref(), "clientSecret"),
                url: oauth.url.clone(),
            })
        }
        (basic, None) => {
            let secret = basic.as_ref().and_then(|b| secret(&b.secret_ref.name));
            CredentialData::Basic(BasicCredentialData {
                username: key_of(secret.as_deref(), "username"),
                password: key_of(secret.as_deref(), "password"),
            })
        }
    }
}

/// Shows the credentials an application's webhook returned, kept by the operator in the Secret
/// `name` (`username`/`password`, or `clientId`/`clientSecret`/`url`, plus extra headers and
/// query parameters as JSON).
pub fn read_returned(caches: &Caches, namespace: &str, name: &str) -> Option<Auth> {
    let secret = caches.secrets.get(namespace, name)?;
    let data = secret.data.as_ref()?;
    let text = |key: &str| key_of(Some(&secret), key);
    let credential = if data.contains_key("clientId") {
        CredentialData::OAuth(OAuthCredentialData {
            client_id: async_graphql::ID(text("clientId")),
            client_secret: text("clientSecret"),
            url: text("url"),
        })
    } else {
        CredentialData::Basic(BasicCredentialData {
            username: text("username"),
            password: text("password"),
        })
    };
    let multimap = |key: &str| serde_json::from_str(&text(key)).ok();
    Some(Auth {
        credential,
        additional_headers: multimap("additionalHeaders").map(HttpHeaders),
        additional_query_params: multimap("additionalQueryParams").map(QueryParams),
        request_auth: None,
    })
}
