//! The `compass` binary as a user runs it.

use std::process::{Command, Output};

use serde::Deserialize;

fn compass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compass"))
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("the compass binary runs")
}

#[test]
fn the_agent_names_the_kubeconfig_it_cannot_read_and_a_bad_guard() {
    let output = compass(&["agent", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/kubeconfig"), "{stderr}");
    let output = compass(&["agent", "--delete-guard", "2"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--delete-guard") && stderr.contains("between 0 and 1"),
        "{stderr}"
    );
}

#[test]
fn api_requires_its_certificate_and_users_and_names_what_is_missing() {
    let output = compass(&["api"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for flag in ["--tls-cert-file", "--tls-key-file", "--static-users-file"] {
        assert!(stderr.contains(flag), "compass api: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    let output = compass(&[
        "api",
        "--tls-cert-file",
        missing,
        "--tls-key-file",
        missing,
        "--static-users-file",
        missing,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("reading the certificate") && stderr.contains("missing.pem"),
        "{stderr}"
    );
}

#[test]
fn crds_prints_every_custom_resource_definition_as_yaml() {
    let output = compass(&["crds"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let kinds: Vec<String> = serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            let value = serde_yaml::Value::deserialize(doc).unwrap();
            assert_eq!(value["kind"].as_str(), Some("CustomResourceDefinition"));
            value["spec"]["names"]["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected: Vec<String> = compass_crds::all_crds()
        .into_iter()
        .map(|crd| crd.spec.names.kind)
        .collect();
    assert_eq!(kinds, expected);
}

#[test]
fn help_lists_every_subcommand_and_flags_name_their_environment_variables() {
    let help = String::from_utf8(compass(&["--help"]).stdout).unwrap();
    for subcommand in [
        "up",
        "operator",
        "api",
        "agent",
        "crds",
        "kubeconfig",
        "connect",
    ] {
        assert!(
            help.contains(subcommand),
            "--help lacks {subcommand}: {help}"
        );
    }
    let up = String::from_utf8(compass(&["up", "--help"]).stdout).unwrap();
    assert!(
        up.contains("--data-dir") && up.contains("COMPASS_DATA_DIR"),
        "{up}"
    );
    let connect = String::from_utf8(compass(&["connect", "--help"]).stdout).unwrap();
    for flag in [
        "token",
        "url",
        "ca-file",
        "output-dir",
        "renew",
        "keep-key",
        "key-file",
        "force",
    ] {
        let variable = format!("COMPASS_CONNECT_{}", flag.to_uppercase().replace('-', "_"));
        assert!(
            connect.contains(&format!("--{flag}")) && connect.contains(&variable),
            "connect --help lacks --{flag} or {variable}: {connect}"
        );
    }
}

#[test]
fn operator_without_a_cluster_configuration_fails_and_says_so() {
    let empty_home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_compass"))
        .arg("operator")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", empty_home.path())
        .output()
        .expect("the compass binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Kubernetes configuration found"),
        "{stderr}"
    );
}

#[test]
fn provisioner_names_what_it_lacks() {
    let empty_home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_compass"))
            .arg("provisioner")
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("COMPASS_PROVISIONER_CONNECTOR_URL")
            .env("HOME", empty_home.path())
            .output()
            .expect("the compass binary runs")
    };
    let output = run(&[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--connector-url"), "{stderr}");
    let url = [
        "--connector-url",
        "https://compass.example.com/connector/graphql",
    ];
    let output = run(&[&url[..], &["--token-lifetime", "60"]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--token-lifetime") && stderr.contains("unit"),
        "{stderr}"
    );
    let output = run(&url);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Kubernetes configuration found"),
        "{stderr}"
    );
}

#[test]
fn kubeconfig_refuses_bad_input_naming_the_flag() {
    let missing = tempfile::tempdir().unwrap();
    let data_dir = missing.path().join("nothing-here");
    let data_dir = data_dir.to_str().unwrap();
    for (args, flag, status) in [
        (vec!["--user", ""], "--user", 1),
        (
            vec!["--user", "a", "--namespace", "Team_A"],
            "--namespace",
            1,
        ),
        (vec!["--user", "a", "--group", ""], "--group", 1),
        (vec!["--user", "a"], "--data-dir", 1),
        (vec!["--user", "a", "--expiry", "5"], "--expiry", 2),
        (vec!["--namespace", "a"], "--user", 2),
    ] {
        let mut full = vec!["kubeconfig", "--data-dir", data_dir];
        full.extend(&args);
        let output = compass(&full);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(
            stderr.contains(flag),
            "{args:?} should name {flag}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?} printed a kubeconfig");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_writes_a_private_kubeconfig_whose_user_kubectl_recognises() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let config = compass_apiserver::Config::new(dir.path(), "127.0.0.1:0".parse().unwrap());
    let control_plane = compass_apiserver::ControlPlane::start(config)
        .await
        .unwrap();
    let output_file = dir.path().join("alice.kubeconfig");
    let output = compass(&[
        "kubeconfig",
        "--user",
        "alice",
        "--group",
        "compass:tenant:acme:editors",
        "--group",
        "ops",
        "--namespace",
        "acme",
        "--expiry",
        "2h",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--output",
        output_file.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = std::fs::metadata(&output_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let whoami = Command::new("kubectl")
        .args(["auth", "whoami", "-o", "jsonpath={.status.userInfo}"])
        .env("KUBECONFIG", &output_file)
        .env("KUBECACHEDIR", dir.path().join("cache"))
        .output()
        .expect("kubectl is on PATH");
    let shown = String::from_utf8_lossy(&whoami.stdout);
    assert!(
        shown.contains(r#""username":"alice""#)
            && shown.contains(
                r#""groups":["compass:tenant:acme:editors","ops","system:authenticated"]"#
            ),
        "{shown} {}",
        String::from_utf8_lossy(&whoami.stderr)
    );
    let namespace = Command::new("kubectl")
        .args(["config", "view", "--minify", "-o", "jsonpath={..namespace}"])
        .env("KUBECONFIG", &output_file)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&namespace.stdout), "acme");
    control_plane.shutdown().await;
}
