//! The Director's door: an admitted caller's GraphQL request, by `POST` or (queries only) by
//! `GET`, its persisted queries taken (see `director::persisted_queries`), each operation
//! answered with the answer kept for the same question while nothing it read has changed (see
//! `director::answers`), or run ([`asking`]).

mod asking;

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, ServerError};
use axum::{
    Extension,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures_util::future::join_all;

use compass_apiserver::PeerCertificate;

use super::{
    Admitted, Api, DIRECTOR, DIRECTOR_PATH, admit, get_query,
    request::{error_response, graphql_request},
};
use crate::{
    audit::{self, OperationKind, RequestId},
    connector::PublicUrl,
    director::{
        answer_limit::AnswerBudget,
        persisted_queries::{Outcome, Refused},
    },
    errors::Code,
    gateway::Caller,
    playground,
};
use asking::Asking;

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

/// Answers `request` of an admitted caller: its persisted queries taken, then each operation
/// answered with the answer kept for the same question, or run (see [`asking`]).
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
    let asking = Asking {
        api,
        request_id,
        caller: &caller,
        consumer: &consumer,
        public_url: &PublicUrl::of(api.public_url.as_deref(), headers),
        budget: AnswerBudget::new(api.limits.answer_bytes),
    };
    match request {
        BatchRequest::Single(single) => {
            let answered = asking.answer(single).await;
            json(asking.audited(answered))
        }
        BatchRequest::Batch(requests) => answer_batch(&asking, requests, refused).await,
    }
}

/// Answers the operations of a batch together, as async-graphql runs a batch, each refused
/// request's answer put back in its place; audited in order once all are answered.
async fn answer_batch(
    asking: &Asking<'_>,
    requests: Vec<async_graphql::Request>,
    refused: Vec<(usize, async_graphql::Response)>,
) -> Response {
    let answered = join_all(requests.into_iter().map(|single| asking.answer(single))).await;
    let mut bodies: Vec<Bytes> = answered.into_iter().map(|a| asking.audited(a)).collect();
    // In ascending order of place, so each lands where its request was.
    for (at, refusal) in refused {
        let body = Bytes::from(serde_json::to_vec(&refusal).unwrap_or_default());
        bodies.insert(at.min(bodies.len()), body);
    }
    json(array_of(&bodies))
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

/// The JSON array of `bodies`, each a JSON value: a batch's answer.
fn array_of(bodies: &[Bytes]) -> Bytes {
    let length = bodies.iter().map(|body| body.len() + 1).sum::<usize>() + 1;
    let mut array = Vec::with_capacity(length);
    array.push(b'[');
    for (at, body) in bodies.iter().enumerate() {
        if at > 0 {
            array.push(b',');
        }
        array.extend_from_slice(body);
    }
    array.push(b']');
    Bytes::from(array)
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
