//! The HTTP surface of the product: the Director GraphQL API compatible with the original Compass,
//! the Connector and the Gateway that authenticates callers and resolves their tenant. It is built
//! in its own issue; this crate reserves its place in the workspace.
