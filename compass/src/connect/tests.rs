use base64::Engine as _;

use super::*;

#[test]
fn a_token_is_raw_encoded_or_bare_with_a_url() {
    let raw = r#"{"token":"t0k","connectorURL":"https://h:3000/connector/graphql"}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    let decoded = invitation(&encoded, None).unwrap();
    assert_eq!(decoded.token, "t0k");
    assert_eq!(decoded.connector_url, "https://h:3000/connector/graphql");
    let moved = invitation(&encoded, Some("https://other/connector/graphql".into())).unwrap();
    assert_eq!(
        (moved.token.as_str(), moved.connector_url.as_str()),
        ("t0k", "https://other/connector/graphql")
    );
    let bare = invitation("bare-token", Some("https://h/c".into())).unwrap();
    assert_eq!(bare.token, "bare-token");
    let error = invitation("bare-token", None).unwrap_err();
    assert!(
        error.starts_with("--token") && error.contains("--url"),
        "{error}"
    );
    assert!(invitation("  ", None).unwrap_err().contains("empty"));
    let http = base64::engine::general_purpose::STANDARD
        .encode(r#"{"token":"t","connectorURL":"http://h/c"}"#);
    let error = invitation(&http, None).unwrap_err();
    assert!(
        error.contains("connectorURL") && error.contains("https"),
        "{error}"
    );
}

#[test]
fn files_are_replaced_whole_with_their_modes() {
    let dir = tempfile::tempdir().unwrap();
    let identity = Identity {
        key_pem: "KEY".into(),
        certificate_chain_pem: "CHAIN".into(),
        client_certificate_pem: "CERT".into(),
        ca_certificate_pem: "CA".into(),
        client_id: "id-1".into(),
        serial_number: "10ab".into(),
        not_before: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
        not_after: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        director_url: "https://h/director/graphql".into(),
        certificate_secured_connector_url: "https://h/connector/graphql".into(),
    };
    let target = dir.path().join("identity");
    write_identity(&target, &identity, true).unwrap();
    let mode = |name: &str| {
        fs::metadata(target.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    assert_eq!(mode(KEY_FILE), 0o600);
    assert_eq!(
        fs::read_to_string(target.join(CERTIFICATE_FILE)).unwrap(),
        "CHAIN"
    );
    let renewed = Identity {
        key_pem: "NEW KEY".into(),
        certificate_chain_pem: "NEW CHAIN".into(),
        ..identity
    };
    write_identity(&target, &renewed, false).unwrap();
    assert_eq!(fs::read_to_string(target.join(KEY_FILE)).unwrap(), "KEY");
    assert_eq!(
        fs::read_to_string(target.join(CERTIFICATE_FILE)).unwrap(),
        "NEW CHAIN"
    );
    let info: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(target.join(INFO_FILE)).unwrap()).unwrap();
    assert_eq!(info["notAfter"], "2027-01-15T08:00:00Z");
    let left: Vec<_> = fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "staging files left: {left:?}");
}
