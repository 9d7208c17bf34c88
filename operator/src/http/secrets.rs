//! Where credentials come from: the Secrets a credential names, read from the API server when a
//! call needs them (never cached across calls, so a rotated Secret takes effect at the next call),
//! or from a map in tests.

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    sync::{Arc, Mutex},
};

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};

use super::auth::AuthError;

/// The data of a Secret: each key with its decoded bytes.
pub type SecretData = BTreeMap<String, Vec<u8>>;

/// Reads Secrets by name, in the namespace of the object whose credentials they are.
pub trait SecretSource: Sync {
    /// The data of the Secret `name`, `None` when it does not exist, or why it could not be
    /// read.
    fn secret(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Arc<SecretData>>, String>> + Send;
}

/// Secrets of one namespace, read through the API server. Each Secret is read at most once per
/// value of this type, so one reconcile that makes several calls with the same credential reads
/// it once; make a new one for each reconcile.
pub struct NamespaceSecrets {
    api: Api<Secret>,
    read: Mutex<HashMap<String, Option<Arc<SecretData>>>>,
}

impl NamespaceSecrets {
    /// Secrets of `namespace`.
    pub fn new(client: Client, namespace: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            read: Mutex::default(),
        }
    }
}

impl SecretSource for NamespaceSecrets {
    async fn secret(&self, name: &str) -> Result<Option<Arc<SecretData>>, String> {
        if let Some(known) = self
            .read
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(known.clone());
        }
        let found = self
            .api
            .get_opt(name)
            .await
            .map_err(|e| e.to_string())?
            .map(|secret| Arc::new(decode(secret)));
        self.read
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), found.clone());
        Ok(found)
    }
}

/// A Secret's data and string data, merged as the API server would on write.
fn decode(secret: Secret) -> SecretData {
    let mut data: SecretData = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0))
        .collect();
    for (key, value) in secret.string_data.unwrap_or_default() {
        data.insert(key, value.into_bytes());
    }
    data
}

/// Secrets held in memory, by name: for tests and for credentials that do not come from the API.
impl SecretSource for HashMap<String, SecretData> {
    async fn secret(&self, name: &str) -> Result<Option<Arc<SecretData>>, String> {
        Ok(self.get(name).cloned().map(Arc::new))
    }
}

/// The text under `key` in the Secret `name`: fails naming the Secret and the key when either is
/// missing.
pub async fn read_key<S: SecretSource>(
    secrets: &S,
    name: &str,
    key: &str,
) -> Result<String, AuthError> {
    let data = secrets
        .secret(name)
        .await
        .map_err(|reason| AuthError::SecretUnreadable {
            secret: name.to_owned(),
            reason,
        })?
        .ok_or_else(|| AuthError::SecretNotFound {
            secret: name.to_owned(),
            key: key.to_owned(),
        })?;
    let value = data.get(key).ok_or_else(|| AuthError::KeyMissing {
        secret: name.to_owned(),
        key: key.to_owned(),
    })?;
    String::from_utf8(value.clone()).map_err(|_| AuthError::KeyNotText {
        secret: name.to_owned(),
        key: key.to_owned(),
    })
}
