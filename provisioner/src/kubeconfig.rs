//! The `kubeconfig` provider: a cluster that already exists, handed over as a kubeconfig in a
//! Secret of the Runtime's namespace. Provisioning installs the Runtime Agent into it from
//! `agent/manifests/` (see `install.rs`); deprovisioning removes exactly what was installed. The
//! cluster itself is never the provider's: it stays.

use std::sync::Arc;

use compass_operator::http::guard::OutboundPolicy;
use futures_util::future::BoxFuture;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, config::Kubeconfig};
use serde_json::{Map, Value};

use crate::{
    install,
    provider::{AgentBootstrap, Progress, Provider, ProviderError, RuntimeTarget},
    remote, render,
};

/// The provider's name in `spec.provisioning.provider`.
pub const KUBECONFIG: &str = "kubeconfig";

/// Where a configuration's fields are, for messages.
const CONFIGURATION: &str = "spec.provisioning.configuration";
/// The key of the kubeconfig in its Secret unless the configuration names another.
const DEFAULT_KEY: &str = "kubeconfig";

/// What a Runtime asks of the provider, from `spec.provisioning.configuration`.
#[derive(Clone, Debug, PartialEq)]
pub struct KubeconfigSettings {
    /// The Secret in the Runtime's namespace holding the kubeconfig.
    pub secret_name: String,
    /// Its key.
    pub key: String,
    /// The agent's image.
    pub image: String,
}

impl KubeconfigSettings {
    /// Reads `{"kubeconfigSecretRef": {"name", "key"}, "image"}`; each refusal names the field.
    pub fn parse(configuration: Option<&Map<String, Value>>) -> Result<Self, ProviderError> {
        let empty = Map::new();
        let configuration = configuration.unwrap_or(&empty);
        let reference = match configuration.get("kubeconfigSecretRef") {
            Some(Value::Object(reference)) => reference,
            _ => {
                return Err(ProviderError::Invalid(format!(
                    "{CONFIGURATION}.kubeconfigSecretRef is required: an object naming the Secret \
                     in the Runtime's namespace that holds the cluster's kubeconfig ({{\"name\": \
                     ..., \"key\": \"kubeconfig\"}})"
                )));
            }
        };
        let field = format!("{CONFIGURATION}.kubeconfigSecretRef");
        let secret_name = name_field(reference, "name", &field)?
            .ok_or_else(|| required(&format!("{field}.name")))?;
        let key = match reference.get("key") {
            None => DEFAULT_KEY.to_owned(),
            Some(Value::String(key)) if secret_key(key) => key.clone(),
            Some(_) => {
                return Err(ProviderError::Invalid(format!(
                    "{field}.key must be a Secret key: letters, digits, '-', '_' and '.', at most \
                     253 characters"
                )));
            }
        };
        let image = image_field(configuration)?.unwrap_or_else(render::default_image);
        Ok(Self {
            secret_name,
            key,
            image,
        })
    }
}

/// The optional `image` of a configuration: a non-empty image reference without whitespace.
pub(crate) fn image_field(
    configuration: &Map<String, Value>,
) -> Result<Option<String>, ProviderError> {
    match configuration.get("image") {
        None => Ok(None),
        Some(Value::String(image))
            if !image.is_empty() && image.len() <= 512 && !image.contains(char::is_whitespace) =>
        {
            Ok(Some(image.clone()))
        }
        Some(_) => Err(ProviderError::Invalid(format!(
            "{CONFIGURATION}.image must be an image reference (such as registry.example.com/\
             compass:0.1.0): a non-empty string without spaces"
        ))),
    }
}

/// The field `name` of `object` when present: a DNS subdomain (the name of a Kubernetes object).
pub(crate) fn name_field(
    object: &Map<String, Value>,
    name: &str,
    parent: &str,
) -> Result<Option<String>, ProviderError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(value)) if dns_subdomain(value) => Ok(Some(value.clone())),
        Some(_) => Err(ProviderError::Invalid(format!(
            "{parent}.{name} must be the name of a Kubernetes object: lower-case letters, digits, \
             '-' and '.', starting and ending with a letter or digit, at most 253 characters"
        ))),
    }
}

pub(crate) fn required(field: &str) -> ProviderError {
    ProviderError::Invalid(format!("{field} is required"))
}

fn dns_subdomain(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !name.is_empty()
        && name.len() <= 253
        && name.chars().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().last())
}

fn secret_key(key: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    !key.is_empty() && key.len() <= 253 && key.chars().all(allowed)
}

/// Runtimes in clusters that exist already.
pub struct KubeconfigProvider {
    management: Client,
    outbound: OutboundPolicy,
}

impl KubeconfigProvider {
    /// A provider reading kubeconfig Secrets through `management` and reaching clusters only
    /// where `outbound` permits.
    pub fn new(management: Client, outbound: OutboundPolicy) -> Arc<Self> {
        Arc::new(Self {
            management,
            outbound,
        })
    }

    /// The kubeconfig the runtime's configuration names; `None` when its Secret is gone.
    async fn kubeconfig(
        &self,
        runtime: &RuntimeTarget,
        settings: &KubeconfigSettings,
    ) -> Result<Option<(Kubeconfig, String)>, ProviderError> {
        let source = format!(
            "in Secret {}/{} (key {})",
            runtime.namespace, settings.secret_name, settings.key
        );
        let secrets: Api<Secret> = Api::namespaced(self.management.clone(), &runtime.namespace);
        let secret = secrets.get_opt(&settings.secret_name).await.map_err(|e| {
            ProviderError::Failed(format!("reading the Secret {source} failed: {e}"))
        })?;
        let Some(secret) = secret else {
            return Ok(None);
        };
        let value = secret.data.as_ref().and_then(|d| d.get(&settings.key));
        let Some(value) = value else {
            let rule = format!(
                "has no key {} ({CONFIGURATION}.kubeconfigSecretRef.key)",
                settings.key
            );
            return Err(ProviderError::Invalid(format!(
                "the Secret {source} {rule}"
            )));
        };
        let text = std::str::from_utf8(&value.0)
            .map_err(|_| ProviderError::Invalid(format!("the kubeconfig {source} is not text")))?;
        Ok(Some((remote::parse(text, &source)?, source)))
    }

    async fn provision_now(
        &self,
        runtime: &RuntimeTarget,
        agent: Option<&AgentBootstrap>,
    ) -> Result<Progress, ProviderError> {
        let settings = KubeconfigSettings::parse(runtime.request.configuration.as_ref())?;
        let Some((kubeconfig, source)) = self.kubeconfig(runtime, &settings).await? else {
            return Err(ProviderError::Failed(format!(
                "the Secret {}/{} ({CONFIGURATION}.kubeconfigSecretRef.name) does not exist",
                runtime.namespace, settings.secret_name
            )));
        };
        install_with(
            kubeconfig,
            &source,
            &self.outbound,
            runtime,
            &settings.image,
            agent,
        )
        .await
    }

    async fn deprovision_now(&self, runtime: &RuntimeTarget) -> Result<Progress, ProviderError> {
        let settings = KubeconfigSettings::parse(runtime.request.configuration.as_ref())?;
        let Some((kubeconfig, source)) = self.kubeconfig(runtime, &settings).await? else {
            return Ok(Progress::Done(format!(
                "nothing could be removed from the cluster: its kubeconfig Secret {}/{} is gone \
                 (the cluster is not Compass's, so it stays as it is)",
                runtime.namespace, settings.secret_name
            )));
        };
        let client = remote::connect(kubeconfig, &self.outbound, &source).await?;
        install::uninstall(&client, &runtime.id).await
    }
}

/// Installs the agent for `runtime` with `image` into the cluster of `kubeconfig` (from
/// `source`): the step the `kubeconfig` and `cluster-api` providers share.
pub(crate) async fn install_with(
    kubeconfig: Kubeconfig,
    source: &str,
    outbound: &OutboundPolicy,
    runtime: &RuntimeTarget,
    image: &str,
    agent: Option<&AgentBootstrap>,
) -> Result<Progress, ProviderError> {
    let client = remote::connect(kubeconfig, outbound, source).await?;
    install::install(&client, &runtime.id, image, agent).await
}

impl Provider for KubeconfigProvider {
    fn name(&self) -> &'static str {
        KUBECONFIG
    }

    fn provision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
        agent: Option<&'a AgentBootstrap>,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.provision_now(runtime, agent))
    }

    fn deprovision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.deprovision_now(runtime))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(configuration: Value) -> String {
        let configuration = configuration.as_object().cloned();
        match KubeconfigSettings::parse(configuration.as_ref()) {
            Err(ProviderError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn settings_take_defaults_and_refuse_each_field_by_name() {
        let configuration = json!({ "kubeconfigSecretRef": { "name": "edge-cluster" } });
        let settings = KubeconfigSettings::parse(configuration.as_object()).unwrap();
        assert_eq!(settings.key, "kubeconfig");
        assert_eq!(settings.image, "compass:0.1.0");
        let field = "spec.provisioning.configuration.kubeconfigSecretRef";
        assert!(refusal(json!({})).contains(field));
        assert!(refusal(json!({ "kubeconfigSecretRef": {} })).contains(&format!("{field}.name")));
        let bad_name = json!({ "kubeconfigSecretRef": { "name": "Edge_Cluster" } });
        assert!(refusal(bad_name).contains(&format!("{field}.name")));
        let bad_key = json!({ "kubeconfigSecretRef": { "name": "e", "key": "a/b" } });
        assert!(refusal(bad_key).contains(&format!("{field}.key")));
        let bad_image = json!({ "kubeconfigSecretRef": { "name": "e" }, "image": "a b" });
        assert!(refusal(bad_image).contains("spec.provisioning.configuration.image"));
    }
}
