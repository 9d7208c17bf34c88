//! Who the control plane takes a caller for, through the real doors: `kubectl auth whoami` for
//! the admin token, a client certificate and a ServiceAccount token from `kubectl create token`;
//! a kube-rs client with a client certificate; impersonation; anonymous and bad credentials; a
//! kube-rs client in the same process, without the listener.

use crate::test_server;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, api::PostParams};
use serde_json::{Value, json};
use test_server::{TestServer, users::User};

/// `kubectl auth whoami -o json` as `user`: the user name and groups.
fn whoami(server: &TestServer, user: &User) -> (String, Vec<String>) {
    let text = server.kubectl_as_ok(user, &["auth", "whoami", "-o", "json"]);
    let review: Value = serde_json::from_str(&text).expect("a SelfSubjectReview");
    let info = &review["status"]["userInfo"];
    let groups = info["groups"]
        .as_array()
        .map(|g| {
            g.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    (
        info["username"].as_str().unwrap_or_default().to_owned(),
        groups,
    )
}

fn admin(server: &TestServer) -> User {
    User {
        kubeconfig: server.kubeconfig().to_path_buf(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_names_the_admin_a_certificate_user_and_a_service_account() {
    let server = TestServer::start().await;
    let (name, groups) = whoami(&server, &admin(&server));
    assert_eq!(name, "compass-admin");
    assert_eq!(groups, ["system:masters", "system:authenticated"]);
    assert!(server.can_i(&admin(&server), &["*", "*", "--all-namespaces"]));

    let alice = server.user("alice", &["devs", "compass:tenant:acme:viewers"], None);
    let (name, groups) = whoami(&server, &alice);
    assert_eq!(name, "alice");
    assert_eq!(
        groups,
        [
            "devs",
            "compass:tenant:acme:viewers",
            "system:authenticated"
        ]
    );

    server.kubectl_ok(&["create", "namespace", "team-a"]);
    server.kubectl_ok(&["create", "serviceaccount", "builder", "-n", "team-a"]);
    let token = server.kubectl_ok(&["create", "token", "builder", "-n", "team-a"]);
    let builder = server.token_user("builder", token.trim());
    let (name, groups) = whoami(&server, &builder);
    assert_eq!(name, "system:serviceaccount:team-a:builder");
    assert_eq!(
        groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:team-a",
            "system:authenticated"
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_token_works_until_its_account_is_deleted() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "namespace", "team-a"]);
    server.kubectl_ok(&["create", "serviceaccount", "builder", "-n", "team-a"]);
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "builder-view",
        "--clusterrole=view",
        "--serviceaccount=team-a:builder",
        "-n",
        "team-a",
    ]);
    let token = server.kubectl_ok(&["create", "token", "builder", "-n", "team-a"]);
    let builder = server.token_user("builder", token.trim());
    assert!(server.can_i(&builder, &["list", "configmaps", "-n", "team-a"]));
    assert!(!server.can_i(&builder, &["list", "configmaps", "-n", "default"]));
    server.kubectl_as_ok(&builder, &["get", "configmaps", "-n", "team-a"]);

    // A token for another audience is not one for the API server.
    let other = server.kubectl_ok(&[
        "create",
        "token",
        "builder",
        "-n",
        "team-a",
        "--audience",
        "vault",
    ]);
    let other = server.token_user("other", other.trim());
    let refused = server.kubectl_as_err(&other, &["get", "configmaps", "-n", "team-a"]);
    assert!(
        refused.contains("You must be logged in to the server"),
        "{refused}"
    );

    let short = server.kubectl_err(&[
        "create",
        "token",
        "builder",
        "-n",
        "team-a",
        "--duration",
        "1m",
    ]);
    assert!(
        short.contains("may not specify a duration less than 10 minutes"),
        "{short}"
    );

    server.kubectl_ok(&["delete", "serviceaccount", "builder", "-n", "team-a"]);
    let refused = server.kubectl_as_err(&builder, &["get", "configmaps", "-n", "team-a"]);
    assert!(
        refused.contains("You must be logged in to the server"),
        "{refused}"
    );
    // A new account of the same name is another account: the old token stays dead.
    server.kubectl_ok(&["create", "serviceaccount", "builder", "-n", "team-a"]);
    let refused = server.kubectl_as_err(&builder, &["auth", "whoami"]);
    assert!(
        refused.contains("You must be logged in to the server"),
        "{refused}"
    );
    let missing = server.kubectl_err(&["create", "token", "nobody", "-n", "team-a"]);
    assert!(
        missing.contains(r#"serviceaccounts "nobody" not found"#),
        "{missing}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kube_rs_client_with_a_client_certificate_acts_as_its_user() {
    let server = TestServer::start().await;
    for namespace in ["team-a", "team-b"] {
        server.create_namespace(namespace).await;
    }
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "ops-edit",
        "--clusterrole=edit",
        "--group=ops",
        "-n",
        "team-a",
    ]);
    let bob = server.user("bob", &["ops"], None);
    let client = server.client_as(&bob).await;
    let own: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    let map: ConfigMap =
        serde_json::from_value(json!({ "metadata": { "name": "settings" } })).expect("a ConfigMap");
    own.create(&PostParams::default(), &map).await.unwrap();
    assert_eq!(own.list(&Default::default()).await.unwrap().items.len(), 1);

    let other: Api<ConfigMap> = Api::namespaced(client, "team-b");
    match other.create(&PostParams::default(), &map).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403);
            assert_eq!(
                status.message,
                r#"configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "team-b""#
            );
        }
        other => panic!("creating in another namespace was not refused: {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_needs_the_impersonate_verb() {
    let server = TestServer::start().await;
    let admin = admin(&server);
    let shown = server.kubectl_ok(&["auth", "whoami", "--as", "bob", "--as-group", "devs"]);
    assert!(
        shown.contains("bob") && shown.contains("[devs system:authenticated]"),
        "{shown}"
    );
    server.kubectl_ok(&["create", "namespace", "team-a"]);
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "bob-view",
        "--clusterrole=view",
        "--user=bob",
        "-n",
        "team-a",
    ]);
    assert!(server.can_i(
        &admin,
        &["list", "configmaps", "-n", "team-a", "--as", "bob"]
    ));
    assert!(!server.can_i(&admin, &["list", "secrets", "-n", "team-a", "--as", "bob"]));

    let alice = server.user("alice", &[], None);
    let refused = server.kubectl_as_err(
        &alice,
        &["get", "configmaps", "-n", "team-a", "--as", "bob"],
    );
    assert!(
        refused.contains(r#"users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#),
        "{refused}"
    );
    server.kubectl_ok(&[
        "create",
        "clusterrole",
        "impersonate-bob",
        "--verb=impersonate",
        "--resource=users",
        "--resource-name=bob",
    ]);
    server.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "alice-as-bob",
        "--clusterrole=impersonate-bob",
        "--user=alice",
    ]);
    server.kubectl_as_ok(
        &alice,
        &["get", "configmaps", "-n", "team-a", "--as", "bob"],
    );
    let refused = server.kubectl_as_err(
        &alice,
        &["get", "configmaps", "-n", "team-a", "--as", "carol"],
    );
    assert!(
        refused.contains(r#"users "carol" is forbidden"#),
        "{refused}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_see_only_public_paths_and_bad_tokens_are_unauthorized() {
    let server = TestServer::start().await;
    let mut config = kube::Config::new(server.control_plane.url.parse().expect("a URL"));
    let ca = server.control_plane.ca_pem.clone();
    let body: String = ca.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine as _;
    config.root_cert = Some(vec![
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap(),
    ]);
    let anonymous = kube::Client::try_from(config).expect("a client");
    let get = |path: &str| http::Request::get(path).body(Vec::new()).unwrap();
    let version = anonymous.request_text(get("/version")).await.unwrap();
    assert!(version.contains("gitVersion"), "{version}");
    anonymous.request_text(get("/healthz")).await.unwrap();
    match anonymous.request_text(get("/api")).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403);
            assert_eq!(
                status.message,
                r#"forbidden: User "system:anonymous" cannot get path "/api""#
            );
        }
        other => panic!("anonymous discovery was not refused: {other:?}"),
    }
    let stranger = server.token_user("stranger", "not-a-token");
    let refused = server.kubectl_as_err(&stranger, &["get", "namespaces"]);
    assert!(
        refused.contains("You must be logged in to the server"),
        "{refused}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_and_token_reviews_answer_for_others_in_json() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "namespace", "team-a"]);
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "devs-view",
        "--clusterrole=view",
        "--group=devs",
        "-n",
        "team-a",
    ]);
    server.kubectl_ok(&["create", "serviceaccount", "bot", "-n", "team-a"]);
    let client = server.client().await;
    let post = |path: &str, body: Value| {
        http::Request::post(path)
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .unwrap()
    };
    let access = |namespace: &str| {
        json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": { "user": "carol", "groups": ["devs"], "resourceAttributes": {
                "verb": "list", "resource": "configmaps", "namespace": namespace } },
        })
    };
    let sar = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    let answer: Value = client.request(post(sar, access("team-a"))).await.unwrap();
    assert_eq!(answer["status"]["allowed"], true, "{answer}");
    assert!(
        answer["status"]["reason"]
            .as_str()
            .unwrap()
            .contains(r#"RoleBinding "devs-view/team-a""#)
    );
    let answer: Value = client.request(post(sar, access("default"))).await.unwrap();
    assert_eq!(answer["status"]["allowed"], false, "{answer}");

    let mut local = access("");
    local["kind"] = json!("LocalSubjectAccessReview");
    let lsar = "/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews";
    let answer: Value = client.request(post(lsar, local)).await.unwrap();
    assert_eq!(answer["status"]["allowed"], true, "{answer}");
    // A namespace's review asks about that namespace only: never about paths.
    let paths = json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
        "spec": { "user": "carol", "nonResourceAttributes": { "verb": "get", "path": "/metrics" } },
    });
    let refused = client.request::<Value>(post(lsar, paths)).await;
    assert!(
        matches!(refused, Err(kube::Error::Api(ref s)) if s.code == 400),
        "{refused:?}"
    );

    let token = server.kubectl_ok(&["create", "token", "bot", "-n", "team-a"]);
    let review = |token: &str| {
        json!({ "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                "spec": { "token": token } })
    };
    let tokens = "/apis/authentication.k8s.io/v1/tokenreviews";
    let answer: Value = client
        .request(post(tokens, review(token.trim())))
        .await
        .unwrap();
    assert_eq!(answer["status"]["authenticated"], true, "{answer}");
    assert_eq!(
        answer["status"]["user"]["username"],
        "system:serviceaccount:team-a:bot"
    );
    let answer: Value = client
        .request(post(tokens, review("forged")))
        .await
        .unwrap();
    assert_eq!(answer["status"]["authenticated"], false, "{answer}");

    // Reviews are never stored: there is nothing to get.
    let listed = client
        .request_text(http::Request::get(sar).body(Vec::new()).unwrap())
        .await;
    assert!(matches!(listed, Err(kube::Error::Api(s)) if s.code == 405));
    server.stop().await;
}

/// A kube-rs client that calls the control plane's router in its own process (as `compass up`'s
/// controllers and Director do), sending `token` as its bearer token if any.
fn in_process_client(server: &TestServer, token: Option<&str>) -> kube::Client {
    let header = token.map(|token| {
        http::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value")
    });
    let service = tower::ServiceBuilder::new()
        .map_request(move |mut request: http::Request<kube::client::Body>| {
            if let Some(header) = &header {
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, header.clone());
            }
            request
        })
        .service(server.control_plane.in_process());
    kube::Client::new(service, "default")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_in_the_same_process_passes_the_same_door_and_its_watch_ends_at_shutdown() {
    use futures_util::StreamExt as _;
    use kube::api::WatchParams;

    let server = TestServer::start().await;
    let get = |path: &str| http::Request::get(path).body(Vec::new()).unwrap();
    let anonymous = in_process_client(&server, None);
    match anonymous.request_text(get("/api/v1/namespaces")).await {
        Err(kube::Error::Api(status)) => assert_eq!(
            (status.code, status.message.as_str()),
            (
                403,
                r#"namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope"#
            )
        ),
        other => panic!("an anonymous caller in the process was not refused: {other:?}"),
    }
    let stranger = in_process_client(&server, Some("not-a-token"));
    match stranger.request_text(get("/api/v1/namespaces")).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 401),
        other => panic!("a bad token in the process was not refused: {other:?}"),
    }

    let admin = in_process_client(&server, Some(&server.control_plane.admin_token));
    let review = admin
        .request_text(
            http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
                .header("Content-Type", "application/json")
                .body(
                    serde_json::to_vec(&json!({
                        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"
                    }))
                    .unwrap(),
                )
                .unwrap(),
        )
        .await
        .expect("the admin may ask who it is");
    let review: Value = serde_json::from_str(&review).unwrap();
    assert_eq!(review["status"]["userInfo"]["username"], "compass-admin");

    let config_maps: Api<ConfigMap> = Api::namespaced(admin, "default");
    let watch = config_maps
        .watch(&WatchParams::default().timeout(290), "0")
        .await
        .expect("the admin may watch");
    let mut watch = std::pin::pin!(watch);
    let mut created = ConfigMap::default();
    created.metadata.name = Some("seen".to_owned());
    config_maps
        .create(&PostParams::default(), &created)
        .await
        .expect("the admin may create");
    let added = tokio::time::timeout(std::time::Duration::from_secs(10), watch.next())
        .await
        .expect("the watch delivers the create")
        .expect("an event")
        .expect("a good event");
    assert!(
        matches!(&added, kube::api::WatchEvent::Added(c) if c.metadata.name.as_deref() == Some("seen")),
        "{added:?}"
    );
    let stopping = tokio::spawn(server.stop());
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while watch.next().await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the in-process watch did not end at shutdown"
    );
    stopping.await.unwrap();
}
