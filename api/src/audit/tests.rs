//! Tests of audit entries: which make lines, what a line holds, and that a full queue drops
//! lines without waiting.

use std::collections::BTreeSet;

use super::*;
use crate::gateway::{ConsumerKind, TenantAccess};

fn caller() -> Caller {
    Caller {
        client_id: None,
        id: "alice".into(),
        kind: ConsumerKind::User,
        scopes: BTreeSet::new(),
        tenants: TenantAccess::All,
        tenant: Some("tenant-1".into()),
    }
}

fn entry(kind: OperationKind, errors: &[&str]) -> AuditEntry {
    AuditEntry::new(&RequestId("req-1".into()), "director")
        .caller(&caller())
        .operation(kind, Some("Register"), ["registerApplication"])
        .errors(errors.iter().copied())
}

fn line(entry: &AuditEntry) -> Option<serde_json::Value> {
    let time = "2026-03-01T10:00:00.123456Z".parse().unwrap();
    entry
        .line(time)
        .map(|line| serde_json::from_str(&line).unwrap())
}

#[test]
fn a_mutation_makes_a_line_with_who_where_what_and_how() {
    let line = line(&entry(OperationKind::Mutation, &[])).unwrap();
    assert_eq!(
        line,
        serde_json::json!({
            "time": "2026-03-01T10:00:00.123Z",
            "event": "mutation",
            "requestId": "req-1",
            "api": "director",
            "consumerId": "alice",
            "consumerType": "user",
            "tenant": "tenant-1",
            "operationName": "Register",
            "operation": ["registerApplication"],
            "outcome": "success",
        })
    );
    let failed = self::line(&entry(
        OperationKind::Mutation,
        &["NOT_UNIQUE", "NOT_UNIQUE"],
    ));
    let failed = failed.unwrap();
    assert_eq!(failed["outcome"], "failure");
    assert_eq!(failed["errors"], serde_json::json!(["NOT_UNIQUE"]));
}

#[test]
fn queries_make_lines_only_when_refused_for_security() {
    assert!(line(&entry(OperationKind::Query, &[])).is_none());
    assert!(line(&entry(OperationKind::Query, &["NOT_FOUND"])).is_none());
    assert!(line(&entry(OperationKind::Unknown, &[])).is_none());
    for code in ["INSUFFICIENT_SCOPES", "TENANT_MISMATCH", "UNAUTHENTICATED"] {
        for kind in [
            OperationKind::Query,
            OperationKind::Mutation,
            OperationKind::Unknown,
        ] {
            let line = line(&entry(kind, &[code])).unwrap();
            assert_eq!(line["event"], "security", "{code} {kind:?}");
            assert_eq!(line["errors"], serde_json::json!([code]));
        }
    }
    // A refused identity has no consumer.
    let refused = AuditEntry::refused(
        &RequestId("r".into()),
        "director",
        None,
        Code::Unauthenticated,
    );
    let refused = line(&refused.reason("revoked")).unwrap();
    assert!(refused.get("consumerId").is_none());
    assert_eq!(refused["reason"], "revoked");
    assert_eq!(refused["operation"], serde_json::json!([]));
}

#[test]
fn what_the_caller_names_is_cut_to_a_bound() {
    let long = "x".repeat(10_000);
    let mut entry = entry(OperationKind::Mutation, &[]);
    entry.operation_name = Some(long.clone());
    entry.tenant = Some(format!("é{long}"));
    entry.operation = vec![long.clone(); 1000];
    let line = entry.line(jiff::Timestamp::now()).unwrap();
    assert!(line.len() < 64 * 260 + 1024, "{}", line.len());
}

#[test]
fn a_full_queue_drops_and_counts_lines_without_waiting() {
    let metrics = Arc::new(ApiMetrics::default());
    let (lines, receiver) = std::sync::mpsc::sync_channel(1);
    let audit = Audit {
        inner: Some(Arc::new(Inner {
            lines,
            metrics: metrics.clone(),
            warnings: DropWarnings::default(),
        })),
    };
    let mutation = entry(OperationKind::Mutation, &[]);
    for _ in 0..3 {
        audit.record(&mutation);
    }
    assert!(
        metrics
            .render()
            .contains("compass_api_audit_lines_dropped_total 2")
    );
    assert_eq!(receiver.try_iter().count(), 1);
    // Queries make no line, so they cannot be dropped either.
    audit.record(&entry(OperationKind::Query, &[]));
    assert_eq!(receiver.try_iter().count(), 0);
}

#[test]
fn warnings_about_dropped_lines_come_at_most_every_ten_seconds() {
    let warnings = DropWarnings::default();
    let start = Instant::now();
    assert_eq!(warnings.due(start), Some(1));
    assert_eq!(warnings.due(start + Duration::from_secs(1)), None);
    assert_eq!(warnings.due(start + Duration::from_secs(2)), None);
    assert_eq!(warnings.due(start + WARN_EVERY), Some(3));
}

#[test]
fn the_writer_thread_writes_lines_to_the_file_and_stops_with_the_last_handle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let sink = AuditSink::File {
        path: path.clone(),
        max_bytes: sink::DEFAULT_MAX_BYTES,
    };
    let audit = Audit::start(&sink, Arc::default()).unwrap();
    audit.clone().record(&entry(OperationKind::Mutation, &[]));
    audit.record(&entry(OperationKind::Query, &[]));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.lines().count() == 1 {
            assert!(text.contains("\"registerApplication\""));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the line was not written: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let missing = dir.path().join("missing").join("audit.log");
    let missing = AuditSink::File {
        path: missing,
        max_bytes: 1,
    };
    assert!(Audit::start(&missing, Arc::default()).is_err());
}
