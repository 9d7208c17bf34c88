//! The reading attacks: the victim's objects by id, key or name, directly and as children of the
//! attacker's own; label filters only the victim's objects would match; and the listings.

use serde_json::{Value, json};

use super::{Attack, Expect, attack};
use crate::hostile::{Category, setup::Ids};

/// Reads by foreign id, key or name, directly and as children of the attacker's own objects.
pub(super) fn reads(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
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
pub(super) fn filters(system: &str) -> Vec<Attack> {
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
