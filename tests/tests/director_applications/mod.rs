//! Applications over HTTP, following the original's end-to-end tests: register with every field
//! and with nested children, unknown references ([`registration`]), update, duplicate names,
//! unregister ([`changes`]), tenant separation, and the same applications seen through kubectl
//! ([`views`]).

use crate::director_application_env;

mod changes;
mod registration;
mod views;

use director_application_env::Env;
use serde_json::json;

const UPDATE: &str = "mutation ($id: ID!, $in: ApplicationUpdateInput!) { updateApplication(id: $id, in: $in) { id name providerName description healthCheckURL integrationSystemID labels } }";

async fn register_integration_system(env: &Env, name: &str) -> String {
    env.director
        .api
        .admin
        .data(
            "mutation ($in: IntegrationSystemInput!) { registerIntegrationSystem(in: $in) { id } }",
            json!({ "in": { "name": name } }),
        )
        .await["registerIntegrationSystem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
