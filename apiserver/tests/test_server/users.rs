//! Users other than the admin, for authorization tests: kubeconfigs with client certificates
//! minted as `compass kubeconfig` mints them, ServiceAccount tokens, and `kubectl` and kube-rs
//! clients acting as them.

use std::{path::PathBuf, process::Output, time::Duration};

use compass_apiserver::pki::user::{UserRequest, user_kubeconfig};
use kube::Client;

use super::{
    TestServer, client_from,
    kubectl::{failed, succeeded, with_stdin},
};

/// A user with a kubeconfig of its own.
#[derive(Clone, Debug)]
pub struct User {
    /// Its kubeconfig file.
    pub kubeconfig: PathBuf,
}

impl TestServer {
    /// A user `name` in `groups`, working in `namespace` by default, with a client certificate
    /// valid for an hour.
    pub fn user(&self, name: &str, groups: &[&str], namespace: Option<&str>) -> User {
        let request = UserRequest {
            user: name.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            namespace: namespace.map(str::to_owned),
            validity: Duration::from_secs(3600),
        };
        let text = user_kubeconfig(self.data_dir(), &request).expect("a user kubeconfig");
        let kubeconfig = self.data_dir().join(format!("kubeconfig-{name}"));
        std::fs::write(&kubeconfig, text).expect("the kubeconfig is written");
        User { kubeconfig }
    }

    /// Runs `kubectl` as `user`.
    pub fn kubectl_as(&self, user: &User, args: &[&str]) -> Output {
        self.kubectl_command_with(&user.kubeconfig, args)
            .output()
            .expect("kubectl is on PATH")
    }

    /// Runs `kubectl` as `user`; returns stdout, failing the test with stderr when it fails.
    pub fn kubectl_as_ok(&self, user: &User, args: &[&str]) -> String {
        succeeded(args, self.kubectl_as(user, args))
    }

    /// Runs `kubectl` as `user` that must fail; returns stderr.
    pub fn kubectl_as_err(&self, user: &User, args: &[&str]) -> String {
        failed(args, self.kubectl_as(user, args))
    }

    /// Runs `kubectl` as `user` with `input` on its standard input.
    pub fn kubectl_as_with_stdin(&self, user: &User, args: &[&str], input: &str) -> Output {
        with_stdin(self.kubectl_command_with(&user.kubeconfig, args), input)
    }

    /// `kubectl apply -f -` of `yaml` as `user`; returns stdout, failing the test when it fails.
    pub fn apply_yaml_as(&self, user: &User, yaml: &str) -> String {
        let args = ["apply", "-f", "-"];
        succeeded(&args, self.kubectl_as_with_stdin(user, &args, yaml))
    }

    /// `kubectl <args> -f -` of `yaml` as `user` that must fail; returns stderr.
    pub fn kubectl_as_with_yaml_err(&self, user: &User, args: &[&str], yaml: &str) -> String {
        let args: Vec<&str> = args.iter().copied().chain(["-f", "-"]).collect();
        failed(&args, self.kubectl_as_with_stdin(user, &args, yaml))
    }

    /// `kubectl auth can-i` as `user`: whether it answered `yes`.
    pub fn can_i(&self, user: &User, args: &[&str]) -> bool {
        let mut full = vec!["auth", "can-i"];
        full.extend_from_slice(args);
        let output = self.kubectl_as(user, &full);
        let answer = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        match answer.as_str() {
            "yes" => true,
            "no" => false,
            other => panic!(
                "kubectl auth can-i {} answered {other:?}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    /// A kube-rs client acting as `user`.
    pub async fn client_as(&self, user: &User) -> Client {
        client_from(&user.kubeconfig).await
    }

    /// A user that authenticates with a bearer token (a ServiceAccount's), in the admin
    /// kubeconfig's cluster.
    pub fn token_user(&self, name: &str, token: &str) -> User {
        let text = std::fs::read_to_string(self.kubeconfig()).expect("the admin kubeconfig");
        let mut config: serde_json::Value = serde_yaml::from_str(&text).expect("YAML");
        config["users"][0]["user"] = serde_json::json!({ "token": token });
        let kubeconfig = self.data_dir().join(format!("kubeconfig-{name}"));
        let text = serde_yaml::to_string(&config).expect("YAML");
        std::fs::write(&kubeconfig, text).expect("the kubeconfig is written");
        User { kubeconfig }
    }
}
