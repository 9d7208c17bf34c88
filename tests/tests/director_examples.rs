//! Every operation in `examples/graphql/` (runtimes, label definitions, integration systems and
//! the system queries) runs against a fresh `compass up`-like server, in an order that makes each
//! meaningful, with variables taken from earlier answers. A file nobody runs fails the test.

use std::{collections::BTreeSet, path::PathBuf};

use compass_tests::{TestServer, eventually, graphql::Graphql, repo_root};
use serde_json::{Value, json};

const AREAS: [&str; 4] = [
    "runtimes",
    "label-definitions",
    "integration-systems",
    "system",
];

struct Examples {
    client: Graphql,
    root: PathBuf,
    ran: BTreeSet<PathBuf>,
}

impl Examples {
    fn operation(&mut self, file: &str) -> String {
        let path = self.root.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.ran.insert(path);
        text
    }

    /// Runs an example and returns its `result`, failing on errors.
    async fn run(&mut self, file: &str, variables: Value) -> Value {
        let operation = self.operation(file);
        let response = self.client.send(&operation, variables).await;
        assert!(
            response.body.get("errors").is_none(),
            "{file} failed: {}",
            response.body
        );
        response.body["data"]["result"].clone()
    }

    fn all_ran(&self) {
        for area in AREAS {
            for entry in std::fs::read_dir(self.root.join(area)).expect("the directory reads") {
                let path = entry.expect("an entry").path();
                if path.extension().is_some_and(|e| e == "graphql") {
                    assert!(self.ran.contains(&path), "{} was never run", path.display());
                }
            }
        }
    }
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_system_and_runtime_example_runs() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let root: PathBuf = repo_root().join("examples/graphql");
    let mut examples = Examples {
        client: director.api.default_tenant(),
        root,
        ran: BTreeSet::new(),
    };
    let none = json!({});

    let viewer = examples
        .run("system/query-viewer.graphql", none.clone())
        .await;
    assert_eq!(viewer["type"], "USER");
    let tenants = examples
        .run("system/query-tenants.graphql", none.clone())
        .await;
    assert!(
        tenants
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID)
    );
    let health = examples
        .run("system/query-health-checks.graphql", none.clone())
        .await;
    assert_eq!(health["totalCount"], 0);

    let scenarios = examples
        .run(
            "label-definitions/update-scenarios-label-definition.graphql",
            none.clone(),
        )
        .await;
    assert!(scenarios["schema"].as_str().unwrap().contains("Sales EMEA"));
    examples
        .run(
            "label-definitions/create-label-definition.graphql",
            none.clone(),
        )
        .await;
    let definitions = examples
        .run(
            "label-definitions/query-label-definitions.graphql",
            none.clone(),
        )
        .await;
    assert!(
        definitions
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["key"] == "region")
    );
    let definition = examples
        .run(
            "label-definitions/query-label-definition.graphql",
            none.clone(),
        )
        .await;
    assert_eq!(definition["key"], "scenarios");

    let runtime = examples
        .run("runtimes/register-runtime.graphql", none.clone())
        .await;
    let runtime_id = id_of(&runtime);
    let with_id = json!({ "id": runtime_id });
    assert_eq!(
        runtime["eventingConfiguration"]["defaultURL"],
        "https://gateway.edge-eu.example.com"
    );
    let page = examples
        .run("runtimes/query-runtimes.graphql", none.clone())
        .await;
    assert_eq!(page["totalCount"], 1);
    examples
        .run("runtimes/query-runtime.graphql", with_id.clone())
        .await;
    examples
        .run("runtimes/set-runtime-label.graphql", with_id.clone())
        .await;
    examples
        .run("runtimes/delete-runtime-label.graphql", with_id.clone())
        .await;
    let updated = examples
        .run("runtimes/update-runtime.graphql", with_id.clone())
        .await;
    assert_eq!(updated["labels"]["scenarios"], json!(["DEFAULT"]));
    examples
        .run(
            "label-definitions/update-label-definition.graphql",
            none.clone(),
        )
        .await;
    examples
        .run(
            "label-definitions/delete-label-definition.graphql",
            none.clone(),
        )
        .await;

    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {name: edge-eu-agent, namespace: default-tenant}\nspec: {subject: {kind: Runtime, name: edge-eu}}\n",
        &[],
    );
    let client = examples.client.clone();
    let auth_id = eventually("the runtime lists its identity", || async {
        let data = client
            .data(
                "query ($id: ID!) { runtime(id: $id) { auths { id } } }",
                with_id.clone(),
            )
            .await;
        data["runtime"]["auths"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    examples
        .run(
            "system/delete-system-auth-for-runtime.graphql",
            json!({ "authID": auth_id }),
        )
        .await;
    let token = examples
        .run(
            "system/request-one-time-token-for-runtime.graphql",
            with_id.clone(),
        )
        .await;
    assert!(
        token["connectorURL"]
            .as_str()
            .is_some_and(|url| url.ends_with("/connector/graphql")),
        "{token}"
    );
    let gone = examples
        .run("runtimes/unregister-runtime.graphql", with_id)
        .await;
    assert_eq!(gone["name"], "edge-eu");

    let system = examples
        .run(
            "integration-systems/register-integration-system.graphql",
            none.clone(),
        )
        .await;
    let system_id = json!({ "id": id_of(&system) });
    examples
        .run(
            "integration-systems/query-integration-systems.graphql",
            none.clone(),
        )
        .await;
    examples
        .run(
            "integration-systems/query-integration-system.graphql",
            system_id.clone(),
        )
        .await;
    examples
        .run(
            "integration-systems/update-integration-system.graphql",
            system_id.clone(),
        )
        .await;
    examples
        .run(
            "integration-systems/unregister-integration-system.graphql",
            system_id,
        )
        .await;

    examples.all_ran();
    director.stop().await;
}
