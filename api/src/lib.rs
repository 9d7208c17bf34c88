//! The HTTP surface of the product: the Director GraphQL API compatible with the original Compass,
//! served over the custom resources per tenant namespace, behind the Gateway that authenticates
//! callers, resolves their tenant and enforces scopes.
#![deny(missing_docs)]

pub mod audit;
pub mod client;
pub mod connector;
pub mod director;
pub mod errors;
pub mod gateway;
pub mod label_filter;
pub mod metrics;
pub mod oauth;
pub mod pagination;
pub mod playground;
pub mod provisioner;
pub mod rate_limit;
pub mod scalars;
pub mod scopes;
pub mod server;
pub mod state;
