//! The GraphQL attacks: every query and mutation of the Director that takes an id, key or name,
//! called with each of the victim's of the matching kind (reads, nested children, writes,
//! deletes, credentials), with own and foreign ids mixed where an operation takes two, label
//! filters only the victim's objects would match, and the listings, whose answers must hold
//! nothing of the victim's. One catalogue serves every door: with the attacker's own `Tenant`
//! header each attack has its own expected refusal; with a spoofed header every one of them is
//! `TENANT_MISMATCH`. The reading attacks are built in [`reads`], the writing ones in [`writes`].

use compass_tests::graphql::{Graphql, Response};
use serde_json::{Value, json};

use super::{Category, Door, Ledger, setup::Ids};

mod reads;
mod writes;

use reads::{filters, reads};
use writes::{mixed_mutations, one_id_mutations};

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
const GLOBAL_FIELDS: [&str; 8] = [
    "viewer",
    "tenants",
    "integrationSystem",
    "applicationTemplates",
    "healthChecks",
    "requestClientCredentialsForIntegrationSystem",
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

/// Every attack, with what each must get with the attacker's own `Tenant` header.
pub fn catalogue(victim: &Ids, own: &Ids, system: &str) -> Vec<Attack> {
    let mut attacks = reads(victim, own, system);
    attacks.extend(filters(system));
    attacks.extend(one_id_mutations(victim));
    attacks.extend(mixed_mutations(victim, own, system));
    attacks
}
