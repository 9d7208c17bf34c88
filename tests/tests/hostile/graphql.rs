//! The GraphQL attacks: every query and mutation of the Director that takes an id, key or name,
//! called with each of the victim's of the matching kind (reads, nested children, writes,
//! deletes, credentials), with own and foreign ids mixed where an operation takes two, label
//! filters only the victim's objects would match, and the listings, whose answers must hold
//! nothing of the victim's. One catalogue serves every door: with the attacker's own `Tenant`
//! header each attack has its own expected refusal; with a spoofed header every one of them is
//! `TENANT_MISMATCH`.

use compass_tests::graphql::{Graphql, Response};
use serde_json::{Value, json};

use super::{Category, Door, Ledger, setup::Ids};

/// Error codes that refuse without acting.
const REFUSALS: [&str; 7] = [
    "NOT_FOUND",
    "INVALID_INPUT",
    "TENANT_MISMATCH",
    "TENANT_REQUIRED",
    "TENANT_NOT_FOUND",
    "NOT_AVAILABLE",
    "CONFLICT",
];

/// Fields that act on no tenant: the answer to them does not depend on the `Tenant` header.
const GLOBAL_FIELDS: [&str; 9] = [
    "viewer",
    "tenants",
    "integrationSystem",
    "applicationTemplates",
    "healthChecks",
    "requestOneTimeToken",
    "requestClientCredentials",
    "unregisterIntegrationSystem",
    "deleteSystemAuthForIntegrationSystem",
];

/// What an attack must get.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// A refusal with one of [`REFUSALS`].
    Refused,
    /// A refusal with exactly this code.
    Code(&'static str),
    /// A refusal, or nothing at this pointer into `data`: null, an empty list, an empty page.
    Nothing(&'static str),
    /// An answer; that it holds nothing of the victim's is checked for every attack.
    Clean,
}

/// One operation with its variables and what it must get.
#[derive(Clone, Debug)]
pub struct Attack {
    /// What it tries.
    pub category: Category,
    /// The operation.
    pub query: String,
    /// Its variables.
    pub variables: Value,
    /// What it must get with the attacker's own `Tenant` header.
    pub expect: Expect,
}

impl Attack {
    /// Whether the operation acts in a tenant (and so needs the `Tenant` header).
    pub fn scoped(&self) -> bool {
        !GLOBAL_FIELDS.iter().any(|f| self.query.contains(f))
    }

    /// The request body.
    pub fn body(&self) -> String {
        json!({ "query": self.query, "variables": self.variables }).to_string()
    }
}

fn attack(category: Category, query: &str, variables: Value, expect: Expect) -> Attack {
    Attack {
        category,
        query: query.to_owned(),
        variables,
        expect,
    }
}

/// Whether `value` holds nothing: null, an empty list, or a page with nothing in it.
fn is_nothing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(page) => {
            page.get("totalCount") == Some(&json!(0))
                && page.get("data").is_none_or(|d| d == &json!([]))
        }
        _ => false,
    }
}

/// Whether `data` holds nothing where the error's `path` points: null there or before.
fn null_along(data: &Value, path: &Value) -> bool {
    let mut here = data;
    for step in path.as_array().into_iter().flatten() {
        if here.is_null() {
            return true;
        }
        here = match step {
            Value::String(field) => &here[field.as_str()],
            Value::Number(index) => &here[index.as_u64().unwrap_or_default() as usize],
            _ => return false,
        };
    }
    here.is_null()
}

/// Checks an answer against `expect`, and that it leaks nothing; `what` names the attempt.
pub fn check(
    ledger: &Ledger,
    what: &str,
    request: &str,
    status: u16,
    body: &Value,
    expect: Expect,
) {
    let text = body.to_string();
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    ledger.assert_no_leak(what, request, &text, &data.to_string());
    let code = body["errors"][0]["extensions"]["code"].as_str();
    let refused = code.is_some_and(|c| REFUSALS.contains(&c))
        && null_along(&data, &body["errors"][0]["path"]);
    let ok = match expect {
        Expect::Refused => refused,
        Expect::Code(wanted) => code == Some(wanted) && refused,
        Expect::Nothing(pointer) => {
            refused || (code.is_none() && data.pointer(pointer).is_some_and(is_nothing))
        }
        Expect::Clean => code.is_none() && status == 200,
    };
    assert!(
        ok,
        "NOT REFUSED ({expect:?}): {what}\nrequest: {request}\nanswer ({status}): {text}"
    );
}

/// Sends `attack` as `client` (whose `Tenant` header line is `header`) and checks the answer
/// against `expect`.
pub async fn run(
    ledger: &mut Ledger,
    door: Door,
    client: &Graphql,
    header: &str,
    attack: &Attack,
    expect: Expect,
) {
    let Response { status, body } = client.send(&attack.query, attack.variables.clone()).await;
    let what = format!("{door:?} [{header}] {}", attack.query);
    let request = format!("{header}\n{}", attack.body());
    check(ledger, &what, &request, status, &body, expect);
    ledger.record(door, attack.category);
}

/// Reads by foreign id, key or name, directly and as children of the attacker's own objects.
fn reads(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
    let nothing = |query: &str, variables: Value, pointer| {
        attack(Category::Read, query, variables, Expect::Nothing(pointer))
    };
    let (app, api) = (&own.apps[0], &own.apis[0]);
    let mut attacks = Vec::new();
    for id in victim.all_ids() {
        let query = "query ($id: ID!) { application(id: $id) { id name labels } }";
        attacks.push(nothing(query, json!({ "id": id }), "/application"));
        let query = "query ($id: ID!) { runtime(id: $id) { id name labels } }";
        attacks.push(nothing(query, json!({ "id": id }), "/runtime"));
    }
    for id in &victim.apps {
        let query = "query ($id: ID) { healthChecks(origin: $id) { totalCount data { origin } } }";
        attacks.push(nothing(query, json!({ "id": id }), "/healthChecks"));
    }
    for id in &victim.runtimes {
        let query = "query ($id: ID!) { applicationsForRuntime(runtimeID: $id) { totalCount data { id name } } }";
        attacks.push(nothing(
            query,
            json!({ "id": id }),
            "/applicationsForRuntime",
        ));
        let query = "query ($app: ID!, $api: ID!, $rt: ID!) { application(id: $app) { apiDefinition(id: $api) { auth(runtimeID: $rt) { runtimeID auth { credential { ... on BasicCredentialData { username password } } } } } } }";
        let variables = json!({ "app": app, "api": api, "rt": id });
        attacks.push(nothing(query, variables, "/application/apiDefinition/auth"));
    }
    for key in victim.label_keys.iter().chain(&victim.scenarios) {
        let query = "query ($key: String!) { labelDefinition(key: $key) { key schema } }";
        attacks.push(nothing(query, json!({ "key": key }), "/labelDefinition"));
    }
    for id in &victim.apis {
        let query = "query ($app: ID!, $id: ID!) { application(id: $app) { apiDefinition(id: $id) { id name spec { data } defaultAuth { credential { ... on BasicCredentialData { password } } } } } }";
        let variables = json!({ "app": app, "id": id });
        attacks.push(nothing(query, variables, "/application/apiDefinition"));
    }
    for id in &victim.events {
        let query = "query ($app: ID!, $id: ID!) { application(id: $app) { eventDefinition(id: $id) { id name spec { data } } } }";
        let variables = json!({ "app": app, "id": id });
        attacks.push(nothing(query, variables, "/application/eventDefinition"));
    }
    // The attacker's own objects, asked for what only the victim's have.
    let own_views = [
        (
            "query ($id: ID!) { application(id: $id) { labels eventingConfiguration { defaultURL } auths { id } apiDefinitions { data { auths { runtimeID } } } } }",
            app,
        ),
        (
            "query ($id: ID!) { application(id: $id) { labels(key: \"vsecret-tier\") } }",
            app,
        ),
        (
            "query ($id: ID!) { runtime(id: $id) { labels(key: \"vsecret-region\") eventingConfiguration { defaultURL } } }",
            &own.runtimes[0],
        ),
        (
            "query ($id: ID!) { integrationSystem(id: $id) { id name auths { id } } }",
            &system.to_owned(),
        ),
    ];
    for (query, id) in own_views {
        attacks.push(attack(
            Category::Read,
            query,
            json!({ "id": id }),
            Expect::Clean,
        ));
    }
    attacks
}

/// Listings, and label filters only the victim's objects would match.
fn filters(system: &str) -> Vec<Attack> {
    use Category::Filter;
    let scenario = "$[*] ? (@ == \"vsecret-campaign\")";
    let app_filters = [
        json!([{ "key": "vsecret-tier" }]),
        json!([{ "key": "vsecret-tier", "query": "\"gold\"" }]),
        json!([{ "key": "scenarios", "query": scenario }]),
        json!([{ "key": "name", "query": "\"vsecret-orders\"" }]),
        json!([{ "key": "integration-system-id", "query": format!("\"{system}\"") }]),
        json!([{ "key": "vsecret-region" }]),
    ];
    let runtime_filters = [
        json!([{ "key": "vsecret-region" }]),
        json!([{ "key": "vsecret-region", "query": "\"eu-vsecret\"" }]),
        json!([{ "key": "scenarios", "query": scenario }]),
        json!([{ "key": "runtime_eventServiceUrl" }]),
        json!([{ "key": "vsecret-tier" }]),
    ];
    let apps = "query ($f: [LabelFilter!]) { applications(filter: $f) { totalCount data { id name labels } } }";
    let runtimes = "query ($f: [LabelFilter!]) { runtimes(filter: $f) { totalCount data { id name labels } } }";
    let mut attacks: Vec<Attack> = app_filters
        .into_iter()
        .map(|f| {
            attack(
                Filter,
                apps,
                json!({ "f": f }),
                Expect::Nothing("/applications"),
            )
        })
        .collect();
    attacks.extend(runtime_filters.into_iter().map(|f| {
        attack(
            Filter,
            runtimes,
            json!({ "f": f }),
            Expect::Nothing("/runtimes"),
        )
    }));
    let listings = [
        "{ applications { totalCount data { id name labels apiDefinitions { data { id name } } } } }",
        "{ runtimes { totalCount data { id name labels auths { id } } } }",
        "{ labelDefinitions { key schema } }",
        "{ labelDefinition(key: \"scenarios\") { key schema } }",
        "{ tenants { id internalID name } }",
        "{ viewer { id type } }",
        "{ integrationSystems { data { id name auths { id } } } }",
        "{ applicationTemplates { data { id name applicationInput } } }",
        "{ healthChecks { totalCount } }",
    ];
    attacks.extend(
        listings
            .into_iter()
            .map(|q| attack(Filter, q, json!({}), Expect::Clean)),
    );
    attacks
}

/// Mutations taking one id, each with every victim id of its kind.
fn one_id_mutations(victim: &Ids) -> Vec<Attack> {
    use Category::{Credentials, Delete, Write};
    let hook = "{type: CONFIGURATION_CHANGED, url: \"https://atk.example.com/hook\"}";
    let api = "{name: \"pwned\", targetURL: \"https://atk.example.com/api\"}";
    let document =
        "{title: \"pwned\", displayName: \"p\", description: \"p\", format: MARKDOWN, data: \"p\"}";
    let by_kind: [(&[String], Category, String); 34] = [
        (&victim.apps, Write, "updateApplication(id: $id, in: {name: $name, description: \"pwned\"}) { id }".into()),
        (&victim.apps, Write, "setApplicationLabel(applicationID: $id, key: \"pwned\", value: \"yes\") { key }".into()),
        (&victim.apps, Write, "setApplicationLabel(applicationID: $id, key: \"scenarios\", value: [\"DEFAULT\"]) { key }".into()),
        (&victim.apps, Write, format!("addWebhook(applicationID: $id, in: {hook}) {{ id }}")),
        (&victim.apps, Write, format!("addAPIDefinition(applicationID: $id, in: {api}) {{ id }}")),
        (&victim.apps, Write, "addEventDefinition(applicationID: $id, in: {name: \"pwned\"}) { id }".into()),
        (&victim.apps, Write, format!("addDocument(applicationID: $id, in: {document}) {{ id }}")),
        (&victim.apps, Delete, "unregisterApplication(id: $id) { id name }".into()),
        (&victim.apps, Delete, "deleteApplicationLabel(applicationID: $id, key: \"vsecret-tier\") { key value }".into()),
        (&victim.apps, Delete, "deleteDefaultEventingForApplication(appID: $sid) { defaultURL }".into()),
        (&victim.apps, Credentials, "requestOneTimeTokenForApplication(id: $id) { token connectorURL }".into()),
        (&victim.apps, Credentials, "requestClientCredentialsForApplication(id: $id) { id }".into()),
        (&victim.webhooks, Write, format!("updateWebhook(webhookID: $id, in: {hook}) {{ id url }}")),
        (&victim.webhooks, Delete, "deleteWebhook(webhookID: $id) { id url }".into()),
        (&victim.apis, Write, "updateAPIDefinition(id: $id, in: {name: $name, targetURL: \"https://atk.example.com/api\"}) { id }".into()),
        (&victim.apis, Write, "refetchAPISpec(apiID: $id) { data }".into()),
        (&victim.apis, Delete, "deleteAPIDefinition(id: $id) { id name }".into()),
        (&victim.events, Write, "updateEventDefinition(id: $id, in: {name: $name, description: \"pwned\"}) { id }".into()),
        (&victim.events, Write, "refetchEventDefinitionSpec(eventID: $id) { data }".into()),
        (&victim.events, Delete, "deleteEventDefinition(id: $id) { id name }".into()),
        (&victim.documents, Delete, "deleteDocument(id: $id) { id title data }".into()),
        (&victim.runtimes, Write, "updateRuntime(id: $id, in: {name: $name, description: \"pwned\"}) { id }".into()),
        (&victim.runtimes, Write, "setRuntimeLabel(runtimeID: $id, key: \"pwned\", value: \"yes\") { key }".into()),
        (&victim.runtimes, Delete, "unregisterRuntime(id: $id) { id name }".into()),
        (&victim.runtimes, Delete, "deleteRuntimeLabel(runtimeID: $id, key: \"vsecret-region\") { key value }".into()),
        (&victim.runtimes, Credentials, "requestOneTimeTokenForRuntime(id: $id) { token connectorURL }".into()),
        (&victim.runtimes, Credentials, "requestClientCredentialsForRuntime(id: $id) { id }".into()),
        (&victim.auths, Delete, "deleteSystemAuthForRuntime(authID: $id) { id }".into()),
        (&victim.auths, Delete, "deleteSystemAuthForApplication(authID: $id) { id }".into()),
        (&victim.auths, Delete, "deleteSystemAuthForIntegrationSystem(authID: $id) { id }".into()),
        (&victim.label_keys, Delete, "deleteLabelDefinition(key: $sid, deleteRelatedLabels: true) { key schema }".into()),
        (&victim.label_keys, Write, "updateLabelDefinition(in: {key: $sid, schema: \"{\\\"type\\\": \\\"string\\\"}\"}) { key }".into()),
        (&victim.scenarios, Delete, "deleteLabelDefinition(key: $sid) { key }".into()),
        (&victim.scenarios, Write, "updateLabelDefinition(in: {key: $sid}) { key }".into()),
    ];
    let mut attacks = Vec::new();
    for (ids, category, field) in by_kind {
        let (declaration, name) = if field.contains("$sid") {
            ("$sid: String!", "sid")
        } else {
            ("$id: ID!", "id")
        };
        // Updates name the object as it is named, so that only the tenant check stands between
        // the attacker and a change.
        let named = field.contains("$name");
        let declaration = if named {
            format!("{declaration}, $name: String!")
        } else {
            declaration.to_owned()
        };
        let query = format!("mutation ({declaration}) {{ {field} }}");
        for id in ids {
            let mut variables = json!({ name: id });
            if named {
                variables["name"] = json!(victim.name_of[id]);
            }
            attacks.push(attack(category, &query, variables, Expect::Refused));
        }
    }
    attacks
}

/// Mutations taking two ids, with foreign ids in either or both.
fn mixed_mutations(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
    use Category::{Delete, Write};
    let set_auth = "mutation ($a: ID!, $b: ID!) { setAPIAuth(apiID: $a, runtimeID: $b, in: {credential: {basic: {username: \"u\", password: \"p\"}}}) { runtimeID } }";
    let delete_auth = "mutation ($a: ID!, $b: ID!) { deleteAPIAuth(apiID: $a, runtimeID: $b) { runtimeID auth { credential { ... on BasicCredentialData { username password } } } } }";
    let eventing = "mutation ($a: String!, $b: String!) { setDefaultEventingForApplication(appID: $a, runtimeID: $b) { defaultURL } }";
    // Each foreign parent with foreign and own runtimes, and an own parent with foreign ones.
    let pairs = |foreign: &[String], mine: &String| {
        let mut pairs = Vec::new();
        for parent in foreign {
            for runtime in victim.runtimes.iter().chain(&own.runtimes) {
                pairs.push(json!({ "a": parent, "b": runtime }));
            }
        }
        pairs.extend(victim.runtimes.iter().map(|r| json!({ "a": mine, "b": r })));
        pairs
    };
    let mut attacks = Vec::new();
    for variables in pairs(&victim.apis, &own.apis[0]) {
        attacks.push(attack(Write, set_auth, variables.clone(), Expect::Refused));
        attacks.push(attack(Delete, delete_auth, variables, Expect::Refused));
    }
    for variables in pairs(&victim.apps, &own.apps[0]) {
        attacks.push(attack(Write, eventing, variables, Expect::Refused));
    }
    // The victim's application keeps the integration system from going; the refusal must not
    // say which application of which tenant does.
    let unregister = "mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { id } }";
    let variables = json!({ "id": system });
    attacks.push(attack(
        Delete,
        unregister,
        variables,
        Expect::Code("CONFLICT"),
    ));
    attacks
}

/// Every attack, with what each must get with the attacker's own `Tenant` header.
pub fn catalogue(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
    let mut attacks = reads(victim, own, system);
    attacks.extend(filters(system));
    attacks.extend(one_id_mutations(victim));
    attacks.extend(mixed_mutations(victim, own, system));
    attacks
}
