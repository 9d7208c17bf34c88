//! The Connector for tests: objects registered and one-time tokens requested through the
//! Director as its admin, the product's pairing client (`compass_api::client::pairing`), and
//! callers presenting the certificates the Connector issued, over real mutual TLS.

use compass_api::client::{
    DirectorClient,
    pairing::{self, Identity, Invitation},
};
use serde_json::json;

use crate::{TestApi, graphql::Graphql};

impl TestApi {
    /// Registers an application `name` in the default tenant; its id.
    pub async fn register_application(&self, name: &str) -> String {
        let data = self
            .default_tenant()
            .data(
                "mutation ($name: String!) { registerApplication(in: { name: $name }) { id } }",
                json!({ "name": name }),
            )
            .await;
        data["registerApplication"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// Registers a runtime `name` in the default tenant; its id.
    pub async fn register_runtime(&self, name: &str) -> String {
        let data = self
            .default_tenant()
            .data(
                "mutation ($name: String!) { registerRuntime(in: { name: $name }) { id } }",
                json!({ "name": name }),
            )
            .await;
        data["registerRuntime"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
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
