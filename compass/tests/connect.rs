//! The Connector as a person uses it, against the real `compass up`: `compass connect` with the
//! token the Director handed out, then `--renew`, with the written certificate opening the
//! Director; tokens and revocations surviving a restart of `compass up` on the same data
//! directory; and the openssl + curl flow of `docs/connector.md`, run as the script it shows.

use crate::compass_up;

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Output},
};

use compass_api::client::{DirectorClient, pairing};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_up::CompassUp;
use serde_json::{Value, json};

/// `compass connect` with `args`, none of its variables inherited.
fn connect(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_compass"));
    command.arg("connect").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("COMPASS_CONNECT_") {
            command.env_remove(name);
        }
    }
    command.output().expect("compass connect runs")
}

/// `compass connect`'s stdout, failing the test with its stderr when it fails.
fn connect_ok(args: &[&str]) -> String {
    let output = connect(args);
    assert!(
        output.status.success(),
        "compass connect {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `compass connect`'s stderr, failing the test when it succeeds.
fn connect_err(args: &[&str]) -> String {
    let output = connect(args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "compass connect {}",
        args.join(" ")
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits until the Director serves the default tenant, as a person would find it a moment after
/// `compass up` says it is ready (the operator makes the tenant's namespace first).
async fn wait_default_tenant(compass: &CompassUp, data_dir: &Path) {
    let admin = admin(compass, data_dir);
    let deadline = std::time::Instant::now() + compass_up::READY_DEADLINE;
    loop {
        let answer = admin
            .execute("{ applications { totalCount } }", json!({}))
            .await
            .unwrap();
        if answer.body.get("errors").is_none() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the default tenant never served: {}",
            answer.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The admin of `compass up`, in the default tenant.
fn admin(compass: &CompassUp, data_dir: &Path) -> DirectorClient {
    let ca = std::fs::read_to_string(data_dir.join("ca.crt")).unwrap();
    let token = std::fs::read_to_string(data_dir.join("admin-token")).unwrap();
    DirectorClient::new(&compass.director_url(), &ca, token.trim())
        .unwrap()
        .tenant(DEFAULT_TENANT_EXTERNAL_ID)
}

async fn data(client: &DirectorClient, query: &str, variables: Value) -> Value {
    let answer = client.execute(query, variables).await.unwrap();
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    answer.body["data"].clone()
}

/// Registers an application `name` and returns the `rawEncoded` of a token for it.
async fn token_for(admin: &DirectorClient, name: &str) -> String {
    let registered = data(
        admin,
        "mutation ($name: String!) { registerApplication(in: { name: $name }) { id } }",
        json!({ "name": name }),
    )
    .await;
    let id = &registered["registerApplication"]["id"];
    let token = data(
        admin,
        "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { rawEncoded } }",
        json!({ "id": id }),
    )
    .await;
    token["requestOneTimeTokenForApplication"]["rawEncoded"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A client of `url` presenting `certificate` (PEM chain) and `key`.
fn as_identity(url: &str, ca: &str, certificate: &str, key: &str) -> DirectorClient {
    DirectorClient::builder(url)
        .trust_pem(ca)
        .certificate(certificate, key)
        .build()
        .unwrap()
}

/// `compass connect`'s arguments redeeming `token`, trusting `ca`, writing to `dir`.
fn with_token<'a>(token: &'a str, ca: &'a str, dir: &'a str) -> [&'a str; 6] {
    ["--token", token, "--ca-file", ca, "--output-dir", dir]
}

/// The certificate chain and the key `compass connect` wrote to `dir`.
fn identity_in(dir: &Path) -> (String, String) {
    (
        read(&dir.join("certificate.pem")),
        read(&dir.join("key.pem")),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The viewer's type, or the HTTP status when the Director refused.
async fn viewer(client: &DirectorClient) -> Result<String, u16> {
    let answer = client
        .execute("{ viewer { id type } }", json!({}))
        .await
        .unwrap();
    match answer.body["data"]["viewer"]["type"].as_str() {
        Some(kind) => Ok(kind.to_owned()),
        None => Err(answer.status),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compass_connect_pairs_renews_and_its_tokens_and_revocations_survive_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let ca_file = data_dir.path().join("ca.crt");
    let ca_arg = ca_file.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("identity");
    let dir_arg = dir.to_str().unwrap();
    let compass = CompassUp::start(data_dir.path(), &[]);
    wait_default_tenant(&compass, data_dir.path()).await;
    let ca = read(&ca_file);
    let admin_client = admin(&compass, data_dir.path());
    let raw = token_for(&admin_client, "orders").await;
    let kept_for_later = token_for(&admin_client, "billing").await;

    // Errors name the flag.
    let error = connect_err(&["--token", "not-base64!", "--output-dir", dir_arg]);
    assert!(
        error.contains("--token is not the rawEncoded value"),
        "{error}"
    );
    let error = connect_err(&["--token", &raw, "--output-dir", dir_arg]);
    assert!(
        error.contains("--ca-file"),
        "an untrusted server names --ca-file: {error}"
    );

    let printed = connect_ok(&with_token(&raw, ca_arg, dir_arg));
    assert!(printed.contains(&compass.director_url()), "{printed}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("key.pem")), 0o600);
    let info: Value = serde_json::from_str(&read(&dir.join("info.json"))).unwrap();
    assert_eq!(info["directorURL"], compass.director_url().as_str());
    let first = identity_in(&dir);
    assert!(first.0.ends_with(&read(&dir.join("ca.pem"))));
    let as_first = as_identity(&compass.director_url(), &ca, &first.0, &first.1);
    assert_eq!(viewer(&as_first).await, Ok("APPLICATION".to_owned()));
    // The token is spent; an identity is not overwritten by mistake.
    let error = connect_err(&with_token(&raw, ca_arg, dir_arg));
    assert!(
        error.contains("--renew") && error.contains("--force"),
        "{error}"
    );
    let spent = out.path().join("spent");
    let spent_arg = spent.to_str().unwrap();
    let error = connect_err(&with_token(&raw, ca_arg, spent_arg));
    assert!(
        error.contains("--token: the Connector refused the one-time token"),
        "{error}"
    );

    // Renewal: a new key and serial number, the files replaced; both certificates work.
    connect_ok(&["--renew", "--ca-file", ca_arg, "--output-dir", dir_arg]);
    let renewed_info: Value = serde_json::from_str(&read(&dir.join("info.json"))).unwrap();
    assert_eq!(renewed_info["clientId"], info["clientId"]);
    assert_ne!(renewed_info["serialNumber"], info["serialNumber"]);
    let renewed = identity_in(&dir);
    assert_ne!(renewed.1, first.1, "a new key");
    assert_eq!(mode(&dir.join("key.pem")), 0o600);
    let as_renewed = as_identity(&compass.director_url(), &ca, &renewed.0, &renewed.1);
    assert_eq!(viewer(&as_renewed).await, Ok("APPLICATION".to_owned()));
    assert_eq!(viewer(&as_first).await, Ok("APPLICATION".to_owned()));
    connect_ok(&[
        "--renew",
        "--keep-key",
        "--ca-file",
        ca_arg,
        "--output-dir",
        dir_arg,
    ]);
    assert_eq!(
        read(&dir.join("key.pem")),
        renewed.1,
        "--keep-key keeps the key"
    );

    // The first certificate revoked with itself.
    let connector_url = format!("{}/connector/graphql", compass.api_url());
    let first_connector = as_identity(&connector_url, &ca, &first.0, &first.1);
    pairing::revoke(&first_connector).await.unwrap();
    assert_eq!(viewer(&as_first).await, Err(401));

    // A restart on the same data directory: another port, the same CA, tokens and revocations.
    let lines = compass.interrupt();
    assert!(lines.iter().any(|l| l.contains("shutting down")));
    let compass = CompassUp::start(data_dir.path(), &[]);
    let director = compass.director_url();
    let current = identity_in(&dir);
    let as_current = as_identity(&director, &ca, &current.0, &current.1);
    assert_eq!(viewer(&as_current).await, Ok("APPLICATION".to_owned()));
    let as_first = as_identity(&director, &ca, &first.0, &first.1);
    assert_eq!(viewer(&as_first).await, Err(401), "still revoked");
    let connector_url = format!("{}/connector/graphql", compass.api_url());
    let later = out.path().join("later");
    let later_arg = later.to_str().unwrap();
    // The token names the old port: --url points it at the new one.
    connect_ok(&[
        "--token",
        &kept_for_later,
        "--url",
        &connector_url,
        "--ca-file",
        ca_arg,
        "--output-dir",
        later_arg,
    ]);
    let later_identity = identity_in(&later);
    let as_later = as_identity(&director, &ca, &later_identity.0, &later_identity.1);
    assert_eq!(viewer(&as_later).await, Ok("APPLICATION".to_owned()));
    connect_ok(&[
        "--renew",
        "--url",
        &connector_url,
        "--ca-file",
        ca_arg,
        "--output-dir",
        dir_arg,
    ]);
    compass.kill();
}

/// The script `docs/connector.md` shows, word for word.
const SCRIPT: &str = "examples/connector/openssl-curl.sh";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openssl_and_curl_flow_of_the_docs_works() {
    let script = compass_up::repo().join(SCRIPT);
    let text = read(&script);
    let body = text
        .lines()
        .skip_while(|line| line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let docs = read(&compass_up::repo().join("docs/connector.md"));
    assert!(
        docs.contains(&body),
        "docs/connector.md does not show {SCRIPT} as it is"
    );
    assert!(text.contains(DEFAULT_TENANT_EXTERNAL_ID));
    let missing: Vec<&str> = ["openssl", "curl"]
        .into_iter()
        .filter(|tool| Command::new(tool).arg("--version").output().is_err())
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: {SCRIPT} needs {} on PATH", missing.join(" and "));
        return;
    }
    let data_dir = tempfile::tempdir().unwrap();
    let compass = CompassUp::start(data_dir.path(), &[]);
    wait_default_tenant(&compass, data_dir.path()).await;
    let work = tempfile::tempdir().unwrap();
    let output = Command::new("sh")
        .arg(&script)
        .current_dir(work.path())
        .env("COMPASS_URL", compass.api_url())
        .env("COMPASS_DATA_DIR", data_dir.path())
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{SCRIPT} failed:\n{stdout}\n{stderr}"
    );
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} line:\n{stdout}\n{stderr}"))
            .to_owned()
    };
    assert!(
        line("viewer:").contains("\"type\":\"APPLICATION\""),
        "{stdout}"
    );
    assert!(
        line("revoked:").contains("\"revokeCertificate\":true"),
        "{stdout}"
    );
    assert!(line("first:").contains("UNAUTHENTICATED"), "{stdout}");
    assert!(line("renewed:").contains("APPLICATION"), "{stdout}");
    assert!(
        line("subject=").contains("OU = Connected Systems"),
        "{stdout}"
    );
    compass.kill();
}
