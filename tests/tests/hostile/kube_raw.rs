//! Hand-made requests to the Kubernetes API as the attacker's editor, for what `kubectl` will not
//! send: a body naming the victim's namespace under a path of the attacker's (create, update,
//! patch), paths spelling the victim's namespace so that a parser might read them differently
//! (`..`, encoded slashes and dashes, empty segments, the `watch` prefix), listings across
//! namespaces with selectors, an impersonation header, and a SubjectAccessReview about another
//! user.

use serde_json::{Value, json};

use super::{
    Category, Door, Ledger,
    setup::{ATTACKER_NS, VICTIM_NS, World},
};

/// A request with a JSON body of `content_type` (or none, for `Value::Null`).
fn request(method: &str, path: &str, content_type: &str, body: &Value) -> http::Request<Vec<u8>> {
    let builder = http::Request::builder().method(method).uri(path);
    if body.is_null() {
        return builder.body(Vec::new()).unwrap();
    }
    let builder = builder.header("content-type", content_type);
    builder.body(body.to_string().into_bytes()).unwrap()
}

/// The requests, each with what it tries.
fn requests() -> Vec<(Category, http::Request<Vec<u8>>)> {
    use Category::{Escalate, Filter, Read, Write};
    let ns = VICTIM_NS;
    let compass = "/apis/compass.kyma-project.io/v1alpha1";
    let apps = format!("{compass}/namespaces/{ATTACKER_NS}/applications");
    let app = |name: &str| {
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
                "metadata": { "name": name, "namespace": ns }, "spec": {} })
    };
    let secret = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "pwned", "namespace": ns } });
    let review = json!({ "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": { "user": "admin", "resourceAttributes": { "namespace": ns, "verb": "get", "resource": "secrets" } } });
    let moved = json!({ "metadata": { "namespace": ns } });
    let (json, merge) = ("application/json", "application/merge-patch+json");
    let none = Value::Null;
    let table: Vec<(Category, &str, String, &str, Value)> = vec![
        (Write, "POST", apps.clone(), json, app("pwned")),
        (
            Write,
            "PUT",
            format!("{apps}/atk-orders"),
            json,
            app("atk-orders"),
        ),
        (Write, "PATCH", format!("{apps}/atk-orders"), merge, moved),
        (
            Write,
            "POST",
            format!("/api/v1/namespaces/{ATTACKER_NS}/secrets"),
            json,
            secret,
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces/{ATTACKER_NS}/../{ns}/applications"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces/{ATTACKER_NS}%2F..%2F{ns}/applications"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces/{ns}%2F/applications"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces//{ns}/applications"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces/victim%2Dns/applications"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{apps}/..%2F..%2F{ns}%2Fapplications%2Fvsecret-orders"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/namespaces/{ns}/applications/vsecret-orders/status"),
            json,
            none.clone(),
        ),
        (
            Read,
            "GET",
            format!("{compass}/watch/namespaces/{ns}/applications"),
            json,
            none.clone(),
        ),
        (
            Filter,
            "GET",
            format!("{compass}/applications?fieldSelector=metadata.namespace%3D{ns}"),
            json,
            none.clone(),
        ),
        (
            Filter,
            "GET",
            "/api/v1/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dcompass-director"
                .into(),
            json,
            none.clone(),
        ),
        (
            Escalate,
            "POST",
            "/apis/authorization.k8s.io/v1/subjectaccessreviews".into(),
            json,
            review,
        ),
    ];
    let mut requests: Vec<_> = table
        .into_iter()
        .map(|(category, method, path, kind, body)| (category, request(method, &path, kind, &body)))
        .collect();
    let mut impersonating = request(
        "GET",
        &format!("/api/v1/namespaces/{ns}/secrets/vsecret-db"),
        json,
        &none,
    );
    impersonating
        .headers_mut()
        .insert("impersonate-user", "admin".parse().unwrap());
    requests.push((Escalate, impersonating));
    requests
}

/// Sends every request as the editor; each must be refused and name nothing of the victim's it
/// was not given.
pub async fn attack(ledger: &mut Ledger, world: &World) {
    let client = world.server.client_as(&world.editor).await;
    for (category, request) in requests() {
        let what = format!("{} {}", request.method(), request.uri());
        // The server decodes the path, so its refusal may name what the path spelled encoded.
        let decoded = percent_decoded(&request.uri().to_string());
        let body = String::from_utf8_lossy(request.body()).into_owned();
        let sent = format!("{what}\n{decoded}\n{body}");
        match client.request_text(request).await {
            Ok(text) => panic!("NOT REFUSED: {what} answered {text}"),
            Err(kube::Error::Api(status)) => {
                let text = format!("{status:?}");
                ledger.assert_no_leak(&what, &sent, &text, "");
                assert!(
                    [400, 403, 404].contains(&status.code),
                    "{what}: unexpected refusal {text}"
                );
            }
            Err(other) => panic!("{what}: {other}"),
        }
        ledger.record(Door::KubeRaw, category);
    }
}

fn percent_decoded(text: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        let hex = (byte == b'%')
            .then(|| bytes.clone().take(2).collect::<Vec<u8>>())
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(&h).ok()?, 16).ok());
        match hex {
            Some(decoded) => {
                out.push(decoded);
                bytes.nth(1);
            }
            None => out.push(byte),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
