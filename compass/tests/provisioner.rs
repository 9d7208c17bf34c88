//! The Runtime Provisioner under `compass up`, as a user drives it with kubectl: with the
//! `embedded` provider, a Runtime asking for a cluster gets a control plane process of its own
//! with an agent that pairs and applies the application of its scenario there, and deleting the
//! Runtime stops the processes and removes their data; the same through the Provisioner API, with
//! the original's operations. With the `kubeconfig` provider, an existing cluster (`compass
//! apiserver --store-workloads`) gets the agent installed, and deleting the Runtime removes it.

mod compass_up;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use compass_api::client::DirectorClient;
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID as TENANT;
use compass_up::CompassUp;
use serde_json::{Value, json};

/// Polls `check` every 250 ms until it returns something, failing after 60 s with `what`.
fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Command lines of the running processes that name `path`.
fn processes_naming(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|line| line.contains(&needle))
        .collect()
}

/// The Kyma Applications in the runtime cluster of `kubeconfig`, as `kubectl get -o name` prints
/// them.
fn applied_in(kubeconfig: &Path) -> String {
    let output = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args([
            "get",
            "applications.applicationconnector.kyma-project.io",
            "-o",
            "name",
        ])
        .env_remove("KUBECONFIG")
        .output();
    output
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

const REQUEST: &str = r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: default-tenant
spec:
  providerName: Shop Corp
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Runtime
metadata:
  name: edge
  namespace: default-tenant
spec:
  provisioning:
    provider: embedded
"#;

#[test]
fn an_embedded_runtime_is_provisioned_receives_its_applications_and_is_removed() {
    let data_dir = tempfile::tempdir().unwrap();
    let management = CompassUp::start(data_dir.path(), &[]);
    let request = data_dir.path().join("request.yaml");
    std::fs::write(&request, REQUEST).unwrap();
    management.kubectl_ok(&["apply", "-f", request.to_str().unwrap()]);

    let ns = ["-n", "default-tenant"];
    let wait = |condition: &str| {
        let condition = format!("--for=condition={condition}");
        let args = ["wait", &condition, "runtime/edge", "--timeout=90s"];
        management.kubectl_ok(&[&args[..], &ns[..]].concat());
    };
    wait("AgentConnected");
    wait("Provisioned");
    let operation = until("the Provision operation succeeded", || {
        let path = "jsonpath={.status.provisioning.operations[0].type}/{.status.provisioning.operations[0].state}";
        let got =
            management.kubectl_ok(&[&["get", "runtime", "edge", "-o", path][..], &ns[..]].concat());
        (got == "Provision/Succeeded").then_some(got)
    });
    assert_eq!(operation, "Provision/Succeeded");
    let events = management.kubectl_ok(&[&["get", "events", "-o", "json"][..], &ns[..]].concat());
    assert!(
        events.contains("ProvisioningStarted") && events.contains("\"Provisioned\""),
        "{events}"
    );

    let runtime_dir = data_dir.path().join("runtimes/default-tenant/edge");
    let kubeconfig = runtime_dir.join("cluster/kubeconfig");
    assert!(kubeconfig.exists(), "{}", kubeconfig.display());
    let applied = until("the shop is applied in the embedded runtime", || {
        let applied = applied_in(&kubeconfig);
        applied.contains("shop").then_some(applied)
    });
    assert!(applied.contains("shop"), "{applied}");
    assert_eq!(
        processes_naming(&runtime_dir).len(),
        2,
        "the runtime's control plane and agent run: {:?}",
        processes_naming(&runtime_dir)
    );

    // Withdrawing the request removes what the provider made and releases the Runtime, which
    // stays registered; asking again provisions it afresh.
    let withdraw = r#"[{"op": "remove", "path": "/spec/provisioning"}]"#;
    let patch = ["patch", "runtime", "edge", "--type", "json", "-p", withdraw];
    management.kubectl_ok(&[&patch[..], &ns[..]].concat());
    until("the withdrawn runtime's processes are gone", || {
        processes_naming(&runtime_dir).is_empty().then_some(())
    });
    until(
        "the withdrawn runtime's data is gone and its finalizer released",
        || {
            let path = "jsonpath={.metadata.finalizers}";
            let held = management
                .kubectl_ok(&[&["get", "runtime", "edge", "-o", path][..], &ns[..]].concat());
            (!runtime_dir.exists() && held.is_empty()).then_some(())
        },
    );
    let ask = r#"{"spec": {"provisioning": {"provider": "embedded"}}}"#;
    let patch = ["patch", "runtime", "edge", "--type", "merge", "-p", ask];
    management.kubectl_ok(&[&patch[..], &ns[..]].concat());
    until(
        "the runtime is provisioned again, its new agent paired",
        || applied_in(&kubeconfig).contains("shop").then_some(()),
    );
    assert_eq!(processes_naming(&runtime_dir).len(), 2);

    management.kubectl_ok(&[&["delete", "runtime", "edge", "--timeout=60s"][..], &ns[..]].concat());
    until("the runtime's processes are gone", || {
        processes_naming(&runtime_dir).is_empty().then_some(())
    });
    assert!(!runtime_dir.exists(), "its data is removed");
}

/// `kubectl` against the cluster of `kubeconfig`.
fn kubectl_in(kubeconfig: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs")
}

const EXISTING_CLUSTER_REQUEST: &str = r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: Runtime
metadata:
  name: existing
  namespace: default-tenant
spec:
  provisioning:
    provider: kubeconfig
    configuration:
      kubeconfigSecretRef:
        name: existing-cluster
"#;

#[test]
fn an_existing_cluster_gets_the_agent_installed_and_removed_through_its_kubeconfig() {
    let data_dir = tempfile::tempdir().unwrap();
    let cluster_dir = tempfile::tempdir().unwrap();
    let cluster = CompassUp::start_apiserver(cluster_dir.path(), &["--store-workloads"]);
    let cluster_kubeconfig = cluster_dir.path().join("kubeconfig");
    // The cluster listens on loopback, which compass up reaches only when allowed.
    let management = CompassUp::start(data_dir.path(), &["--outbound-allow", "127.0.0.0/8"]);
    let ns = ["-n", "default-tenant"];
    let from_file = format!("--from-file=kubeconfig={}", cluster_kubeconfig.display());
    let create = [
        "create",
        "secret",
        "generic",
        "existing-cluster",
        &from_file,
    ];
    management.kubectl_ok(&[&create[..], &ns[..]].concat());
    let request = data_dir.path().join("existing.yaml");
    std::fs::write(&request, EXISTING_CLUSTER_REQUEST).unwrap();
    management.kubectl_ok(&["apply", "-f", request.to_str().unwrap()]);

    let wait = [
        "wait",
        "--for=condition=Provisioned",
        "runtime/existing",
        "--timeout=60s",
    ];
    management.kubectl_ok(&[&wait[..], &ns[..]].concat());
    let deployment = [
        "get",
        "deployment",
        "compass-runtime-agent",
        "-n",
        "compass-system",
    ];
    let installed = kubectl_in(
        &cluster_kubeconfig,
        &[&deployment[..], &["-o", "name"]].concat(),
    );
    assert!(installed.status.success(), "{installed:?}");
    let secret = [
        "get",
        "secret",
        "compass-agent-configuration",
        "-n",
        "compass-system",
    ];
    assert!(kubectl_in(&cluster_kubeconfig, &secret).status.success());

    let delete = ["delete", "runtime", "existing", "--timeout=60s"];
    management.kubectl_ok(&[&delete[..], &ns[..]].concat());
    let namespace = ["get", "namespace", "compass-system", "-o", "name"];
    until("the installation is removed from the cluster", || {
        let found = kubectl_in(&cluster_kubeconfig, &namespace);
        String::from_utf8_lossy(&found.stderr)
            .contains("NotFound")
            .then_some(())
    });
    drop(cluster);
}

/// Runs `query` with `variables` and returns the whole answer (data and errors).
fn answer(
    tokio: &tokio::runtime::Runtime,
    client: &DirectorClient,
    query: &str,
    variables: Value,
) -> Value {
    tokio
        .block_on(client.execute(query, variables))
        .unwrap()
        .body
}

/// Runs `query` and returns its data, failing on any error.
fn data(
    tokio: &tokio::runtime::Runtime,
    client: &DirectorClient,
    query: &str,
    variables: Value,
) -> Value {
    let body = answer(tokio, client, query, variables);
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

const OPERATION: &str = "query ($id: String!) { runtimeOperationStatus(id: $id) { id operation state message runtimeID } }";

#[test]
fn the_provisioner_api_provisions_reconnects_upgrades_and_deprovisions() {
    let data_dir = tempfile::tempdir().unwrap();
    let management = CompassUp::start(data_dir.path(), &[]);
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let token = std::fs::read_to_string(data_dir.path().join("admin-token")).unwrap();
    let ca = std::fs::read_to_string(data_dir.path().join("ca.crt")).unwrap();
    let director = DirectorClient::new(&management.director_url(), &ca, token.trim())
        .unwrap()
        .tenant(TENANT);
    let provisioner_url = format!("{}/provisioner/graphql", management.api_url());
    let provisioner = DirectorClient::new(&provisioner_url, &ca, token.trim())
        .unwrap()
        .tenant(TENANT);
    let register = "mutation { registerApplication(in: { name: \"shop\" }) { id } }";
    until("the default tenant is Ready and takes the shop", || {
        let body = answer(&tokio, &director, register, json!({}));
        body.get("errors").is_none().then_some(())
    });
    let lab = data(
        &tokio,
        &director,
        "mutation { registerRuntime(in: { name: \"lab\" }) { id } }",
        json!({}),
    );
    let lab = lab["registerRuntime"]["id"].as_str().unwrap().to_owned();
    let operation = |id: &str| {
        let found = data(&tokio, &provisioner, OPERATION, json!({ "id": id }));
        found["runtimeOperationStatus"].clone()
    };
    let settled = |id: &str| {
        until("the operation ends", || {
            let op = operation(id);
            matches!(op["state"].as_str(), Some("Succeeded" | "Failed")).then_some(op)
        })
    };

    // The original's Gardener configuration is refused naming the providers available.
    let provision = "mutation ($id: String!, $config: ProvisionRuntimeInput!) { provisionRuntime(id: $id, config: $config) }";
    let gardener = json!({
        "clusterConfig": { "gardenerConfig": { "name": "lab", "nodeCount": 3, "providerSpecificConfig": { "gcpConfig": { "zone": "a" } } } },
        "credentials": { "secretName": "gardener" },
        "kymaConfig": { "version": "1.9", "modules": ["Backup"] },
    });
    let refused = answer(
        &tokio,
        &provisioner,
        provision,
        json!({ "id": lab, "config": gardener }),
    );
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("config.clusterConfig.gardenerConfig")
            && message.contains("embedded, kubeconfig, cluster-api"),
        "{refused}"
    );

    // Provision through the embedded provider, as the original's clients send it.
    let config = json!({
        "clusterConfig": { "providerConfig": { "provider": "embedded" } },
        "credentials": { "secretName": "unused" },
        "kymaConfig": { "version": "1.9" },
    });
    let asked = data(
        &tokio,
        &provisioner,
        provision,
        json!({ "id": lab, "config": config }),
    );
    let provisioning = asked["provisionRuntime"].as_str().unwrap().to_owned();
    let early = operation(&provisioning);
    assert_eq!(early["operation"], "Provision", "{early}");
    assert_eq!(early["runtimeID"], lab.as_str(), "{early}");
    assert!(
        matches!(early["state"].as_str(), Some("Pending" | "InProgress")),
        "{early}"
    );

    // A second operation while the first runs is refused.
    let reconnect = "mutation ($id: String!) { reconnectRuntimeAgent(id: $id) }";
    let busy = answer(&tokio, &provisioner, reconnect, json!({ "id": lab }));
    assert_eq!(
        busy["errors"][0]["extensions"]["code"], "CONFLICT",
        "{busy}"
    );
    assert!(
        busy["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&provisioning),
        "{busy}"
    );

    let done = settled(&provisioning);
    assert_eq!(done["state"], "Succeeded", "{done}");
    let status = "query ($id: String!) { runtimeStatus(id: $id) { lastOperationStatus { id operation state } runtimeConnectionStatus { status } runtimeConfiguration { clusterConfig { ... on ProviderConfig { provider } ... on GardenerConfig { name } } } } }";
    let now = data(&tokio, &provisioner, status, json!({ "id": lab }));
    let now = &now["runtimeStatus"];
    assert_eq!(
        now["lastOperationStatus"]["id"],
        provisioning.as_str(),
        "{now}"
    );
    assert_eq!(
        now["runtimeConnectionStatus"]["status"], "Connected",
        "{now}"
    );
    assert_eq!(
        now["runtimeConfiguration"]["clusterConfig"]["provider"], "embedded",
        "{now}"
    );
    let runtime_dir = data_dir.path().join("runtimes/default-tenant/lab");
    let kubeconfig = runtime_dir.join("cluster/kubeconfig");
    until("the shop is applied in the provisioned runtime", || {
        applied_in(&kubeconfig).contains("shop").then_some(())
    });

    // The agent pairs again with a fresh token.
    let asked = data(&tokio, &provisioner, reconnect, json!({ "id": lab }));
    let reconnecting = asked["reconnectRuntimeAgent"].as_str().unwrap().to_owned();
    let done = settled(&reconnecting);
    assert_eq!(done["operation"], "ReconnectRuntime", "{done}");
    assert_eq!(done["state"], "Succeeded", "{done}");
    let auths =
        management.kubectl_ok(&["get", "systemauths", "-n", "default-tenant", "-o", "json"]);
    let auths: Value = serde_json::from_str(&auths).unwrap();
    let redeemed = auths["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|auth| auth["spec"]["subject"]["name"] == "lab")
        .flat_map(|auth| {
            auth["status"]["oneTimeTokens"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|token| token["purpose"] == "Pairing" && token["used"] == true)
        .count();
    assert_eq!(
        redeemed, 2,
        "the agent paired twice, each time with a token of its own: {auths}"
    );

    // The embedded provider runs this build's control plane: an upgrade fails, saying why.
    let upgrade = "mutation ($id: String!) { upgradeRuntime(id: $id, config: { clusterConfig: { version: \"1.99\" } }) }";
    let asked = data(&tokio, &provisioner, upgrade, json!({ "id": lab }));
    let upgrading = asked["upgradeRuntime"].as_str().unwrap().to_owned();
    let done = settled(&upgrading);
    assert_eq!(done["state"], "Failed", "{done}");
    assert!(
        done["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot change"),
        "{done}"
    );

    // Deprovisioning removes the runtime's processes and data; the runtime stays registered.
    let deprovision = "mutation ($id: String!) { deprovisionRuntime(id: $id) }";
    let asked = data(&tokio, &provisioner, deprovision, json!({ "id": lab }));
    let deprovisioning = asked["deprovisionRuntime"].as_str().unwrap().to_owned();
    let done = settled(&deprovisioning);
    assert_eq!(done["operation"], "Deprovision", "{done}");
    assert_eq!(done["state"], "Succeeded", "{done}");
    assert!(processes_naming(&runtime_dir).is_empty());
    assert!(!runtime_dir.exists(), "its data is removed");
    let still = data(
        &tokio,
        &director,
        "query ($id: ID!) { runtime(id: $id) { name } }",
        json!({ "id": lab }),
    );
    assert_eq!(still["runtime"]["name"], "lab", "{still}");
    let again = answer(&tokio, &provisioner, deprovision, json!({ "id": lab }));
    assert_eq!(
        again["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{again}"
    );

    // Every call is audited under the Provisioner's name.
    let audit = std::fs::read_to_string(data_dir.path().join("audit.log")).unwrap_or_default();
    assert!(
        audit.contains("\"provisioner\"") && audit.contains("provisionRuntime"),
        "{audit}"
    );
}
