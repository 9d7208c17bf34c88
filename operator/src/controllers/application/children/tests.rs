//! Tests of child enumeration, owned-object names and fetch decisions.

use jiff::Timestamp;
use serde_json::json;

use super::*;

fn at(seconds: i64) -> Time {
    Time(Timestamp::from_second(seconds).unwrap())
}

fn app() -> Application {
    serde_json::from_value(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "shop", "namespace": "acme", "uid": "6f1f4b4e-2f0a-4c4e-9a1c-0d7f1e6b2a10" },
        "spec": {
            "apiDefinitions": [
                { "name": "orders", "targetURL": "https://shop.test/api",
                  "spec": { "type": "OPEN_API", "format": "YAML", "fetchRequest": { "url": "https://shop.test/spec" } } },
                { "name": "inline", "targetURL": "https://shop.test/api",
                  "spec": { "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0" } },
            ],
            "eventDefinitions": [
                { "name": "events", "spec": { "type": "ASYNC_API", "format": "JSON",
                  "fetchRequest": { "url": "https://shop.test/events", "mode": "PACKAGE" } } },
            ],
            "documents": [
                { "title": "Guide", "displayName": "Guide", "description": "d", "format": "MARKDOWN",
                  "fetchRequest": { "url": "https://shop.test/guide.md" } },
            ],
        },
    }))
    .unwrap()
}

fn failed(hash: &str, attempts: i32, at_second: i64) -> FetchStatus {
    FetchStatus {
        condition: FetchCondition::Failed,
        message: Some("boom".into()),
        timestamp: at(at_second),
        config_map: None,
        request_hash: Some(hash.to_owned()),
        attempts: Some(attempts),
    }
}

#[test]
fn children_come_in_spec_order_with_their_fetch_requests() {
    let app = app();
    let found: Vec<(ChildKind, &str, bool)> = children(&app)
        .iter()
        .map(|c| (c.kind, c.name, c.fetch.is_some()))
        .collect();
    assert_eq!(
        found,
        vec![
            (ChildKind::ApiDefinition, "orders", true),
            (ChildKind::ApiDefinition, "inline", false),
            (ChildKind::EventDefinition, "events", true),
            (ChildKind::Document, "Guide", true),
        ]
    );
    let status = definition_status(&app, &children(&app)[0], None);
    assert_eq!(
        status.id,
        child_id(
            "6f1f4b4e-2f0a-4c4e-9a1c-0d7f1e6b2a10",
            ChildKind::ApiDefinition,
            "orders"
        )
        .to_string()
    );
}

#[test]
fn owned_object_names_are_valid_unique_and_bounded() {
    let a = config_map_name("shop", ChildKind::ApiDefinition, "Orders API v1");
    assert!(a.starts_with("shop-api-"), "{a}");
    assert_eq!(a.len(), "shop-api-".len() + 10);
    assert_ne!(
        a,
        config_map_name("shop", ChildKind::Document, "Orders API v1")
    );
    assert_ne!(
        a,
        config_map_name("shop", ChildKind::ApiDefinition, "orders api v1")
    );
    let long = config_map_name(&"a".repeat(300), ChildKind::EventDefinition, "x");
    assert!(
        long.len() <= 253
            && long.ends_with(&config_map_name("", ChildKind::EventDefinition, "x")[1..])
    );
    let one = credentials_secret_name("a-b", "c");
    assert!(one.starts_with("a-b-c-"), "{one}");
    assert_ne!(one, credentials_secret_name("a", "b-c"));
}

#[test]
fn backoff_doubles_up_to_five_minutes() {
    assert_eq!(backoff(1), Duration::from_secs(2));
    assert_eq!(backoff(3), Duration::from_secs(8));
    assert_eq!(backoff(9), MAX_BACKOFF);
    assert_eq!(backoff(1000), MAX_BACKOFF);
    assert_eq!(remaining(&at(100), 2, &at(101)), Duration::from_secs(3));
    assert_eq!(remaining(&at(100), 2, &at(200)), Duration::ZERO);
}

#[test]
fn new_changed_and_refetched_requests_are_fetched_now() {
    let app = app();
    let orders = children(&app)[0];
    let hash = request_hash(orders.fetch.unwrap());
    let now = at(1000);
    assert!(matches!(
        decide(&orders, None, false, &now),
        Fetch::Now { first: true, .. }
    ));
    let succeeded = FetchStatus {
        condition: FetchCondition::Succeeded,
        message: None,
        timestamp: at(10),
        config_map: Some("cm".into()),
        request_hash: Some(hash.clone()),
        attempts: None,
    };
    assert_eq!(
        decide(&orders, Some(&succeeded), false, &now),
        Fetch::Keep(succeeded.clone())
    );
    assert!(matches!(
        decide(&orders, Some(&succeeded), true, &now),
        Fetch::Now { first: true, .. }
    ));
    let other = FetchStatus {
        request_hash: Some("sha256:other".into()),
        ..succeeded
    };
    assert!(matches!(
        decide(&orders, Some(&other), false, &now),
        Fetch::Now { first: true, .. }
    ));
}

#[test]
fn failures_wait_for_their_backoff() {
    let app = app();
    let orders = children(&app)[0];
    let hash = request_hash(orders.fetch.unwrap());
    let previous = failed(&hash, 3, 1000);
    assert_eq!(
        decide(&orders, Some(&previous), false, &at(1003)),
        Fetch::Wait(previous.clone(), Duration::from_secs(5))
    );
    assert!(matches!(
        decide(&orders, Some(&previous), false, &at(1008)),
        Fetch::Now { first: false, .. }
    ));
}

#[test]
fn unsupported_modes_are_refused_once() {
    let app = app();
    let events = children(&app)[2];
    let Fetch::Refuse(status) = decide(&events, None, false, &at(5)) else {
        panic!("PACKAGE is refused");
    };
    assert_eq!(
        status.message.as_deref(),
        Some("mode PACKAGE is not supported; use SINGLE")
    );
    assert_eq!(
        decide(&events, Some(&status), false, &at(50)),
        Fetch::Keep(status)
    );
    assert_eq!(children(&app)[1].fetch, None);
    assert_eq!(decide(&children(&app)[1], None, false, &at(5)), Fetch::None);
}

#[test]
fn one_reconcile_fetches_at_most_sixteen_and_defers_the_rest() {
    let apis: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            json!({ "name": format!("api-{i}"), "targetURL": "https://shop.test/api",
                    "spec": { "type": "OPEN_API", "format": "YAML",
                              "fetchRequest": { "url": format!("https://shop.test/{i}") } } })
        })
        .collect();
    let app: Application = serde_json::from_value(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "big", "namespace": "acme", "uid": "u" },
        "spec": { "apiDefinitions": apis },
    }))
    .unwrap();
    let plan = super::super::fetch::plan(&app, &ApplicationStatus::default(), false, &at(1));
    assert!(plan.has_first_attempts());
    assert_eq!(plan.counts(), (16, 4));
    let interim = plan.interim(&app, &at(1));
    let initial = interim
        .api_definitions
        .iter()
        .filter(|d| d.fetch.as_ref().unwrap().condition == FetchCondition::Initial)
        .count();
    assert_eq!(
        initial, 20,
        "deferred requests are reported as not fetched yet"
    );
}
