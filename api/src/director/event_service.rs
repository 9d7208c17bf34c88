//! Where a runtime receives events: the event service URL it advertises through a label. Shown
//! as the runtime's eventing configuration and used to build the URL an application's events go
//! to when the runtime is its default eventing runtime.

use compass_crds::Runtime;

/// Runtime labels holding the runtime's event service URL: the original's early key and the one
/// it was renamed to.
pub const EVENT_SERVICE_URL_LABELS: [&str; 2] =
    ["runtime/event_service_url", "runtime_eventServiceUrl"];

/// The event service URL a runtime advertises through its labels, if any.
pub fn event_service_url(runtime: &Runtime) -> Option<String> {
    EVENT_SERVICE_URL_LABELS
        .iter()
        .find_map(|key| runtime.spec.labels.get(key)?.as_str().map(str::to_owned))
}
