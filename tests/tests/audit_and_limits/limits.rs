//! Bounds: a consumer over its rate limit is answered 429 before its body is read, and the audit
//! file rotates before it passes its bound.

use std::sync::Arc;

use compass_api::{
    audit::AuditSink,
    metrics::ApiMetrics,
    rate_limit::{Limit, RateLimitConfig},
    server::ApiConfig,
};
use compass_tests::{TestServer, eventually, raw_https::RawHttps};
use serde_json::json;

use super::{
    REGISTER, audited, reader,
    readings::{AuditFile, assert_counted, audit_lines},
};

pub async fn a_consumer_over_its_limit_gets_429_with_retry_after_before_its_body_is_read(
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
    let raw = RawHttps::new(&api.url, &server.control_plane.ca_pem);
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

    assert_counted(
        &metrics,
        &["compass_api_rate_limited_total{kind=\"user\"} 1"],
    )
    .await;
    api.stop().await;
}

pub async fn the_audit_file_rotates_at_its_bound(server: &TestServer) {
    let bound = 2048;
    let audit = AuditFile::new(bound);
    let metrics = Arc::new(ApiMetrics::default());
    let api = server.start_api_with(audited(&audit.sink, &metrics)).await;
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
        let lines = audit_lines(&audit.path);
        (lines.last()?["operationName"] == "Last").then_some(())
    })
    .await;
    let rotated = audit.path.with_file_name("audit.log.1");
    for file in [&audit.path, &rotated] {
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
