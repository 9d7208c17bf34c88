//! The CustomResourceDefinitions the agent writes objects of: [`CompassConnection`] and Kyma's
//! [`Application`](crate::kyma::Application). The agent installs them where they are absent; where
//! a runtime already has them (a Kyma runtime), it uses them as they are and never replaces or
//! patches them. `agent-crdgen` writes them to `agent/yaml/` for installing them by hand.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api, Client, CustomResourceExt,
    api::PostParams,
    runtime::{conditions::is_crd_established, wait::await_condition},
};

use crate::{connection::CompassConnection, kyma};

/// Field manager of the CustomResourceDefinitions the agent creates.
pub const FIELD_MANAGER: &str = "compass-runtime-agent";

/// How long [`ensure_crds`] waits for a CustomResourceDefinition to be established.
pub const ESTABLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// The CustomResourceDefinitions of the kinds the agent writes, as it installs them.
pub fn crds() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![CompassConnection::crd(), kyma::Application::crd()];
    crds.iter_mut().for_each(compass_crds::reflow_descriptions);
    crds
}

/// Installs each of [`crds`] that the cluster does not have, waits until each is established,
/// and returns the names of those it installed.
///
/// One that exists is used as it is, whatever its schema or printer columns: it is never
/// replaced or patched. It must serve the version the agent writes, `v1alpha1`.
pub async fn ensure_crds(client: &Client) -> Result<Vec<String>, String> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut installed = Vec::new();
    for crd in crds() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let existing = api
            .get_opt(&name)
            .await
            .map_err(|e| format!("reading the CustomResourceDefinition {name} failed: {e}"))?;
        match existing {
            Some(existing) => serves_the_agents_version(&existing)?,
            None => {
                let params = PostParams {
                    field_manager: Some(FIELD_MANAGER.to_owned()),
                    ..PostParams::default()
                };
                match api.create(&params, &crd).await {
                    Ok(_) => installed.push(name.clone()),
                    // Someone else installed it meanwhile: theirs is used as it is.
                    Err(kube::Error::Api(status)) if status.is_already_exists() => {}
                    Err(error) => {
                        return Err(format!(
                            "creating the CustomResourceDefinition {name} failed: {error}"
                        ));
                    }
                }
            }
        }
        established(&api, &name).await?;
    }
    Ok(installed)
}

/// Fails unless `crd` serves every version of the agent's definition of the same kind.
fn serves_the_agents_version(crd: &CustomResourceDefinition) -> Result<(), String> {
    let name = crd.metadata.name.as_deref().unwrap_or_default();
    let wanted = crds()
        .into_iter()
        .filter(|ours| ours.metadata.name.as_deref() == Some(name))
        .flat_map(|ours| ours.spec.versions)
        .map(|version| version.name);
    for version in wanted {
        let served = crd
            .spec
            .versions
            .iter()
            .any(|v| v.name == version && v.served);
        if !served {
            return Err(format!(
                "the CustomResourceDefinition {name} exists but does not serve {version}, which \
                 the agent writes"
            ));
        }
    }
    Ok(())
}

/// Waits until the CustomResourceDefinition `name` is established, at most
/// [`ESTABLISH_TIMEOUT`].
async fn established(api: &Api<CustomResourceDefinition>, name: &str) -> Result<(), String> {
    let wait = await_condition(api.clone(), name, is_crd_established());
    match tokio::time::timeout(ESTABLISH_TIMEOUT, wait).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!(
            "waiting for the CustomResourceDefinition {name} failed: {error}"
        )),
        Err(_) => Err(format!(
            "the CustomResourceDefinition {name} was not established within {} s",
            ESTABLISH_TIMEOUT.as_secs()
        )),
    }
}

// === YAML ===

/// The generator of `agent/yaml/`, the definitions for installing by hand.
pub const AGENT_CRDGEN: compass_crds::CrdGenerator = compass_crds::CrdGenerator {
    command: "cargo agent-crdgen",
    source: "agent/src",
    directory: "agent/yaml",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_are_cluster_scoped_with_a_status() {
        let names: Vec<_> = crds()
            .iter()
            .map(|crd| {
                assert_eq!(crd.spec.scope, "Cluster");
                assert!(
                    crd.spec.versions[0]
                        .subresources
                        .as_ref()
                        .is_some_and(|s| s.status.is_some())
                );
                crd.metadata.name.clone().unwrap()
            })
            .collect();
        assert_eq!(
            names,
            [
                "compassconnections.compass.kyma-project.io",
                "applications.applicationconnector.kyma-project.io"
            ]
        );
    }

    #[test]
    fn a_definition_without_the_agents_version_is_refused() {
        let mut crd = kyma::Application::crd();
        assert!(serves_the_agents_version(&crd).is_ok());
        crd.spec.versions[0].served = false;
        let error = serves_the_agents_version(&crd).unwrap_err();
        assert!(error.contains("does not serve v1alpha1"), "{error}");
    }
}
