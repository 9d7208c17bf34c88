//! The reconcile controllers of Compass on Kubernetes, as a library: they resolve references,
//! default scenarios, fetch specs, call application webhooks and report conditions on the
//! product's custom resources, through any Kubernetes API server. The `compass` binary runs them
//! (`compass operator`, `compass up`).

pub mod controllers;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod run;
pub mod shutdown;
