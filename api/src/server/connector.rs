//! The Connector's door: a one-time token or a client certificate the Connector issued is the
//! credential (a refused one is answered `UNAUTHENTICATED` by the operation); rate limited,
//! audited under the Connector's name.

use std::sync::Arc;

use async_graphql_axum::GraphQLResponse;
use axum::{
    Extension,
    body::Body,
    extract::State,
    http::{HeaderMap, Uri},
    response::{IntoResponse, Response},
};
use compass_apiserver::PeerCertificate;

use super::{Api, CONNECTOR, certificate_of, request::graphql_request};
use crate::{
    audit::{self, RequestId},
    connector::{PublicUrl, schema::Credential},
};

/// The Connector: a one-time token or a client certificate the Connector issued opens it.
pub(super) async fn connector(
    State(api): State<Arc<Api>>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<PeerCertificate>>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let caches = api.gateway.caches();
    let credential =
        crate::connector::credential_of(caches, &headers, &uri, certificate_of(peer.as_ref()));
    // A refused credential is answered (and audited) as UNAUTHENTICATED by the operation.
    if let Credential::Refused(refusal) = &credential {
        api.metrics.authentication_failure(refusal.reason);
    }
    let consumer = audit::connector::consumer_of(&credential, caches);
    if let Some(consumer) = &consumer
        && let Err(limited) = api.rate_limits.admit(consumer.kind, &consumer.id)
    {
        return limited.into_response();
    }
    let mut request = match graphql_request(&api, body).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let public_url = PublicUrl::of(api.public_url.as_deref(), &headers);
    let operations = audit::graphql::operations(&mut request);
    let request = request.data(credential).data(public_url);
    let answers = api.connector.execute_batch(request).await;
    audit::graphql::record(
        &api.audit,
        &request_id,
        CONNECTOR,
        consumer.as_ref(),
        &operations,
        &answers,
    );
    GraphQLResponse::from(answers).into_response()
}
