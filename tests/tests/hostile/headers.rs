//! The `Tenant` header, spoofed: the attacker's token with the victim's external id (every
//! attack of the catalogue, through the product's client), and through hand-written HTTP requests
//! the victim's internal id, namespace and Tenant name, case and whitespace variants, lists, two
//! headers, an empty one, and batches. Hand-written because an HTTP client would not send two
//! `Tenant` headers or keep a value's odd spacing.

use compass_tests::{graphql::Graphql, raw_https::RawHttps};
use serde_json::Value;

use super::{
    Category, Door, Ledger,
    graphql::{Attack, Expect, check, run},
    setup::{ATTACKER_EXT, ATTACKER_TOKEN, VICTIM_EXT, VICTIM_NS},
};

/// A header line as sent: its name, then its value as it is.
type Header = (&'static str, String);

/// POSTs `body` as the attacker (its bearer token) with exactly the extra `headers`; returns
/// the status, the JSON body and the request as the ledger shows it (header lines, then body).
async fn post(raw: &RawHttps, headers: &[Header], body: &str) -> (u16, Value, String) {
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let answer = raw.post_as(ATTACKER_TOKEN, &pairs, body).await;
    let request = format!("{}\n{body}", lines(headers).join("\n"));
    (answer.status, answer.body, request)
}

/// The header lines of `headers`, as sent.
fn lines(headers: &[Header]) -> Vec<String> {
    headers.iter().map(|(n, v)| format!("{n}: {v}")).collect()
}

/// How a header variant must be answered.
#[derive(Clone, Copy)]
enum Outcome {
    /// `TENANT_MISMATCH`, whatever the operation.
    Mismatch,
    /// As without a header: `TENANT_REQUIRED` for operations in a tenant.
    NoTenant,
    /// As with the attacker's own header alone: the other header does not count.
    Own,
}

/// Header lines sent instead of the attacker's own `Tenant` header, each with how it must be
/// answered. Of two `Tenant` headers the Gateway reads the first, and checks that one: the
/// victim's first is a mismatch, the attacker's first leaves the victim's unread.
fn variants(internal_id: &str) -> Vec<(Vec<Header>, Outcome)> {
    let one = |value: &str| vec![("Tenant", value.to_owned())];
    vec![
        (one(internal_id), Outcome::Mismatch),
        (one(VICTIM_NS), Outcome::Mismatch),
        (one("victim"), Outcome::Mismatch),
        (one(&VICTIM_EXT.to_uppercase()), Outcome::Mismatch),
        (one(&format!("  {VICTIM_EXT}  ")), Outcome::Mismatch),
        (one(&format!("\t{VICTIM_EXT}")), Outcome::Mismatch),
        (vec![("TENANT", VICTIM_EXT.to_owned())], Outcome::Mismatch),
        (
            one(&format!("{ATTACKER_EXT},{VICTIM_EXT}")),
            Outcome::Mismatch,
        ),
        (
            one(&format!("{VICTIM_EXT}, {ATTACKER_EXT}")),
            Outcome::Mismatch,
        ),
        (
            one(&format!("{ATTACKER_EXT} {VICTIM_EXT}")),
            Outcome::Mismatch,
        ),
        (
            vec![
                ("Tenant", VICTIM_EXT.to_owned()),
                ("Tenant", ATTACKER_EXT.to_owned()),
            ],
            Outcome::Mismatch,
        ),
        (
            vec![
                ("Tenant", ATTACKER_EXT.to_owned()),
                ("tenant", VICTIM_EXT.to_owned()),
            ],
            Outcome::Own,
        ),
        (
            vec![
                ("Tenant", ATTACKER_EXT.to_owned()),
                ("X-Tenant", VICTIM_EXT.to_owned()),
            ],
            Outcome::Own,
        ),
        (one(""), Outcome::NoTenant),
        (
            vec![("X-Tenant-Id", VICTIM_EXT.to_owned())],
            Outcome::NoTenant,
        ),
    ]
}

fn expected(attack: &Attack, outcome: Outcome) -> Expect {
    match outcome {
        Outcome::Mismatch => Expect::Code("TENANT_MISMATCH"),
        Outcome::NoTenant if attack.scoped() => Expect::Code("TENANT_REQUIRED"),
        Outcome::NoTenant | Outcome::Own => attack.expect,
    }
}

/// Every attack of the catalogue with the victim's external id as the header, and without a
/// header at all; `admin` is the Director's client without a tenant.
pub async fn whole_catalogue(ledger: &mut Ledger, admin: &Graphql, attacks: &[Attack]) {
    let headless = admin.with_token(ATTACKER_TOKEN);
    let spoofed = headless.tenant(VICTIM_EXT);
    for attack in attacks {
        let header = format!("Tenant: {VICTIM_EXT}");
        run(
            ledger,
            Door::Header,
            &spoofed,
            &header,
            attack,
            Expect::Code("TENANT_MISMATCH"),
        )
        .await;
    }
    for attack in attacks {
        let expect = expected(attack, Outcome::NoTenant);
        run(ledger, Door::Header, &headless, "", attack, expect).await;
    }
}

/// One attack of each kind with every header variant, and batches of attacks.
pub async fn variants_by_hand(
    ledger: &mut Ledger,
    raw: &RawHttps,
    attacks: &[Attack],
    internal_id: &str,
) {
    // The first attack of each category, and two that mix own and foreign ids.
    let mut sample: Vec<&Attack> = Vec::new();
    for attack in attacks {
        if !sample.iter().any(|s| s.category == attack.category) {
            sample.push(attack);
        }
    }
    for field in ["setAPIAuth", "setDefaultEventingForApplication"] {
        sample.extend(attacks.iter().find(|a| a.query.contains(field)));
    }
    for (headers, outcome) in variants(internal_id) {
        for attack in &sample {
            let body = attack.body();
            let (status, answer, request) = post(raw, &headers, &body).await;
            let what = format!("{:?} {}", lines(&headers), attack.query);
            check(
                ledger,
                &what,
                &request,
                status,
                &answer,
                expected(attack, outcome),
            );
            ledger.record(Door::Header, Category::Spoof);
        }
    }
    // A batch is answered operation by operation, each in the caller's own tenant; with the
    // victim's header it is refused as a whole.
    let batch: Vec<Value> = sample
        .iter()
        .map(|a| serde_json::from_str(&a.body()).unwrap())
        .collect();
    let body = Value::Array(batch).to_string();
    let own = [("Tenant", ATTACKER_EXT.to_owned())];
    let (status, answer, request) = post(raw, &own, &body).await;
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), sample.len(), "{answer}");
    for (attack, one) in sample.iter().zip(answers) {
        let what = format!("batched {}", attack.query);
        check(ledger, &what, &request, status, one, attack.expect);
        ledger.record(Door::Graphql, attack.category);
    }
    let spoofed = [("Tenant", VICTIM_EXT.to_owned())];
    let (status, answer, request) = post(raw, &spoofed, &body).await;
    let mismatch = Expect::Code("TENANT_MISMATCH");
    check(
        ledger,
        "a spoofed batch",
        &request,
        status,
        &answer,
        mismatch,
    );
    ledger.record(Door::Header, Category::Spoof);
}
