//! `compass apiserver`: the bare control plane a runtime cluster is had with on one machine.

use crate::compass_up;

use std::process::{Command, Output};

use compass_up::CompassUp;

/// The real `kubectl`, pointed at the kubeconfig in `data_dir` by its flag, as a user would.
fn kubectl(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(data_dir.join("kubeconfig"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("KUBECACHEDIR", data_dir.join("kubectl-cache"))
        .output()
        .expect("kubectl is on PATH")
}

fn kubectl_ok(data_dir: &std::path::Path, args: &[&str]) -> String {
    let output = kubectl(data_dir, args);
    assert!(
        output.status.success(),
        "kubectl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn apiserver_serves_kubectl_with_nothing_of_compass_installed_and_stops_on_ctrl_c() {
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path();
    let server = CompassUp::start_apiserver(dir, &[]);
    let kubeconfig = dir.join("kubeconfig");
    assert!(
        server.logged(&format!(
            "compass: kubeconfig             {}",
            kubeconfig.display()
        )),
        "{:#?}",
        server.lines()
    );
    assert!(server.logged("compass: Kubernetes API server  https://127.0.0.1:"));

    kubectl_ok(
        dir,
        &[
            "create",
            "configmap",
            "settings",
            "--from-literal=mode=runtime",
        ],
    );
    let mode = kubectl_ok(
        dir,
        &[
            "get",
            "configmap",
            "settings",
            "-o",
            "jsonpath={.data.mode}",
        ],
    );
    assert_eq!(mode, "runtime");

    let crds = kubectl_ok(dir, &["get", "customresourcedefinitions", "-o", "name"]);
    assert_eq!(crds.trim(), "", "a bare control plane has no CRDs");
    let groups = kubectl_ok(dir, &["api-versions"]);
    assert!(!groups.contains("compass.kyma-project.io"), "{groups}");
    let namespaces = kubectl_ok(dir, &["get", "namespaces", "-o", "name"]);
    assert!(
        !namespaces.contains("compass-system"),
        "nothing of the product's is installed: {namespaces}"
    );

    let lines = server.interrupt();
    assert!(
        lines.iter().any(|l| l == "compass: shutting down"),
        "{lines:#?}"
    );
}

#[test]
fn apiserver_names_the_data_directory_it_cannot_use() {
    let data_dir = tempfile::tempdir().unwrap();
    let file = data_dir.path().join("not-a-directory");
    std::fs::write(&file, "").unwrap();
    let output = compass_up::apiserver_command(&file, &[])
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("compass runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("starting the API server in") && stderr.contains("not-a-directory"),
        "{stderr}"
    );
}
