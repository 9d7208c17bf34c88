//! The answers kept: the same question at the same change count gets the kept bytes, and any
//! difference in the caller, the text, the operation, the variables, the public URL or the change
//! count does not; the bounds hold; only error-free query answers are keepable.

use async_graphql::{Request, Response, ServerError, Variables};
use serde_json::json;

use super::*;
use crate::{
    audit::OperationKind,
    gateway::{ConsumerKind, TenantAccess},
};

fn caller(id: &str, tenant: &str) -> Caller {
    Caller {
        id: id.to_owned(),
        client_id: None,
        kind: ConsumerKind::User,
        scopes: ["application:read".to_owned()].into(),
        tenants: TenantAccess::All,
        tenant: Some(tenant.to_owned()),
    }
}

fn request(query: &str, variables: serde_json::Value) -> Request {
    Request::new(query).variables(Variables::from_json(variables))
}

fn answer(body: &str) -> Answer {
    Answer {
        body: Bytes::from(body.to_owned()),
        operation: query_operation(),
    }
}

fn query_operation() -> Operation {
    Operation {
        kind: OperationKind::Query,
        name: None,
        fields: vec!["application".to_owned()],
    }
}

const QUERY: &str = "query ($id: ID!) { application(id: $id) { name } }";

#[test]
fn the_same_question_at_the_same_change_count_gets_the_kept_answer() {
    let answers = Answers::default();
    let ada = caller("ada", "t1");
    let question = Question::of(&ada, "https://x", &request(QUERY, json!({ "id": "1" }))).unwrap();
    assert!(answers.get(&question, 7).is_none());
    answers.keep(question.clone(), 7, answer("{\"data\":1}"));
    let kept = answers.get(&question, 7).expect("kept");
    assert_eq!(kept.body, "{\"data\":1}");
    assert_eq!(kept.operation, query_operation());
    assert!(
        answers.get(&question, 8).is_none(),
        "a change makes it stale"
    );
}

#[test]
fn any_other_caller_text_operation_variables_or_url_is_another_question() {
    let answers = Answers::default();
    let ada = caller("ada", "t1");
    let asked = request(QUERY, json!({ "id": "1" }));
    answers.keep(
        Question::of(&ada, "https://x", &asked).unwrap(),
        1,
        answer("kept"),
    );
    let mut named = request(QUERY, json!({ "id": "1" }));
    named.operation_name = Some("Named".to_owned());
    let mut fewer_scopes = ada.clone();
    fewer_scopes.scopes.clear();
    let others = [
        Question::of(&caller("grace", "t1"), "https://x", &asked).unwrap(),
        Question::of(&caller("ada", "t2"), "https://x", &asked).unwrap(),
        Question::of(&fewer_scopes, "https://x", &asked).unwrap(),
        Question::of(&ada, "https://y", &asked).unwrap(),
        Question::of(&ada, "https://x", &request(QUERY, json!({ "id": "2" }))).unwrap(),
        Question::of(
            &ada,
            "https://x",
            &request("{ applications { totalCount } }", json!({})),
        )
        .unwrap(),
        Question::of(&ada, "https://x", &named).unwrap(),
    ];
    for other in &others {
        assert!(answers.get(other, 1).is_none(), "{other:?}");
    }
    assert!(
        answers
            .get(&Question::of(&ada, "https://x", &asked).unwrap(), 1)
            .is_some()
    );
}

#[test]
fn the_bounds_hold_and_stale_answers_go_first() {
    let answers = Answers::default();
    let ada = caller("ada", "t1");
    let question = |i: usize| Question::of(&ada, "", &request(QUERY, json!({ "id": i }))).unwrap();
    let huge = "x".repeat(ONE_ANSWER_BYTES + 1);
    answers.keep(question(0), 1, answer(&huge));
    assert!(
        answers.is_empty(),
        "an answer past the bound of one is not kept"
    );

    let variables = json!({ "id": 0, "padding": "x".repeat(ONE_ANSWER_BYTES) });
    let padded = Question::of(&ada, "", &request(QUERY, variables)).unwrap();
    answers.keep(padded, 1, answer("small"));
    assert!(
        answers.is_empty(),
        "the question counts towards the bound too"
    );

    answers.keep(question(0), 1, answer("stale"));
    for i in 1..ENTRIES {
        answers.keep(question(i), 2, answer("fresh"));
    }
    assert_eq!(answers.len(), ENTRIES);
    answers.keep(question(ENTRIES), 2, answer("fresh"));
    assert_eq!(answers.len(), ENTRIES, "the stale one made room");
    assert!(answers.get(&question(1), 2).is_some(), "fresh ones stay");
    answers.keep(question(ENTRIES + 1), 2, answer("fresh"));
    assert!(answers.len() <= ENTRIES);

    let big = "x".repeat(ONE_ANSWER_BYTES - QUERY.len() - 64);
    for i in 0..2 * BYTES / big.len() {
        answers.keep(question(i), 3, answer(&big));
    }
    assert!(answers.len() * big.len() <= BYTES, "{} kept", answers.len());
}

#[test]
fn only_error_free_answers_to_queries_that_allowed_it_are_keepable() {
    let fine = Response::new(async_graphql::Value::Null);
    let reuse = Reuse::default();
    assert!(keepable(&fine, &query_operation(), &reuse));

    let mutation = Operation {
        kind: OperationKind::Mutation,
        ..query_operation()
    };
    assert!(!keepable(&fine, &mutation, &reuse));
    let failed = Response::from_errors(vec![ServerError::new("no", None)]);
    assert!(!keepable(&failed, &query_operation(), &reuse));
    let mut with_header = Response::new(async_graphql::Value::Null);
    with_header
        .http_headers
        .insert("x-one", "1".parse().unwrap());
    assert!(!keepable(&with_header, &query_operation(), &reuse));

    let forbidden = Reuse::default();
    forbidden.0.store(true, Ordering::Relaxed);
    assert!(!keepable(&fine, &query_operation(), &forbidden));
}
