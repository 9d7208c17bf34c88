//! The Director's door: an admitted caller's GraphQL request, by `POST` or (queries only) by
//! `GET`, its persisted queries taken (see `director::persisted_queries`), answered with the
//! answer kept for the same question while nothing it read has changed (see
//! `director::answers`), or run.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, ServerError};
use axum::{
    Extension,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use compass_apiserver::PeerCertificate;

use super::{
    Admitted, Api, DIRECTOR, DIRECTOR_PATH, admit, get_query,
    request::{error_response, graphql_request},
};
use crate::{
    audit::{self, OperationKind, RequestId, graphql::Operation},
    connector::PublicUrl,
    director::{
        answer_limit::AnswerBudget,
        answers::{Answer, Question, Reuse, keepable},
        persisted_queries::{Outcome, Refused},
    },
    errors::Code,
    gateway::Caller,
    playground,
};

/// Runs the Director's GraphQL request (or batch) sent by `POST`, for an admitted caller.
pub(super) async fn director(
    State(api): State<Arc<Api>>,
    Extension(request_id): Extension<RequestId>,
    Admitted(caller): Admitted,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The body is read only for an authenticated caller, and never beyond the bound.
    let request = match graphql_request(&api, body).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    answer(&api, &request_id, caller, &headers, request, Sent::Post).await
}

/// `GET` of the Director's path: a query in the URL's parameters (see [`get_query`]), run for
/// an admitted caller; the playground for a browser or a URL naming no query.
pub(super) async fn director_get(
    State(api): State<Arc<Api>>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if !get_query::names_query(&uri, &headers) {
        return playground::page(DIRECTOR_PATH, api.playground_tenant.as_deref());
    }
    // As by POST, the request is read only for a caller admitted.
    let caller = match admit(&api, &request_id, peer.as_ref(), &headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match get_query::request_of(&uri) {
        Ok(request) => {
            let request = BatchRequest::Single(request);
            answer(&api, &request_id, caller, &headers, request, Sent::Get).await
        }
        Err(message) => error_response(StatusCode::BAD_REQUEST, "INVALID_INPUT", &message),
    }
}

/// How a request came.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    Post,
    /// By `GET`, which runs queries only: a link or an image can make a browser send one.
    Get,
}

/// Answers `request` of an admitted caller: its persisted queries taken, then the answer kept for
/// the same question, or the request run.
async fn answer(
    api: &Api,
    request_id: &RequestId,
    caller: Caller,
    headers: &HeaderMap,
    request: BatchRequest,
    sent: Sent,
) -> Response {
    let Taken {
        mut request,
        refused,
    } = match take_persisted(api, &caller, request) {
        Ok(taken) => taken,
        Err(answer) => return *answer,
    };
    let consumer = audit::Consumer::from(&caller);
    if sent == Sent::Get
        && let Some(refusal) = mutation_refused(api, request_id, &consumer, &mut request)
    {
        return refusal;
    }
    let public_url = PublicUrl::of(api.public_url.as_deref(), headers);
    let asked = question_of(api, &caller, &public_url, &request);
    if let Some((question, changes)) = &asked {
        let kept = api.answers.get(question, *changes);
        api.metrics.director_answer(kept.is_some());
        if let Some(kept) = kept {
            return reused(api, request_id, &consumer, kept);
        }
    }
    let data = (caller, public_url);
    let (answers, operations, reuse) = run(api, request_id, &consumer, request, data).await;
    match (asked, operations.as_slice()) {
        (Some((question, changes)), [operation])
            if keepable(&answers, operation, &reuse)
                // Nothing changed while it ran, or it may already be stale.
                && api.caches.changes() == Some(changes) =>
        {
            keep(api, question, changes, &answers, operation)
        }
        _ => async_graphql_axum::GraphQLResponse::from(splice(answers, refused)).into_response(),
    }
}

/// The question `request` asks (none for a batch), with the change count read before anything
/// runs, so that an answer is kept only as of what it could have read (none while a change is
/// under way).
fn question_of(
    api: &Api,
    caller: &Caller,
    public_url: &PublicUrl,
    request: &BatchRequest,
) -> Option<(Question, u64)> {
    match (request, api.caches.changes()) {
        (BatchRequest::Single(single), Some(changes)) => {
            Question::of(caller, &public_url.0, single).map(|question| (question, changes))
        }
        _ => None,
    }
}

/// Keeps the answer to `question` as of `changes`, and answers with it.
fn keep(
    api: &Api,
    question: Question,
    changes: u64,
    answers: &BatchResponse,
    operation: &Operation,
) -> Response {
    let body = Bytes::from(body_of(answers));
    let answer = Answer {
        body: body.clone(),
        operation: operation.clone(),
    };
    api.answers.keep(question, changes, answer);
    json(body)
}

/// The refusal of a mutation sent by `GET`: `405`, naming the method to send it by. Audited as
/// the mutation it would have been, refused.
fn mutation_refused(
    api: &Api,
    request_id: &RequestId,
    consumer: &audit::Consumer,
    request: &mut BatchRequest,
) -> Option<Response> {
    let BatchRequest::Single(single) = request else {
        return None;
    };
    let operation = api.documents.operation_of(single);
    if operation.kind != OperationKind::Mutation {
        return None;
    }
    let code = Code::InvalidInput.as_str();
    let (audit, consumer) = (&api.audit, Some(consumer));
    audit::graphql::record_one(
        audit,
        request_id,
        DIRECTOR,
        consumer,
        &operation,
        vec![code.into()],
    );
    let message = "GET runs queries only: send a mutation by POST";
    let mut refusal = error_response(StatusCode::METHOD_NOT_ALLOWED, code, message);
    let allowed = HeaderValue::from_static("GET, POST");
    refusal.headers_mut().insert(header::ALLOW, allowed);
    Some(refusal)
}

/// A request with its persisted queries taken: what is left to run, and the answers of the
/// requests refused by their place in the batch.
struct Taken {
    request: BatchRequest,
    refused: Vec<(usize, async_graphql::Response)>,
}

/// Takes the persisted query of each request: its text filled in, or kept. A single request
/// refused is answered at once (`PersistedQueryNotFound` with 200, as Apollo clients expect, a
/// malformed one with 400); a batch runs what is left, each refused request answered in its place.
/// Nothing left to run is `Err`, with the answer to the whole request.
fn take_persisted(
    api: &Api,
    caller: &Caller,
    request: BatchRequest,
) -> Result<Taken, Box<Response>> {
    let take = |request: &mut async_graphql::Request| {
        let taken = api.persisted.resolve(caller, request);
        if let Some(event) = metric_event(&taken) {
            api.metrics.persisted_query(event);
        }
        taken
    };
    let mut single = match request {
        BatchRequest::Single(single) => single,
        BatchRequest::Batch(requests) => return take_batch(requests, take),
    };
    match take(&mut single) {
        Ok(_) => Ok(Taken {
            request: BatchRequest::Single(single),
            refused: Vec::new(),
        }),
        Err(refused) => {
            let status = match refused {
                Refused::NotFound => StatusCode::OK,
                Refused::Invalid(_) => StatusCode::BAD_REQUEST,
            };
            let answer = error_response(status, refused.code(), refused.message());
            Err(Box::new(answer))
        }
    }
}

/// [`take_persisted`] of a batch: each request taken on its own, a refused one answered in its
/// place.
fn take_batch(
    requests: Vec<async_graphql::Request>,
    take: impl Fn(&mut async_graphql::Request) -> Result<Outcome, Refused>,
) -> Result<Taken, Box<Response>> {
    let mut left = Vec::with_capacity(requests.len());
    let mut refused = Vec::new();
    for (at, mut request) in requests.into_iter().enumerate() {
        match take(&mut request) {
            Ok(_) => left.push(request),
            Err(refusal) => refused.push((at, refused_answer(&refusal))),
        }
    }
    if left.is_empty() {
        let answers = refused.into_iter().map(|(_, answer)| answer).collect();
        let answers = BatchResponse::Batch(answers);
        let answer = async_graphql_axum::GraphQLResponse::from(answers).into_response();
        return Err(Box::new(answer));
    }
    Ok(Taken {
        request: BatchRequest::Batch(left),
        refused,
    })
}

/// The event `compass_api_director_persisted_queries_total` counts for a request, if it sent
/// a persisted query.
fn metric_event(taken: &Result<Outcome, Refused>) -> Option<&'static str> {
    match taken {
        Ok(Outcome::Absent) => None,
        Ok(outcome) => Some(outcome.as_str()),
        Err(Refused::NotFound) => Some("not_found"),
        Err(Refused::Invalid(_)) => Some("invalid"),
    }
}

/// The answer to a request whose persisted query was refused, in a batch.
fn refused_answer(refused: &Refused) -> async_graphql::Response {
    let mut error = ServerError::new(refused.message(), None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", refused.code());
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// `answers` with each refused request's answer put back in its place in the batch.
fn splice(answers: BatchResponse, refused: Vec<(usize, async_graphql::Response)>) -> BatchResponse {
    match answers {
        BatchResponse::Batch(mut answers) if !refused.is_empty() => {
            // In ascending order of place, so each lands where its request was.
            for (at, answer) in refused {
                answers.insert(at.min(answers.len()), answer);
            }
            BatchResponse::Batch(answers)
        }
        answers => answers,
    }
}

/// Runs `request` as `caller`, answering under `public_url`, and audits it; with the operations
/// it ran and whether its resolvers allowed keeping the answer.
async fn run(
    api: &Api,
    request_id: &RequestId,
    consumer: &audit::Consumer,
    mut request: BatchRequest,
    (caller, public_url): (Caller, PublicUrl),
) -> (BatchResponse, Vec<Operation>, Reuse) {
    api.documents.fill(&mut request);
    let budget = AnswerBudget::new(api.limits.answer_bytes);
    let operations = audit::graphql::operations(&mut request);
    let reuse = Reuse::default();
    let request = request
        .data(caller)
        .data(budget)
        .data(public_url)
        .data(reuse.clone());
    let answers = api.schema.execute_batch(request).await;
    audit::graphql::record(
        &api.audit,
        request_id,
        DIRECTOR,
        Some(consumer),
        &operations,
        &answers,
    );
    (answers, operations, reuse)
}

/// The answer kept for the request's question, audited as the operation it ran (which had no
/// errors, or it would not have been kept).
fn reused(api: &Api, request_id: &RequestId, consumer: &audit::Consumer, kept: Answer) -> Response {
    let errors = Vec::new();
    let consumer = Some(consumer);
    audit::graphql::record_one(
        &api.audit,
        request_id,
        DIRECTOR,
        consumer,
        &kept.operation,
        errors,
    );
    json(kept.body)
}

/// The JSON of `answers`, as async-graphql's own response writes it.
fn body_of(answers: &BatchResponse) -> Vec<u8> {
    // Serializing GraphQL values cannot fail: their map keys are strings.
    serde_json::to_vec(answers).unwrap_or_default()
}

/// A GraphQL answer of `body`, with the headers of one that has no headers of its own.
fn json(body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    response
}
