//! The Runtime Provisioner: for each Runtime that asks for it (`spec.provisioning`), a provider
//! makes the runtime's cluster (or takes an existing one) and starts the Runtime Agent in it with
//! a fresh one-time token; deleting the Runtime has the provider remove what it made. Providers
//! are interchangeable behind [`provider::Provider`]; the provisioner tracks each step as an
//! operation in the Runtime's status and never touches the Director's data.

mod backoff;
mod bootstrap;
mod changes;
pub mod cluster_api;
mod cluster_api_settings;
pub mod controller;
mod deprovision;
pub mod embedded;
pub mod hosted;
mod hosted_render;
pub mod install;
pub mod kubeconfig;
pub mod operations;
pub mod provider;
mod provision;
mod remote;
pub mod render;
mod status;
pub mod supervisor;
