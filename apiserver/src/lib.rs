//! The embedded Kubernetes-compatible control plane: an API server on SQLite that `kubectl`,
//! kube-runtime and other Kubernetes clients use unchanged, so the product runs on one machine
//! without a cluster. It is built in its own issue; this crate reserves its place in the workspace.
