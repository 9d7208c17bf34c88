//! HTTP the product's client does not show: requests with chosen headers and answers with theirs
//! (the request id, `Retry-After`), a request that declares a body it never sends, a scrape of
//! the admin listener's `/metrics`, and the audit file read as JSON lines.

use std::{path::Path, sync::Arc};

use compass_api::metrics::ApiMetrics;
use compass_tests::DEADLINE;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An answer: status, headers (names in lower case) and the JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    /// The value of the header `name` (lower case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A client writing HTTP/1.1 requests by hand to the Director over TLS.
pub struct Raw {
    host: String,
    path: String,
    connector: tokio_rustls::TlsConnector,
}

impl Raw {
    /// A client of the API at `url` (the Director's or the Connector's), trusting `ca_pem`.
    pub fn new(url: &str, ca_pem: &str) -> Self {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let url = url::Url::parse(url).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            host: format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()),
            path: url.path().to_owned(),
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        }
    }

    /// POSTs `body` with a bearer `token` and the extra `headers`.
    pub async fn post(&self, token: &str, headers: &[(&str, &str)], body: &Value) -> Answer {
        let bearer = format!("Bearer {token}");
        let mut all = vec![("Authorization", bearer.as_str())];
        all.extend_from_slice(headers);
        self.post_with(&all, body).await
    }

    /// POSTs `body` with exactly the extra `headers` (no credential unless among them).
    pub async fn post_with(&self, headers: &[(&str, &str)], body: &Value) -> Answer {
        let body = body.to_string();
        self.exchange(headers, body.len(), body.as_bytes()).await
    }

    /// POSTs with a bearer `token`, declaring a body of `length` bytes and sending none.
    pub async fn declare_only(&self, token: &str, length: usize) -> Answer {
        let bearer = format!("Bearer {token}");
        self.exchange(&[("Authorization", &bearer)], length, b"")
            .await
    }

    async fn exchange(&self, headers: &[(&str, &str)], length: usize, body: &[u8]) -> Answer {
        let tcp = tokio::net::TcpStream::connect(&self.host).await.unwrap();
        let name = self.host.split(':').next().unwrap().to_owned();
        let name = rustls::pki_types::ServerName::try_from(name).unwrap();
        let mut tls = self.connector.connect(name, tcp).await.unwrap();
        let mut request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n",
            self.path, self.host
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        tls.write_all(request.as_bytes()).await.unwrap();
        tls.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 8192];
        // The answer is complete at its Content-Length (the server may keep waiting for a
        // declared body) or when the server closes (without TLS close_notify, an error).
        let _ = tokio::time::timeout(DEADLINE, async {
            while complete(&answer).is_none() {
                match tls.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buffer[..n]),
                }
            }
        })
        .await;
        complete(&answer).expect("a whole HTTP answer")
    }
}

/// The answer in `bytes`, once its head and Content-Length bytes of body are there.
fn complete(bytes: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")?
        .1
        .parse()
        .ok()?;
    let body = body.as_bytes().get(..length)?;
    let body = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    Some(Answer {
        status,
        headers,
        body,
    })
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
