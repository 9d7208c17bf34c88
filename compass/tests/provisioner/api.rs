//! The Provisioner API as the original's clients call it: a Gardener configuration refused, an
//! `embedded` provisioning followed to its end while a second operation is refused, the agent
//! made to pair again, an upgrade the provider refuses, and a deprovisioning that leaves the
//! runtime registered; every call audited.

use std::path::PathBuf;

use compass_api::client::DirectorClient;
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID as TENANT;
use serde_json::{Value, json};

use super::{applied_in, compass_up::CompassUp, processes_naming, until};

const PROVISION: &str = "mutation ($id: String!, $config: ProvisionRuntimeInput!) { provisionRuntime(id: $id, config: $config) }";
const RECONNECT: &str = "mutation ($id: String!) { reconnectRuntimeAgent(id: $id) }";
const UPGRADE: &str = "mutation ($id: String!) { upgradeRuntime(id: $id, config: { clusterConfig: { version: \"1.99\" } }) }";
const DEPROVISION: &str = "mutation ($id: String!) { deprovisionRuntime(id: $id) }";
const OPERATION: &str = "query ($id: String!) { runtimeOperationStatus(id: $id) { id operation state message runtimeID } }";
const STATUS: &str = "query ($id: String!) { runtimeStatus(id: $id) { lastOperationStatus { id operation state } runtimeConnectionStatus { status } runtimeConfiguration { clusterConfig { ... on ProviderConfig { provider } ... on GardenerConfig { name } } } } }";

/// A `compass up` with the Director's and the Provisioner's admin clients and the runtime `lab`.
struct Session {
    management: CompassUp,
    data_dir: tempfile::TempDir,
    tokio: tokio::runtime::Runtime,
    director: DirectorClient,
    provisioner: DirectorClient,
    /// The id of the runtime `lab`.
    lab: String,
}

impl Session {
    /// Starts `compass up`, registers the application `shop` and the runtime `lab`.
    fn start() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let management = CompassUp::start(data_dir.path(), &[]);
        let tokio = tokio::runtime::Runtime::new().unwrap();
        let token = std::fs::read_to_string(data_dir.path().join("admin-token")).unwrap();
        let ca = std::fs::read_to_string(data_dir.path().join("ca.crt")).unwrap();
        let client = |url: &str| {
            let client = DirectorClient::new(url, &ca, token.trim()).unwrap();
            client.tenant(TENANT)
        };
        let director = client(&management.director_url());
        let provisioner = client(&format!("{}/provisioner/graphql", management.api_url()));
        let mut session = Self {
            management,
            data_dir,
            tokio,
            director,
            provisioner,
            lab: String::new(),
        };
        let register = "mutation { registerApplication(in: { name: \"shop\" }) { id } }";
        until("the default tenant is Ready and takes the shop", || {
            let body = session.answer(&session.director, register, json!({}));
            body.get("errors").is_none().then_some(())
        });
        let lab = "mutation { registerRuntime(in: { name: \"lab\" }) { id } }";
        let lab = session.data(&session.director, lab, json!({}));
        session.lab = lab["registerRuntime"]["id"].as_str().unwrap().to_owned();
        session
    }

    /// Runs `query` with `variables` and returns the whole answer (data and errors).
    fn answer(&self, client: &DirectorClient, query: &str, variables: Value) -> Value {
        let answer = self.tokio.block_on(client.execute(query, variables));
        answer.unwrap().body
    }

    /// Runs `query` and returns its data, failing on any error.
    fn data(&self, client: &DirectorClient, query: &str, variables: Value) -> Value {
        let body = self.answer(client, query, variables);
        assert!(body.get("errors").is_none(), "{query}: {body}");
        body["data"].clone()
    }

    /// Asks the Provisioner for `mutation` on `lab`, with `config` when given; the operation id.
    fn ask(&self, mutation: &str, field: &str, config: Option<Value>) -> String {
        let mut variables = json!({ "id": self.lab });
        if let Some(config) = config {
            variables["config"] = config;
        }
        let asked = self.data(&self.provisioner, mutation, variables);
        asked[field].as_str().unwrap().to_owned()
    }

    /// Operation `id` as `runtimeOperationStatus` answers.
    fn operation(&self, id: &str) -> Value {
        let found = self.data(&self.provisioner, OPERATION, json!({ "id": id }));
        found["runtimeOperationStatus"].clone()
    }

    /// Operation `id` once it succeeded or failed.
    fn settled(&self, id: &str) -> Value {
        until("the operation ends", || {
            let op = self.operation(id);
            matches!(op["state"].as_str(), Some("Succeeded" | "Failed")).then_some(op)
        })
    }

    /// The directory of `lab`'s embedded runtime.
    fn runtime_dir(&self) -> PathBuf {
        self.data_dir.path().join("runtimes/default-tenant/lab")
    }
}

#[test]
fn the_provisioner_api_provisions_reconnects_upgrades_and_deprovisions() {
    let session = Session::start();
    gardener_is_refused_naming_the_providers(&session);
    provision_while_a_second_operation_is_refused(&session);
    reconnect_pairs_again_with_a_token_of_its_own(&session);
    an_upgrade_the_provider_cannot_make_fails_saying_why(&session);
    deprovision_keeps_the_runtime_registered(&session);
    let audit = std::fs::read_to_string(session.data_dir.path().join("audit.log"));
    let audit = audit.unwrap_or_default();
    assert!(
        audit.contains("\"provisioner\"") && audit.contains("provisionRuntime"),
        "every call is audited under the Provisioner's name: {audit}"
    );
}

fn gardener_is_refused_naming_the_providers(session: &Session) {
    let gardener = json!({
        "clusterConfig": { "gardenerConfig": { "name": "lab", "nodeCount": 3, "providerSpecificConfig": { "gcpConfig": { "zone": "a" } } } },
        "credentials": { "secretName": "gardener" },
        "kymaConfig": { "version": "1.9", "modules": ["Backup"] },
    });
    let variables = json!({ "id": session.lab, "config": gardener });
    let refused = session.answer(&session.provisioner, PROVISION, variables);
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("config.clusterConfig.gardenerConfig")
            && message.contains("embedded, kubeconfig, cluster-api"),
        "{refused}"
    );
}

fn provision_while_a_second_operation_is_refused(session: &Session) {
    // As the original's clients send it, credentials and Kyma configuration included.
    let config = json!({
        "clusterConfig": { "providerConfig": { "provider": "embedded" } },
        "credentials": { "secretName": "unused" },
        "kymaConfig": { "version": "1.9" },
    });
    let provisioning = session.ask(PROVISION, "provisionRuntime", Some(config));
    let early = session.operation(&provisioning);
    assert_eq!(early["operation"], "Provision", "{early}");
    assert_eq!(early["runtimeID"], session.lab.as_str(), "{early}");
    let state = early["state"].as_str();
    assert!(matches!(state, Some("Pending" | "InProgress")), "{early}");

    let variables = json!({ "id": session.lab });
    let busy = session.answer(&session.provisioner, RECONNECT, variables);
    let error = &busy["errors"][0];
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{busy}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(&provisioning), "{busy}");

    let done = session.settled(&provisioning);
    assert_eq!(done["state"], "Succeeded", "{done}");
    let now = session.data(&session.provisioner, STATUS, json!({ "id": session.lab }));
    let now = &now["runtimeStatus"];
    assert_eq!(
        now["lastOperationStatus"]["id"],
        provisioning.as_str(),
        "{now}"
    );
    assert_eq!(
        now["runtimeConnectionStatus"]["status"], "Connected",
        "{now}"
    );
    let cluster = &now["runtimeConfiguration"]["clusterConfig"];
    assert_eq!(cluster["provider"], "embedded", "{now}");
    let kubeconfig = session.runtime_dir().join("cluster/kubeconfig");
    until("the shop is applied in the provisioned runtime", || {
        applied_in(&kubeconfig).contains("shop").then_some(())
    });
}

fn reconnect_pairs_again_with_a_token_of_its_own(session: &Session) {
    let reconnecting = session.ask(RECONNECT, "reconnectRuntimeAgent", None);
    let done = session.settled(&reconnecting);
    assert_eq!(done["operation"], "ReconnectRuntime", "{done}");
    assert_eq!(done["state"], "Succeeded", "{done}");
    let get = ["get", "systemauths", "-n", "default-tenant", "-o", "json"];
    let auths: Value = serde_json::from_str(&session.management.kubectl_ok(&get)).unwrap();
    let redeemed = auths["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|auth| auth["spec"]["subject"]["name"] == "lab")
        .flat_map(|auth| {
            let tokens = auth["status"]["oneTimeTokens"].as_array();
            tokens.cloned().unwrap_or_default()
        })
        .filter(|token| token["purpose"] == "Pairing" && token["used"] == true)
        .count();
    assert_eq!(
        redeemed, 2,
        "the agent paired twice, each time with a token of its own: {auths}"
    );
}

/// The embedded provider runs this build's control plane, whose version cannot be chosen.
fn an_upgrade_the_provider_cannot_make_fails_saying_why(session: &Session) {
    let upgrading = session.ask(UPGRADE, "upgradeRuntime", None);
    let done = session.settled(&upgrading);
    assert_eq!(done["state"], "Failed", "{done}");
    let message = done["message"].as_str().unwrap_or_default();
    assert!(message.contains("cannot change"), "{done}");
}

/// The runtime's processes and data go; the runtime stays registered, with nothing left to
/// deprovision.
fn deprovision_keeps_the_runtime_registered(session: &Session) {
    let deprovisioning = session.ask(DEPROVISION, "deprovisionRuntime", None);
    let done = session.settled(&deprovisioning);
    assert_eq!(done["operation"], "Deprovision", "{done}");
    assert_eq!(done["state"], "Succeeded", "{done}");
    let runtime_dir = session.runtime_dir();
    assert!(processes_naming(&runtime_dir).is_empty());
    assert!(!runtime_dir.exists(), "its data is removed");
    let runtime = "query ($id: ID!) { runtime(id: $id) { name } }";
    let still = session.data(&session.director, runtime, json!({ "id": session.lab }));
    assert_eq!(still["runtime"]["name"], "lab", "{still}");
    let variables = json!({ "id": session.lab });
    let again = session.answer(&session.provisioner, DEPROVISION, variables);
    let code = &again["errors"][0]["extensions"]["code"];
    assert_eq!(code, "INVALID_INPUT", "{again}");
}
