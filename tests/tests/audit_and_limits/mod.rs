//! The Gateway's accounting, through the Director and the Connector over HTTPS: every mutation
//! and every refusal of an identity, scope or tenant writes one audit line (never a token or a
//! variable's value), a consumer over its rate limit is answered 429 with `Retry-After` before its
//! body is read, the audit file rotates at its bound, and the admin listener's `/metrics` counts
//! all of it. One control plane serves the independent parts, each with an API of its own.

mod connector;
mod director;
mod limits;
pub(crate) mod readings;

use std::{collections::BTreeSet, sync::Arc};

use compass_api::{
    audit::{Audit, AuditSink},
    gateway::{StaticUser, digest},
    metrics::ApiMetrics,
    scopes::ScopesConfig,
    server::ApiConfig,
};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestServer, graphql::Graphql, local_operator_config};
use serde_json::{Value, json};

/// A value only ever sent as a variable: no audit line may hold it.
const SECRET_VALUE: &str = "variable-value-never-logged";

/// A token no one holds.
const WRONG_TOKEN: &str = "wrong-token-never-logged";

const REGISTER: &str =
    "mutation Register($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }";

/// A user of the default tenant holding every read scope and nothing else.
fn reader(token: &str) -> StaticUser {
    StaticUser {
        name: "reader".into(),
        token_sha256: digest(token),
        scopes: ScopesConfig::default_config()
            .all_scopes()
            .into_iter()
            .filter(|scope| scope.ends_with(":read"))
            .collect::<BTreeSet<_>>(),
        tenants: [DEFAULT_TENANT_EXTERNAL_ID.to_owned()].into(),
    }
}

/// An API configuration auditing to `sink`, counting in `metrics`.
fn audited(sink: &AuditSink, metrics: &Arc<ApiMetrics>) -> ApiConfig {
    ApiConfig {
        audit: Audit::start(sink, metrics.clone()).expect("the audit log opens"),
        metrics: metrics.clone(),
        ..ApiConfig::default()
    }
}

/// A one-time token for the application `id`, requested by `admin`.
async fn one_time_token(admin: &Graphql, id: &Value) -> String {
    admin
        .data(
            "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }",
            json!({ "id": id }),
        )
        .await["requestOneTimeTokenForApplication"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_audits_limits_and_counts_what_callers_do() {
    let server = TestServer::start().await;
    let operator = server.start_operator(local_operator_config()).await;
    server.wait_tenant_ready("default").await;
    director::mutations_and_refusals_write_one_line_each_without_secrets(&server).await;
    connector::the_connector_audits_its_mutations_and_refusals_by_the_token_holder(&server).await;
    limits::a_consumer_over_its_limit_gets_429_with_retry_after_before_its_body_is_read(&server)
        .await;
    limits::the_audit_file_rotates_at_its_bound(&server).await;
    operator.stop().await;
    server.stop().await;
}
