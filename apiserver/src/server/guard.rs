//! The door every request passes: authentication, impersonation, then authorization of what the
//! request asks, before any handler runs. A refused request gets kube-apiserver's 401 or 403;
//! an allowed one carries its user to the handlers as a [`Requester`].

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::ServerState;
use crate::{
    auth::{PeerCertificate, impersonation, user::UserInfo},
    rbac::attributes::Attributes,
};

/// The user a request acts as, once allowed.
#[derive(Clone, Debug)]
pub struct Requester(pub Arc<UserInfo>);

/// Authenticates and authorizes the request, then hands it on.
pub async fn guard(
    State(state): State<Arc<ServerState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<PeerCertificate>();
    let authenticated = state
        .authenticator
        .authenticate(&state.store, request.headers(), peer);
    let user = match authenticated.and_then(|user| {
        impersonation::impersonate(request.headers(), user, |requester, attributes| {
            state
                .authorizer
                .authorize(&state.store, requester, attributes)
        })
    }) {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    // Superusers may do everything; only others need the request's attributes worked out.
    if !user.is_superuser() {
        let uri = request.uri();
        let attributes =
            Attributes::from_request(request.method().as_str(), uri.path(), uri.query());
        if let Err(error) = state.authorizer.authorize(&state.store, &user, &attributes) {
            tracing::debug!(user = %user.name, %error, "A request was refused");
            return error.into_response();
        }
    }
    request.extensions_mut().insert(Requester(Arc::new(user)));
    next.run(request).await
}
