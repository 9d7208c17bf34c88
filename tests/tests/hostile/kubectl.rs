//! The Kubernetes door through `kubectl`, as a user in the attacker's editors group (and one in
//! its viewers group): every Compass kind, Secret, ConfigMap, Event, Lease and RBAC object of the
//! victim's namespace (get, list, watch, describe, edit, patch, label, annotate, apply, create,
//! delete), listings across namespaces with label and field selectors, Tenants and Namespaces,
//! RoleBindings, impersonation, and `auth can-i`.

use std::{
    io::Write as _,
    path::Path,
    process::{Command, Output, Stdio},
};

use compass_tests::users::User;

use super::{
    Category, Door, Ledger,
    setup::{ATTACKER_NS, VICTIM_NS, World},
};

/// What a `kubectl` attempt must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Failure, saying Forbidden.
    Forbidden,
    /// Success with nothing listed (a listing of the attacker's own namespace).
    Empty,
    /// `auth can-i` answering `no`.
    No,
    /// Success, naming none of the kinds of a tenant's namespace.
    NoTenantKinds,
}

/// One `kubectl` run: its arguments, what it reads on stdin, what it must get.
struct Plan {
    category: Category,
    args: Vec<String>,
    stdin: Option<String>,
    expect: Expect,
}

/// A plan from a command line whose arguments hold no spaces.
fn plan(category: Category, line: &str, expect: Expect) -> Plan {
    Plan {
        category,
        args: line.split(' ').map(str::to_owned).collect(),
        stdin: None,
        expect,
    }
}

/// `kubectl <verb> -f -` of `manifest`, which must be forbidden.
fn from_stdin(category: Category, verb: &str, manifest: String) -> Plan {
    Plan {
        stdin: Some(manifest),
        ..plan(category, &format!("{verb} -f -"), Expect::Forbidden)
    }
}

/// The Compass kinds of a tenant's namespace, each with one of the victim's objects.
const KINDS: [(&str, &str, &str); 5] = [
    ("applications", "Application", "vsecret-orders"),
    ("runtimes", "Runtime", "vsecret-cluster"),
    ("scenarios", "Scenario", "vsecret-campaign"),
    ("labeldefinitions", "LabelDefinition", "vsecret-tier"),
    ("systemauths", "SystemAuth", "vsecret-orders-cert"),
];

/// The attempts on one Compass kind of the victim's namespace.
fn on_kind(plural: &str, kind: &str, name: &str) -> Vec<Plan> {
    use Category::{Delete, Filter, Read, Write};
    use Expect::{Empty, Forbidden};
    let (ns, resource) = (VICTIM_NS, format!("{plural}.compass.kyma-project.io"));
    let label = r#"{"metadata":{"labels":{"pwned":"yes"}}}"#;
    let lines = [
        (Read, format!("get {resource} -n {ns}"), Forbidden),
        (
            Read,
            format!("get {resource} {name} -n {ns} -o yaml"),
            Forbidden,
        ),
        (
            Read,
            format!("describe {resource} {name} -n {ns}"),
            Forbidden,
        ),
        (
            Read,
            format!("get {resource} -n {ns} --watch --request-timeout=5s"),
            Forbidden,
        ),
        (Filter, format!("get {resource} -A"), Forbidden),
        (
            Filter,
            format!("get {resource} -A -l compass.kyma-project.io/tenant=victim"),
            Forbidden,
        ),
        (
            Filter,
            format!("get {resource} -A --field-selector metadata.namespace={ns}"),
            Forbidden,
        ),
        (
            Filter,
            format!("get {resource} --field-selector metadata.namespace={ns}"),
            Empty,
        ),
        (
            Filter,
            format!("get {resource} --field-selector metadata.name={name}"),
            Empty,
        ),
        (
            Write,
            format!("patch {resource} {name} -n {ns} --type=merge -p {label}"),
            Forbidden,
        ),
        (
            Write,
            format!("label {resource} {name} -n {ns} pwned=yes"),
            Forbidden,
        ),
        (
            Write,
            format!("annotate {resource} {name} -n {ns} pwned=yes"),
            Forbidden,
        ),
        (Write, format!("edit {resource} {name} -n {ns}"), Forbidden),
        (
            Delete,
            format!("delete {resource} {name} -n {ns} --wait=false"),
            Forbidden,
        ),
        (
            Delete,
            format!("delete {resource} --all -n {ns} --wait=false"),
            Forbidden,
        ),
    ];
    let manifest = format!(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}, labels: {{pwned: 'yes'}}}}\nspec: {{}}\n"
    );
    let mut plans: Vec<Plan> = lines.iter().map(|(c, l, e)| plan(*c, l, *e)).collect();
    plans.push(from_stdin(Write, "apply", manifest.clone()));
    plans.push(from_stdin(Write, "create", manifest));
    plans
}

/// The attempts on Secrets, ConfigMaps, Events, Leases, ServiceAccounts and RBAC objects.
fn on_core() -> Vec<Plan> {
    use Category::{Delete, Filter, Read, Write};
    use Expect::Forbidden;
    let ns = VICTIM_NS;
    let mut plans = Vec::new();
    for (resource, name) in [
        ("secrets", "vsecret-db"),
        ("configmaps", "vsecret-settings"),
        ("roles", "compass-tenant-editor"),
        ("rolebindings", "compass-tenant-editors"),
        ("serviceaccounts", "default"),
    ] {
        plans.push(plan(Read, &format!("get {resource} -n {ns}"), Forbidden));
        plans.push(plan(
            Read,
            &format!("get {resource} {name} -n {ns} -o json"),
            Forbidden,
        ));
        plans.push(plan(Filter, &format!("get {resource} -A"), Forbidden));
        let delete = format!("delete {resource} {name} -n {ns} --wait=false");
        plans.push(plan(Delete, &delete, Forbidden));
    }
    for resource in ["events", "events.events.k8s.io", "leases"] {
        plans.push(plan(Read, &format!("get {resource} -n {ns}"), Forbidden));
        plans.push(plan(Filter, &format!("get {resource} -A"), Forbidden));
    }
    let secret = r#"{"stringData":{"password":"pwned"}}"#;
    for line in [
        format!("create secret generic pwned --from-literal=a=b -n {ns}"),
        format!("create configmap pwned -n {ns}"),
        format!("patch secret vsecret-db -n {ns} -p {secret}"),
        format!("create token default -n {ns}"),
    ] {
        plans.push(plan(Write, &line, Forbidden));
    }
    plans
}

/// Attempts to gain rights: Tenants, Namespaces, RBAC objects, impersonation.
fn escalations() -> Vec<Plan> {
    use Category::Escalate;
    let ns = VICTIM_NS;
    let apps = "applications.compass.kyma-project.io";
    let to_victim = format!(r#"{{"spec":{{"namespace":"{ns}"}}}}"#);
    let rename = r#"{"spec":{"displayName":"pwned"}}"#;
    let group = "--group=compass:tenant:attacker:editors";
    let lines = [
        "get tenants".to_owned(),
        "get tenant victim -o yaml".to_owned(),
        format!("patch tenant attacker --type=merge -p {to_victim}"),
        format!("patch tenant victim --type=merge -p {rename}"),
        "label tenant attacker compass.kyma-project.io/tenant=victim".to_owned(),
        "delete tenant victim --wait=false".to_owned(),
        "get namespaces".to_owned(),
        format!("get namespace {ns} -o yaml"),
        format!("label namespace {ns} compass.kyma-project.io/tenant=attacker --overwrite"),
        format!("label namespace {ATTACKER_NS} compass.kyma-project.io/tenant=victim --overwrite"),
        format!("delete namespace {ns} --wait=false"),
        format!("create rolebinding steal --role=compass-tenant-editor {group} -n {ns}"),
        format!("create rolebinding steal --clusterrole=admin {group}"),
        "create role reader --verb=get --resource=secrets".to_owned(),
        format!("create clusterrolebinding steal --clusterrole=cluster-admin {group}"),
        format!("get {apps} -n {ns} --as=admin"),
        format!("get secrets -n {ns} --as=system:admin --as-group=system:masters"),
        format!("get {apps} -n {ns} --as=mallory --as-group=compass:tenant:victim:editors"),
        format!("get secrets -n {ns} --as=system:serviceaccount:compass-system:compass-operator"),
        format!("get {apps} -n VICTIM-NS"),
        format!(
            "get --raw /apis/compass.kyma-project.io/v1alpha1/namespaces/{ns}/applications?watch=1"
        ),
        format!("get --raw /api/v1/namespaces/{ns}/secrets/vsecret-db"),
    ];
    let mut plans: Vec<Plan> = lines
        .iter()
        .map(|l| plan(Escalate, l, Expect::Forbidden))
        .collect();
    let tenant = format!(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {{name: squatter}}\nspec: {{externalId: squatter-ext, namespace: {ns}}}\n"
    );
    // A binding in the attacker's own namespace naming the victim's ServiceAccount and group.
    let binding = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: reach-victim, namespace: {ATTACKER_NS}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects:\n- {{kind: ServiceAccount, name: default, namespace: {ns}}}\n- {{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'compass:tenant:victim:editors'}}\n"
    );
    plans.push(from_stdin(Escalate, "create", tenant));
    plans.push(from_stdin(Escalate, "apply", binding));
    plans
}

/// `kubectl auth can-i` probes, each of which must answer no, and the rules listed for the
/// victim's namespace.
fn probes() -> Vec<Plan> {
    let ns = VICTIM_NS;
    let asks = [
        format!("get applications.compass.kyma-project.io -n {ns}"),
        format!("list secrets -n {ns}"),
        format!("create runtimes.compass.kyma-project.io -n {ns}"),
        format!("delete systemauths.compass.kyma-project.io -n {ns}"),
        format!("* * -n {ns}"),
        "get applications.compass.kyma-project.io --all-namespaces".to_owned(),
        "patch tenants.compass.kyma-project.io/attacker".to_owned(),
        "create tenants.compass.kyma-project.io".to_owned(),
        "impersonate users".to_owned(),
        "impersonate groups".to_owned(),
        "create rolebindings".to_owned(),
        "bind clusterroles".to_owned(),
        "escalate roles".to_owned(),
    ];
    let mut plans: Vec<Plan> = asks
        .iter()
        .map(|a| plan(Category::Escalate, &format!("auth can-i {a}"), Expect::No))
        .collect();
    let list = format!("auth can-i --list -n {ns}");
    plans.push(plan(Category::Escalate, &list, Expect::NoTenantKinds));
    plans
}

fn outcome_ok(expect: Expect, output: &Output) -> bool {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
    match expect {
        Expect::Forbidden => !output.status.success() && stderr.contains("forbidden"),
        Expect::Empty => output.status.success() && stdout.trim().is_empty(),
        Expect::No => stdout.trim() == "no",
        Expect::NoTenantKinds => {
            output.status.success()
                && !["compass.kyma-project.io", "secrets", "configmaps"]
                    .iter()
                    .any(|k| stdout.contains(k))
        }
    }
}

/// Runs `command`, feeding it `stdin`.
fn execute(mut command: Command, stdin: Option<&str>) -> Output {
    let Some(input) = stdin else {
        return command.output().expect("kubectl is on PATH");
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl is on PATH");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(input.as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Every plan, with the user who runs it.
fn all_plans(world: &World) -> Vec<(&User, Plan)> {
    let mut plans = Vec::new();
    for (plural, kind, name) in KINDS {
        let editor = on_kind(plural, kind, name).into_iter();
        plans.extend(editor.map(|p| (&world.editor, p)));
        let resource = format!("{plural}.compass.kyma-project.io");
        for verb in ["get", "delete"] {
            let line = format!("{verb} {resource} {name} -n {VICTIM_NS}");
            plans.push((
                &world.viewer,
                plan(Category::Read, &line, Expect::Forbidden),
            ));
        }
        let list = format!("get {resource} -n {VICTIM_NS}");
        plans.push((
            &world.viewer,
            plan(Category::Read, &list, Expect::Forbidden),
        ));
    }
    let rest = on_core().into_iter().chain(escalations()).chain(probes());
    plans.extend(rest.map(|p| (&world.editor, p)));
    plans
}

/// An editor that would change the object, were it ever handed one.
fn hostile_editor(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let script = dir.join("editor.sh");
    let text = "#!/bin/sh\nsed -i 's/gold/pwned/; s/vsecret/pwned/' \"$1\"\n";
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Runs every `kubectl` attempt, a few at a time (each is a process that mostly waits), and
/// checks each.
pub async fn attack(ledger: &mut Ledger, world: &World) {
    const LANES: usize = 6;
    let editor = hostile_editor(world.server.data_dir());
    let mut lanes: Vec<Vec<(Plan, Command)>> = (0..LANES).map(|_| Vec::new()).collect();
    for (i, (user, plan)) in all_plans(world).into_iter().enumerate() {
        let args: Vec<&str> = plan.args.iter().map(String::as_str).collect();
        let mut command = world.server.kubectl_command_with(&user.kubeconfig, &args);
        command.env("KUBE_EDITOR", &editor);
        lanes[i % LANES].push((plan, command));
    }
    let running: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            tokio::task::spawn_blocking(move || {
                let run = |(plan, command): (Plan, Command)| {
                    let output = execute(command, plan.stdin.as_deref());
                    (plan, output)
                };
                lane.into_iter().map(run).collect::<Vec<_>>()
            })
        })
        .collect();
    for lane in running {
        for (plan, output) in lane.await.unwrap() {
            check(ledger, &plan, &output);
        }
    }
}

fn check(ledger: &mut Ledger, plan: &Plan, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let what = format!("kubectl {}", plan.args.join(" "));
    let request = format!("{what}\n{}", plan.stdin.as_deref().unwrap_or_default());
    let answer = format!("{stdout}\n{stderr}");
    let given = if output.status.success() { &stdout } else { "" };
    ledger.assert_no_leak(&what, &request, &answer, given);
    assert!(
        outcome_ok(plan.expect, output),
        "NOT REFUSED ({:?}): {what}\nstdout: {stdout}\nstderr: {stderr}",
        plan.expect
    );
    ledger.record(Door::Kubectl, plan.category);
}
