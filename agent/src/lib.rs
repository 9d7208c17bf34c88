//! The Runtime Agent: runs in a runtime cluster, pairs with the management plane through a one-time
//! token, applies the applications assigned to its runtime and reports back. It is built in its own
//! issue; this crate reserves its place in the workspace.
