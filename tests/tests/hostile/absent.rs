//! Another tenant's objects read by id, key or name answer exactly as objects that never existed:
//! the same status and the same body, with only the asked-for id differing. Refused or empty is
//! not enough, since an answer that differs tells the attacker the object exists.

use serde_json::{Value, json};

use super::{Category, Door, Ledger, setup::World};
use compass_tests::graphql::Response;

/// An id no tenant has; ids are UUIDs.
const NEVER_EXISTED_ID: &str = "0d1e2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
/// A label key and a scenario no tenant has.
const NEVER_EXISTED_NAME: &str = "never-defined-anywhere";

/// One read by a name: the operation, and the variable that carries the foreign or unknown name.
struct Probe {
    /// The operation.
    query: String,
    /// The variable that carries the name asked for.
    variable: &'static str,
    /// The other variables (the attacker's own application, for its children).
    fixed: Value,
}

impl Probe {
    fn new(query: &str, variable: &'static str, fixed: Value) -> Self {
        Self {
            query: query.to_owned(),
            variable,
            fixed,
        }
    }

    /// The answer to this read of `name`, with `name` replaced by a placeholder.
    async fn answer(&self, world: &World, name: &str) -> (u16, String) {
        let mut variables = self.fixed.clone();
        variables[self.variable] = json!(name);
        let Response { status, body } = world.attacker.send(&self.query, variables).await;
        (status, body.to_string().replace(name, "<asked>"))
    }
}

/// Asks every read of the catalogue for each of the victim's ids (or keys, or scenarios) and for
/// one that never existed, and fails the test when the two answers differ.
pub async fn answers_as_if_absent(ledger: &mut Ledger, world: &World) {
    let own_app = json!(world.own.apps[0]);
    let victim = &world.victim;
    let by_id = [
        (
            Probe::new(
                "query ($id: ID!) { application(id: $id) { id name } }",
                "id",
                json!({}),
            ),
            victim.all_ids(),
        ),
        (
            Probe::new(
                "query ($id: ID!) { runtime(id: $id) { id name } }",
                "id",
                json!({}),
            ),
            victim.all_ids(),
        ),
        (
            Probe::new(
                "query ($app: ID!, $id: ID!) { application(id: $app) { apiDefinition(id: $id) { id name } } }",
                "id",
                json!({ "app": own_app }),
            ),
            victim.apis.clone(),
        ),
        (
            Probe::new(
                "query ($app: ID!, $id: ID!) { application(id: $app) { eventDefinition(id: $id) { id name } } }",
                "id",
                json!({ "app": own_app }),
            ),
            victim.events.clone(),
        ),
        // Documents have no read by id in the Director; the one operation taking a document's id
        // is this, which must refuse a foreign document as it refuses an unknown one.
        (
            Probe::new(
                "mutation ($id: ID!) { deleteDocument(id: $id) { id } }",
                "id",
                json!({}),
            ),
            victim.documents.clone(),
        ),
    ];
    let scenario_filter = |kind: &str| {
        format!(
            "query ($f: String!) {{ {kind}(filter: [{{ key: \"scenarios\", query: $f }}]) {{ totalCount data {{ id }} }} }}"
        )
    };
    let by_name = [
        (
            Probe::new(
                "query ($key: String!) { labelDefinition(key: $key) { key schema } }",
                "key",
                json!({}),
            ),
            victim
                .label_keys
                .iter()
                .chain(&victim.scenarios)
                .cloned()
                .collect::<Vec<_>>(),
        ),
        (
            Probe::new(&scenario_filter("applications"), "f", json!({})),
            victim.scenarios.iter().map(|s| scenario_query(s)).collect(),
        ),
        (
            Probe::new(&scenario_filter("runtimes"), "f", json!({})),
            victim.scenarios.iter().map(|s| scenario_query(s)).collect(),
        ),
    ];
    let mut compared = 0;
    for (probes, unknown) in [
        (by_id.as_slice(), NEVER_EXISTED_ID.to_owned()),
        (by_name.as_slice(), NEVER_EXISTED_NAME.to_owned()),
    ] {
        for (probe, foreign) in probes {
            assert!(
                !foreign.is_empty(),
                "the victim has something to ask for: {}",
                probe.query
            );
            for name in foreign {
                let expected = probe.answer(world, &unknown_like(name, &unknown)).await;
                let answer = probe.answer(world, name).await;
                assert_eq!(
                    answer, expected,
                    "the victim's {name} answers unlike an unknown one to {}",
                    probe.query
                );
                ledger.record(Door::Graphql, Category::Read);
                compared += 1;
            }
        }
    }
    assert!(compared >= 20, "only {compared} comparisons");
}

/// The scenario filter matching `scenario`.
fn scenario_query(scenario: &str) -> String {
    format!("$[*] ? (@ == \"{scenario}\")")
}

/// What to ask instead of `foreign` to get the answer for something that never existed: the
/// unknown id or key, or, for a scenario filter, the filter of an unknown scenario.
fn unknown_like(foreign: &str, unknown: &str) -> String {
    if foreign.starts_with("$[*]") {
        scenario_query(unknown)
    } else {
        unknown.to_owned()
    }
}
