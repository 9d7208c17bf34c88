//! What RBAC lets users do, through the real `kubectl`: `auth can-i` per verb and namespace and
//! `--list`; a namespace-limited kubeconfig that works in its namespace and is refused elsewhere
//! (get, list, watch, create, delete, across namespaces); escalation prevention; aggregation of
//! labelled ClusterRoles; default roles coming back after a restart.

use crate::test_server;

use std::time::Duration;

use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::Api;
use test_server::{TestServer, eventually, users::User};

/// Namespaces `team-a` and `team-b`, and `alice` (in group `team-a-editors`, working in team-a)
/// with `edit` there through her group.
async fn two_teams() -> (TestServer, User) {
    let server = TestServer::start().await;
    for namespace in ["team-a", "team-b"] {
        server.create_namespace(namespace).await;
    }
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "editors",
        "--clusterrole=edit",
        "--group=team-a-editors",
        "-n",
        "team-a",
    ]);
    let alice = server.user("alice", &["team-a-editors"], Some("team-a"));
    (server, alice)
}

fn forbidden(verb: &str, resource: &str, scope: &str) -> String {
    format!(r#"User "alice" cannot {verb} resource "{resource}" in API group "" {scope}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_i_answers_per_verb_and_namespace_and_lists_the_rules() {
    let (server, alice) = two_teams().await;
    for verb in [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ] {
        assert!(
            server.can_i(&alice, &[verb, "configmaps"]),
            "{verb} in team-a"
        );
        assert!(
            !server.can_i(&alice, &[verb, "configmaps", "-n", "team-b"]),
            "{verb} in team-b"
        );
    }
    assert!(server.can_i(&alice, &["get", "secrets/x"]));
    assert!(
        !server.can_i(&alice, &["create", "roles"]),
        "edit does not grant roles"
    );
    assert!(!server.can_i(&alice, &["list", "configmaps", "--all-namespaces"]));
    assert!(!server.can_i(&alice, &["delete", "namespaces/team-a"]));
    assert!(server.can_i(&alice, &["get", "/version"]));
    assert!(!server.can_i(&alice, &["get", "/metrics"]));

    let listed = server.kubectl_as_ok(&alice, &["auth", "can-i", "--list"]);
    let line = |resource: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(&format!("{resource} ")))
            .unwrap_or_else(|| panic!("no {resource} line in:\n{listed}"))
            .to_owned()
    };
    assert!(line("configmaps").contains("create"), "{listed}");
    assert!(line("selfsubjectaccessreviews.authorization.k8s.io").contains("[create]"));
    let elsewhere = server.kubectl_as_ok(&alice, &["auth", "can-i", "--list", "-n", "team-b"]);
    assert!(!elsewhere.contains("configmaps "), "{elsewhere}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_limited_user_works_in_its_namespace_and_is_refused_elsewhere() {
    let (server, alice) = two_teams().await;
    server.kubectl_ok(&["create", "configmap", "theirs", "-n", "team-b"]);

    // Its own namespace: create, read, watch, delete.
    server.kubectl_as_ok(
        &alice,
        &["create", "configmap", "mine", "--from-literal=a=1"],
    );
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  b: '2'\n";
    server.apply_yaml_as(&alice, yaml);
    let listed = server.kubectl_as_ok(&alice, &["get", "configmaps", "-o", "name"]);
    assert_eq!(listed, "configmap/applied\nconfigmap/mine\n");
    let mut watch = server.kubectl_stream_with(
        &alice.kubeconfig,
        &["get", "configmaps", "-w", "-o", "name"],
    );
    server.kubectl_ok(&["create", "configmap", "later", "-n", "team-a"]);
    watch.line_where(Duration::from_secs(20), |l| l == "configmap/later");
    server.kubectl_as_ok(&alice, &["delete", "configmap", "mine"]);

    // Anywhere else: refused with kube-apiserver's words.
    let team_b = r#"in the namespace "team-b""#;
    let cases: [(&[&str], String); 5] = [
        (
            &["get", "configmaps", "-n", "team-b"],
            format!(
                "configmaps is forbidden: {}",
                forbidden("list", "configmaps", team_b)
            ),
        ),
        (
            &["get", "configmap", "theirs", "-n", "team-b"],
            format!(
                r#"configmaps "theirs" is forbidden: {}"#,
                forbidden("get", "configmaps", team_b)
            ),
        ),
        (
            &["create", "configmap", "intruder", "-n", "team-b"],
            forbidden("create", "configmaps", team_b),
        ),
        (
            &["delete", "configmap", "theirs", "-n", "team-b"],
            forbidden("delete", "configmaps", team_b),
        ),
        (
            &["get", "configmaps", "-A"],
            forbidden("list", "configmaps", "at the cluster scope"),
        ),
    ];
    for (args, expected) in cases {
        let refused = server.kubectl_as_err(&alice, args);
        assert!(refused.contains(&expected), "kubectl {args:?}: {refused}");
    }
    let watch_path = "/api/v1/namespaces/team-b/configmaps?watch=1";
    let refused = server.kubectl_as_err(&alice, &["get", "--raw", watch_path]);
    assert!(refused.contains("(Forbidden)"), "{refused}");
    server.kubectl_ok(&["get", "configmap", "theirs", "-n", "team-b"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granting_what_one_does_not_hold_is_refused_unless_one_may_escalate_or_bind() {
    let (server, alice) = two_teams().await;
    server.kubectl_ok(&[
        "create",
        "rolebinding",
        "alice-admin",
        "--clusterrole=admin",
        "--user=alice",
        "-n",
        "team-a",
    ]);
    server.kubectl_as_ok(
        &alice,
        &[
            "create",
            "role",
            "reader",
            "--verb=get",
            "--resource=configmaps",
        ],
    );
    let escalating = [
        "create",
        "role",
        "nuker",
        "--verb=delete",
        "--resource=namespaces",
    ];
    let refused = server.kubectl_as_err(&alice, &escalating);
    assert!(
        refused.contains(r#"roles.rbac.authorization.k8s.io "nuker" is forbidden: user "alice" (groups=["team-a-editors" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#)
            && refused.contains(r#"{APIGroups:[""], Resources:["namespaces"], Verbs:["delete"]}"#),
        "{refused}"
    );
    let binding = [
        "create",
        "rolebinding",
        "takeover",
        "--clusterrole=cluster-admin",
        "--user=alice",
    ];
    let refused = server.kubectl_as_err(&alice, &binding);
    assert!(
        refused.contains("is attempting to grant RBAC permissions not currently held"),
        "{refused}"
    );

    // `bind` on the one ClusterRole, and `escalate` on Roles, lift exactly those refusals.
    server.kubectl_ok(&[
        "create",
        "clusterrole",
        "bind-cluster-admin",
        "--verb=bind",
        "--resource=clusterroles",
        "--resource-name=cluster-admin",
    ]);
    server.kubectl_ok(&[
        "create",
        "clusterrole",
        "escalate-roles",
        "--verb=escalate",
        "--resource=roles",
    ]);
    for role in ["bind-cluster-admin", "escalate-roles"] {
        let name = format!("alice-{role}");
        let role = format!("--clusterrole={role}");
        server.kubectl_ok(&[
            "create",
            "rolebinding",
            &name,
            &role,
            "--user=alice",
            "-n",
            "team-a",
        ]);
    }
    server.kubectl_as_ok(&alice, &escalating);
    server.kubectl_as_ok(&alice, &binding);
    let elsewhere = server.kubectl_as_err(&alice, &[&binding[..], &["-n", "team-b"]].concat());
    assert!(elsewhere.contains("forbidden"), "{elsewhere}");

    let changed = server.kubectl_err(&[
        "patch",
        "rolebinding",
        "takeover",
        "-n",
        "team-a",
        "--type=merge",
        "-p",
        r#"{"roleRef":{"name":"view"}}"#,
    ]);
    assert!(
        changed.contains("roleRef: Invalid value") && changed.contains("cannot change roleRef"),
        "{changed}"
    );
    server.stop().await;
}

/// The rules of the ClusterRole `name`, as `group/resource` strings.
async fn resources_of(roles: &Api<ClusterRole>, name: &str) -> Vec<String> {
    let role = roles.get(name).await.unwrap();
    role.rules
        .unwrap_or_default()
        .iter()
        .flat_map(|r| {
            let group = r.api_groups.clone().unwrap_or_default().join(",");
            r.resources
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(move |res| format!("{group}/{res}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labelled_cluster_role_is_aggregated_into_view_edit_and_admin() {
    let server = TestServer::start().await;
    let roles: Api<ClusterRole> = Api::all(server.client().await);
    for name in ["view", "edit", "admin"] {
        assert!(
            resources_of(&roles, name)
                .await
                .contains(&"/configmaps".to_owned()),
            "{name}"
        );
    }
    server.apply_yaml(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels:\n    rbac.authorization.k8s.io/aggregate-to-view: \"true\"\nrules:\n- apiGroups: [example.com]\n  resources: [widgets]\n  verbs: [get, list, watch]\n",
        &[],
    );
    for name in ["view", "edit", "admin"] {
        let roles = &roles;
        eventually(&format!("{name} to take the widgets rule"), || async move {
            resources_of(roles, name)
                .await
                .contains(&"example.com/widgets".to_owned())
                .then_some(())
        })
        .await;
    }
    // Rules written into an aggregated role by hand are overwritten.
    server.kubectl_ok(&[
        "patch",
        "clusterrole",
        "view",
        "--type=merge",
        "-p",
        r#"{"rules":[]}"#,
    ]);
    eventually("view to be aggregated again", || async {
        (resources_of(&roles, "view").await.len() > 3).then_some(())
    })
    .await;
    server.kubectl_ok(&["delete", "clusterrole", "widgets-view"]);
    eventually("admin to drop the widgets rule", || async {
        (!resources_of(&roles, "admin")
            .await
            .contains(&"example.com/widgets".to_owned()))
        .then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_default_roles_and_bindings_come_back_at_the_next_start() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["delete", "clusterrole", "view"]);
    server.kubectl_ok(&["delete", "clusterrolebinding", "system:basic-user"]);
    server.kubectl_ok(&[
        "patch",
        "clusterrole",
        "system:public-info-viewer",
        "--type=merge",
        "-p",
        r#"{"rules":[{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}"#,
    ]);
    let server = TestServer::start_in(server.stop().await).await;
    let alice = server.user("alice", &[], None);
    assert!(
        server.can_i(&alice, &["get", "/version"]),
        "public info is restored"
    );
    let view = server.kubectl_ok(&[
        "get",
        "clusterrole",
        "view",
        "-o",
        "jsonpath={.rules[*].resources}",
    ]);
    assert!(view.contains("configmaps"), "{view}");
    // `kubectl auth can-i` itself needs system:basic-user's SelfSubjectAccessReviews.
    assert!(!server.can_i(&alice, &["list", "configmaps"]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_reconcile_creates_roles_and_adds_missing_rules_in_protobuf() {
    let server = TestServer::start().await;
    let file = server.data_dir().join("rbac.yaml");
    let manifest = |verbs: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: recon\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: {verbs}\n"
        )
    };
    std::fs::write(&file, manifest("[get]")).unwrap();
    let path = file.to_str().unwrap();
    server.kubectl_ok(&["auth", "reconcile", "-f", path]);
    std::fs::write(&file, manifest("[get, list]")).unwrap();
    // The update is a protobuf PUT of the whole ClusterRole.
    server.kubectl_ok(&["auth", "reconcile", "-f", path]);
    let verbs = server.kubectl_ok(&[
        "get",
        "clusterrole",
        "recon",
        "-o",
        "jsonpath={.rules[*].verbs}",
    ]);
    assert_eq!(verbs, r#"["get"] ["list"]"#);
    server.stop().await;
}
