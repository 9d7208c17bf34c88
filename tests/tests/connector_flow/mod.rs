//! The Connector end to end, over HTTPS with real TLS client certificates: one-time token →
//! `configuration` → CSR → `signCertificateSigningRequest` → the Director called with the
//! certificate; the CSR's rules; renewal and revocation; what ends a certificate's use; and the
//! headers a client could forge. Every test starts its own control plane, operator and API.

mod csr_rules;
mod lifecycle;
mod pairing;
mod refusals;

use compass_tests::{TestServer, graphql::Response};
use serde_json::Value;

/// The SystemAuth (as kubectl prints it) whose uid is `client_id`.
fn system_auth_of(server: &TestServer, client_id: &str) -> Value {
    server.system_auths()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|auth| auth["metadata"]["uid"] == client_id)
        .unwrap_or_else(|| panic!("no SystemAuth with uid {client_id}"))
        .clone()
}

/// Fails the test unless the Director refused the request as unauthenticated.
fn assert_unauthenticated(response: &Response, what: &str) {
    assert_eq!(response.status, 401, "{what}: {}", response.body);
    assert_eq!(response.error().1, "UNAUTHENTICATED", "{what}");
}

/// The `viewer` query.
const VIEWER: &str = "{ viewer { id type } }";
