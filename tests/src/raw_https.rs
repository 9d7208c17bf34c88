//! HTTP/1.1 written by hand over TLS, for what the product's client does not show or would not
//! send: chosen header lines (two `Tenant` headers, odd spacing), a declared body never sent, and
//! the answer's own headers (the request id, `Retry-After`).

use std::{fmt::Display, sync::Arc};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::DEADLINE;

/// An answer: status, headers (names in lower case) and the JSON body (the text as a JSON
/// string when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// Every header, in order, its name in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
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

/// A client POSTing hand-written HTTP/1.1 requests over TLS to one URL (the Director's or the
/// Connector's), a new connection each, closed after the answer.
pub struct RawHttps {
    host: String,
    path: String,
    connector: tokio_rustls::TlsConnector,
}

impl RawHttps {
    /// A client of `url`, trusting the CA certificates in `ca_pem`.
    pub fn new(url: &str, ca_pem: &str) -> Self {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let url = url::Url::parse(url).expect("a URL");
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("a PEM certificate")).expect("a CA");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            host: format!(
                "{}:{}",
                url.host_str().expect("a host"),
                url.port().expect("a port")
            ),
            path: url.path().to_owned(),
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        }
    }

    /// POSTs `body` (JSON text, or a [`Value`]) as it is, with a bearer `token` and then the
    /// extra `headers`.
    pub async fn post_as(
        &self,
        token: &str,
        headers: &[(&str, &str)],
        body: impl Display,
    ) -> Answer {
        let bearer = format!("Bearer {token}");
        let mut all = vec![("Authorization", bearer.as_str())];
        all.extend_from_slice(headers);
        self.post(&all, body).await
    }

    /// POSTs `body` (JSON text, or a [`Value`]) as it is, with exactly the extra `headers` (no
    /// credential unless among them).
    pub async fn post(&self, headers: &[(&str, &str)], body: impl Display) -> Answer {
        let body = body.to_string();
        self.exchange(headers, body.len(), body.as_bytes()).await
    }

    /// POSTs with a bearer `token`, declaring a body of `length` bytes and sending none.
    pub async fn declare_only(&self, token: &str, length: usize) -> Answer {
        let bearer = format!("Bearer {token}");
        self.exchange(&[("Authorization", &bearer)], length, b"")
            .await
    }

    /// Sends a POST with `headers` (each written as `name: value`, as given), declaring
    /// `length` bytes of body and sending `body`; the answer, read until it is whole, the server
    /// closes or [`DEADLINE`] passes.
    pub async fn exchange(&self, headers: &[(&str, &str)], length: usize, body: &[u8]) -> Answer {
        let tcp = tokio::net::TcpStream::connect(&self.host).await.unwrap();
        let name = self.host.split(':').next().unwrap_or_default().to_owned();
        let name = rustls::pki_types::ServerName::try_from(name).expect("a server name");
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
        // The answer is whole at its Content-Length or last chunk (the server may keep waiting
        // for a declared body), or when the server closes.
        // NB: a server closing without TLS close_notify ends the read with an error; what was
        // read until then is all there is.
        let _ = tokio::time::timeout(DEADLINE, async {
            while complete(&answer, false).is_none() {
                match tls.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buffer[..n]),
                }
            }
        })
        .await;
        complete(&answer, true).expect("a whole HTTP answer")
    }
}

/// The answer in `bytes` once its head and whole body are there: Content-Length bytes, chunks up
/// to the last, or, when the server has `closed`, whatever follows the head.
fn complete(bytes: &[u8], closed: bool) -> Option<Answer> {
    let text = String::from_utf8_lossy(bytes);
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let body = if let Some(length) = header("content-length") {
        let length: usize = length.parse().ok()?;
        String::from_utf8_lossy(rest.as_bytes().get(..length)?).into_owned()
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if closed {
        rest.to_owned()
    } else {
        return None;
    };
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// The body of a chunked answer, once its last (empty) chunk is there.
fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size + 2..)?;
    }
}
