//! The agent's identity in the runtime: its key, its certificate chain and the Connector's CA
//! kept in the Secret `compass-agent-credentials` of the agent's namespace, with when the
//! certificate was acquired and expires and the management plane's URLs. Pairing and renewal
//! go through the Connector's flow (`compass_api::client::pairing`); the key never leaves the
//! runtime.

use std::collections::BTreeMap;

use compass_api::client::pairing::{self, Identity, Invitation, PairingError};
use jiff::Timestamp;
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{ObjectMeta, Patch, PatchParams},
};

use crate::{FIELD_MANAGER, config::AgentConfig};

/// Name of the Secret holding the agent's identity.
pub const CREDENTIALS_NAME: &str = "compass-agent-credentials";

/// Share of its lifetime after which a certificate is renewed.
const RENEW_AT: f64 = 0.7;

/// The agent's certificate and what the management plane told it.
#[derive(Clone)]
pub struct Credentials {
    /// The private key, PEM.
    pub key_pem: String,
    /// The client certificate followed by the Connector's CA, PEM.
    pub chain_pem: String,
    /// The client id (SystemAuth uid).
    pub client_id: String,
    /// When the certificate was acquired.
    pub acquired: Timestamp,
    /// When it became valid (the Connector backdates it a little, for clocks running late).
    pub not_before: Timestamp,
    /// When it expires.
    pub not_after: Timestamp,
    /// The Director's URL.
    pub director_url: String,
    /// The Connector's URL for calls with the certificate.
    pub connector_url: String,
}

impl Credentials {
    fn from_identity(identity: Identity) -> Self {
        Self {
            key_pem: identity.key_pem,
            chain_pem: identity.certificate_chain_pem,
            client_id: identity.client_id,
            acquired: Timestamp::now(),
            not_before: identity.not_before,
            not_after: identity.not_after,
            director_url: identity.director_url,
            connector_url: identity.certificate_secured_connector_url,
        }
    }

    /// Whether 70 % of the certificate's lifetime (counted from when it was acquired) is over.
    pub fn due_for_renewal(&self, now: Timestamp) -> bool {
        let lifetime = self.not_after.as_second() - self.acquired.as_second();
        let due = self.acquired.as_second() + (lifetime as f64 * RENEW_AT) as i64;
        now.as_second() >= due
    }

    /// Pairs with the management plane through the configuration's one-time token.
    pub async fn pair(config: &AgentConfig) -> Result<Self, PairingError> {
        let invitation = Invitation {
            token: config.token.clone(),
            connector_url: config.connector_url.clone(),
        };
        let key = pairing::generate_key()?;
        let identity = pairing::pair(&invitation, config.ca_cert.as_deref(), key).await?;
        Ok(Self::from_identity(identity))
    }

    /// Renews the certificate with itself, for a new key.
    pub async fn renew(&self, config: &AgentConfig) -> Result<Self, PairingError> {
        let key = pairing::generate_key()?;
        let current = (self.chain_pem.as_str(), self.key_pem.as_str());
        let ca = config.ca_cert.as_deref();
        let identity = pairing::renew(&self.connector_url, ca, current, key).await?;
        Ok(Self::from_identity(identity))
    }

    /// Reads the credentials from their Secret, `None` when there are none (or they are
    /// unreadable, which pairing again repairs).
    pub async fn load(client: &Client, namespace: &str) -> Result<Option<Self>, String> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let secret = secrets.get_opt(CREDENTIALS_NAME).await.map_err(|e| {
            format!("reading the Secret {namespace}/{CREDENTIALS_NAME} failed: {e}")
        })?;
        let Some(data) = secret.and_then(|s| s.data) else {
            return Ok(None);
        };
        let text = |key: &str| {
            data.get(key)
                .map(|v| String::from_utf8_lossy(&v.0).into_owned())
        };
        let time = |key: &str| text(key).and_then(|t| t.parse::<Timestamp>().ok());
        Ok((|| {
            let acquired = time("acquired")?;
            Some(Self {
                key_pem: text("tls.key")?,
                chain_pem: text("tls.crt")?,
                client_id: text("clientId")?,
                acquired,
                // Credentials stored before notBefore was kept count from their acquisition.
                not_before: time("notBefore").unwrap_or(acquired),
                not_after: time("notAfter")?,
                director_url: text("directorURL")?,
                connector_url: text("connectorURL")?,
            })
        })())
    }

    /// Writes the credentials to their Secret (server-side apply, the agent's field manager).
    pub async fn store(&self, client: &Client, namespace: &str) -> Result<(), String> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let entries = [
            ("tls.key", self.key_pem.clone()),
            ("tls.crt", self.chain_pem.clone()),
            ("clientId", self.client_id.clone()),
            ("acquired", self.acquired.to_string()),
            ("notBefore", self.not_before.to_string()),
            ("notAfter", self.not_after.to_string()),
            ("directorURL", self.director_url.clone()),
            ("connectorURL", self.connector_url.clone()),
        ];
        let data: BTreeMap<String, ByteString> = entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), ByteString(v.into_bytes())))
            .collect();
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(CREDENTIALS_NAME.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels: Some(crate::managed_labels()),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_owned()),
            data: Some(data),
            ..Secret::default()
        };
        let params = PatchParams::apply(FIELD_MANAGER).force();
        secrets
            .patch(CREDENTIALS_NAME, &params, &Patch::Apply(&secret))
            .await
            .map_err(|e| {
                format!("writing the Secret {namespace}/{CREDENTIALS_NAME} failed: {e}")
            })?;
        Ok(())
    }

    /// A Director client presenting this certificate, acting in `tenant`.
    pub fn director(
        &self,
        config: &AgentConfig,
    ) -> Result<compass_api::client::DirectorClient, String> {
        Ok(
            compass_api::client::DirectorClient::builder(&self.director_url)
                .trust(config.ca_cert.as_deref())
                .certificate(&self.chain_pem, &self.key_pem)
                .build()?
                .tenant(&config.tenant),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_due_after_seventy_percent_of_its_lifetime() {
        let acquired: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let credentials = Credentials {
            key_pem: String::new(),
            chain_pem: String::new(),
            client_id: String::new(),
            acquired,
            not_before: acquired,
            not_after: "2026-01-11T00:00:00Z".parse().unwrap(),
            director_url: String::new(),
            connector_url: String::new(),
        };
        assert!(!credentials.due_for_renewal("2026-01-07T23:59:00Z".parse().unwrap()));
        assert!(credentials.due_for_renewal("2026-01-08T00:00:00Z".parse().unwrap()));
    }
}
