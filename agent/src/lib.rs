//! The Runtime Agent: runs in a runtime cluster, pairs with the management plane through a one-time
//! token, applies the applications assigned to its runtime and reports back.

pub mod connection;
pub mod install;
pub mod kyma;
