//! Errors of the controllers and what happens after one: the reconcile is retried with backoff,
//! counted in the metrics and logged. Problems of the object itself are not errors: they are
//! reported as conditions and the reconcile succeeds.

use std::sync::Arc;

use kube::{ResourceExt, runtime::controller::Action};

use super::Context;

/// Why a reconcile could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request to the Kubernetes API failed.
    #[error("Kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),

    /// An object could not be serialized.
    #[error("serialization failed: {0}")]
    Serialization(#[from] serde_json::Error),

    /// The object lacks something every object of its kind has.
    #[error("the object has no {0}")]
    Missing(&'static str),
}

/// Result of a reconcile step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A short label for metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Kube(_) => "kube",
            Self::Serialization(_) => "serialization",
            Self::Missing(_) => "missing",
        }
    }
}

/// Key of an object for backoff bookkeeping.
pub fn key<K: kube::Resource<DynamicType = ()>>(object: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// What every controller does after a failed reconcile: count it, log it, retry with backoff.
pub fn error_policy<K>(controller: &'static str) -> impl Fn(Arc<K>, &Error, Arc<Context>) -> Action
where
    K: kube::Resource<DynamicType = ()>,
{
    move |object, error, ctx| {
        ctx.metrics.failure(controller, error.metric_label());
        let delay = ctx.backoff(&key(object.as_ref()));
        tracing::warn!(
            controller,
            name = %object.name_any(),
            namespace = %object.namespace().unwrap_or_default(),
            %error,
            retry_in = ?delay,
            "Reconcile failed"
        );
        Action::requeue(delay)
    }
}
