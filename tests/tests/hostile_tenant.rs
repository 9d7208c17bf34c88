//! The hostile-tenant suite: with credentials limited to its own tenant, an attacker tries
//! hundreds of cross-tenant requests through GraphQL (reads, writes, deletes by id, filters,
//! foreign ids in every argument that takes one, a spoofed `Tenant` header) and through the
//! Kubernetes API (`kubectl` and hand-made requests); every one is refused, none answers with
//! anything of the victim's, a read of a victim's object by id answers exactly as a read of an
//! absent one, and both tenants' data is byte-identical afterwards.

use crate::hostile;

use std::time::Instant;

use serde_json::json;

use hostile::{
    Door, Ledger, absent, deputy, graphql, headers, kube_raw, kubectl,
    setup::{self, VICTIM_EXT, VICTIM_NS, World},
    snapshot,
};

/// The attacker's credentials work in its own tenant, so that every refusal below is about the
/// victim and not a broken credential.
async fn attacker_works_in_its_own_tenant(world: &World) {
    let own = world
        .attacker
        .data(
            "{ applications { data { name } } tenants { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["applications"]["data"],
        json!([{ "name": "atk-orders" }])
    );
    assert_eq!(own["tenants"], json!([{ "id": setup::ATTACKER_EXT }]));
    for user in [&world.editor, &world.viewer] {
        let listed = world
            .server
            .kubectl_as_ok(user, &["get", "applications", "-o", "name"]);
        assert_eq!(listed, "application.compass.kyma-project.io/atk-orders\n");
    }
    assert!(world.server.can_i(
        &world.editor,
        &["create", "applications.compass.kyma-project.io"]
    ));
}

/// The victim's admin reading its own data, through either door, trips the leak check: the check
/// would see a leak to the attacker.
async fn the_victims_own_view_trips_the_leak_check(world: &World, ledger: &Ledger) {
    use base64::Engine as _;
    let admin = world.director.api.admin.tenant(VICTIM_EXT);
    let query = "{ applications { data { id name labels apiDefinitions { data { id defaultAuth { credential { ... on BasicCredentialData { password } } } } } } } }";
    let answer = admin.data(query, json!({})).await.to_string();
    let seen = ledger.leaked(query, &answer);
    for expected in ["vsecret-orders", "vsecret-api-pass", &world.victim.apis[0]] {
        assert!(seen.contains(&expected), "{expected} not seen in {answer}");
    }
    let args = ["get", "secrets,applications", "-n", VICTIM_NS, "-o", "yaml"];
    let shown = world.server.kubectl_ok(&args);
    let granted = base64::engine::general_purpose::STANDARD.encode("vsecret-granted-pass");
    let seen = ledger.leaked(&args.join(" "), &shown);
    assert!(
        seen.contains(&granted.as_str()),
        "{granted} not seen in {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_limited_attacker_is_refused_everywhere_and_changes_nothing() {
    let started = Instant::now();
    let world = setup::world().await;
    attacker_works_in_its_own_tenant(&world).await;
    let before = snapshot::settled(&world.server, true).await;
    let mut ledger = Ledger::new(hostile::victim_markers(&world, &before));
    the_victims_own_view_trips_the_leak_check(&world, &ledger).await;
    let attacks = graphql::catalogue(&world.victim, &world.own, &world.integration_system);
    let own_header = format!("Tenant: {}", setup::ATTACKER_EXT);
    for attack in &attacks {
        graphql::run(
            &mut ledger,
            Door::Graphql,
            &world.attacker,
            &own_header,
            attack,
            attack.expect,
        )
        .await;
    }
    headers::whole_catalogue(&mut ledger, &world.director.api.admin, &attacks).await;
    let raw = compass_tests::raw_https::RawHttps::new(
        &world.director.api.url,
        &world.server.control_plane.ca_pem,
    );
    headers::variants_by_hand(&mut ledger, &raw, &attacks, &world.victim_internal_id).await;
    kubectl::attack(&mut ledger, &world).await;
    kube_raw::attack(&mut ledger, &world).await;
    absent::answers_as_if_absent(&mut ledger, &world).await;

    let after = snapshot::settled(&world.server, true).await;
    let changed = snapshot::differences(&before, &after);
    assert!(
        changed.is_empty(),
        "the attacks changed:\n{}",
        changed.join("\n")
    );

    // Objects the attacker may write in its own namespace, naming the victim's.
    deputy::confuse(&mut ledger, &world, &before).await;
    let later = snapshot::settled(&world.server, false).await;
    let own_changes = snapshot::differences(&after, &later);
    assert!(
        !own_changes.is_empty(),
        "the snapshots see the attacker's own writes"
    );
    let changed = snapshot::differences(
        &snapshot::outside(&after, setup::ATTACKER_NS),
        &snapshot::outside(&later, setup::ATTACKER_NS),
    );
    assert!(
        changed.is_empty(),
        "the attacker's objects changed:\n{}",
        changed.join("\n")
    );
    let attempts = ledger.attempts();
    eprintln!(
        "{attempts} cross-tenant attempts, all refused or answered with nothing of the victim's; the suite took {:?}:\n{}",
        started.elapsed(),
        ledger.report()
    );
    assert!(attempts >= 200, "only {attempts} attempts");
    world.director.stop().await;
    world.server.stop().await;
}
