//! The `Tenant` header, spoofed: the attacker's token with the victim's external id (every
//! attack of the catalogue, through the product's client), and through hand-written HTTP requests
//! the victim's internal id, namespace and Tenant name, case and whitespace variants, lists, two
//! headers, an empty one, and batches. Hand-written because an HTTP client would not send two
//! `Tenant` headers or keep a value's odd spacing.

use std::sync::Arc;

use compass_tests::graphql::Graphql;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    Category, Door, Ledger,
    graphql::{Attack, Expect, check, run},
    setup::{ATTACKER_EXT, ATTACKER_TOKEN, VICTIM_EXT, VICTIM_NS},
};

/// A client writing HTTP/1.1 requests by hand over TLS.
pub struct RawClient {
    host: String,
    path: String,
    connector: tokio_rustls::TlsConnector,
}

impl RawClient {
    /// A client of the Director at `url`, trusting `ca_pem`.
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

    /// POSTs `body` with exactly the extra header lines given; returns status and JSON body.
    pub async fn post(&self, headers: &[String], body: &str) -> (u16, Value) {
        let tcp = tokio::net::TcpStream::connect(&self.host).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from(self.host.split(':').next().unwrap())
            .unwrap()
            .to_owned();
        let mut tls = self.connector.connect(name, tcp).await.unwrap();
        let mut request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: Bearer {ATTACKER_TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.path,
            self.host,
            body.len()
        );
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.push_str(body);
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        // NB: a server closing without TLS close_notify ends the read with an error; what was
        // read until then is the whole answer.
        let _ = tls.read_to_end(&mut answer).await;
        parse(&answer)
    }
}

/// Status and body of an HTTP/1.1 answer, de-chunked.
fn parse(answer: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, json)
}

/// How a header variant must be answered.
#[derive(Clone, Copy)]
enum Outcome {
    /// `TENANT_MISMATCH`, whatever the operation.
    Mismatch,
    /// As without a header: `TENANT_REQUIRED` for operations in a tenant.
    NoTenant,
    /// As with the attacker's own header alone: the other header does not count.
    Own,
}

/// Header lines sent instead of the attacker's own `Tenant` header, each with how it must be
/// answered. Of two `Tenant` headers the Gateway reads the first, and checks that one: the
/// victim's first is a mismatch, the attacker's first leaves the victim's unread.
fn variants(internal_id: &str) -> Vec<(Vec<String>, Outcome)> {
    let one = |value: &str| vec![format!("Tenant: {value}")];
    vec![
        (one(internal_id), Outcome::Mismatch),
        (one(VICTIM_NS), Outcome::Mismatch),
        (one("victim"), Outcome::Mismatch),
        (one(&VICTIM_EXT.to_uppercase()), Outcome::Mismatch),
        (one(&format!("  {VICTIM_EXT}  ")), Outcome::Mismatch),
        (one(&format!("\t{VICTIM_EXT}")), Outcome::Mismatch),
        (vec![format!("TENANT: {VICTIM_EXT}")], Outcome::Mismatch),
        (
            one(&format!("{ATTACKER_EXT},{VICTIM_EXT}")),
            Outcome::Mismatch,
        ),
        (
            one(&format!("{VICTIM_EXT}, {ATTACKER_EXT}")),
            Outcome::Mismatch,
        ),
        (
            one(&format!("{ATTACKER_EXT} {VICTIM_EXT}")),
            Outcome::Mismatch,
        ),
        (
            vec![
                format!("Tenant: {VICTIM_EXT}"),
                format!("Tenant: {ATTACKER_EXT}"),
            ],
            Outcome::Mismatch,
        ),
        (
            vec![
                format!("Tenant: {ATTACKER_EXT}"),
                format!("tenant: {VICTIM_EXT}"),
            ],
            Outcome::Own,
        ),
        (
            vec![
                format!("Tenant: {ATTACKER_EXT}"),
                format!("X-Tenant: {VICTIM_EXT}"),
            ],
            Outcome::Own,
        ),
        (one(""), Outcome::NoTenant),
        (
            vec![format!("X-Tenant-Id: {VICTIM_EXT}")],
            Outcome::NoTenant,
        ),
    ]
}

fn expected(attack: &Attack, outcome: Outcome) -> Expect {
    match outcome {
        Outcome::Mismatch => Expect::Code("TENANT_MISMATCH"),
        Outcome::NoTenant if attack.scoped() => Expect::Code("TENANT_REQUIRED"),
        Outcome::NoTenant | Outcome::Own => attack.expect,
    }
}

/// Every attack of the catalogue with the victim's external id as the header, and without a
/// header at all; `admin` is the Director's client without a tenant.
pub async fn whole_catalogue(ledger: &mut Ledger, admin: &Graphql, attacks: &[Attack]) {
    let headless = admin.with_token(ATTACKER_TOKEN);
    let spoofed = headless.tenant(VICTIM_EXT);
    for attack in attacks {
        let header = format!("Tenant: {VICTIM_EXT}");
        run(
            ledger,
            Door::Header,
            &spoofed,
            &header,
            attack,
            Expect::Code("TENANT_MISMATCH"),
        )
        .await;
    }
    for attack in attacks {
        let expect = expected(attack, Outcome::NoTenant);
        run(ledger, Door::Header, &headless, "", attack, expect).await;
    }
}

/// One attack of each kind with every header variant, and batches of attacks.
pub async fn variants_by_hand(
    ledger: &mut Ledger,
    raw: &RawClient,
    attacks: &[Attack],
    internal_id: &str,
) {
    // The first attack of each category, and two that mix own and foreign ids.
    let mut sample: Vec<&Attack> = Vec::new();
    for attack in attacks {
        if !sample.iter().any(|s| s.category == attack.category) {
            sample.push(attack);
        }
    }
    for field in ["setAPIAuth", "setDefaultEventingForApplication"] {
        sample.extend(attacks.iter().find(|a| a.query.contains(field)));
    }
    for (headers, outcome) in variants(internal_id) {
        for attack in &sample {
            let body = attack.body();
            let (status, answer) = raw.post(&headers, &body).await;
            let request = format!("{}\n{body}", headers.join("\n"));
            let what = format!("{headers:?} {}", attack.query);
            check(
                ledger,
                &what,
                &request,
                status,
                &answer,
                expected(attack, outcome),
            );
            ledger.record(Door::Header, Category::Spoof);
        }
    }
    // A batch is answered operation by operation, each in the caller's own tenant; with the
    // victim's header it is refused as a whole.
    let batch: Vec<Value> = sample
        .iter()
        .map(|a| serde_json::from_str(&a.body()).unwrap())
        .collect();
    let body = Value::Array(batch).to_string();
    let own = [format!("Tenant: {ATTACKER_EXT}")];
    let (status, answer) = raw.post(&own, &body).await;
    let request = format!("{}\n{body}", own[0]);
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), sample.len(), "{answer}");
    for (attack, one) in sample.iter().zip(answers) {
        let what = format!("batched {}", attack.query);
        check(ledger, &what, &request, status, one, attack.expect);
        ledger.record(Door::Graphql, attack.category);
    }
    let spoofed = [format!("Tenant: {VICTIM_EXT}")];
    let (status, answer) = raw.post(&spoofed, &body).await;
    let request = format!("{}\n{body}", spoofed[0]);
    let mismatch = Expect::Code("TENANT_MISMATCH");
    check(
        ledger,
        "a spoofed batch",
        &request,
        status,
        &answer,
        mismatch,
    );
    ledger.record(Door::Header, Category::Spoof);
}
