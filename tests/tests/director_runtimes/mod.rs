//! The Director's runtimes, integration systems and system auths over HTTP, following the
//! original's end-to-end tests, and what kubectl users see of the same objects: registration and
//! labels ([`registration`]), paging, filters and tenants ([`paging`]), and the system auths of
//! runtimes and integration systems ([`system_auths`]).

mod paging;
mod registration;
mod system_auths;

use compass_tests::graphql::Graphql;
use serde_json::{Value, json};

const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

const RUNTIME_FIELDS: &str = "id name description labels status { condition timestamp } metadata { creationTimestamp } auths { id } eventingConfiguration { defaultURL }";

fn register_runtime() -> String {
    format!("mutation ($in: RuntimeInput!) {{ registerRuntime(in: $in) {{ {RUNTIME_FIELDS} }} }}")
}

fn update_runtime() -> String {
    format!(
        "mutation ($id: ID!, $in: RuntimeInput!) {{ updateRuntime(id: $id, in: $in) {{ {RUNTIME_FIELDS} }} }}"
    )
}

async fn register(director: &Graphql, input: Value) -> Value {
    director
        .data(&register_runtime(), json!({ "in": input }))
        .await["registerRuntime"]
        .clone()
}
