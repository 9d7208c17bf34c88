//! The embedded Kubernetes-compatible control plane: an API server on SQLite that `kubectl`,
//! kube-runtime and other Kubernetes clients use unchanged, so the product runs on one machine
//! without a cluster.
//!
//! It serves the built-in kinds the product needs (Namespace, Secret, ConfigMap, Event, Lease,
//! CustomResourceDefinition, ServiceAccount, the RBAC kinds and the access reviews) and every
//! served version of every CRD applied to it, with the semantics clients rely on: discovery,
//! OpenAPI v3, list and watch with resourceVersions, optimistic concurrency, merge, JSON and
//! server-side apply patches, the status subresource, finalizers, garbage collection, validation
//! against structural schemas with CEL rules, and authentication and RBAC authorization.

pub mod apply;
pub mod auth;
pub mod control_plane;
pub mod data_dir;
mod der;
pub mod errors;
pub mod jsonpath;
pub mod listener;
pub mod openapi;
pub mod patch;
pub mod pki;
pub mod rbac;
pub mod registry;
pub mod resource;
pub mod selector;
pub mod server;
pub mod store;
pub mod validation;

pub use control_plane::{Config, ControlPlane, Transport};
