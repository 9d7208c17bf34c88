//! Parsing token requests and choosing scopes, without a server.

use super::*;

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn basic(id: &str, secret: &str) -> String {
    let pair = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[test]
fn a_client_authenticates_with_basic_or_with_form_fields() {
    let header = basic("client", "s%3Acret+1");
    let request = parse(
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        Some(&header),
        b"grant_type=client_credentials&scope=application%3Aread",
    )
    .unwrap();
    assert_eq!(request.client_id, "client");
    assert_eq!(request.client_secret, "s:cret 1", "RFC 6749 2.3.1 decoding");
    assert!(request.basic);
    assert_eq!(request.scope, Some(["application:read".to_owned()].into()));

    let form = b"grant_type=client_credentials&client_id=c&client_secret=s&scope=";
    let request = parse(FORM, None, form).unwrap();
    assert_eq!(
        (request.client_id.as_str(), request.client_secret.as_str()),
        ("c", "s")
    );
    assert!(!request.basic);
    assert_eq!(request.scope, None, "an empty scope is no scope");
}

#[test]
fn malformed_requests_get_the_rfc_6749_error_codes() {
    let code = |content_type, authorization: Option<&str>, body: &[u8]| match parse(
        content_type,
        authorization,
        body,
    )
    .unwrap_err()
    {
        OAuthError::InvalidRequest(_) => "invalid_request",
        OAuthError::InvalidClient { basic: true, .. } => "invalid_client (Basic)",
        OAuthError::InvalidClient { basic: false, .. } => "invalid_client",
        OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
        OAuthError::InvalidScope(_) => "invalid_scope",
    };
    let header = basic("c", "s");
    let both = b"grant_type=client_credentials&client_id=c&client_secret=s";
    assert_eq!(code(FORM, Some(&header), both), "invalid_request");
    let json = Some("application/json");
    assert_eq!(code(json, None, b"{}"), "invalid_request");
    assert_eq!(
        code(None, Some(&header), b"grant_type=client_credentials"),
        "invalid_request"
    );
    assert_eq!(code(FORM, Some(&header), b"scope=x"), "invalid_request");
    let password = b"grant_type=password&username=a&password=b";
    assert_eq!(
        code(FORM, Some(&header), password),
        "unsupported_grant_type"
    );
    let twice = b"grant_type=client_credentials&grant_type=client_credentials";
    assert_eq!(code(FORM, Some(&header), twice), "invalid_request");
    let anonymous = b"grant_type=client_credentials";
    assert_eq!(code(FORM, None, anonymous), "invalid_client (Basic)");
    let no_secret = b"grant_type=client_credentials&client_id=c";
    assert_eq!(code(FORM, None, no_secret), "invalid_client");
    let grant = b"grant_type=client_credentials";
    for header in ["Bearer abc", "Basic !!!", "Basic Y2xpZW50", "Basic JTpz"] {
        assert_eq!(
            code(FORM, Some(header), grant),
            "invalid_client (Basic)",
            "{header}"
        );
    }
}

#[test]
fn scopes_asked_for_must_be_held() {
    let held: BTreeSet<String> = ["application:read", "application:write"]
        .map(str::to_owned)
        .into();
    assert_eq!(granted_scopes(&held, None).unwrap(), held);
    let read: BTreeSet<String> = ["application:read".to_owned()].into();
    assert_eq!(granted_scopes(&held, Some(&read)).unwrap(), read);
    let more: BTreeSet<String> = ["application:read", "runtime:write"]
        .map(str::to_owned)
        .into();
    let OAuthError::InvalidScope(message) = granted_scopes(&held, Some(&more)).unwrap_err() else {
        panic!("not invalid_scope");
    };
    assert!(message.contains("runtime:write"), "{message}");
}

#[test]
fn errors_are_json_never_cached_and_challenge_basic_clients() {
    let response = OAuthError::InvalidClient {
        basic: true,
        message: "no".to_owned(),
    }
    .into_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert!(
        response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let response = OAuthError::InvalidClient {
        basic: false,
        message: "no".to_owned(),
    }
    .into_response();
    assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    let response = OAuthError::InvalidScope("x".to_owned()).into_response();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
