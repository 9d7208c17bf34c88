//! The Connector for tests: objects registered and one-time tokens requested through the
//! Director as its admin, the product's pairing client (`compass_api::client::pairing`),
//! callers presenting the certificates the Connector issued, over real mutual TLS, and the
//! SystemAuths that record it all, as kubectl shows them.

use compass_api::client::{
    DirectorClient,
    pairing::{self, Identity, Invitation},
};
use compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
use serde_json::{Value, json};

use crate::{TestApi, TestServer, graphql::Graphql};

impl TestServer {
    /// Every SystemAuth of the default tenant, as `kubectl get -o json` prints them.
    pub fn system_auths(&self) -> Value {
        let output = self.kubectl_ok(&[
            "get",
            "systemauths",
            "-n",
            DEFAULT_TENANT_NAMESPACE,
            "-o",
            "json",
        ]);
        serde_json::from_str(&output).expect("kubectl prints JSON")
    }
}

impl TestApi {
    /// Registers an application `name` in the default tenant; its id.
    pub async fn register_application(&self, name: &str) -> String {
        self.register("registerApplication", name).await
    }

    /// Registers a runtime `name` in the default tenant; its id.
    pub async fn register_runtime(&self, name: &str) -> String {
        self.register("registerRuntime", name).await
    }

    /// Registers an object `name` in the default tenant with `mutation` (`register<Kind>`); its
    /// id.
    async fn register(&self, mutation: &str, name: &str) -> String {
        let query =
            format!("mutation ($name: String!) {{ {mutation}(in: {{ name: $name }}) {{ id }} }}");
        let data = self
            .default_tenant()
            .data(&query, json!({ "name": name }))
            .await;
        data[mutation]["id"].as_str().expect("an id").to_owned()
    }

    /// A one-time token for the application `id`, decoded from the `rawEncoded` field the
    /// Director hands out.
    pub async fn application_token(&self, id: &str) -> Invitation {
        self.token("requestOneTimeTokenForApplication", id).await
    }

    /// A one-time token for the runtime `id`.
    pub async fn runtime_token(&self, id: &str) -> Invitation {
        self.token("requestOneTimeTokenForRuntime", id).await
    }

    async fn token(&self, mutation: &str, id: &str) -> Invitation {
        let query = format!("mutation ($id: ID!) {{ {mutation}(id: $id) {{ rawEncoded }} }}");
        let data = self
            .default_tenant()
            .data(&query, json!({ "id": id }))
            .await;
        let raw = data[mutation]["rawEncoded"].as_str().expect("rawEncoded");
        Invitation::decode(raw).expect("rawEncoded decodes")
    }

    /// A client of the Connector presenting nothing (yet): add a `Connector-Token` header.
    pub fn connector(&self) -> DirectorClient {
        DirectorClient::builder(&self.connector_url)
            .trust_pem(&self.ca_pem)
            .build()
            .expect("a Connector client")
    }

    /// A client of the Connector presenting `identity`'s certificate.
    pub fn connector_as(&self, identity: &Identity) -> DirectorClient {
        self.certificate_client(&self.connector_url, identity)
    }

    /// The Director as `identity`: its certificate over mutual TLS, no bearer token.
    pub fn director_as(&self, identity: &Identity) -> Graphql {
        Graphql::from_client(self.certificate_client(&self.url, identity))
    }

    fn certificate_client(&self, url: &str, identity: &Identity) -> DirectorClient {
        DirectorClient::builder(url)
            .trust_pem(&self.ca_pem)
            .certificate(&identity.certificate_chain_pem, &identity.key_pem)
            .build()
            .expect("a client with the certificate")
    }

    /// Pairs with `invitation` through the product's client, with a new P-256 key.
    pub async fn pair(&self, invitation: &Invitation) -> Identity {
        let key = pairing::generate_key().expect("a key");
        pairing::pair(invitation, Some(&self.ca_pem), key)
            .await
            .expect("pairing succeeds")
    }

    /// Registers an application `name`, requests its token and pairs: its id and identity.
    pub async fn paired_application(&self, name: &str) -> (String, Identity) {
        let id = self.register_application(name).await;
        let invitation = self.application_token(&id).await;
        (id, self.pair(&invitation).await)
    }
}
