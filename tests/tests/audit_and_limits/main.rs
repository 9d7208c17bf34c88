//! The Gateway's accounting, through the Director over HTTPS: every mutation and every refusal of
//! an identity, scope or tenant writes one audit line (never a token or a variable's value), a
//! consumer over its rate limit is answered 429 with `Retry-After` before its body is read, the
//! audit file rotates at its bound, and the admin listener's `/metrics` counts all of it.

mod http;

use std::{collections::BTreeSet, sync::Arc};

use compass_api::{
    audit::{Audit, AuditSink},
    gateway::{StaticUser, digest},
    metrics::ApiMetrics,
    rate_limit::{Limit, RateLimitConfig},
    scopes::ScopesConfig,
    server::ApiConfig,
};
use compass_crds::{
    SystemAuth,
    well_known::{DEFAULT_TENANT_EXTERNAL_ID, DEFAULT_TENANT_NAMESPACE},
};
use compass_tests::{TestServer, eventually, local_operator_config};
use http::{Raw, audit_lines, scrape};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_audits_limits_and_counts_what_callers_do() {
    let server = TestServer::start().await;
    let operator = server.start_operator(local_operator_config()).await;
    server.wait_tenant_ready("default").await;
    mutations_and_refusals_write_one_line_each_without_secrets(&server).await;
    the_connector_audits_its_mutations_and_refusals_by_the_token_holder(&server).await;
    a_consumer_over_its_limit_gets_429_with_retry_after_before_its_body_is_read(&server).await;
    the_audit_file_rotates_at_its_bound(&server).await;
    operator.stop().await;
    server.stop().await;
}

async fn mutations_and_refusals_write_one_line_each_without_secrets(server: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let metrics = Arc::new(ApiMetrics::default());
    let sink = AuditSink::File {
        path: path.clone(),
        max_bytes: 1 << 20,
    };
    let config = ApiConfig {
        users: vec![reader("reader-token")],
        ..audited(&sink, &metrics)
    };
    let api = server.start_api_with(config).await;
    let admin = api.default_tenant();
    let raw = Raw::new(&api.url, &server.control_plane.ca_pem);
    let admin_token = server.control_plane.admin_token.as_str();
    let tenant = [("tenant", DEFAULT_TENANT_EXTERNAL_ID)];

    // A mutation with the caller's request id, echoed back.
    let body = json!({ "query": REGISTER, "operationName": "Register",
        "variables": { "in": { "name": "audited", "description": SECRET_VALUE } } });
    let headers = [tenant[0], ("x-request-id", "audit-register-1")];
    let answer = raw.post(admin_token, &headers, &body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.header("x-request-id"), Some("audit-register-1"));
    let id = answer.body["data"]["registerApplication"]["id"].clone();
    let token = admin
        .data(
            "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }",
            json!({ "id": id }),
        )
        .await["requestOneTimeTokenForApplication"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A batch: a mutation that succeeds, a query, and a mutation that fails.
    let batch = json!([
        { "query": "mutation A($id: ID!, $v: Any!) { setApplicationLabel(applicationID: $id, key: \"kept\", value: $v) { key } }",
          "variables": { "id": id, "v": SECRET_VALUE } },
        { "query": "query Q { applications { totalCount } }" },
        { "query": "mutation B { again: registerApplication(in: { name: \"audited\" }) { id } }" },
    ]);
    let answer = raw
        .post(
            admin_token,
            &[tenant[0], ("x-request-id", "audit-batch")],
            &batch,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(
        answer.body[2]["errors"][0]["extensions"]["code"],
        "NOT_UNIQUE"
    );
    // Refusals: a scope, a tenant, an identity.
    let reader = admin.with_token("reader-token");
    let (_, code) = reader
        .send(
            "mutation { registerApplication(in: { name: \"sneaky\" }) { id } }",
            json!({}),
        )
        .await
        .error();
    assert_eq!(code, "INSUFFICIENT_SCOPES");
    let elsewhere = reader.tenant("someone-else");
    let refused = elsewhere
        .send("{ applications { totalCount } }", json!({}))
        .await;
    assert_eq!(
        (refused.status, refused.error().1.as_str()),
        (403, "TENANT_MISMATCH")
    );
    admin
        .data("{ applications { totalCount } }", json!({}))
        .await;
    let headers = [("x-request-id", "not a sane id!")];
    let unknown = raw
        .post(
            WRONG_TOKEN,
            &headers,
            &json!({ "query": "{ viewer { id } }" }),
        )
        .await;
    assert_eq!(unknown.status, 401);
    let fresh_id = unknown
        .header("x-request-id")
        .expect("an id is echoed")
        .to_owned();
    assert!(uuid_like(&fresh_id), "{fresh_id}");

    // The refusal of the unknown token was recorded last; every earlier line is written before it.
    let lines = eventually("the last refusal is audited", || async {
        let lines = audit_lines(&path);
        lines
            .iter()
            .any(|l| l["requestId"] == fresh_id.as_str())
            .then_some(lines)
    })
    .await;
    let shape = |l: &Value| {
        let fields = [
            "event",
            "requestId",
            "consumerId",
            "tenant",
            "operationName",
            "outcome",
        ];
        let mut shape: Vec<Value> = fields.iter().map(|f| l[*f].clone()).collect();
        shape.push(l["operation"].clone());
        shape.push(l["errors"].clone());
        shape
    };
    let ext = DEFAULT_TENANT_EXTERNAL_ID;
    let expected = [
        json!([
            "mutation",
            "audit-register-1",
            "admin",
            ext,
            "Register",
            "success",
            ["registerApplication"],
            null
        ]),
        json!([
            "mutation",
            lines[1]["requestId"],
            "admin",
            ext,
            null,
            "success",
            ["requestOneTimeTokenForApplication"],
            null
        ]),
        json!([
            "mutation",
            "audit-batch",
            "admin",
            ext,
            "A",
            "success",
            ["setApplicationLabel"],
            null
        ]),
        json!([
            "mutation",
            "audit-batch",
            "admin",
            ext,
            "B",
            "failure",
            ["registerApplication"],
            ["NOT_UNIQUE"]
        ]),
        json!([
            "security",
            lines[4]["requestId"],
            "reader",
            ext,
            null,
            "failure",
            ["registerApplication"],
            ["INSUFFICIENT_SCOPES"]
        ]),
        json!([
            "security",
            lines[5]["requestId"],
            "reader",
            "someone-else",
            null,
            "failure",
            [],
            ["TENANT_MISMATCH"]
        ]),
        json!([
            "security",
            fresh_id,
            null,
            null,
            null,
            "failure",
            [],
            ["UNAUTHENTICATED"]
        ]),
    ];
    let shapes: Vec<Value> = lines.iter().map(|l| Value::from(shape(l))).collect();
    assert_eq!(shapes, expected, "queries make no line; each operation one");
    for line in &lines {
        let time = line["time"].as_str().unwrap();
        assert!(time.parse::<jiff::Timestamp>().is_ok(), "RFC 3339: {time}");
        if line["consumerId"] == "admin" {
            assert_eq!(line["consumerType"], "user");
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [
        admin_token,
        token.as_str(),
        SECRET_VALUE,
        WRONG_TOKEN,
        "reader-token",
    ] {
        assert!(
            !text.contains(secret),
            "the audit log holds a secret: {text}"
        );
    }

    let counted = scrape(&metrics).await;
    for line in [
        "compass_api_authentication_failures_total{reason=\"unknown_token\"} 1",
        "compass_api_one_time_tokens_total{event=\"issued\"} 1",
        "compass_api_audit_lines_dropped_total 0",
    ] {
        assert!(counted.contains(line), "{line} in\n{counted}");
    }
    api.stop().await;
}

async fn the_connector_audits_its_mutations_and_refusals_by_the_token_holder(server: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let metrics = Arc::new(ApiMetrics::default());
    let sink = AuditSink::File {
        path: path.clone(),
        max_bytes: 1 << 20,
    };
    let api = server.start_api_with(audited(&sink, &metrics)).await;
    let admin = api.default_tenant();
    let registered = admin
        .data(
            "mutation { registerApplication(in: { name: \"connected\" }) { id } }",
            json!({}),
        )
        .await;
    let id = registered["registerApplication"]["id"].clone();
    let pairing = admin
        .data(
            "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }",
            json!({ "id": id }),
        )
        .await["requestOneTimeTokenForApplication"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let connector_url = api.url.replace("/director/", "/connector/");
    let raw = Raw::new(&connector_url, &server.control_plane.ca_pem);
    let configuration = json!({ "query": "{ configuration { token { token } } }" });
    let answer = raw
        .post_with(&[("Connector-Token", &pairing)], &configuration)
        .await;
    let signing = answer.body["data"]["configuration"]["token"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", answer.body))
        .to_owned();
    // A CSR that is none: the mutation fails, and its line names the token's holder.
    let sign = json!({ "query": "mutation Sign { signCertificateSigningRequest(csr: \"bm90IGEgQ1NS\") { clientCertificate } }" });
    let headers = [
        ("Connector-Token", signing.as_str()),
        ("x-request-id", "sign-1"),
    ];
    let answer = raw.post_with(&headers, &sign).await;
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "INVALID_INPUT"
    );
    // Refusals: a token no one holds, and no credential at all.
    let headers = [
        ("Connector-Token", WRONG_TOKEN),
        ("x-request-id", "bogus-1"),
    ];
    let refused = raw.post_with(&headers, &configuration).await;
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let headers = [("x-request-id", "bare-1")];
    raw.post_with(&headers, &configuration).await;

    let lines = eventually("the last refusal is audited", || async {
        let lines = audit_lines(&path);
        (lines.last()?["requestId"] == "bare-1").then_some(lines)
    })
    .await;
    let connector: Vec<&Value> = lines.iter().filter(|l| l["api"] == "connector").collect();
    assert_eq!(
        connector.len(),
        3,
        "the successful configuration query makes no line"
    );
    let auths: kube::Api<SystemAuth> =
        kube::Api::namespaced(server.client().await, DEFAULT_TENANT_NAMESPACE);
    let listed = auths.list(&Default::default()).await.unwrap();
    let holder = listed
        .items
        .iter()
        .find(|a| a.spec.subject.name == "connected");
    let auth = json!(holder.and_then(|a| a.metadata.uid.clone()));
    let sign = connector[0];
    assert_eq!(
        (&sign["event"], &sign["requestId"], &sign["consumerId"]),
        (&json!("mutation"), &json!("sign-1"), &auth),
        "{sign}"
    );
    assert_eq!(sign["consumerType"], "application");
    assert_eq!(sign["tenant"], DEFAULT_TENANT_EXTERNAL_ID);
    assert_eq!(sign["operation"], json!(["signCertificateSigningRequest"]));
    assert_eq!(sign["errors"], json!(["INVALID_INPUT"]));
    for (line, id) in [(connector[1], "bogus-1"), (connector[2], "bare-1")] {
        assert_eq!(line["event"], "security", "{line}");
        assert_eq!(line["requestId"], id);
        assert_eq!(line["errors"], json!(["UNAUTHENTICATED"]));
        assert!(line.get("consumerId").is_none(), "{line}");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [pairing.as_str(), signing.as_str(), WRONG_TOKEN] {
        assert!(
            !text.contains(secret),
            "the audit log holds a token: {text}"
        );
    }
    let counted = scrape(&metrics).await;
    for line in [
        // The pairing token and the token for the CSR.
        "compass_api_one_time_tokens_total{event=\"issued\"} 2",
        "compass_api_one_time_tokens_total{event=\"redeemed\"} 1",
        "compass_api_authentication_failures_total{reason=\"missing_credentials\"} 1",
        "compass_api_certificates_total{event=\"issued\"} 0",
    ] {
        assert!(counted.contains(line), "{line} in\n{counted}");
    }
    api.stop().await;
}

async fn a_consumer_over_its_limit_gets_429_with_retry_after_before_its_body_is_read(
    server: &TestServer,
) {
    let metrics = Arc::new(ApiMetrics::default());
    let one_each_five_seconds = Limit::Bucket {
        per_second: 0.2,
        burst: 2,
    };
    let config = ApiConfig {
        users: vec![reader("patient-token")],
        rate_limits: RateLimitConfig {
            user: one_each_five_seconds,
            ..RateLimitConfig::default()
        },
        ..audited(&AuditSink::Off, &metrics)
    };
    let api = server.start_api_with(config).await;
    let admin = api.default_tenant();
    let query = "{ applications { totalCount } }";
    admin.data(query, json!({})).await;
    admin.data(query, json!({})).await;
    // The third request declares a body it never sends: only an answer before the body is read
    // can come back.
    let raw = Raw::new(&api.url, &server.control_plane.ca_pem);
    let limited = raw
        .declare_only(&server.control_plane.admin_token, 1 << 20)
        .await;
    assert_eq!(limited.status, 429, "{:?}", limited.body);
    assert_eq!(
        limited.body["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After: {retry}");
    // Another consumer has a bucket of its own.
    let patient = admin.with_token("patient-token");
    patient.data(query, json!({})).await;

    let counted = scrape(&metrics).await;
    let line = "compass_api_rate_limited_total{kind=\"user\"} 1";
    assert!(counted.contains(line), "{line} in\n{counted}");
    api.stop().await;
}

async fn the_audit_file_rotates_at_its_bound(server: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let bound = 2048;
    let metrics = Arc::new(ApiMetrics::default());
    let sink = AuditSink::File {
        path: path.clone(),
        max_bytes: bound,
    };
    let api = server.start_api_with(audited(&sink, &metrics)).await;
    let admin = api.default_tenant();
    // Twelve lines of some 250 bytes each: more than one file's worth.
    for i in 0..11 {
        let input = json!({ "in": { "name": format!("rotated-{i}") } });
        admin.data(REGISTER, input).await;
    }
    let last = REGISTER.replacen("Register", "Last", 1);
    admin
        .data(&last, json!({ "in": { "name": "rotated-last" } }))
        .await;
    eventually("the last mutation is audited", || async {
        let lines = audit_lines(&path);
        (lines.last()?["operationName"] == "Last").then_some(())
    })
    .await;
    let rotated = path.with_file_name("audit.log.1");
    for file in [&path, &rotated] {
        let size = std::fs::metadata(file).unwrap().len();
        assert!(
            0 < size && size <= bound,
            "{}: {size} bytes",
            file.display()
        );
    }
    let old = audit_lines(&rotated);
    assert!(old.iter().all(|l| l["event"] == "mutation"), "{old:?}");
    api.stop().await;
}

/// Whether `id` looks like a fresh UUID.
fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.split('-').map(str::len).eq([8, 4, 4, 4, 12])
}
