//! The Connector's GraphQL API, the original's external schema exactly: `configuration` hands out
//! a token for one CSR, the subject the CSR must carry and where the management plane is;
//! `signCertificateSigningRequest` signs; `revokeCertificate` revokes the certificate the call
//! was made with. A one-time token opens it once; a certificate it issued opens it for renewal.

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Object, Schema, SimpleObject};
use base64::Engine;
use compass_crds::{SubjectKind, SystemAuth, TokenPurpose};

use super::{Connector, PublicUrl, certificates, tokens};
use crate::{
    errors::{ApiResult, Code, error},
    gateway::{Refusal, certificates::CertificateIdentity},
    metrics::CertificateEvent,
    state::Caches,
};

/// The Connector's schema.
pub type ConnectorSchema = Schema<ConnectorQuery, ConnectorMutation, EmptySubscription>;

/// What a Connector request presented.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A one-time token (`Connector-Token` header or `?token=`), not yet redeemed.
    Token(String),
    /// A certificate the Connector issued, checked against its identity.
    Certificate(CertificateIdentity),
    /// Nothing usable: why.
    Refused(Refusal),
}

/// The token for the next step.
#[derive(SimpleObject)]
pub struct Token {
    /// The token.
    pub token: String,
}

/// What a certificate signing request must hold.
#[derive(SimpleObject)]
pub struct CertificateSigningRequestInfo {
    /// The subject, `O=…,OU=…,L=…,ST=…,C=…,CN=<client id>`.
    pub subject: String,
    /// The key algorithm to use (`rsa2048`; ECDSA P-256 and RSA 4096 are accepted too).
    pub key_algorithm: String,
}

/// Where the management plane answers.
#[derive(SimpleObject)]
pub struct ManagementPlaneInfo {
    /// The Director's URL.
    #[graphql(name = "directorURL")]
    pub director_url: Option<String>,
    /// The Connector's URL for calls with the client certificate (renewal, revocation).
    #[graphql(name = "certificateSecuredConnectorURL")]
    pub certificate_secured_connector_url: Option<String>,
}

/// What `configuration` answers.
#[derive(SimpleObject)]
pub struct Configuration {
    /// A token for one certificate signing request.
    pub token: Option<Token>,
    /// What the request must hold.
    pub certificate_signing_request_info: Option<CertificateSigningRequestInfo>,
    /// Where the management plane answers.
    pub management_plane_info: Option<ManagementPlaneInfo>,
}

/// A signed certificate: each field base64 of PEM.
#[derive(SimpleObject)]
pub struct CertificationResult {
    /// The client certificate followed by the CA certificate.
    pub certificate_chain: String,
    /// The CA certificate.
    pub ca_certificate: String,
    /// The client certificate.
    pub client_certificate: String,
}

/// The Connector's queries.
#[derive(Default)]
pub struct ConnectorQuery;

#[Object(name = "Query")]
impl ConnectorQuery {
    /// Returns configuration information like the subject that should be placed in the
    /// signing request, and the Director's URL.
    async fn configuration(&self, ctx: &Context<'_>) -> ApiResult<Configuration> {
        let (connector, caches) = (connector(ctx), caches(ctx));
        let auth = match credential(ctx)? {
            Credential::Token(token) => Arc::new(
                tokens::redeem(
                    &connector.client,
                    caches,
                    token,
                    TokenPurpose::Pairing,
                    &connector.metrics,
                )
                .await?,
            ),
            Credential::Certificate(identity) => identity.auth.clone(),
            Credential::Refused(_) => unreachable!("credential() answers refusals as errors"),
        };
        if !takes_certificates(&auth) {
            return Err(certificates::no_certificates());
        }
        let (namespace, name) = certificates::names(&auth);
        let lifetime = connector.token_lifetimes.certificate_signing;
        let purpose = TokenPurpose::CertificateSigning;
        let client = &connector.client;
        let metrics = &connector.metrics;
        let auths = &caches.system_auths;
        let token =
            tokens::issue_on(client, auths, &namespace, &name, purpose, lifetime, metrics).await?;
        let url = ctx.data::<PublicUrl>()?;
        let client_id = auth.metadata.uid.as_deref().unwrap_or_default();
        Ok(Configuration {
            token: Some(Token { token }),
            certificate_signing_request_info: Some(CertificateSigningRequestInfo {
                subject: connector.subject.subject_for(client_id),
                key_algorithm: "rsa2048".to_owned(),
            }),
            management_plane_info: Some(ManagementPlaneInfo {
                director_url: Some(url.director()),
                certificate_secured_connector_url: Some(url.connector()),
            }),
        })
    }
}

/// The Connector's mutations.
#[derive(Default)]
pub struct ConnectorMutation;

#[Object(name = "Mutation")]
impl ConnectorMutation {
    /// Signs a certificate signing request (base64 of PEM) whose subject is the one
    /// `configuration` returned. With a token from `configuration`, or with the current
    /// certificate to renew it.
    async fn sign_certificate_signing_request(
        &self,
        ctx: &Context<'_>,
        csr: String,
    ) -> ApiResult<CertificationResult> {
        let (connector, caches) = (connector(ctx), caches(ctx));
        // The token is spent only once the CSR has proven good, so a client that got its CSR
        // wrong can correct it with the same token.
        let (auth, token) = match credential(ctx)? {
            Credential::Token(token) => (tokens::holder(caches, token)?, Some(token)),
            Credential::Certificate(identity) => (identity.auth.clone(), None),
            Credential::Refused(_) => unreachable!("credential() answers refusals as errors"),
        };
        let signed = certificates::sign_for(connector, &auth, &csr)?;
        if let Some(token) = token {
            let purpose = TokenPurpose::CertificateSigning;
            let metrics = &connector.metrics;
            let redeemed =
                tokens::redeem(&connector.client, caches, token, purpose, metrics).await?;
            if redeemed.metadata.uid != auth.metadata.uid {
                return Err(error(
                    Code::Unauthenticated,
                    "the one-time token is not valid",
                ));
            }
        }
        certificates::record(connector, caches, &auth, &signed).await?;
        // Signed for a one-time token, a certificate is new; for a certificate, renewed.
        connector.metrics.certificate(match token {
            Some(_) => CertificateEvent::Issued,
            None => CertificateEvent::Renewed,
        });
        let encode = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem);
        let ca = &connector.authority.certificate_pem;
        Ok(CertificationResult {
            certificate_chain: encode(&format!("{}{ca}", signed.certificate_pem)),
            ca_certificate: encode(ca),
            client_certificate: encode(&signed.certificate_pem),
        })
    }

    /// Revokes the certificate the request was made with: every later request with it is
    /// refused.
    async fn revoke_certificate(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let Credential::Certificate(identity) = credential(ctx)? else {
            return Err(error(
                Code::Unauthenticated,
                "revokeCertificate revokes the client certificate the call is made with: call with that certificate",
            ));
        };
        let connector = connector(ctx);
        certificates::revoke(connector, caches(ctx), identity).await?;
        connector.metrics.certificate(CertificateEvent::Revoked);
        Ok(true)
    }
}

/// The Connector's own state.
fn connector<'a>(ctx: &Context<'a>) -> &'a Connector {
    ctx.data_unchecked::<Arc<Connector>>()
}

fn caches<'a>(ctx: &Context<'a>) -> &'a Caches {
    ctx.data_unchecked::<Caches>()
}

/// What the request presented; a refusal is answered as an UNAUTHENTICATED error.
fn credential<'a>(ctx: &Context<'a>) -> ApiResult<&'a Credential> {
    match ctx.data::<Credential>()? {
        Credential::Refused(refusal) => Err(error(Code::Unauthenticated, refusal.message.clone())),
        credential => Ok(credential),
    }
}

/// Whether a SystemAuth identifies an application or a runtime: the consumers the Connector
/// issues certificates to.
pub(super) fn takes_certificates(auth: &SystemAuth) -> bool {
    matches!(
        auth.spec.subject.kind,
        SubjectKind::Application | SubjectKind::Runtime
    )
}

/// The Connector's schema over its state.
pub fn build(connector: Arc<Connector>, caches: Caches) -> ConnectorSchema {
    Schema::build(ConnectorQuery, ConnectorMutation, EmptySubscription)
        .data(connector)
        .data(caches)
        .limit_depth(6)
        .limit_complexity(50)
        .finish()
}

/// The schema in SDL, as committed in `api/connector.graphql`.
pub fn sdl() -> String {
    Schema::build(ConnectorQuery, ConnectorMutation, EmptySubscription)
        .finish()
        .sdl()
}
