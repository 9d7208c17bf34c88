//! What the `embedded` provider applies to a host cluster for one runtime: a StatefulSet whose
//! pod runs the runtime's control plane and its agent side by side (the control plane's data on
//! a volume of its own), a Service in front of the control plane, and the Secret holding the
//! control plane's identity and the kubeconfigs that reach it from the pod and through the
//! Service.

use base64::Engine;
use compass_apiserver::pki::Identity;
use k8s_openapi::api::{apps::v1::StatefulSet, core::v1::Secret, core::v1::Service};
use serde_json::{Value, json};

use crate::{
    hosted::{labels_of, metadata, secret_data},
    provider::RuntimeTarget,
};

/// Key of the kubeconfig that reaches the runtime's control plane through its Service.
pub const SERVICE_KUBECONFIG: &str = "service-kubeconfig";
/// Key of the kubeconfig the agent uses inside the pod.
const POD_KUBECONFIG: &str = "kubeconfig";
/// Port the control plane listens on inside the pod.
const CONTROL_PLANE_PORT: u16 = 6443;
/// How much the control plane's data volume asks for.
const DATA_VOLUME: &str = "1Gi";

/// The objects of one runtime on the host cluster.
pub struct RuntimeWorkload {
    /// The name of the StatefulSet, the Service and the stem of the Secret.
    pub name: String,
    namespace: String,
    image: String,
    runtime: RuntimeTarget,
}

impl RuntimeWorkload {
    /// The objects of `runtime` in `namespace`, running `image`.
    pub fn new(runtime: &RuntimeTarget, namespace: &str, image: &str) -> Self {
        Self {
            // The runtime's id is unique across tenants and short enough for every name derived
            // from it (the pod `<name>-0`, the volume `data-<name>-0`).
            name: format!("runtime-{}", runtime.id),
            namespace: namespace.to_owned(),
            image: image.to_owned(),
            runtime: runtime.clone(),
        }
    }

    /// The Service's host name in the cluster.
    fn host(&self) -> String {
        format!("{}.{}.svc", self.name, self.namespace)
    }

    /// The control plane's URL through the Service.
    pub fn url(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The name of the identity Secret.
    pub fn identity_secret(&self) -> String {
        format!("{}-identity", self.name)
    }

    /// The identity Secret: the files `compass apiserver --identity-dir` takes, and the two
    /// kubeconfigs.
    pub fn identity(&self, identity: &Identity) -> Secret {
        let mut entries: Vec<(String, String)> = identity
            .files
            .iter()
            .map(|(file, contents)| ((*file).to_owned(), contents.clone()))
            .collect();
        let inside = format!("https://127.0.0.1:{CONTROL_PLANE_PORT}");
        entries.push((POD_KUBECONFIG.to_owned(), kubeconfig(&inside, identity)));
        entries.push((
            SERVICE_KUBECONFIG.to_owned(),
            kubeconfig(&self.url(), identity),
        ));
        Secret {
            metadata: metadata(&self.runtime, &self.namespace, &self.identity_secret()),
            data: Some(secret_data(entries)),
            type_: Some("Opaque".to_owned()),
            ..Secret::default()
        }
    }

    /// The Service in front of the control plane: port 443 to the pod's 6443.
    pub fn service(&self) -> Service {
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata(&self.runtime, &self.namespace, &self.name),
            "spec": {
                "selector": self.selector(),
                "ports": [{ "name": "https", "port": 443, "targetPort": "https", "protocol": "TCP" }],
            },
        });
        serde_json::from_value(service).expect("the Service is well-formed")
    }

    fn selector(&self) -> Value {
        json!({
            "app.kubernetes.io/name": "compass-runtime",
            "app.kubernetes.io/instance": self.name,
        })
    }

    /// The StatefulSet: one pod with the control plane and the agent, unprivileged.
    pub fn stateful_set(&self) -> StatefulSet {
        let labels = labels_of(&self.runtime, &self.name);
        let set = json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": metadata(&self.runtime, &self.namespace, &self.name),
            "spec": {
                "serviceName": self.name,
                "replicas": 1,
                "selector": { "matchLabels": self.selector() },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": self.pod(),
                },
                "volumeClaimTemplates": [{
                    "metadata": { "name": "data", "labels": labels },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": { "requests": { "storage": DATA_VOLUME } },
                    },
                }],
            },
        });
        serde_json::from_value(set).expect("the StatefulSet is well-formed")
    }

    fn pod(&self) -> Value {
        let (host, port) = (self.host(), CONTROL_PLANE_PORT);
        let control_plane = json!({
            "name": "apiserver",
            "image": self.image,
            "args": [
                "apiserver", "--data-dir", "/data/cluster",
                "--address", format!("0.0.0.0:{port}"),
                "--tls-san", host, "--tls-san", format!("{host}.cluster.local"),
                "--identity-dir", "/identity",
            ],
            "ports": [{ "name": "https", "containerPort": port, "protocol": "TCP" }],
            "readinessProbe": { "tcpSocket": { "port": "https" }, "periodSeconds": 5 },
            "livenessProbe": { "tcpSocket": { "port": "https" }, "periodSeconds": 10, "initialDelaySeconds": 10 },
            "resources": { "requests": { "cpu": "50m", "memory": "96Mi" }, "limits": { "cpu": "1", "memory": "512Mi" } },
            "securityContext": container_security(),
            "volumeMounts": [
                { "name": "data", "mountPath": "/data" },
                { "name": "identity", "mountPath": "/identity", "readOnly": true },
            ],
        });
        let agent = json!({
            "name": "agent",
            "image": self.image,
            "args": ["agent", "--kubeconfig", format!("/identity/{POD_KUBECONFIG}"), "--admin-address", "0.0.0.0:8090"],
            "ports": [{ "name": "admin", "containerPort": 8090, "protocol": "TCP" }],
            "readinessProbe": { "httpGet": { "path": "/readyz", "port": "admin" }, "periodSeconds": 5 },
            "livenessProbe": { "httpGet": { "path": "/healthz", "port": "admin" }, "periodSeconds": 10, "initialDelaySeconds": 5 },
            "resources": { "requests": { "cpu": "50m", "memory": "64Mi" }, "limits": { "cpu": "500m", "memory": "256Mi" } },
            "securityContext": container_security(),
            "volumeMounts": [
                { "name": "identity", "mountPath": "/identity", "readOnly": true },
                { "name": "tmp", "mountPath": "/tmp" },
            ],
        });
        json!({
            "automountServiceAccountToken": false,
            "enableServiceLinks": false,
            "securityContext": {
                "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
                "seccompProfile": { "type": "RuntimeDefault" },
            },
            "containers": [control_plane, agent],
            "volumes": [
                { "name": "identity", "secret": { "secretName": self.identity_secret(), "defaultMode": 0o400 } },
                { "name": "tmp", "emptyDir": { "sizeLimit": "16Mi" } },
            ],
        })
    }
}

fn container_security() -> Value {
    json!({
        "runAsNonRoot": true,
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

/// A kubeconfig reaching `server` with the identity's CA and admin token.
fn kubeconfig(server: &str, identity: &Identity) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(&identity.ca_pem);
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "runtime", "cluster": { "server": server, "certificate-authority-data": ca } }],
        "users": [{ "name": "runtime-admin", "user": { "token": identity.admin_token } }],
        "contexts": [{ "name": "runtime", "context": { "cluster": "runtime", "user": "runtime-admin" } }],
        "current-context": "runtime",
    });
    serde_yaml::to_string(&config).expect("a kubeconfig serializes")
}
