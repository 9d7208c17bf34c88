//! How each component runs: non-root with a read-only root filesystem, probed on its admin port,
//! running its `compass` subcommand with every flag it requires, behind a Service that selects
//! it.

use std::{collections::BTreeSet, fs};

use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{Container, Service, ServiceAccount},
    },
    apimachinery::pkg::util::intstr::IntOrString,
};

use super::{COMPONENTS, objects, workloads};

fn container_port_named(container: &Container, name: &str) -> Option<i32> {
    container
        .ports
        .iter()
        .flatten()
        .find(|port| port.name.as_deref() == Some(name))
        .map(|port| port.container_port)
}

#[test]
fn both_deployments_run_as_non_root_with_a_read_only_root_filesystem() {
    for (name, pod, container) in workloads() {
        let pod_context = pod.security_context.unwrap_or_default();
        let context = container.security_context.unwrap_or_default();
        let non_root = context.run_as_non_root.or(pod_context.run_as_non_root);
        assert_eq!(non_root, Some(true), "{name} must set runAsNonRoot");
        let user = context.run_as_user.or(pod_context.run_as_user);
        assert!(
            user.is_some_and(|uid| uid != 0),
            "{name} must run as a non-zero uid"
        );
        assert_eq!(
            context.read_only_root_filesystem,
            Some(true),
            "{name}: readOnlyRootFilesystem"
        );
        assert_eq!(
            context.allow_privilege_escalation,
            Some(false),
            "{name}: privilege escalation"
        );
        let dropped = context
            .capabilities
            .and_then(|c| c.drop)
            .unwrap_or_default();
        assert_eq!(dropped, ["ALL"], "{name} must drop every capability");
    }
}

#[test]
fn both_deployments_probe_liveness_and_readiness_on_the_admin_port() {
    for (name, _, container) in workloads() {
        assert!(
            container_port_named(&container, "admin").is_some(),
            "{name} names no admin port"
        );
        let probes = [
            ("liveness", &container.liveness_probe),
            ("readiness", &container.readiness_probe),
        ];
        for (which, probe) in probes {
            let get = probe.as_ref().and_then(|probe| probe.http_get.as_ref());
            let get = get.unwrap_or_else(|| panic!("{name} has no HTTP {which} probe"));
            assert_eq!(
                get.port,
                IntOrString::String("admin".into()),
                "{name}: {which} port"
            );
        }
    }
}

#[test]
fn each_deployment_runs_its_compass_subcommand() {
    for (name, _, container) in workloads() {
        let (_, subcommand) = COMPONENTS
            .into_iter()
            .find(|(deployment, _)| *deployment == name)
            .unwrap_or_else(|| panic!("the Deployment {name} is not a component of the product"));
        let args = container.args.unwrap_or_default();
        assert_eq!(
            args.first().map(String::as_str),
            Some(subcommand),
            "{name} args: {args:?}"
        );
    }
}

#[test]
fn every_environment_variable_a_deployment_sets_is_read_by_the_command_line() {
    // The command line is `cli.rs` and the flag groups in `cli/`.
    let root = compass_tests::repo_root().join("compass/src");
    let groups = fs::read_dir(root.join("cli")).expect("compass/src/cli/ exists");
    let files = groups
        .map(|entry| entry.expect("compass/src/cli/ is readable").path())
        .chain([root.join("cli.rs")]);
    let cli: String = files
        .map(|file| fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}")))
        .collect();
    for (name, _, container) in workloads() {
        for var in container.env.iter().flatten() {
            let declared = format!("\"{}\"", var.name);
            assert!(
                cli.contains(&declared),
                "{name} sets {}, which no flag reads",
                var.name
            );
        }
    }
}

#[test]
fn every_required_flag_of_a_deployments_subcommand_is_set_and_its_files_are_mounted() {
    use clap::CommandFactory;
    let cli = compass::cli::Cli::command();
    for (name, pod, container) in workloads() {
        let subcommand = container
            .args
            .iter()
            .flatten()
            .next()
            .expect("a subcommand");
        let command = cli
            .find_subcommand(subcommand)
            .unwrap_or_else(|| panic!("{name} runs `compass {subcommand}`, which does not exist"));
        let env: Vec<_> = container.env.iter().flatten().collect();
        for required in command.get_arguments().filter(|a| a.is_required_set()) {
            let variable = required
                .get_env()
                .and_then(|v| v.to_str())
                .unwrap_or_else(|| panic!("--{} has no environment variable", required.get_id()));
            assert!(
                env.iter().any(|e| e.name == variable && e.value.is_some()),
                "{name} does not set {variable}, which `compass {subcommand}` requires"
            );
        }
        // A flag naming a file points into a volume the container mounts.
        let mounts: Vec<_> = container.volume_mounts.iter().flatten().collect();
        for variable in env.iter().filter(|e| e.name.ends_with("_FILE")) {
            let path = variable.value.as_deref().unwrap_or_default();
            let mount = mounts
                .iter()
                .find(|m| path.starts_with(&format!("{}/", m.mount_path)))
                .unwrap_or_else(|| panic!("{name}: {path} is in no mounted volume"));
            assert!(
                pod.volumes.iter().flatten().any(|v| v.name == mount.name),
                "{name} mounts the volume {}, which the pod does not define",
                mount.name
            );
        }
    }
}

#[test]
fn every_service_selects_a_deployments_pods_and_targets_a_port_they_name() {
    let deployments: Vec<Deployment> = objects("Deployment");
    for service in objects::<Service>("Service") {
        let name = service.metadata.name.unwrap_or_default();
        let spec = service.spec.unwrap_or_default();
        let selector = spec.selector.unwrap_or_default();
        assert!(!selector.is_empty(), "the Service {name} selects nothing");
        let selected = deployments.iter().find(|deployment| {
            let spec = deployment.spec.as_ref();
            let labels = spec.and_then(|s| s.template.metadata.as_ref()?.labels.as_ref());
            labels.is_some_and(|labels| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
        });
        let deployment = selected.unwrap_or_else(|| panic!("the Service {name} selects no pods"));
        let pod = deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref());
        let container = &pod.expect("a pod spec").containers[0];
        for port in spec.ports.unwrap_or_default() {
            let Some(IntOrString::String(target)) = &port.target_port else {
                panic!(
                    "the Service {name} must target a port by name, not {:?}",
                    port.target_port
                );
            };
            assert!(
                container_port_named(container, target).is_some(),
                "{name} targets {target}"
            );
        }
    }
}

#[test]
fn service_accounts_are_the_ones_the_deployments_use() {
    let accounts: BTreeSet<String> = objects::<ServiceAccount>("ServiceAccount")
        .into_iter()
        .filter_map(|account| account.metadata.name)
        .collect();
    for (name, pod, _) in workloads() {
        let account = pod.service_account_name.unwrap_or_default();
        assert_eq!(account, name, "the Deployment {name} runs as {account}");
        assert!(
            accounts.contains(&account),
            "the service account {account} is not rendered"
        );
    }
}
