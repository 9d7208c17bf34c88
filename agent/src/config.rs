//! The agent's bootstrap configuration, as the original agent read it: the Secret (or, failing
//! that, the ConfigMap) `compass-agent-configuration` in the agent's namespace with
//! `CONNECTOR_URL`, `RUNTIME_ID`, `TENANT`, `TOKEN` and, where the management plane's serving
//! certificate is not publicly trusted, `CA_CERT`. Flags given on the command line take
//! precedence over its keys. Each refusal names the key and the rule.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::{Api, Client};

/// Name of the Secret or ConfigMap holding the configuration.
pub const CONFIGURATION_NAME: &str = "compass-agent-configuration";

/// Where the management plane is and how to pair with it.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// `CONNECTOR_URL`: the Connector's URL, `https://…/connector/graphql`.
    pub connector_url: String,
    /// `RUNTIME_ID`: the id of this runtime in the management plane.
    pub runtime_id: String,
    /// `TENANT`: the external id of the runtime's tenant.
    pub tenant: String,
    /// `TOKEN`: the one-time token of `requestOneTimeTokenForRuntime`.
    pub token: String,
    /// `CA_CERT`: PEM certificates the management plane's serving certificate is checked
    /// against; without it, the public web PKI's roots.
    pub ca_cert: Option<String>,
}

impl std::fmt::Debug for AgentConfig {
    // The token is a credential: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("connector_url", &self.connector_url)
            .field("runtime_id", &self.runtime_id)
            .field("tenant", &self.tenant)
            .field("ca_cert", &self.ca_cert.is_some())
            .finish_non_exhaustive()
    }
}

impl AgentConfig {
    /// The configuration in `data` (keys as above), from `source` (named in errors), with
    /// `overrides` (the same keys, from flags) taking precedence.
    pub fn from_data(
        data: &BTreeMap<String, String>,
        overrides: &BTreeMap<String, String>,
        source: &str,
    ) -> Result<Self, String> {
        let value = |key: &str| {
            overrides
                .get(key)
                .or_else(|| data.get(key))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |key: &str| {
            value(key).ok_or_else(|| format!("{source}: {key} is required and must not be empty"))
        };
        let connector_url = required("CONNECTOR_URL")?;
        let parsed = url::Url::parse(&connector_url)
            .map_err(|e| format!("{source}: CONNECTOR_URL is not a URL: {e}"))?;
        if parsed.scheme() != "https" {
            return Err(format!(
                "{source}: CONNECTOR_URL must be an https URL (the Connector is served over TLS only); it is {connector_url:?}"
            ));
        }
        let ca_cert = value("CA_CERT");
        if let Some(pem) = &ca_cert
            && !pem.contains("-----BEGIN CERTIFICATE-----")
        {
            return Err(format!("{source}: CA_CERT must hold PEM certificates"));
        }
        Ok(Self {
            connector_url,
            runtime_id: required("RUNTIME_ID")?,
            tenant: required("TENANT")?,
            token: required("TOKEN")?,
            ca_cert,
        })
    }

    /// Reads the configuration from the Secret `namespace`/[`CONFIGURATION_NAME`], else the
    /// ConfigMap of that name; with only `overrides` when neither exists.
    pub async fn read(
        client: &Client,
        namespace: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let failed = |what: &str, e: kube::Error| {
            format!("reading the {what} {namespace}/{CONFIGURATION_NAME} failed: {e}")
        };
        if let Some(secret) = secrets
            .get_opt(CONFIGURATION_NAME)
            .await
            .map_err(|e| failed("Secret", e))?
        {
            let data = secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                .chain(secret.string_data.unwrap_or_default())
                .collect();
            let source = format!("Secret {namespace}/{CONFIGURATION_NAME}");
            return Self::from_data(&data, overrides, &source);
        }
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
        let data = maps
            .get_opt(CONFIGURATION_NAME)
            .await
            .map_err(|e| failed("ConfigMap", e))?
            .and_then(|m| m.data)
            .unwrap_or_default();
        let source = format!("ConfigMap (or Secret) {namespace}/{CONFIGURATION_NAME}");
        Self::from_data(&data, overrides, &source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const COMPLETE: [(&str, &str); 4] = [
        (
            "CONNECTOR_URL",
            "https://compass.example.com/connector/graphql",
        ),
        ("RUNTIME_ID", "4c5a1b7e-0000-4000-8000-000000000001"),
        ("TENANT", "3e64ebae-38b5-46a0-b1ed-9ccee153a0ae"),
        ("TOKEN", "secret-token"),
    ];

    #[test]
    fn every_key_is_required_and_flags_take_precedence() {
        let none = BTreeMap::new();
        let config = AgentConfig::from_data(&data(&COMPLETE), &none, "test").unwrap();
        assert_eq!(config.tenant, COMPLETE[2].1);
        assert!(!format!("{config:?}").contains("secret-token"));
        for (missing, _) in COMPLETE {
            let partial: Vec<_> = COMPLETE
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let error = AgentConfig::from_data(&data(&partial), &none, "test").unwrap_err();
            assert!(
                error.contains(missing) && error.contains("required"),
                "{error}"
            );
        }
        let flags = data(&[("TENANT", "other")]);
        let config = AgentConfig::from_data(&data(&COMPLETE), &flags, "test").unwrap();
        assert_eq!(config.tenant, "other");
    }

    #[test]
    fn the_connector_url_must_be_https_and_the_ca_pem() {
        let none = BTreeMap::new();
        let mut plain = data(&COMPLETE);
        plain.insert(
            "CONNECTOR_URL".into(),
            "http://compass/connector/graphql".into(),
        );
        let error = AgentConfig::from_data(&plain, &none, "test").unwrap_err();
        assert!(
            error.contains("CONNECTOR_URL must be an https URL"),
            "{error}"
        );
        let mut ca = data(&COMPLETE);
        ca.insert("CA_CERT".into(), "not pem".into());
        let error = AgentConfig::from_data(&ca, &none, "test").unwrap_err();
        assert!(error.contains("CA_CERT"), "{error}");
    }
}
