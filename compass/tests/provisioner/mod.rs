//! The Runtime Provisioner under `compass up`, as users drive it: with kubectl ([`kubectl`]: the
//! `embedded` provider's runtime gets a control plane process of its own with an agent that pairs
//! and applies the application of its scenario there, and deleting the Runtime stops the
//! processes and removes their data; the `kubeconfig` provider installs the agent into an existing
//! cluster, `compass apiserver --store-workloads`, and removes it again) and through the
//! Provisioner API with the original's operations ([`api`]).

mod api;
use crate::compass_up;
mod kubectl;

use std::{
    path::Path,
    time::{Duration, Instant},
};

/// Polls `check` every 250 ms until it returns something, failing after 60 s with `what`.
pub fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
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
pub fn processes_naming(path: &Path) -> Vec<String> {
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
pub fn applied_in(kubeconfig: &Path) -> String {
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
