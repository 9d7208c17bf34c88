//! The Director's audit lines: one per mutation of a request or batch, one per refusal of an
//! identity, scope or tenant, none for queries; request ids echoed; no secret in any line.

use std::sync::Arc;

use compass_api::{metrics::ApiMetrics, server::ApiConfig};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestServer, eventually, raw_https::RawHttps};
use serde_json::{Value, json};

use super::{
    REGISTER, SECRET_VALUE, WRONG_TOKEN, audited, one_time_token, reader,
    readings::{AuditFile, assert_counted, audit_lines},
};

pub async fn mutations_and_refusals_write_one_line_each_without_secrets(server: &TestServer) {
    let audit = AuditFile::new(1 << 20);
    let metrics = Arc::new(ApiMetrics::default());
    let config = ApiConfig {
        users: vec![reader("reader-token")],
        ..audited(&audit.sink, &metrics)
    };
    let api = server.start_api_with(config).await;
    let admin = api.default_tenant();
    let raw = RawHttps::new(&api.url, &server.control_plane.ca_pem);
    let admin_token = server.control_plane.admin_token.as_str();
    let tenant = [("tenant", DEFAULT_TENANT_EXTERNAL_ID)];

    // A mutation with the caller's request id, echoed back.
    let body = json!({ "query": REGISTER, "operationName": "Register",
        "variables": { "in": { "name": "audited", "description": SECRET_VALUE } } });
    let headers = [tenant[0], ("x-request-id", "audit-register-1")];
    let answer = raw.post_as(admin_token, &headers, &body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.header("x-request-id"), Some("audit-register-1"));
    let id = answer.body["data"]["registerApplication"]["id"].clone();
    let token = one_time_token(&admin, &id).await;
    // A batch: a mutation that succeeds, a query, and a mutation that fails.
    let batch = json!([
        { "query": "mutation A($id: ID!, $v: Any!) { setApplicationLabel(applicationID: $id, key: \"kept\", value: $v) { key } }",
          "variables": { "id": id, "v": SECRET_VALUE } },
        { "query": "query Q { applications { totalCount } }" },
        { "query": "mutation B { again: registerApplication(in: { name: \"audited\" }) { id } }" },
    ]);
    let answer = raw
        .post_as(
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
    // A mutation sent by GET: refused before it runs, and audited as the mutation it would be.
    let register_by_get = "mutation ByGet { registerApplication(in: { name: \"by-get\" }) { id } }";
    let mut path = url::form_urlencoded::Serializer::new("/director/graphql?".to_owned());
    path.append_pair("query", register_by_get);
    let bearer = format!("Bearer {admin_token}");
    let headers = [
        tenant[0],
        ("authorization", bearer.as_str()),
        ("x-request-id", "audit-get-mutation"),
    ];
    let path = path.finish();
    let by_get = admin
        .client()
        .request(http::Method::GET, &path, &headers, Vec::new());
    assert_eq!(by_get.await.expect("the Director answers").status(), 405);
    // A path no route serves: timed under a label of its own, not under the path sent.
    let nowhere = admin
        .client()
        .request(http::Method::GET, "/no-such-route", &[], Vec::new());
    assert_eq!(nowhere.await.expect("the API answers").status(), 404);
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
        .post_as(
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
        let lines = audit_lines(&audit.path);
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
            "mutation",
            "audit-get-mutation",
            "admin",
            ext,
            "ByGet",
            "failure",
            ["registerApplication"],
            ["INVALID_INPUT"]
        ]),
        json!([
            "security",
            lines[5]["requestId"],
            "reader",
            ext,
            null,
            "failure",
            ["registerApplication"],
            ["INSUFFICIENT_SCOPES"]
        ]),
        json!([
            "security",
            lines[6]["requestId"],
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
    audit.assert_holds_none_of(&[
        admin_token,
        &token,
        SECRET_VALUE,
        WRONG_TOKEN,
        "reader-token",
    ]);
    assert_counted(
        &metrics,
        &[
            "compass_api_authentication_failures_total{reason=\"unknown_token\"} 1",
            "compass_api_one_time_tokens_total{event=\"issued\"} 1",
            "compass_api_audit_lines_dropped_total 0",
            // Every request is timed, by the route it matched and its status.
            "compass_api_request_duration_seconds_count{path=\"/director/graphql\",code=\"401\"} 1",
            "compass_api_request_duration_seconds_count{path=\"/director/graphql\",code=\"403\"} 1",
            "compass_api_request_duration_seconds_count{path=\"/director/graphql\",code=\"405\"} 1",
            "compass_api_request_duration_seconds_count{path=\"unmatched\",code=\"404\"} 1",
            "compass_api_request_duration_seconds_bucket{le=\"60.0\",path=\"unmatched\",code=\"404\"} 1",
        ],
    )
    .await;
    api.stop().await;
}

/// Whether `id` looks like a fresh UUID.
fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.split('-').map(str::len).eq([8, 4, 4, 4, 12])
}
