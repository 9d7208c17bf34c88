//! The writing attacks: every mutation that takes an id, with each of the victim's ids of its
//! kind, and those that take two, with own and foreign ids mixed.

use serde_json::json;

use super::{Attack, Expect, attack};
use crate::hostile::{Category, setup::Ids};

/// Mutations taking one id, each with every victim id of its kind.
pub(super) fn one_id_mutations(victim: &Ids) -> Vec<Attack> {
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
pub(super) fn mixed_mutations(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
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
