//! Ways around RBAC that a review found, each refused through the real `kubectl`: an empty path
//! segment posing as discovery, a label that pulls a role into an aggregated one, a role too
//! large to check, a server-side apply that creates with only `patch`, a CRD that shadows a
//! built-in RBAC kind, and `escalate` limited to a name covering a create.

use crate::test_server;

use test_server::{TestServer, users::User};

/// A control plane with the namespace `team-a`, a Secret in it, and `mallory`, who may only
/// read and label ClusterRoles, view `team-a`, patch one ConfigMap name there and write Roles
/// there.
async fn setup() -> (TestServer, User) {
    let server = TestServer::start().await;
    server.create_namespace("team-a").await;
    server.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "db",
        "--from-literal=password=hunter2",
        "-n",
        "team-a",
    ]);
    let rules = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: role-labeller}
rules:
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [clusterroles]
    verbs: [get, list, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mallory-labeller}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-labeller}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: patch-one, namespace: team-a}
rules:
  - apiGroups: ['']
    resources: [configmaps]
    resourceNames: [settings]
    verbs: [get, patch]
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [roles]
    verbs: [create, get]
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [roles]
    resourceNames: [wide]
    verbs: [escalate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mallory, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: patch-one}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mallory-view, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]
";
    server.apply_yaml(rules, &[]);
    let mallory = server.user("mallory", &[], Some("team-a"));
    (server, mallory)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_way_around_rbac_works() {
    let (server, mallory) = setup().await;

    // An empty group is not discovery: the path is nothing served.
    for path in [
        "/apis//v1/secrets",
        "/apis//v1/namespaces/team-a/secrets",
        "//api/v1/secrets",
    ] {
        let refused = server.kubectl_as_err(&mallory, &["get", "--raw", path]);
        assert!(
            !refused.contains("hunter2") && !refused.contains("aHVudGVyMg"),
            "{refused}"
        );
        assert!(
            refused.contains("NotFound")
                || refused.contains("Forbidden")
                || refused.contains("not found"),
            "{path}: {refused}"
        );
    }

    // A label that would pull cluster-admin into view needs cluster-admin's permissions.
    let refused = server.kubectl_as_err(
        &mallory,
        &[
            "label",
            "clusterrole",
            "cluster-admin",
            "rbac.authorization.k8s.io/aggregate-to-view=true",
        ],
    );
    assert!(refused.contains("forbidden"), "{refused}");
    assert!(!server.can_i(&mallory, &["*", "*", "-n", "team-a"]));

    // A role whose rules expand to a billion grants is refused before it is expanded.
    let many = |prefix: &str| {
        (0..1000)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let huge = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: huge, namespace: team-a}}\nrules:\n  - apiGroups: [{}]\n    resources: [{}]\n    verbs: [{}]\n",
        many("g"),
        many("r"),
        many("v")
    );
    let refused = server.kubectl_as_with_yaml_err(&mallory, &["create"], &huge);
    assert!(
        refused.contains("more than 100000 single permissions"),
        "{refused}"
    );

    // Server-side apply that would create needs `create`, not only `patch`.
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team-a}\ndata: {a: b}\n";
    let refused =
        server.kubectl_as_with_yaml_err(&mallory, &["apply", "--server-side"], config_map);
    assert!(
        refused.contains(r#"User "mallory" cannot create resource "configmaps""#),
        "{refused}"
    );
    server.apply_yaml(config_map, &[]);
    server.apply_yaml_as(&mallory, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team-a}\ndata: {a: c}\n");

    // `escalate` on the name `wide` covers updating that Role, never creating it by POST.
    let wide = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: wide, namespace: team-a}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n";
    let refused = server.kubectl_as_with_yaml_err(&mallory, &["create"], wide);
    assert!(refused.contains("forbidden"), "{refused}");

    // No CustomResourceDefinition may take a group the server serves itself.
    let shadow = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rolebindings.rbac.authorization.k8s.io}
spec:
  group: rbac.authorization.k8s.io
  scope: Namespaced
  names: {plural: rolebindings, singular: rolebinding, kind: RoleBinding}
  versions:
    - name: v2
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
";
    let refused = server.apply_yaml_err(shadow, &[]);
    assert!(
        refused.contains("is served by the API server itself"),
        "{refused}"
    );
    server.stop().await;
}
