//! Tests of the desired status: conditions, Ready, and what the lists hold.

use compass_crds::application::FetchStatus;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

use super::*;
use compass_crds::application::{RuntimeCredentialStatus, WebhookFailureStatus};

fn app() -> Application {
    serde_json::from_value(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "shop", "namespace": "acme", "uid": "u", "generation": 3 },
        "spec": {},
    }))
    .unwrap()
}

fn at(seconds: i64) -> Time {
    Time(Timestamp::from_second(seconds).unwrap())
}

fn holds(reason: &'static str) -> Verdict {
    Verdict {
        holds: true,
        reason,
        message: format!("{reason} holds"),
    }
}

fn observed(references: Verdict) -> Observed {
    Observed {
        scenarios: vec!["DEFAULT".into()],
        runtimes: Vec::new(),
        references,
        labels: holds("Valid"),
    }
}

fn fetched(condition: FetchCondition, message: &str) -> DefinitionStatus {
    DefinitionStatus {
        name: "orders".into(),
        id: "id".into(),
        fetch: Some(Box::new(FetchStatus {
            condition,
            message: Some(message.into()),
            timestamp: at(1),
            config_map: None,
            request_hash: None,
            attempts: None,
        })),
    }
}

fn condition<'a>(status: &'a ApplicationStatus, type_: &str) -> &'a Condition {
    status
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .unwrap_or_else(|| panic!("no {type_} condition"))
}

#[test]
fn ready_when_everything_holds_and_nothing_is_fetched() {
    let status = desired(
        &app(),
        &[],
        &observed(holds("Resolved")),
        &Definitions::default(),
        &Deliveries::default(),
        None,
    );
    assert_eq!(condition(&status, READY).status, "True");
    assert_eq!(condition(&status, READY).reason, "Registered");
    assert_eq!(condition(&status, SPECS_FETCHED).reason, "NothingToFetch");
    assert_eq!(condition(&status, READY).observed_generation, Some(3));
    assert!(
        status
            .conditions
            .iter()
            .all(|c| c.type_ != WEBHOOKS_DELIVERED),
        "no webhooks, no condition"
    );
    assert_eq!(status.runtime_count, Some(0));
    assert_eq!(status.observed_generation, Some(3));
}

#[test]
fn the_first_failing_part_gives_ready_its_reason() {
    let missing = Verdict {
        holds: false,
        reason: "ScenarioNotFound",
        message: "no such scenario".into(),
    };
    let definitions = Definitions {
        api_definitions: vec![fetched(
            FetchCondition::Failed,
            "GET x answered 404 Not Found",
        )],
        ..Definitions::default()
    };
    let status = desired(
        &app(),
        &[],
        &observed(missing),
        &definitions,
        &Deliveries::default(),
        None,
    );
    assert_eq!(condition(&status, READY).reason, "ScenarioNotFound");
    assert_eq!(condition(&status, SPECS_FETCHED).status, "False");
    assert_eq!(
        condition(&status, SPECS_FETCHED).message,
        "API definition \"orders\": GET x answered 404 Not Found"
    );
    let status = desired(
        &app(),
        &[],
        &observed(holds("Resolved")),
        &definitions,
        &Deliveries::default(),
        None,
    );
    assert_eq!(condition(&status, READY).reason, "FetchFailed");
}

#[test]
fn fetching_makes_ready_unknown() {
    let definitions = Definitions {
        documents: vec![fetched(FetchCondition::Initial, "Fetching")],
        ..Definitions::default()
    };
    let status = desired(
        &app(),
        &[],
        &observed(holds("Resolved")),
        &definitions,
        &Deliveries::default(),
        None,
    );
    assert_eq!(condition(&status, SPECS_FETCHED).status, "Unknown");
    assert_eq!(condition(&status, READY).status, "Unknown");
    assert_eq!(condition(&status, READY).reason, "Fetching");
}

#[test]
fn failed_webhooks_are_reported_but_do_not_hold_ready_back() {
    let deliveries = Deliveries {
        has_webhooks: true,
        credentials: vec![RuntimeCredentialStatus {
            runtime: "a".into(),
            secret: None,
            received_at: at(1),
        }],
        failures: vec![WebhookFailureStatus {
            runtime: "b".into(),
            attempts: 2,
            last_attempt_time: at(2),
            message: "webhook w: POST u answered 500 Internal Server Error".into(),
            answered: Vec::new(),
            secret: None,
        }],
        retry_in: None,
    };
    let status = desired(
        &app(),
        &[],
        &observed(holds("Resolved")),
        &Definitions::default(),
        &deliveries,
        Some("1".into()),
    );
    let webhooks = condition(&status, WEBHOOKS_DELIVERED);
    assert_eq!(webhooks.status, "False");
    assert_eq!(
        webhooks.message,
        "runtime \"b\": webhook w: POST u answered 500 Internal Server Error (attempt 2); retrying with backoff"
    );
    assert_eq!(condition(&status, READY).status, "True");
    assert_eq!(status.observed_refetch.as_deref(), Some("1"));
    assert_eq!(status.runtime_credentials.len(), 1);
}
