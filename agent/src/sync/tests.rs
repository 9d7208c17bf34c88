//! The checks of one synchronisation that need no cluster: the deletion guard, and the pages of
//! `applicationsForRuntime` that are wrong without an HTTP error (errors beside a null field, a
//! missing list or total, a total that moves, a last page that leaves the total unmet) refused,
//! and a genuinely empty assignment taken.

use serde_json::{Value, json};

use super::*;

#[test]
fn the_guard_allows_one_and_up_to_the_share() {
    assert!(within_guard(1, 1, 0.5));
    assert!(within_guard(5, 10, 0.5));
    assert!(!within_guard(6, 10, 0.5));
    assert!(!within_guard(10, 10, 0.5));
}

/// An answer of `applicationsForRuntime` holding the applications `ids`, announcing `total`,
/// with a next page after `next` when given.
fn page(ids: &[&str], total: u64, next: Option<&str>) -> Value {
    let data: Vec<Value> = ids.iter().map(|id| json!({ "id": id })).collect();
    json!({ "data": { "applicationsForRuntime": {
        "data": data,
        "totalCount": total,
        "pageInfo": { "hasNextPage": next.is_some(), "endCursor": next },
    }}})
}

/// The message of a refused page, failing the test when it was taken.
fn refused(body: &Value, pages: &mut Pages) -> String {
    match read_page(body, pages) {
        Err(SyncError::Fetch(message)) => message,
        other => panic!("{body} was not refused as a failed fetch: {other:?}"),
    }
}

#[test]
fn pages_adding_up_to_the_total_are_complete() {
    let mut pages = Pages::default();
    let first = read_page(&page(&["a", "b"], 3, Some("c2")), &mut pages).unwrap();
    assert_eq!(first, Next::After("c2".to_owned()));
    let last = read_page(&page(&["c"], 3, None), &mut pages).unwrap();
    assert_eq!(last, Next::Complete);
    let ids: Vec<&str> = pages
        .applications
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[test]
fn an_empty_assignment_with_a_total_of_zero_is_complete() {
    let mut pages = Pages::default();
    assert_eq!(
        read_page(&page(&[], 0, None), &mut pages).unwrap(),
        Next::Complete
    );
    assert!(pages.applications.is_empty());
}

#[test]
fn errors_beside_null_data_are_refused() {
    let body = json!({ "data": null, "errors": [{ "message": "internal error" }] });
    let message = refused(&body, &mut Pages::default());
    assert!(message.contains("internal error"), "{message}");
}

#[test]
fn errors_beside_a_full_page_are_refused() {
    // A field that failed is null in the data: the page would drop what it holds.
    let mut body = page(&["a"], 1, None);
    body["errors"] =
        json!([{ "message": "the labels failed", "path": ["applicationsForRuntime"] }]);
    refused(&body, &mut Pages::default());
}

#[test]
fn a_null_field_is_refused() {
    let body = json!({ "data": { "applicationsForRuntime": null } });
    let message = refused(&body, &mut Pages::default());
    assert!(message.contains("no page"), "{message}");
}

#[test]
fn a_page_without_its_list_is_refused() {
    let body = json!({ "data": { "applicationsForRuntime": {
        "totalCount": 0, "pageInfo": { "hasNextPage": false },
    }}});
    let message = refused(&body, &mut Pages::default());
    assert!(message.contains("no page"), "{message}");
}

#[test]
fn a_page_without_its_total_is_refused() {
    let mut body = page(&[], 0, None);
    body["data"]["applicationsForRuntime"]
        .as_object_mut()
        .unwrap()
        .remove("totalCount");
    let message = refused(&body, &mut Pages::default());
    assert!(message.contains("totalCount"), "{message}");
}

#[test]
fn a_total_that_changes_between_pages_is_refused() {
    let mut pages = Pages::default();
    read_page(&page(&["a", "b"], 3, Some("c2")), &mut pages).unwrap();
    let message = refused(&page(&["c", "d"], 4, None), &mut pages);
    assert!(message.contains("changed"), "{message}");
}

#[test]
fn a_last_page_short_of_the_total_is_refused() {
    let mut pages = Pages::default();
    read_page(&page(&["a", "b"], 5, Some("c2")), &mut pages).unwrap();
    let message = refused(&page(&["c"], 5, None), &mut pages);
    assert!(message.contains("incomplete: 3 of 5"), "{message}");
}

#[test]
fn an_empty_page_announcing_applications_is_refused() {
    let message = refused(&page(&[], 2, None), &mut Pages::default());
    assert!(message.contains("incomplete: 0 of 2"), "{message}");
}

#[test]
fn more_applications_than_the_total_are_refused() {
    let message = refused(&page(&["a", "b"], 1, None), &mut Pages::default());
    assert!(message.contains("incomplete: 2 of 1"), "{message}");
}

#[test]
fn a_next_page_without_a_cursor_is_refused() {
    let mut body = page(&["a"], 2, Some("c1"));
    body["data"]["applicationsForRuntime"]["pageInfo"]["endCursor"] = Value::Null;
    let message = refused(&body, &mut Pages::default());
    assert!(message.contains("no cursor"), "{message}");
}
