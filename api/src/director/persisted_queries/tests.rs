//! Persisted queries kept per caller, found by their hash, checked against their text, bounded.

use async_graphql::Variables;
use serde_json::json;

use super::*;
use crate::gateway::{ConsumerKind, TenantAccess};

fn caller(id: &str) -> Caller {
    Caller {
        id: id.into(),
        client_id: None,
        kind: ConsumerKind::User,
        scopes: Default::default(),
        tenants: TenantAccess::All,
        tenant: None,
    }
}

/// A request sending `query` (empty: none) with a persisted-query extension `extension`.
fn request(query: &str, extension: serde_json::Value) -> Request {
    let mut request = Request::new(query).variables(Variables::from_json(json!({ "n": 1 })));
    let extension = async_graphql::Value::from_json(extension).unwrap();
    request.extensions.insert(EXTENSION.to_owned(), extension);
    request
}

fn hashed(query: &str) -> serde_json::Value {
    json!({ "version": 1, "sha256Hash": digest(query) })
}

#[test]
fn a_hash_is_found_only_once_its_caller_sent_the_text_with_it() {
    let kept = PersistedQueries::default();
    let query = "query ($n: Int) { viewer { id } }";
    let alice = caller("alice");
    let mut asked = request("", hashed(query));
    assert_eq!(kept.resolve(&alice, &mut asked), Err(Refused::NotFound));

    let mut sent = request(query, hashed(query));
    assert_eq!(kept.resolve(&alice, &mut sent), Ok(Outcome::Kept));
    assert!(sent.extensions.is_empty(), "the extension is taken out");

    let mut asked = request("", hashed(query));
    assert_eq!(kept.resolve(&alice, &mut asked), Ok(Outcome::Found));
    assert_eq!(asked.query, query);
    assert_eq!(
        serde_json::to_value(&asked.variables).unwrap(),
        json!({ "n": 1 }),
        "the request keeps its own variables"
    );
    let upper = json!({ "version": 1, "sha256Hash": digest(query).to_uppercase() });
    let mut asked = request("", upper);
    assert_eq!(kept.resolve(&alice, &mut asked), Ok(Outcome::Found));

    let mut by_bob = request("", hashed(query));
    assert_eq!(
        kept.resolve(&caller("bob"), &mut by_bob),
        Err(Refused::NotFound),
        "another caller's text is not found"
    );
    let mut plain = Request::new(query);
    assert_eq!(kept.resolve(&alice, &mut plain), Ok(Outcome::Absent));
    assert_eq!(kept.len(), 1);
}

#[test]
fn a_hash_that_is_not_the_texts_and_a_malformed_extension_are_refused_naming_the_field() {
    let kept = PersistedQueries::default();
    let alice = caller("alice");
    let refusal = |query: &str, extension: serde_json::Value| match kept
        .resolve(&alice, &mut request(query, extension))
    {
        Err(Refused::Invalid(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // A text sent under another text's hash would be found by that hash later.
    let message = refusal("{ viewer { id } }", hashed("mutation { other }"));
    assert!(
        message.starts_with("extensions.persistedQuery.sha256Hash:"),
        "{message}"
    );
    let message = refusal("", json!({ "version": 2, "sha256Hash": digest("x") }));
    assert!(
        message.starts_with("extensions.persistedQuery.version:"),
        "{message}"
    );
    let message = refusal("", json!({ "version": 1, "sha256Hash": "abc" }));
    assert!(message.contains("64 hexadecimal digits"), "{message}");
    let message = refusal("", json!({ "version": 1, "sha256Hash": "g".repeat(64) }));
    assert!(message.contains("64 hexadecimal digits"), "{message}");
    let message = refusal("", json!("not an object"));
    assert!(
        message.starts_with("extensions.persistedQuery:"),
        "{message}"
    );
    assert!(kept.is_empty(), "nothing refused is kept");
}

#[test]
fn the_earliest_texts_go_first_beyond_the_bound_of_entries() {
    let kept = PersistedQueries::default();
    let alice = caller("alice");
    let text = |i: usize| format!("query q{i} {{ viewer {{ id }} }}");
    for i in 0..=ENTRIES {
        let mut sent = request(&text(i), hashed(&text(i)));
        assert_eq!(kept.resolve(&alice, &mut sent), Ok(Outcome::Kept));
    }
    assert_eq!(kept.len(), ENTRIES);
    let mut first = request("", hashed(&text(0)));
    assert_eq!(kept.resolve(&alice, &mut first), Err(Refused::NotFound));
    let mut last = request("", hashed(&text(ENTRIES)));
    assert_eq!(kept.resolve(&alice, &mut last), Ok(Outcome::Found));
    // A text past the bound of one text's bytes runs, but is not kept.
    let long = format!("{{ viewer {{ id }} }}{}", " ".repeat(TEXT_BYTES));
    let mut sent = request(&long, hashed(&long));
    assert_eq!(kept.resolve(&alice, &mut sent), Ok(Outcome::TooLong));
    let mut asked = request("", hashed(&long));
    assert_eq!(kept.resolve(&alice, &mut asked), Err(Refused::NotFound));
}
