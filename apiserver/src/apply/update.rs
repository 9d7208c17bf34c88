//! The update operation: ownership of what a create, update or non-apply patch changed, as
//! kube-apiserver's field manager records it.

use serde_json::Value;

use super::managers::{Entry, Managers, Operation, set_managed_fields};
use super::walk::compare;
use super::{UpdateRequest, keep_times_on_noop};

/// The manager name kube-apiserver records when a request names none.
const UNKNOWN_MANAGER: &str = "unknown";

/// See [`super::record_update`].
pub(super) fn record(old: Option<&Value>, new: &mut Value, request: &UpdateRequest<'_>) {
    let subresource = request.subresource.unwrap_or_default();
    let managers = base_managers(old, new, subresource.is_empty());
    set_managed_fields(new, None);
    let Some(mut managers) = managers else {
        return;
    };
    // The old object's managedFields need not be removed first: the merge rules never track
    // them, so they differ in no field.
    let diff = compare(old, Some(new), request.rules.root());
    // Whatever this write changed or removed, nobody else owns any more.
    for entry in &mut managers.entries {
        entry.set = entry
            .set
            .difference(&diff.changed)
            .difference(&diff.removed);
    }
    if !diff.changed.is_empty() {
        let name = match request.manager {
            "" => UNKNOWN_MANAGER,
            name => name,
        };
        let mut me = Entry::new(name, Operation::Update, request.api_version);
        me.subresource = subresource.to_owned();
        // A create (or a manager's first write) owns exactly what it changed: the set moves
        // rather than being copied into an empty one.
        me.set = match managers.find(&me) {
            Some(previous) => {
                let mut set = previous.set.clone();
                set.union_with(&diff.changed);
                set
            }
            None => diff.changed,
        };
        me.time = Some(request.time.to_owned());
        managers.upsert(me);
    }
    managers.drop_empty();
    managers.cap_updaters();
    managers.encode_into(new);
    keep_times_on_noop(old, new);
}

/// The managers the write starts from, or `None` when it must not be tracked.
///
/// On the main resource, entries sent in `new` win when they decode (clients may edit them),
/// `[]` or `[{}]` clears them, and otherwise the stored ones stay, so clients unaware of
/// `managedFields` cannot drop them. Subresource writes always keep the stored ones. Like
/// kube-apiserver's `skipNonAppliedManager`, an existing object with no entries stays untracked.
fn base_managers(old: Option<&Value>, new: &Value, main_resource: bool) -> Option<Managers> {
    let stored = || old.and_then(Managers::decode).unwrap_or_default();
    let sent = new.pointer("/metadata/managedFields");
    let managers = if !main_resource {
        stored()
    } else if sent.is_some_and(is_reset) {
        Managers::default()
    } else {
        match Managers::decode(new) {
            Some(managers) if !managers.is_empty() => managers,
            _ => stored(),
        }
    };
    if managers.is_empty() && old.is_some() {
        return None;
    }
    Some(managers)
}

/// Whether sent `managedFields` ask to clear them: an empty list, or one empty entry.
fn is_reset(sent: &Value) -> bool {
    match sent.as_array().map(Vec::as_slice) {
        Some([]) => true,
        Some([only]) => only.as_object().is_some_and(|e| e.is_empty()),
        _ => false,
    }
}
