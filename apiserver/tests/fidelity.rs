//! Behaviours real clients rely on that a review with those clients found missing:
//! `kubectl apply --prune` with its default allow-list, discovery paths with a trailing slash (the
//! Python client's), foreground deletion that finishes as soon as the dependents are gone, a
//! malformed `continue` token refused as a bad request, and each page's `remainingItemCount`.

use crate::test_server;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use compass_apiserver::Transport;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api,
    api::{ListParams, ObjectMeta, PostParams},
};
use serde_json::Value;
use test_server::TestServer;

fn config_map(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n    app: pruned\ndata:\n  a: b\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_prune_with_the_default_allow_list_deletes_what_left_the_directory() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["kept", "dropped"] {
        std::fs::write(dir.path().join(format!("{name}.yaml")), config_map(name)).unwrap();
    }
    let path = dir.path().to_str().unwrap();
    let prune = ["apply", "--prune", "-l", "app=pruned", "-f", path];
    let first = server.kubectl_ok(&prune);
    assert!(first.contains("configmap/dropped created"), "{first}");

    std::fs::remove_file(dir.path().join("dropped.yaml")).unwrap();
    let second = server.kubectl_ok(&prune);
    assert!(second.contains("configmap/dropped pruned"), "{second}");
    let missing = server.kubectl_err(&["get", "configmap", "dropped"]);
    assert!(missing.contains("NotFound"), "{missing}");
    server.kubectl_ok(&["get", "configmap", "kept"]);

    // The workload kinds of the allow-list answer as empty collections and refuse objects.
    let pods = server.kubectl(&["get", "pods,deployments,services", "-A"]);
    assert!(pods.status.success(), "{pods:?}");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    let refused = server.apply_yaml_err(pod, &[]);
    assert!(
        refused.contains("MethodNotAllowed") && refused.contains("runs no workloads"),
        "{refused}"
    );
    // kubectl's generators send protobuf: the same answer, not a complaint about the encoding.
    let refused = server.kubectl_err(&["create", "deployment", "web", "--image=nginx"]);
    assert!(refused.contains("runs no workloads"), "{refused}");
    server.stop().await;
}

/// A GET over plain HTTP; returns the status code and the body as JSON.
fn get(address: std::net::SocketAddr, path: &str, token: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // The bodies here are small enough to come in one piece when not chunked.
    let body = if text.contains("transfer-encoding: chunked") {
        body.split_once("\r\n").map_or("", |(_, rest)| rest)
    } else {
        body
    };
    let json = serde_json::Deserializer::from_str(body)
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or(Value::Null);
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_answers_with_and_without_a_trailing_slash() {
    let server = TestServer::start_with(|config| config.transport = Transport::PlainLoopback).await;
    let address = server.control_plane.address;
    let token = server.control_plane.admin_token.clone();
    let expected = [
        ("/version", "gitVersion"),
        ("/api", "versions"),
        ("/apis", "groups"),
        ("/api/v1", "resources"),
        ("/apis/apiextensions.k8s.io", "preferredVersion"),
        ("/apis/apiextensions.k8s.io/v1", "resources"),
    ];
    for (path, field) in expected {
        let plain = tokio::task::spawn_blocking({
            let token = token.clone();
            move || get(address, path, &token)
        });
        let slashed = tokio::task::spawn_blocking({
            let token = token.clone();
            move || get(address, &format!("{path}/"), &token)
        });
        let (plain, slashed) = (plain.await.unwrap(), slashed.await.unwrap());
        assert_eq!(plain.0, 200, "{path}: {plain:?}");
        assert!(!plain.1[field].is_null(), "{path}: {plain:?}");
        assert_eq!(slashed, plain, "{path}/ answers as {path}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreground_deletion_ends_when_the_dependents_are_gone_without_waiting_for_a_sweep() {
    // With the periodic sweep an hour away, only the reaction to the dependent's removal can let
    // the owner go before kubectl gives up.
    let server = TestServer::start_with(|config| {
        config.server.gc_sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "default");
    let owner = maps
        .create(
            &PostParams::default(),
            &ConfigMap {
                metadata: ObjectMeta {
                    name: Some("owner".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let reference = k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: "owner".into(),
        uid: owner.metadata.uid.clone().unwrap(),
        block_owner_deletion: Some(true),
        ..Default::default()
    };
    let child = ConfigMap {
        metadata: ObjectMeta {
            name: Some("child".into()),
            owner_references: Some(vec![reference]),
            ..Default::default()
        },
        ..Default::default()
    };
    maps.create(&PostParams::default(), &child).await.unwrap();

    let deleted = server.kubectl_ok(&[
        "delete",
        "configmap",
        "owner",
        "--cascade=foreground",
        "--timeout=60s",
    ]);
    assert!(deleted.contains("deleted"), "{deleted}");
    assert!(maps.get_opt("owner").await.unwrap().is_none());
    assert!(maps.get_opt("child").await.unwrap().is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_continue_token_is_a_bad_request_naming_the_continue_key() {
    use base64::Engine as _;
    let server = TestServer::start().await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "default");
    for name in ["first", "second"] {
        let map = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        maps.create(&PostParams::default(), &map).await.unwrap();
    }
    // The token the server hands out leads to the next page.
    let page = maps.list(&ListParams::default().limit(1)).await.unwrap();
    let token = page.metadata.continue_.clone().expect("a continue token");
    let next = maps
        .list(&ListParams::default().limit(1).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(next.items[0].metadata.name.as_deref(), Some("second"));

    // Anything else is refused as kube-apiserver refuses it: 400, never a 500 or a wrong page.
    let encoded = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let malformed = [
        "not base64 at all!".to_owned(),
        encoded("not json"),
        encoded(r#"{"v":"meta.k8s.io/v1"}"#),
        encoded(r#"{"v":"meta.k8s.io/v1","rv":"x","start":"default/first"}"#),
    ];
    for garbage in malformed {
        let refused = maps
            .list(&ListParams::default().limit(1).continue_token(&garbage))
            .await
            .unwrap_err();
        let kube::Error::Api(status) = refused else {
            panic!("{garbage}: {refused:?}")
        };
        assert_eq!(
            (status.code, status.reason.as_str()),
            (400, "BadRequest"),
            "{garbage}"
        );
        assert!(
            status.message.starts_with("continue key is not valid"),
            "{garbage}: {}",
            status.message
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_says_how_many_objects_remain_and_a_filtered_list_does_not() {
    let server = TestServer::start().await;
    let maps: Api<ConfigMap> = Api::namespaced(server.client().await, "default");
    for i in 0..5 {
        let map = ConfigMap {
            metadata: ObjectMeta {
                name: Some(format!("map-{i}")),
                labels: Some([("page".to_owned(), "yes".to_owned())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        maps.create(&PostParams::default(), &map).await.unwrap();
    }
    let mut params = ListParams::default().limit(2);
    let mut seen = Vec::new();
    loop {
        let page = maps.list(&params).await.unwrap();
        seen.push((page.items.len(), page.metadata.remaining_item_count));
        match page.metadata.continue_ {
            Some(token) => params = ListParams::default().limit(2).continue_token(&token),
            None => break,
        }
    }
    assert_eq!(seen, [(2, Some(3)), (2, Some(1)), (1, None)]);

    // With a selector the count is unknown: only the token says there is more.
    let filtered = ListParams::default().limit(2).labels("page=yes");
    let page = maps.list(&filtered).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.metadata.remaining_item_count, None);
    assert!(page.metadata.continue_.is_some());
    server.stop().await;
}
