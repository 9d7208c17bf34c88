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
//!
//! Other crates see only what they use: a [`ControlPlane`] started from a [`Config`] (with the
//! [`ServerOptions`], [`StoreOptions`] and [`listener::ListenerOptions`] it holds), its
//! [`ServerState`] and [`Store`] for tests that look inside a running server,
//! [`listener::serve`] for the product's other listeners, [`pki`] for user kubeconfigs, and
//! [`validation::SchemaValidator`] (with the [`FieldError`]s it reports, and their
//! [`FieldErrorKind`]) for checking an object the way the server will, and [`jwt`] and [`jwk`]
//! for signing and checking JWTs (the Gateway's OAuth access tokens and OIDC users). Everything
//! else is the server's own.

mod apply;
mod auth;
mod control_plane;
mod data_dir;
mod der;
mod errors;
mod jsonpath;
pub mod listener;
mod object_eq;
mod openapi;
mod patch;
pub mod pki;
mod rbac;
mod registry;
mod resource;
mod selector;
mod server;
mod store;
pub mod validation;

pub use auth::{PeerCertificate, jwk, jwt};
pub use control_plane::{Config, ControlPlane, Transport};
pub use errors::{FieldError, FieldErrorKind};
pub use server::{ServerOptions, ServerState};
pub use store::{Store, StoreOptions};
