//! What a `CONFIGURATION_CHANGED` webhook may answer: nothing in particular, or credentials for
//! the runtime in the shape of the Director's `AuthInput`
//! (`{"credential":{"basic":{"username","password"}}}` or
//! `{"credential":{"oauth":{"clientId","clientSecret","url"}}}`, with optional
//! `additionalHeaders` and `additionalQueryParams`), and the Secret they are kept in.

use std::collections::BTreeMap;

use base64::Engine;
use compass_crds::Application;
use kube::{Resource, ResourceExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{APPLICATION_LABEL, RUNTIME_LABEL};
use crate::controllers::error::{Error, Result};

/// Annotation on a credentials Secret: `basic` or `oauth`.
pub const CREDENTIAL_TYPE_ANNOTATION: &str = "compass.kyma-project.io/credential-type";

/// Credentials a webhook returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnedCredential {
    /// The credential.
    pub credential: Credential,
    /// Extra headers to send with calls.
    pub additional_headers: Option<BTreeMap<String, Vec<String>>>,
    /// Extra query parameters to send with calls.
    pub additional_query_params: Option<BTreeMap<String, Vec<String>>>,
}

/// A basic or OAuth client credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// User and password.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// OAuth 2.0 client credentials and the token endpoint.
    OAuth {
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: String,
        /// Token endpoint.
        url: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthInput {
    credential: Option<CredentialInput>,
    additional_headers: Option<BTreeMap<String, Vec<String>>>,
    additional_query_params: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CredentialInput {
    basic: Option<BasicInput>,
    oauth: Option<OAuthInput>,
}

#[derive(Deserialize)]
struct BasicInput {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OAuthInput {
    client_id: String,
    client_secret: String,
    url: String,
}

/// The credentials in a webhook's answer: `None` when the body is empty, not a JSON object, or
/// has no `credential`; an error when it has one that is not valid.
pub fn parse_answer(body: &[u8]) -> Result<Option<ReturnedCredential>, String> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if object.get("credential").is_none_or(Value::is_null) {
        return Ok(None);
    }
    let input: AuthInput = serde_json::from_value(Value::Object(object))
        .map_err(|e| format!("the answer's credentials are not valid: {e}"))?;
    let Some(credential) = input.credential else {
        return Ok(None);
    };
    let credential = match (credential.basic, credential.oauth) {
        (Some(b), None) => Credential::Basic {
            username: b.username,
            password: b.password,
        },
        (None, Some(o)) => Credential::OAuth {
            client_id: o.client_id,
            client_secret: o.client_secret,
            url: o.url,
        },
        _ => {
            return Err(
                "the answer's credential must set exactly one of basic and oauth".to_owned(),
            );
        }
    };
    Ok(Some(ReturnedCredential {
        credential,
        additional_headers: input.additional_headers,
        additional_query_params: input.additional_query_params,
    }))
}

/// The Secret holding `returned` for `runtime`, owned by the application: the keys of a
/// credential Secret (`username`/`password`, or `clientId`/`clientSecret` plus the token endpoint
/// under `url`) and the extra headers and query parameters as JSON.
pub fn secret_manifest(
    app: &Application,
    runtime: &str,
    name: &str,
    returned: &ReturnedCredential,
) -> Result<Value> {
    let owner = app.controller_owner_ref(&()).ok_or(Error::Missing("uid"))?;
    let mut data = BTreeMap::new();
    let kind = match &returned.credential {
        Credential::Basic { username, password } => {
            data.insert("username", username.clone());
            data.insert("password", password.clone());
            "basic"
        }
        Credential::OAuth {
            client_id,
            client_secret,
            url,
        } => {
            data.insert("clientId", client_id.clone());
            data.insert("clientSecret", client_secret.clone());
            data.insert("url", url.clone());
            "oauth"
        }
    };
    if let Some(headers) = &returned.additional_headers {
        data.insert("additionalHeaders", serde_json::to_string(headers)?);
    }
    if let Some(params) = &returned.additional_query_params {
        data.insert("additionalQueryParams", serde_json::to_string(params)?);
    }
    let encoded: BTreeMap<&str, String> = data
        .into_iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
        .collect();
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "labels": { APPLICATION_LABEL: app.name_any(), RUNTIME_LABEL: runtime },
            "annotations": { CREDENTIAL_TYPE_ANNOTATION: kind },
            "ownerReferences": [owner],
        },
        "type": "Opaque",
        "data": encoded,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_without_credentials_are_deliveries_too() {
        for body in [&b""[..], b"ok", b"[]", b"{}", br#"{"credential":null}"#] {
            assert_eq!(
                parse_answer(body),
                Ok(None),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn basic_and_oauth_credentials_are_read() {
        let basic = parse_answer(
            br#"{"credential":{"basic":{"username":"u","password":"p"}},"additionalHeaders":{"X":["1"]}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            basic.credential,
            Credential::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(basic.additional_headers.unwrap()["X"], vec!["1"]);
        let oauth = parse_answer(
            br#"{"credential":{"oauth":{"clientId":"c","clientSecret":"s","url":"https://t.test/token"}}}"#,
        )
        .unwrap()
        .unwrap();
        assert!(matches!(oauth.credential, Credential::OAuth { .. }));
    }

    #[test]
    fn malformed_credentials_are_refused() {
        for body in [
            &br#"{"credential":{"basic":{"username":"u"}}}"#[..],
            br#"{"credential":{}}"#,
            br#"{"credential":{"basic":{"username":"u","password":"p"},"oauth":{"clientId":"c","clientSecret":"s","url":"u"}}}"#,
            br#"{"credential":{"certificate":{}}}"#,
        ] {
            assert!(parse_answer(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }
}
