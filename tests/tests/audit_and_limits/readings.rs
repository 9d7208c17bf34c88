//! What the tests read besides the API's answers: the audit file, as JSON lines and as text, and a
//! scrape of the admin listener's `/metrics`.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use compass_api::{audit::AuditSink, metrics::ApiMetrics};
use compass_tests::DEADLINE;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An audit file in a directory of its own (removed with it), rotated at `max_bytes`.
pub struct AuditFile {
    /// The file.
    pub path: PathBuf,
    /// The sink writing it.
    pub sink: AuditSink,
    _dir: tempfile::TempDir,
}

impl AuditFile {
    /// A file `audit.log` in a new temporary directory, bounded at `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let sink = AuditSink::File {
            path: path.clone(),
            max_bytes,
        };
        Self {
            path,
            sink,
            _dir: dir,
        }
    }

    /// Fails the test if the file holds any of `secrets`.
    pub fn assert_holds_none_of(&self, secrets: &[&str]) {
        let text = std::fs::read_to_string(&self.path).unwrap();
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "the audit log holds a secret: {text}"
            );
        }
    }
}

/// Fails the test unless the `/metrics` of `metrics` ([`scrape`]) hold every one of `lines`.
pub async fn assert_counted(metrics: &ApiMetrics, lines: &[&str]) {
    let counted = scrape(metrics).await;
    for line in lines {
        assert!(counted.contains(line), "{line} in\n{counted}");
    }
}

/// `/metrics` of an admin listener serving the operator's registry with `metrics` in it, as
/// `compass up` and `compass api` do.
pub async fn scrape(metrics: &ApiMetrics) -> String {
    let listener = compass::admin::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    let registry = compass_operator::metrics::Metrics::with(|r| metrics.register(r));
    let state = compass::admin::AdminState {
        metrics: Arc::new(registry),
        ready: Arc::default(),
        stores: None,
    };
    let (trigger, stop) = compass_operator::shutdown::channel();
    let serving = tokio::spawn(compass::admin::serve(listener, state, stop));
    let mut tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(DEADLINE, tcp.read_to_string(&mut answer))
        .await
        .expect("the admin listener answers")
        .unwrap();
    trigger.fire();
    serving.await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

/// The whole lines of the audit file at `path` (none if it does not exist), each parsed as
/// JSON. A line being written may be there in part; it is left for the next read.
pub fn audit_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
