//! What the Connector refuses before it signs: a CSR whose subject differs from the one handed
//! out in any field (naming the field, and leaving the token usable for a corrected CSR), a token
//! used twice, and a token past its lifetime.

use std::time::Duration;

use compass_api::client::pairing::{self, PairingError, TOKEN_HEADER};
use compass_tests::TestServer;

/// `subject` with the value of `field` replaced by `value`.
fn with_field(subject: &str, field: &str, value: &str) -> String {
    subject
        .split(',')
        .map(|part| match part.split_once('=') {
            Some((name, _)) if name == field => format!("{name}={value}"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The refusal's message and code, failing the test on anything else.
fn refusal(outcome: Result<impl std::fmt::Debug, PairingError>) -> (String, String) {
    match outcome {
        Err(PairingError::Refused { message, code, .. }) => (message, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subject_field_is_checked_and_a_refused_csr_leaves_the_token_usable() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let app = api.register_application("orders").await;
    let invitation = api.application_token(&app).await;
    let with_token = api.connector().with_header(TOKEN_HEADER, &invitation.token);
    let configuration = pairing::configuration(&with_token).await.unwrap();
    let signing = api
        .connector()
        .with_header(TOKEN_HEADER, &configuration.csr_token);
    let key = pairing::generate_key().unwrap();
    for (field, wrong) in [
        ("O", "Other Org"),
        ("OU", "Other Unit"),
        ("L", "Elsewhere"),
        ("ST", "Other State"),
        ("C", "PL"),
        ("CN", "00000000-0000-0000-0000-000000000000"),
    ] {
        let subject = with_field(&configuration.subject, field, wrong);
        assert_ne!(subject, configuration.subject, "{field} changed");
        let csr = pairing::certificate_signing_request(&subject, &key).unwrap();
        let (message, code) = refusal(pairing::sign(&signing, &csr).await);
        assert_eq!(code, "INVALID_INPUT", "{field}: {message}");
        assert!(
            message.contains(&format!("subject's {field} is {wrong:?}")),
            "the refusal names {field}: {message}"
        );
    }
    // The same token signs the corrected CSR, once.
    let csr = pairing::certificate_signing_request(&configuration.subject, &key).unwrap();
    pairing::sign(&signing, &csr)
        .await
        .expect("the token survived the refused CSRs");
    let (message, code) = refusal(pairing::sign(&signing, &csr).await);
    assert_eq!(code, "UNAUTHENTICATED", "{message}");
    assert!(message.contains("not valid"), "{message}");
    // The pairing token was spent by the first configuration.
    let (message, code) = refusal(pairing::configuration(&with_token).await);
    assert_eq!(code, "UNAUTHENTICATED", "{message}");
    // A CSR token does not open configuration, nor a pairing token signing.
    let fresh = api.application_token(&app).await;
    let fresh_configuration =
        pairing::configuration(&api.connector().with_header(TOKEN_HEADER, &fresh.token))
            .await
            .unwrap();
    let csr_token_as_pairing = api
        .connector()
        .with_header(TOKEN_HEADER, &fresh_configuration.csr_token);
    refusal(pairing::configuration(&csr_token_as_pairing).await);
    let another = api.application_token(&app).await;
    let pairing_token_as_csr = api.connector().with_header(TOKEN_HEADER, &another.token);
    let (message, _) = refusal(pairing::sign(&pairing_token_as_csr, &csr).await);
    assert!(message.contains("not valid"), "{message}");
    // Garbage is refused as such, naming the argument.
    let garbage = api.connector().with_header(TOKEN_HEADER, &another.token);
    let (message, code) = refusal(pairing::sign(&garbage, "not a CSR").await);
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.starts_with("csr:"), "{message}");
    // No credential at all.
    let (message, code) = refusal(pairing::configuration(&api.connector()).await);
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(message.contains("Connector-Token"), "{message}");
    director.stop().await;
}

/// How long tokens live in [`expired_tokens_are_refused`].
const SHORT: Duration = Duration::from_secs(1);

/// Sleeps until a token issued before `issued_by` (the time its answer arrived) has expired:
/// how long a token lives is the product's setting, so the test waits exactly that long. (The
/// record itself may be gone by then: the operator removes expired ones.)
async fn until_expired(issued_by: jiff::Timestamp) {
    let expired = issued_by + SHORT;
    let left = expired.duration_since(jiff::Timestamp::now());
    if left.is_positive() {
        let left = Duration::try_from(left).unwrap_or_default();
        tokio::time::sleep(left + Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused() {
    let server = TestServer::start().await;
    let mut config = compass_tests::api_config(Vec::new());
    config.token_lifetimes.application = SHORT;
    config.token_lifetimes.certificate_signing = SHORT;
    let director = server.start_director_with(config).await;
    let api = &director.api;

    // A runtime's pairing token (60 minutes) gives a CSR token, which expires after a second.
    let runtime = api.register_runtime("edge").await;
    let invitation = api.runtime_token(&runtime).await;
    let configuration =
        pairing::configuration(&api.connector().with_header(TOKEN_HEADER, &invitation.token))
            .await
            .unwrap();
    until_expired(jiff::Timestamp::now()).await;
    let key = pairing::generate_key().unwrap();
    let csr = pairing::certificate_signing_request(&configuration.subject, &key).unwrap();
    let signing = api
        .connector()
        .with_header(TOKEN_HEADER, &configuration.csr_token);
    let (message, code) = refusal(pairing::sign(&signing, &csr).await);
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(message.contains("expired"), "{message}");

    // An application's pairing token, one second.
    let app = api.register_application("orders").await;
    let invitation = api.application_token(&app).await;
    until_expired(jiff::Timestamp::now()).await;
    let with_token = api.connector().with_header(TOKEN_HEADER, &invitation.token);
    let (message, code) = refusal(pairing::configuration(&with_token).await);
    assert_eq!(code, "UNAUTHENTICATED");
    assert!(message.contains("expired"), "{message}");
    director.stop().await;
}
