//! The Connector's audit lines: its mutations under the identity of the token's holder, its
//! refusals as security lines, and the tokens it counts.

use std::sync::Arc;

use compass_api::{audit::AuditSink, metrics::ApiMetrics};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestServer, eventually};
use serde_json::{Value, json};

use crate::{
    WRONG_TOKEN, audited,
    http::{Raw, audit_lines, scrape},
};

pub async fn the_connector_audits_its_mutations_and_refusals_by_the_token_holder(
    server: &TestServer,
) {
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
    // The consumer is the application itself, as the Director's lines name it.
    let auth = id.clone();
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
