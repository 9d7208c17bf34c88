//! Minted client certificates verify as client certificates against the CA and carry the user
//! and every group; bad requests are refused naming the flag.

use std::sync::Arc;

use rustls::{
    pki_types::{CertificateDer, UnixTime},
    server::WebPkiClientVerifier,
};

use super::*;
use crate::{auth::client_cert::user_of, pki::pem_to_der};

fn request(user: &str, groups: &[&str], namespace: Option<&str>) -> UserRequest {
    UserRequest {
        user: user.into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        namespace: namespace.map(str::to_owned),
        validity: Duration::from_secs(3600),
    }
}

fn verifies(ca_pem: &str, certificate: &CertificateDer<'static>) -> bool {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pem_to_der(ca_pem).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap();
    verifier
        .verify_client_cert(certificate, &[], UnixTime::now())
        .is_ok()
}

#[test]
fn a_minted_certificate_is_a_client_certificate_of_the_ca_with_every_group() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = crate::pki::load_or_create(dir.path(), &["127.0.0.1".into()]).unwrap();
    let authority = load_ca(dir.path()).unwrap().unwrap();
    let groups = vec!["compass:tenant:acme:viewers".to_owned(), "ops".to_owned()];
    let (certificate, key) =
        client_certificate(&authority, "alice", &groups, Duration::from_secs(600)).unwrap();
    assert!(key.contains("PRIVATE KEY"));
    let der = pem_to_der(&certificate).unwrap();
    assert!(verifies(&credentials.ca_pem, &der));
    let user = user_of(&der).unwrap();
    assert_eq!(user.name, "alice");
    assert_eq!(
        user.groups,
        ["compass:tenant:acme:viewers", "ops", "system:authenticated"]
    );
    let other = tempfile::tempdir().unwrap();
    let stranger = crate::pki::load_or_create(other.path(), &[]).unwrap();
    assert!(!verifies(&stranger.ca_pem, &der), "another CA's client");
}

#[test]
fn the_kubeconfig_points_at_the_server_in_the_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = crate::pki::load_or_create(dir.path(), &[]).unwrap();
    let kubeconfig = dir.path().join(files::KUBECONFIG);
    let server = "https://127.0.0.1:6443";
    crate::pki::write_kubeconfig(&kubeconfig, server, &credentials.ca_pem, "t").unwrap();
    let text = user_kubeconfig(dir.path(), &request("bob", &[], Some("team-a"))).unwrap();
    let config: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(config["clusters"][0]["cluster"]["server"], server);
    assert_eq!(config["contexts"][0]["context"]["namespace"], "team-a");
    assert_eq!(config["current-context"], "bob@compass");
    assert!(config["users"][0]["user"]["client-certificate-data"].is_string());
}

#[test]
fn bad_requests_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let message = |r: UserRequest| user_kubeconfig(dir.path(), &r).unwrap_err().to_string();
    assert!(message(request(" ", &[], None)).starts_with("--user"));
    assert!(message(request("a", &[""], None)).starts_with("--group"));
    assert!(message(request("a", &[], Some("Team_A"))).starts_with("--namespace \"Team_A\""));
    let mut long = request("a", &[], None);
    long.validity = Duration::from_secs(1);
    assert!(message(long).starts_with("--expiry"));
    assert!(message(request("a", &[], None)).starts_with("--data-dir"));
}
