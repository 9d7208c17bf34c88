//! Command-line options of the Gateway's token authentication, shared by `compass up` and
//! `compass api`: the lifetime and issuer of OAuth access tokens, and an optional external OIDC
//! identity provider whose users the Gateway accepts.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use clap::Args;
use compass_api::{
    gateway::oidc::{OidcConfig, parse_group_scopes},
    oauth::OAuthConfig,
    scopes::ScopesConfig,
    server::ApiConfig,
};
use compass_cockpit::OidcSignIn;

use super::parse_duration;

/// OAuth access tokens and OIDC users.
#[derive(Debug, Args)]
pub struct OAuthArgs {
    /// How long access tokens of the OAuth token endpoint (`/oauth2/token`) are valid: a number
    /// with a unit, `s`, `m`, `h` or `d`. Deleting a client stops its tokens at once anyway.
    #[arg(long, env = "COMPASS_OAUTH_TOKEN_LIFETIME", default_value = "1h", value_parser = parse_duration)]
    pub oauth_token_lifetime: Duration,

    /// The issuer (`iss`) of access tokens; by default `urn:compass:gateway`. Set it to the
    /// API's public URL for clients that read `/.well-known/oauth-authorization-server`.
    #[arg(long, env = "COMPASS_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,

    /// Issuer of an OpenID Connect provider whose users the Gateway accepts: exactly the `iss`
    /// of its tokens. Needs `--oidc-audience` and `--oidc-jwks-url`.
    #[arg(long, env = "COMPASS_OIDC_ISSUER", requires_all = ["oidc_audience", "oidc_jwks_url"])]
    pub oidc_issuer: Option<String>,

    /// The audience (`aud`) the provider's tokens must name: the client id registered there.
    #[arg(long, env = "COMPASS_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,

    /// HTTPS URL of the provider's JSON Web Key Set (RS256 and ES256 keys).
    #[arg(long, env = "COMPASS_OIDC_JWKS_URL", requires = "oidc_issuer")]
    pub oidc_jwks_url: Option<String>,

    /// CA certificates (PEM) trusted for the JWKS URL instead of the public web PKI.
    #[arg(long, env = "COMPASS_OIDC_CA_FILE", requires = "oidc_issuer")]
    pub oidc_ca_file: Option<PathBuf>,

    /// The claim listing a user's external tenant ids (a string or a list; `*` for every tenant).
    #[arg(long, env = "COMPASS_OIDC_TENANTS_CLAIM", default_value = "tenants")]
    pub oidc_tenants_claim: String,

    /// The claim listing a user's groups (a string or a list).
    #[arg(long, env = "COMPASS_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// YAML file mapping the provider's groups to scopes: `<group>: [<scope>, ...]`. A user
    /// holds the scopes of all its groups; without the file, none.
    #[arg(long, env = "COMPASS_OIDC_GROUP_SCOPES_FILE", requires = "oidc_issuer")]
    pub oidc_group_scopes_file: Option<PathBuf>,

    /// The least time between two fetches of the provider's keys (they are fetched again when a
    /// token names an unknown key, and hourly).
    #[arg(long, env = "COMPASS_OIDC_JWKS_REFRESH_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub oidc_jwks_refresh_interval: Duration,

    /// The provider's authorization endpoint: with `--oidc-token-url`, the Cockpit signs users
    /// in there (authorization code with PKCE, as the public client `--oidc-audience`).
    #[arg(long, env = "COMPASS_OIDC_AUTHORIZATION_URL", requires_all = ["oidc_issuer", "oidc_token_url"])]
    pub oidc_authorization_url: Option<String>,

    /// The provider's token endpoint, called from the browser (it must allow the Cockpit's
    /// origin, CORS).
    #[arg(
        long,
        env = "COMPASS_OIDC_TOKEN_URL",
        requires = "oidc_authorization_url"
    )]
    pub oidc_token_url: Option<String>,

    /// The scopes the Cockpit asks the provider for.
    #[arg(long, env = "COMPASS_OIDC_SCOPE", default_value = "openid")]
    pub oidc_scope: String,
}

impl OAuthArgs {
    /// Puts these settings into `config`, whose scopes configuration the OIDC groups' scopes
    /// are checked against.
    pub fn apply(&self, config: &mut ApiConfig) -> Result<(), String> {
        config.oauth = self.oauth();
        config.oidc = self.oidc(&config.scopes)?;
        config.cockpit.oidc = self.cockpit_sign_in();
        Ok(())
    }

    /// The Cockpit's OIDC sign-in, where the provider's endpoints are given.
    pub fn cockpit_sign_in(&self) -> Option<OidcSignIn> {
        let (Some(authorization_url), Some(token_url), Some(client_id)) = (
            self.oidc_authorization_url.clone(),
            self.oidc_token_url.clone(),
            self.oidc_audience.clone(),
        ) else {
            return None;
        };
        Some(OidcSignIn {
            authorization_url,
            token_url,
            client_id,
            scope: self.oidc_scope.clone(),
        })
    }

    /// The OAuth configuration these options give.
    pub fn oauth(&self) -> OAuthConfig {
        OAuthConfig {
            issuer: self.oauth_issuer.clone(),
            token_lifetime: self.oauth_token_lifetime,
            ..OAuthConfig::default()
        }
    }

    /// The OIDC provider these options name, if any; its group scopes must be scopes `scopes`
    /// knows.
    pub fn oidc(&self, scopes: &ScopesConfig) -> Result<Option<OidcConfig>, String> {
        let (Some(issuer), Some(audience), Some(jwks_url)) = (
            self.oidc_issuer.clone(),
            self.oidc_audience.clone(),
            self.oidc_jwks_url.clone(),
        ) else {
            return Ok(None);
        };
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| format!("reading {} failed: {e}", path.display()))
        };
        let ca_pem = self.oidc_ca_file.as_deref().map(read).transpose()?;
        let group_scopes = match &self.oidc_group_scopes_file {
            Some(path) => parse_group_scopes(&read(path)?, scopes)
                .map_err(|e| format!("{}: {e}", path.display()))?,
            None => BTreeMap::new(),
        };
        Ok(Some(OidcConfig {
            issuer,
            audience,
            jwks_url,
            ca_pem,
            tenants_claim: self.oidc_tenants_claim.clone(),
            groups_claim: self.oidc_groups_claim.clone(),
            group_scopes,
            refresh_interval: self.oidc_jwks_refresh_interval,
        }))
    }
}
