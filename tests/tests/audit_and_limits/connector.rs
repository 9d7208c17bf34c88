//! The Connector's audit lines: its mutations under the identity of the token's holder, its
//! refusals as security lines, and the tokens it counts.

use std::sync::Arc;

use compass_api::metrics::ApiMetrics;
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestServer, eventually, raw_https::RawHttps};
use serde_json::{Value, json};

use super::{
    WRONG_TOKEN, audited, one_time_token,
    readings::{AuditFile, assert_counted, audit_lines},
};

pub async fn the_connector_audits_its_mutations_and_refusals_by_the_token_holder(
    server: &TestServer,
) {
    let audit = AuditFile::new(1 << 20);
    let metrics = Arc::new(ApiMetrics::default());
    let api = server.start_api_with(audited(&audit.sink, &metrics)).await;
    let admin = api.default_tenant();
    let id = json!(api.register_application("connected").await);
    let pairing = one_time_token(&admin, &id).await;
    let raw = RawHttps::new(&api.connector_url, &server.control_plane.ca_pem);
    let configuration = json!({ "query": "{ configuration { token { token } } }" });
    let answer = raw
        .post(&[("Connector-Token", &pairing)], &configuration)
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
    let answer = raw.post(&headers, &sign).await;
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "INVALID_INPUT"
    );
    // Refusals: a token no one holds, and no credential at all.
    let headers = [
        ("Connector-Token", WRONG_TOKEN),
        ("x-request-id", "bogus-1"),
    ];
    let refused = raw.post(&headers, &configuration).await;
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let headers = [("x-request-id", "bare-1")];
    raw.post(&headers, &configuration).await;

    let lines = eventually("the last refusal is audited", || async {
        let lines = audit_lines(&audit.path);
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
    audit.assert_holds_none_of(&[&pairing, &signing, WRONG_TOKEN]);
    assert_counted(
        &metrics,
        &[
            // The pairing token and the token for the CSR.
            "compass_api_one_time_tokens_total{event=\"issued\"} 2",
            "compass_api_one_time_tokens_total{event=\"redeemed\"} 1",
            "compass_api_authentication_failures_total{reason=\"missing_credentials\"} 1",
            "compass_api_certificates_total{event=\"issued\"} 0",
        ],
    )
    .await;
    api.stop().await;
}
