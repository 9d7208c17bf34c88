//! The keys of access tokens: an ES256 signing key kept in a Secret of the system namespace
//! (created on first start; several replicas racing agree on the one that was created first),
//! plus earlier keys still accepted while a rotation completes, and the JWKS that publishes them.

use std::collections::BTreeMap;

use compass_apiserver::{
    jwk::VerifyingKey,
    jwt::{JwtError, SigningKey},
};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};
use serde_json::{Value, json};

/// Name of the Secret holding the signing key unless configured otherwise.
pub const SIGNING_KEY_SECRET: &str = "compass-oauth-signing-key";
/// Key in the Secret of the signing key: a PKCS#8 P-256 private key, PEM.
pub const SIGNING_KEY: &str = "signing-key.pem";
/// Key in the Secret of earlier signing keys, still accepted and published: PKCS#8 PEM blocks.
pub const PREVIOUS_KEYS: &str = "previous-keys.pem";

/// How many times a Secret created by another replica meanwhile is read again.
const ATTEMPTS: usize = 3;

/// The signing key and every key a token may be verified with.
pub struct KeySet {
    signing: SigningKey,
    verifying: Vec<VerifyingKey>,
    jwks: Value,
}

impl KeySet {
    /// The keys of a Secret's data: `SIGNING_KEY` and, optionally, `PREVIOUS_KEYS`.
    pub fn from_data(data: &BTreeMap<String, ByteString>) -> Result<Self, String> {
        let text = |key: &str| {
            data.get(key)
                .map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned())
        };
        let current = text(SIGNING_KEY).ok_or_else(|| format!("it has no {SIGNING_KEY}"))?;
        let signing = SigningKey::from_pem(&current).map_err(|e| format!("{SIGNING_KEY}: {e}"))?;
        let previous = text(PREVIOUS_KEYS).unwrap_or_default();
        let previous = pem_blocks(&previous)
            .iter()
            .map(|block| SigningKey::from_pem(block))
            .collect::<Result<Vec<_>, JwtError>>()
            .map_err(|e| format!("{PREVIOUS_KEYS}: {e}"))?;
        let mut keys = vec![&signing];
        keys.extend(previous.iter().filter(|k| k.key_id() != signing.key_id()));
        let jwks = json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() });
        let verifying = keys.iter().map(|k| k.verifying_key()).collect();
        Ok(Self {
            signing,
            verifying,
            jwks,
        })
    }

    /// A set of one fresh key, kept nowhere (tests).
    pub fn ephemeral() -> Self {
        let der = SigningKey::generate_pkcs8().expect("the system has randomness");
        Self::from_data(&secret_data(&der)).expect("a fresh key is valid")
    }

    /// The key new tokens are signed with.
    pub fn signing(&self) -> &SigningKey {
        &self.signing
    }

    /// The key with id `kid`, if it is one of the set.
    pub fn key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid() == Some(kid))
    }

    /// The public keys as a JWKS document (RFC 7517 §5).
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }
}

/// The PEM blocks of `text`, each with its armour.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END ") {
            blocks.extend(current.take());
        }
    }
    blocks
}

fn secret_data(der: &[u8]) -> BTreeMap<String, ByteString> {
    let pem = SigningKey::pkcs8_pem(der);
    [(SIGNING_KEY.to_owned(), ByteString(pem.into_bytes()))].into()
}

/// The keys in the Secret `name` of `namespace`, which is created with a fresh key if it does
/// not exist. When another replica creates it first, its key is the one used.
pub async fn load_or_create(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<KeySet, String> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let what = format!("the signing key Secret {namespace}/{name}");
    for _ in 0..ATTEMPTS {
        let existing = api
            .get_opt(name)
            .await
            .map_err(|e| format!("reading {what} failed: {e}"))?;
        if let Some(secret) = existing {
            let data = secret.data.unwrap_or_default();
            return KeySet::from_data(&data).map_err(|e| format!("{what} is not usable: {e}"));
        }
        let der = SigningKey::generate_pkcs8().map_err(|e| e.to_string())?;
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels: Some(
                    [(
                        "app.kubernetes.io/managed-by".to_owned(),
                        "compass-api".to_owned(),
                    )]
                    .into(),
                ),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_owned()),
            data: Some(secret_data(&der)),
            ..Secret::default()
        };
        match api.create(&PostParams::default(), &secret).await {
            Ok(_) => {
                tracing::info!(%namespace, %name, "Created the OAuth token signing key");
                return KeySet::from_data(&secret_data(&der));
            }
            // Another replica created it meanwhile: read theirs.
            Err(kube::Error::Api(status)) if status.code == 409 => continue,
            Err(e) => return Err(format!("creating {what} failed: {e}")),
        }
    }
    Err(format!("{what} kept appearing and disappearing; try again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_keys_verify_and_are_published_but_do_not_sign() {
        let old = SigningKey::generate_pkcs8().unwrap();
        let new = SigningKey::generate_pkcs8().unwrap();
        let old_key = SigningKey::from_pkcs8_der(&old).unwrap();
        let mut data = secret_data(&new);
        let previous = format!(
            "{}{}",
            SigningKey::pkcs8_pem(&old),
            SigningKey::pkcs8_pem(&new)
        );
        data.insert(PREVIOUS_KEYS.to_owned(), ByteString(previous.into_bytes()));
        let keys = KeySet::from_data(&data).unwrap();
        assert_ne!(keys.signing().key_id(), old_key.key_id());
        assert!(keys.key(old_key.key_id()).is_some());
        assert!(keys.key(keys.signing().key_id()).is_some());
        assert_eq!(
            keys.jwks()["keys"].as_array().unwrap().len(),
            2,
            "the current key listed again among the previous ones is published once"
        );
        assert!(keys.key("unknown").is_none());
    }

    #[test]
    fn a_secret_without_a_usable_key_is_refused_with_the_reason() {
        let error = KeySet::from_data(&BTreeMap::new()).err().unwrap();
        assert!(error.contains(SIGNING_KEY), "{error}");
        let garbage = [(SIGNING_KEY.to_owned(), ByteString(b"not a key".to_vec()))].into();
        assert!(KeySet::from_data(&garbage).is_err());
    }
}
