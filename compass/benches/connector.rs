//! Benchmark of the Connector and of callers by client certificate, against the release
//! `compass up` (controllers off): `signCertificateSigningRequest` over HTTPS for RSA 2048 and
//! P-256 CSRs with CSR tokens issued beforehand, beside the raw rate at which the same CA key signs
//! the same CSRs in this process (no HTTP, no records); and a Director query over mutual TLS,
//! on kept-alive connections and on a new connection per request, beside the same query with a
//! bearer token.
//!
//! Run with `cargo bench -p compass --bench connector` (`COMPASS_BENCH_SIGNINGS` changes the
//! number of CSRs of each key type, `COMPASS_BENCH_QUERIES` the number of queries).

use std::time::{Duration, Instant};

use compass_api::{
    client::{
        DirectorClient,
        pairing::{self, KeyPair, TOKEN_HEADER},
    },
    connector::{authority::Authority, certificates::CertificateValidity, signing},
};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID as TENANT;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use serde_json::{Value, json};

mod support;

use support::{Admin, CONCURRENCY, Figures, Server, count, data, measure, write_json};

/// A CSR ready to sign: the token for it, the PEM and its subject's client id.
struct Pending {
    csr_token: String,
    csr_pem: String,
    client_id: String,
}

/// Registers `apps` applications and prepares `per_app` CSRs for each, keyed by `key()`: a
/// pairing token from the Director, `configuration` at the Connector, a CSR with the subject.
/// Returns the CSRs and the time `configuration` took.
async fn prepare(
    admin: &DirectorClient,
    connector: &DirectorClient,
    prefix: &str,
    (apps, per_app): (usize, usize),
    key: impl Fn() -> KeyPair,
) -> (Vec<Pending>, Figures) {
    let mut ids = Vec::new();
    for i in 0..apps {
        let query = "mutation ($name: String!) { registerApplication(in: { name: $name }) { id } }";
        let registered = data(admin, query, json!({ "name": format!("{prefix}-{i}") })).await;
        ids.push(
            registered["registerApplication"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Consecutive requests are for different applications, as concurrent clients would be: each
    // signing writes its identity's SystemAuth, and writes to one object are serialized.
    let mut tokens = Vec::new();
    for i in 0..apps * per_app {
        let query = "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }";
        let answer = data(admin, query, json!({ "id": ids[i % apps] })).await;
        tokens.push(
            answer["requestOneTimeTokenForApplication"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let configured = std::sync::Mutex::new(Vec::new());
    let figures = measure(tokens.len(), |i| {
        let client = connector.with_header(TOKEN_HEADER, &tokens[i]);
        let configured = &configured;
        async move {
            let configuration = pairing::configuration(&client)
                .await
                .expect("configuration");
            configured.lock().unwrap().push(configuration);
        }
    })
    .await;
    let pending = configured
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|configuration| Pending {
            csr_pem: pairing::certificate_signing_request(&configuration.subject, &key()).unwrap(),
            client_id: configuration
                .subject
                .rsplit("CN=")
                .next()
                .unwrap()
                .to_owned(),
            csr_token: configuration.csr_token,
        })
        .collect();
    (pending, figures)
}

/// Signs every CSR through the Connector.
async fn sign_over_https(connector: &DirectorClient, pending: &[Pending]) -> Figures {
    measure(pending.len(), |i| {
        let client = connector.with_header(TOKEN_HEADER, &pending[i].csr_token);
        let csr = pending[i].csr_pem.clone();
        async move {
            pairing::sign(&client, &csr).await.expect("signed");
        }
    })
    .await
}

/// How many times the in-process measurements sign each CSR, so that they last long enough to
/// be read.
const IN_PROCESS_ROUNDS: usize = 10;

/// Signs every CSR [`IN_PROCESS_ROUNDS`] times with the CA key in this process, as the Connector
/// does before it records the certificate: on one thread, then on every core.
fn sign_in_process(authority: &Authority, pending: &[Pending]) -> (Figures, Figures) {
    let pending: Vec<&Pending> = (0..IN_PROCESS_ROUNDS).flat_map(|_| pending).collect();
    let template = signing::SubjectTemplate::default();
    let validity = CertificateValidity::default().application;
    let sign_one = |p: &&Pending| {
        signing::sign(authority, &p.csr_pem, &template, &p.client_id, validity).expect("signed")
    };
    let started = Instant::now();
    let latencies = pending
        .iter()
        .map(|p| {
            let t = Instant::now();
            sign_one(p);
            t.elapsed()
        })
        .collect();
    let one_thread = Figures::timed(latencies, started.elapsed());
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let workers: Vec<_> = pending
            .chunks(pending.len().div_ceil(threads))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| {
                            let t = Instant::now();
                            sign_one(p);
                            t.elapsed()
                        })
                        .collect::<Vec<Duration>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    });
    let all_cores = Figures::timed(latencies, started.elapsed());
    (one_thread, all_cores)
}

#[tokio::main]
async fn main() {
    let signings = count("COMPASS_BENCH_SIGNINGS", 1600);
    let queries = count("COMPASS_BENCH_QUERIES", 20_000);
    println!(
        "Connector benchmark: {signings} CSRs of each key type, {queries} Director queries per mode, {CONCURRENCY} concurrent requests\n"
    );
    let (server, _) = Server::start(tempfile::tempdir().unwrap(), &["--no-controllers"]);
    let client = server.client().await;
    let Admin {
        url,
        ca,
        token,
        client: admin,
    } = server.admin();
    let connector_url = url.replace("/director/graphql", "/connector/graphql");
    let connector = DirectorClient::builder(&connector_url)
        .trust_pem(&ca)
        .build()
        .unwrap();
    support::ready_default_tenant(&client).await;
    while admin
        .execute("{ applications { totalCount } }", json!({}))
        .await
        .unwrap()
        .body
        .get("errors")
        .is_some()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "compass-system");
    let secret = secrets.get("compass-connector-ca").await.unwrap();
    let authority = Authority::from_secret(&secret).unwrap();

    // An identity holds at most 20 unexpired token records: 8 CSRs (16 tokens) per application.
    let per_app = 8;
    let apps = signings.div_ceil(per_app);
    let rsa_pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../api/src/connector/signing/testdata/rsa2048.pem"
    ))
    .unwrap();
    let mut results = serde_json::Map::new();
    for (name, prefix) in [("P-256", "p256"), ("RSA 2048", "rsa")] {
        let key = || match prefix {
            "rsa" => pairing::read_key(&rsa_pem).unwrap(),
            _ => pairing::generate_key().unwrap(),
        };
        let (pending, configuration) =
            prepare(&admin, &connector, prefix, (apps, per_app), key).await;
        configuration.report(&format!("configuration ({name} run)"));
        let over_https = sign_over_https(&connector, &pending).await;
        over_https.report(&format!("sign {name}: Connector, HTTPS"));
        let (one_thread, all_cores) = sign_in_process(&authority, &pending);
        one_thread.report(&format!("sign {name}: in process, 1 thread"));
        all_cores.report(&format!("sign {name}: in process, all cores"));
        println!();
        results.insert(
            prefix.to_owned(),
            json!({
                "configuration": configuration.summary(),
                "sign_over_https": over_https.summary(),
                "sign_in_process_one_thread": one_thread.summary(),
                "sign_in_process_all_cores": all_cores.summary(),
            }),
        );
    }

    // One application's identity, and the same query with its certificate and with a token.
    let query = "query ($id: ID!) { application(id: $id) { id name } }";
    let registered = data(
        &admin,
        "mutation { registerApplication(in: { name: \"caller\" }) { id } }",
        json!({}),
    )
    .await;
    let id = registered["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invitation = pairing::Invitation {
        token: data(
            &admin,
            "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }",
            json!({ "id": id }),
        )
        .await["requestOneTimeTokenForApplication"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
        connector_url,
    };
    let identity = pairing::pair(&invitation, Some(&ca), pairing::generate_key().unwrap())
        .await
        .unwrap();
    let client_of = |certificate: bool, reuse: bool, resume: bool| {
        let builder = DirectorClient::builder(&url)
            .trust_pem(&ca)
            .reuse_connections(reuse)
            .resume_sessions(resume);
        let builder = if certificate {
            builder.certificate(&identity.certificate_chain_pem, &identity.key_pem)
        } else {
            builder.bearer(&token)
        };
        builder.build().unwrap().tenant(TENANT)
    };
    let mut director = serde_json::Map::new();
    for (mode, reuse, resume, n) in [
        ("kept-alive", true, true, queries),
        (
            "new connection, resumed TLS session",
            false,
            true,
            queries / 4,
        ),
        ("new connection, full handshake", false, false, queries / 4),
    ] {
        for (credential, certificate) in [("bearer token", false), ("client certificate", true)] {
            let caller = client_of(certificate, reuse, resume);
            let figures = measure(n, |_| {
                let caller = caller.clone();
                let id = id.clone();
                async move {
                    let data = data(&caller, query, json!({ "id": id })).await;
                    assert_eq!(data["application"]["id"], id.as_str());
                }
            })
            .await;
            figures.report(&format!("{credential}, {mode}"));
            director.insert(format!("{credential}, {mode}"), figures.summary());
        }
        println!();
    }
    results.insert("director_query".to_owned(), Value::Object(director));
    write_json("connector", &Value::Object(results));
    server.stop();
}
