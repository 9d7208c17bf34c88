//! The apply operation: merge, prune what the applier dropped, detect conflicts, and record the
//! applier's field set, wrapped in kube-apiserver's field manager layers (before-first-apply,
//! the client-side apply bridge for `kubectl`, no-op timestamps).

use serde_json::{Value, json};

use super::conflict::{Conflict, Conflicts};
use super::last_applied::{self, KUBECTL};
use super::managers::{Entry, Managers, Operation};
use super::merge::{merge, prunable, remove};
use super::walk::{compare, to_set};
use super::{ApplyRequest, keep_times_on_noop, without_managed_fields};

/// The manager kube-apiserver credits with every field of an object that had no
/// `managedFields` when it was first applied to.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// See [`super::apply`].
pub(super) fn apply(
    live: Option<&Value>,
    config: &Value,
    request: &ApplyRequest<'_>,
) -> Result<Value, Conflicts> {
    let bare_live = live.map(without_managed_fields);
    let managers = base_managers(live, bare_live.as_ref(), request);
    let outcome = match attempt(
        bare_live.as_ref(),
        config,
        &managers,
        request,
        request.force,
    ) {
        Err(conflicts) if request.manager == KUBECTL && !request.force => {
            take_over_client_side_apply(bare_live.as_ref(), config, &managers, request, conflicts)
        }
        outcome => outcome,
    };
    let (mut object, managers) = outcome?;
    if request.manager == KUBECTL {
        last_applied::refresh(&mut object, config);
    }
    managers.encode_into(&mut object);
    keep_times_on_noop(live, &mut object);
    Ok(object)
}

/// The managers of the live object. An existing object nobody tracks yet (created before
/// tracking, or after its `managedFields` were reset) gets a `before-first-apply` entry owning
/// all its fields, so the first applier cannot silently overwrite them.
fn base_managers(
    live: Option<&Value>,
    bare_live: Option<&Value>,
    request: &ApplyRequest<'_>,
) -> Managers {
    let (Some(live), Some(bare_live)) = (live, bare_live) else {
        return Managers::default();
    };
    // NB: kube-apiserver fails the request when stored managedFields do not decode; an object
    // here only ever holds entries this module wrote, so unreadable ones count as none.
    let managers = Managers::decode(live).unwrap_or_default();
    if !managers.is_empty() {
        return managers;
    }
    let mut entry = Entry::new(BEFORE_FIRST_APPLY, Operation::Update, request.api_version);
    entry.subresource = request.subresource.unwrap_or_default().to_owned();
    entry.time = Some(request.time.to_owned());
    entry.set = compare(None, Some(bare_live), request.rules.root()).changed;
    let mut managers = Managers::default();
    managers.upsert(entry);
    managers.drop_empty();
    managers
}

/// One apply over `managers`: the merged object and the new managers, or the conflicts.
fn attempt(
    live: Option<&Value>,
    config: &Value,
    managers: &Managers,
    request: &ApplyRequest<'_>,
    force: bool,
) -> Result<(Value, Managers), Conflicts> {
    let shape = request.rules.root();
    let mut object = merge(live, config, shape).unwrap_or_else(|| json!({}));
    let applied = to_set(config, shape);
    let mut me = Entry::new(request.manager, Operation::Apply, request.api_version);
    me.subresource = request.subresource.unwrap_or_default().to_owned();
    let previous = managers.find(&me).cloned();
    if let Some(previous) = &previous {
        // Fields this manager applied last time but not now go, unless someone still owns them.
        let mut owned = applied.clone();
        for other in managers.entries.iter().filter(|e| !e.same_manager(&me)) {
            owned.union_with(&other.set);
        }
        let doomed = prunable(&previous.set.difference(&applied), &owned);
        remove(&mut object, &doomed, shape);
    }

    let diff = compare(live, Some(&object), shape);
    let mut managers = managers.clone();
    let mut conflicts = Vec::new();
    for other in managers.entries.iter().filter(|e| !e.same_manager(&me)) {
        let contested = other.set.intersection(&diff.changed);
        conflicts.extend(
            contested
                .paths()
                .into_iter()
                .map(|p| Conflict::new(other, p)),
        );
    }
    if !conflicts.is_empty() && !force {
        return Err(Conflicts::sorted(conflicts));
    }
    for other in managers.entries.iter_mut().filter(|e| !e.same_manager(&me)) {
        other.set = other
            .set
            .difference(&diff.changed)
            .difference(&diff.removed);
    }

    // The time says when this manager last changed the object, so an apply that changes nothing
    // keeps it (a repeated identical apply is a true no-op), and a new manager that changed
    // nothing gets none, as kube-apiserver's managedFieldsUpdater leaves it.
    me.time = if live == Some(&object) {
        previous.and_then(|p| p.time)
    } else {
        Some(request.time.to_owned())
    };
    me.set = applied;
    managers.upsert(me);
    managers.drop_empty();
    Ok((object, managers))
}

/// kube-apiserver's `lastAppliedManager`: when `kubectl` conflicts only over fields that the
/// last-applied annotation of client-side apply still describes, the apply is forced, so
/// switching from `kubectl apply` to `kubectl apply --server-side` moves the ownership instead
/// of failing. Other conflicts are reported as they are.
fn take_over_client_side_apply(
    live: Option<&Value>,
    config: &Value,
    managers: &Managers,
    request: &ApplyRequest<'_>,
    conflicts: Conflicts,
) -> Result<(Value, Managers), Conflicts> {
    let allowed = live.and_then(|live| {
        last_applied::allowed_conflicts(live, request.api_version, request.rules.root())
    });
    let Some(allowed) = allowed else {
        return Err(conflicts);
    };
    let remaining: Vec<Conflict> = conflicts
        .0
        .into_iter()
        .filter(|c| !allowed.has(&c.path))
        .collect();
    if remaining.is_empty() {
        attempt(live, config, managers, request, true)
    } else {
        Err(Conflicts(remaining))
    }
}
