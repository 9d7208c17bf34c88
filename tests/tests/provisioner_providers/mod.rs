//! The provisioner's `kubeconfig` and `cluster-api` providers, and the `embedded` provider as it
//! runs on a cluster, driven through their trait, with a bare control plane that stores
//! workloads (`--store-workloads`) standing for a runtime's existing cluster or the host
//! cluster: what they install there, the agent pairing with exactly that, what deletion
//! removes, and the configurations they refuse ([`kubeconfig`], [`cluster_api`], [`hosted`]).
//! One binary, so that they run in parallel.

mod cluster_api;
mod hosted;
mod kubeconfig;

use std::{collections::BTreeMap, time::Duration};

use compass_crds::provisioning::ProvisioningSpec;
use compass_operator::http::guard::OutboundPolicy;
use compass_provisioner::provider::{
    AgentBootstrap, Progress, Provider, ProviderError, RuntimeTarget,
};
use compass_tests::{DEADLINE, TestServer};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};
use serde_json::Value;

/// The label the providers put on what they make.
const INSTALLED_FOR: &str = "compass.kyma-project.io/installed-for-runtime";

/// The outbound policy of tests: loopback allowed, where the control planes listen.
fn loopback_allowed() -> OutboundPolicy {
    OutboundPolicy::new(vec![
        "127.0.0.0/8".parse().expect("a network"),
        "::1".parse().expect("an address"),
    ])
}

/// A control plane standing for a runtime's existing cluster: it stores Deployments.
async fn existing_cluster() -> TestServer {
    TestServer::start_with(|config| config.server.store_workloads = true).await
}

/// The runtime `name` (id `id`) in `namespace` asking `provider` with `configuration`.
fn target(
    namespace: &str,
    name: &str,
    id: &str,
    provider: &str,
    configuration: Value,
) -> RuntimeTarget {
    RuntimeTarget {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        id: id.to_owned(),
        request: ProvisioningSpec {
            provider: provider.to_owned(),
            configuration: configuration.as_object().cloned(),
            kubernetes_version: None,
        },
    }
}

/// The agent's configuration from the keys the Director hands out (`agent_settings`).
fn bootstrap(settings: &BTreeMap<String, String>) -> AgentBootstrap {
    let key = |k: &str| settings.get(k).cloned().unwrap_or_default();
    AgentBootstrap {
        connector_url: key("CONNECTOR_URL"),
        runtime_id: key("RUNTIME_ID"),
        tenant: key("TENANT"),
        token: key("TOKEN"),
        ca_cert: settings.get("CA_CERT").cloned(),
    }
}

/// An agent configuration for tests that never pair.
fn unused_bootstrap(runtime_id: &str) -> AgentBootstrap {
    AgentBootstrap {
        connector_url: "https://compass.example.com/connector/graphql".into(),
        runtime_id: runtime_id.into(),
        tenant: "tenant".into(),
        token: "not-a-real-token".into(),
        ca_cert: None,
    }
}

/// Writes the Secret `name` with `data` in `namespace` of the management plane.
async fn put_secret(
    management: &Client,
    namespace: &str,
    name: &str,
    type_: Option<&str>,
    data: &[(&str, &str)],
) {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        type_: type_.map(str::to_owned),
        data: Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Secret::default()
    };
    let secrets: Api<Secret> = Api::namespaced(management.clone(), namespace);
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("the Secret is created");
}

/// The admin kubeconfig of `server`, as text.
fn kubeconfig_text(server: &TestServer) -> String {
    std::fs::read_to_string(server.kubeconfig()).expect("the kubeconfig reads")
}

/// Calls `step` until it is done, as the provisioner does; fails on an error or after the
/// deadline. Returns the last message.
async fn until_done<F, Fut>(what: &str, mut step: F) -> String
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Progress, ProviderError>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match step().await {
            Ok(Progress::Done(message)) => return message,
            Ok(Progress::Waiting(message, _)) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{what}: still waiting after {DEADLINE:?}: {message}"
                );
            }
            Err(error) => panic!("{what} failed: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The message of an `Invalid` refusal; fails the test on anything else.
fn invalid(outcome: Result<Progress, ProviderError>) -> String {
    match outcome {
        Err(ProviderError::Invalid(message)) => message,
        other => panic!("expected an Invalid refusal, got {other:?}"),
    }
}

/// The provider's name, checked.
fn named(provider: &dyn Provider, name: &str) {
    assert_eq!(provider.name(), name);
}
