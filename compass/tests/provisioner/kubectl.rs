//! The provisioner driven with kubectl: an `embedded` runtime provisioned, withdrawn, provisioned
//! again and deleted; a `kubeconfig` runtime installed into an existing cluster and removed.

use std::path::Path;

use super::{applied_in, compass_up::CompassUp, processes_naming, until};

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
