//! The status an application should have, computed from what the reconcile observed: the
//! conditions (with `Ready` as the summary of `ReferencesResolved`, `LabelsValid` and
//! `SpecsFetched`), the scenarios and runtimes in effect, the children and the webhook deliveries.

use std::sync::Arc;

use compass_crds::conditions::Condition;
use compass_crds::{
    Application, ApplicationStatus, Runtime,
    application::{DefinitionStatus, FetchCondition},
    conditions::{READY, status as condition_status},
    labels::scenario_summary,
};

use super::{fetch::Definitions, webhooks::Deliveries};
use crate::controllers::checks::Verdict;
use crate::controllers::{
    assignment::{MAX_LISTED, listed},
    status::Conditions,
};

/// Condition: every name the application refers to exists.
pub const REFERENCES_RESOLVED: &str = "ReferencesResolved";
/// Condition: every label satisfies its definition.
pub const LABELS_VALID: &str = "LabelsValid";
/// Condition: every fetch request succeeded.
pub const SPECS_FETCHED: &str = "SpecsFetched";
/// Condition: every webhook call succeeded.
pub const WEBHOOKS_DELIVERED: &str = "WebhooksDelivered";

/// What the reconcile found out without calling anything.
pub struct Observed {
    /// Scenarios in effect.
    pub scenarios: Vec<String>,
    /// Runtimes that see the application, by name.
    pub runtimes: Vec<Arc<Runtime>>,
    /// `ReferencesResolved`.
    pub references: Verdict,
    /// `LabelsValid`.
    pub labels: Verdict,
}

/// The complete status: `base` are the conditions it starts from (those stored).
pub fn desired(
    app: &Application,
    base: &[Condition],
    observed: &Observed,
    definitions: &Definitions,
    deliveries: &Deliveries,
    observed_refetch: Option<String>,
) -> ApplicationStatus {
    let mut conditions = Conditions::new(base, app.metadata.generation);
    let set = |conditions: &mut Conditions, type_: &str, verdict: &Verdict| {
        conditions.set(
            type_,
            verdict.holds,
            verdict.reason,
            verdict.message.clone(),
        );
    };
    set(&mut conditions, REFERENCES_RESOLVED, &observed.references);
    set(&mut conditions, LABELS_VALID, &observed.labels);
    let fetched = specs_fetched(definitions);
    conditions.set_status(SPECS_FETCHED, fetched.0, fetched.1, fetched.2.clone());
    match webhooks_delivered(deliveries) {
        Some(verdict) => set(&mut conditions, WEBHOOKS_DELIVERED, &verdict),
        None => conditions.remove(WEBHOOKS_DELIVERED),
    }
    let ready = ready(
        [
            (
                condition_status_of(&observed.references),
                observed.references.reason,
                &observed.references.message,
            ),
            (
                condition_status_of(&observed.labels),
                observed.labels.reason,
                &observed.labels.message,
            ),
            (fetched.0, fetched.1, &fetched.2),
        ],
        observed.runtimes.len(),
    );
    conditions.set_status(READY, ready.0, ready.1, ready.2);
    ApplicationStatus {
        observed_generation: app.metadata.generation,
        conditions: conditions.into_vec(),
        scenarios: observed.scenarios.clone(),
        scenario_summary: scenario_summary(&observed.scenarios),
        runtime_count: Some(i32::try_from(observed.runtimes.len()).unwrap_or(i32::MAX)),
        runtimes: listed(&observed.runtimes),
        api_definitions: definitions.api_definitions.clone(),
        event_definitions: definitions.event_definitions.clone(),
        documents: definitions.documents.clone(),
        observed_refetch,
        runtime_credentials: deliveries.credentials.clone(),
        webhook_failures: deliveries.failures.clone(),
    }
}

fn condition_status_of(verdict: &Verdict) -> &'static str {
    if verdict.holds {
        condition_status::TRUE
    } else {
        condition_status::FALSE
    }
}

/// `SpecsFetched`: status, reason and message.
pub fn specs_fetched(definitions: &Definitions) -> (&'static str, &'static str, String) {
    let lists: [(&str, &Vec<DefinitionStatus>); 3] = [
        ("API definition", &definitions.api_definitions),
        ("event definition", &definitions.event_definitions),
        ("document", &definitions.documents),
    ];
    let mut failed = Vec::new();
    let (mut fetching, mut total) = (0, 0);
    for (kind, list) in lists {
        for (entry, fetch) in list.iter().filter_map(|d| Some((d, d.fetch.as_ref()?))) {
            total += 1;
            match fetch.condition {
                FetchCondition::Failed => failed.push(format!(
                    "{kind} {:?}: {}",
                    entry.name,
                    fetch.message.as_deref().unwrap_or("failed")
                )),
                FetchCondition::Initial => fetching += 1,
                FetchCondition::Succeeded => {}
            }
        }
    }
    if !failed.is_empty() {
        return (condition_status::FALSE, "FetchFailed", failed.join("; "));
    }
    if fetching > 0 {
        return (
            condition_status::UNKNOWN,
            "Fetching",
            format!("Fetching {fetching} of {total} specs and documents"),
        );
    }
    if total == 0 {
        return (
            condition_status::TRUE,
            "NothingToFetch",
            "No spec or document has a fetch request".to_owned(),
        );
    }
    (
        condition_status::TRUE,
        "Fetched",
        format!("Fetched {total} specs and documents"),
    )
}

/// `WebhooksDelivered`, or `None` when the application has no webhook to deliver.
fn webhooks_delivered(deliveries: &Deliveries) -> Option<Verdict> {
    if !deliveries.has_webhooks && deliveries.failures.is_empty() {
        return None;
    }
    if deliveries.failures.is_empty() {
        return Some(Verdict {
            holds: true,
            reason: "Delivered",
            message: format!(
                "The webhooks answered for every runtime that sees the application ({})",
                deliveries.credentials.len()
            ),
        });
    }
    let mut listed: Vec<String> = deliveries
        .failures
        .iter()
        .take(MAX_LISTED / 10)
        .map(|f| {
            format!(
                "runtime {:?}: {} (attempt {})",
                f.runtime, f.message, f.attempts
            )
        })
        .collect();
    if deliveries.failures.len() > listed.len() {
        listed.push(format!("{} more", deliveries.failures.len() - listed.len()));
    }
    Some(Verdict {
        holds: false,
        reason: "WebhookFailed",
        message: format!("{}; retrying with backoff", listed.join("; ")),
    })
}

/// `Ready`: the first False part decides, then the first Unknown one; True when all hold.
fn ready<'a>(
    parts: [(&'a str, &'a str, &'a String); 3],
    runtimes: usize,
) -> (&'a str, &'a str, String) {
    for wanted in [condition_status::FALSE, condition_status::UNKNOWN] {
        if let Some((status, reason, message)) = parts.iter().find(|p| p.0 == wanted) {
            return (status, reason, (*message).clone());
        }
    }
    let seen_by = match runtimes {
        0 => "no runtime sees it yet".to_owned(),
        1 => "1 runtime sees it".to_owned(),
        n => format!("{n} runtimes see it"),
    };
    (
        condition_status::TRUE,
        "Registered",
        format!("The application is registered; {seen_by}"),
    )
}

#[cfg(test)]
mod tests;
