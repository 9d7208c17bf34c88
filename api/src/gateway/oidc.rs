//! Users of an external OpenID Connect identity provider: a bearer JWT of the configured issuer
//! for the configured audience, signed RS256 or ES256 by a key of the provider's JWKS, is a user
//! with the tenants of its tenants claim and the scopes its groups map to. The JWKS is fetched
//! over HTTPS (bounded in time and size), kept, and fetched again when a token names an unknown
//! key or the copy is old, at most once per refresh interval.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use compass_apiserver::jwk::{Unverified, VerifyingKey};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::{Caller, ConsumerKind, Refusal, TenantAccess};

mod jwks;

/// How far the provider's clock may differ from ours.
const CLOCK_SKEW_SECONDS: i64 = 60;
/// How old a copy of the JWKS may grow before a token makes it be fetched again.
const MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Where an OIDC provider is and how its tokens map to tenants and scopes.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// The `iss` of its tokens, exactly.
    pub issuer: String,
    /// The `aud` its tokens must name (the client id registered at the provider).
    pub audience: String,
    /// The HTTPS URL of its JWKS.
    pub jwks_url: String,
    /// CA certificates (PEM) to trust for the JWKS host instead of the public web PKI.
    pub ca_pem: Option<String>,
    /// The claim listing a user's external tenant ids (a string or a list; `*` for all).
    pub tenants_claim: String,
    /// The claim listing a user's groups (a string or a list).
    pub groups_claim: String,
    /// The scopes each group grants.
    pub group_scopes: BTreeMap<String, BTreeSet<String>>,
    /// The least time between two fetches of the JWKS.
    pub refresh_interval: Duration,
}

/// The provider's keys as last fetched.
#[derive(Default)]
struct Keys {
    keys: Vec<VerifyingKey>,
    fetched: Option<Instant>,
}

/// An OIDC provider the Gateway trusts.
pub struct Oidc {
    config: OidcConfig,
    fetcher: jwks::Fetcher,
    keys: RwLock<Keys>,
    /// When the JWKS was last asked for; held while a fetch runs, so one runs at a time.
    last_attempt: Mutex<Option<Instant>>,
}

impl Oidc {
    /// A provider as configured; its JWKS is fetched when the first token arrives.
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        let fetcher = jwks::Fetcher::new(&config.jwks_url, config.ca_pem.as_deref())?;
        Ok(Self {
            config,
            fetcher,
            keys: RwLock::default(),
            last_attempt: Mutex::default(),
        })
    }

    /// The `iss` of its tokens.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// The user a token of this provider stands for, acting in `tenant`.
    pub(super) async fn caller(
        &self,
        token: Unverified<'_>,
        tenant: Option<String>,
    ) -> Result<Caller, Refusal> {
        if !matches!(token.alg(), "RS256" | "ES256") {
            return Err(Refusal::new(
                "invalid_signature",
                "unauthenticated: the token must be signed RS256 or ES256",
            ));
        }
        let key = self.key_for(token.kid(), token.alg()).await?;
        let claims = token.verify(&key).map_err(|e| {
            Refusal::new(
                "invalid_signature",
                &format!("unauthenticated: the token is not valid: {e}"),
            )
        })?;
        let now = jiff::Timestamp::now().as_second();
        check_claims(&self.config, &claims, now)?;
        Ok(user(&self.config, &claims, tenant))
    }

    /// The key a token names (by `kid`, or the only key of its algorithm), fetching the JWKS
    /// again when the key is unknown or the copy is old.
    async fn key_for(&self, kid: Option<&str>, alg: &str) -> Result<VerifyingKey, Refusal> {
        let find = |keys: &Keys| {
            let mut fitting = keys
                .keys
                .iter()
                .filter(|k| k.algorithm().as_str() == alg)
                .filter(|k| kid.is_none() || k.kid() == kid);
            match (fitting.next(), fitting.next()) {
                (Some(key), None) => Some(key.clone()),
                _ => None,
            }
        };
        {
            let keys = self.keys.read().await;
            let fresh = keys.fetched.is_some_and(|t| t.elapsed() < MAX_AGE);
            if let Some(key) = find(&keys)
                && fresh
            {
                return Ok(key);
            }
        }
        self.refresh().await;
        find(&*self.keys.read().await).ok_or_else(|| {
            Refusal::new(
                "unknown_token",
                "unauthenticated: the token is signed with a key the identity provider does not publish",
            )
        })
    }

    /// Fetches the JWKS unless it was asked for within the refresh interval. A failed fetch
    /// keeps the keys there are.
    async fn refresh(&self) {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.config.refresh_interval) {
            return;
        }
        *last = Some(Instant::now());
        match self.fetcher.fetch().await {
            Ok(keys) => {
                *self.keys.write().await = Keys {
                    keys,
                    fetched: Some(Instant::now()),
                };
            }
            Err(error) => {
                tracing::warn!(%error, url = %self.config.jwks_url, "Fetching the OIDC provider's keys failed");
            }
        }
    }
}

/// Checks issuer, audience and validity times of a verified token.
fn check_claims(config: &OidcConfig, claims: &Value, now: i64) -> Result<(), Refusal> {
    let invalid =
        |m: &str| Refusal::new("invalid_claims", &format!("unauthenticated: the token {m}"));
    if claims["iss"].as_str() != Some(config.issuer.as_str()) {
        return Err(invalid("is of another issuer"));
    }
    if !strings(&claims["aud"]).contains(&config.audience.as_str()) {
        return Err(invalid(&format!("is not meant for {}", config.audience)));
    }
    let Some(exp) = claims["exp"].as_i64() else {
        return Err(invalid("has no exp"));
    };
    if now >= exp + CLOCK_SKEW_SECONDS {
        return Err(Refusal::new(
            "expired_token",
            "unauthenticated: the token has expired",
        ));
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|nbf| now + CLOCK_SKEW_SECONDS < nbf)
    {
        return Err(Refusal::new(
            "expired_token",
            "unauthenticated: the token is not valid yet",
        ));
    }
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err(invalid("names no subject (sub)"));
    }
    Ok(())
}

/// The user of a checked token: named by `sub`, in the tenants of the tenants claim, with the
/// scopes of its groups.
fn user(config: &OidcConfig, claims: &Value, tenant: Option<String>) -> Caller {
    let tenants: BTreeSet<String> = strings(&claims[config.tenants_claim.as_str()])
        .into_iter()
        .map(str::to_owned)
        .collect();
    let scopes = strings(&claims[config.groups_claim.as_str()])
        .into_iter()
        .filter_map(|group| config.group_scopes.get(group))
        .flatten()
        .cloned()
        .collect();
    Caller {
        id: claims["sub"].as_str().unwrap_or_default().to_owned(),
        client_id: None,
        kind: ConsumerKind::User,
        scopes,
        tenants: if tenants.contains("*") {
            TenantAccess::All
        } else {
            TenantAccess::Only(tenants)
        },
        tenant,
    }
}

/// Parses a file mapping groups to scopes (`<group>: [<scope>, ...]`), refusing scopes `scopes`
/// does not know: a typo would otherwise grant nothing, silently.
pub fn parse_group_scopes(
    text: &str,
    scopes: &crate::scopes::ScopesConfig,
) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let groups: BTreeMap<String, BTreeSet<String>> =
        serde_yaml::from_str(text).map_err(|e| format!("not a map of groups to scopes: {e}"))?;
    let known = scopes.all_scopes();
    for (group, granted) in &groups {
        if let Some(unknown) = granted.iter().find(|s| !known.contains(*s)) {
            return Err(format!(
                "group {group}: {unknown} is not a scope of the scopes configuration"
            ));
        }
    }
    Ok(groups)
}

/// A claim that is a string or a list of strings, as a list.
fn strings(claim: &Value) -> Vec<&str> {
    match claim {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> OidcConfig {
        OidcConfig {
            issuer: "https://idp.example".into(),
            audience: "compass".into(),
            jwks_url: "https://idp.example/keys".into(),
            ca_pem: None,
            tenants_claim: "tenants".into(),
            groups_claim: "groups".into(),
            group_scopes: [
                ("readers".to_owned(), ["application:read".to_owned()].into()),
                (
                    "writers".to_owned(),
                    ["application:write".to_owned()].into(),
                ),
            ]
            .into(),
            refresh_interval: Duration::from_secs(30),
        }
    }

    #[test]
    fn groups_give_scopes_and_the_tenants_claim_gives_tenants() {
        let claims = json!({
            "iss": "https://idp.example", "aud": ["compass", "other"], "sub": "alice",
            "exp": 2_000, "groups": ["readers", "writers", "strangers"], "tenants": "t1",
        });
        check_claims(&config(), &claims, 1_000).unwrap();
        let caller = user(&config(), &claims, Some("t1".into()));
        assert_eq!(caller.id, "alice");
        assert_eq!(caller.kind, ConsumerKind::User);
        assert_eq!(caller.scopes.len(), 2);
        assert_eq!(caller.tenants, TenantAccess::Only(["t1".to_owned()].into()));
        let everywhere = json!({ "sub": "root", "tenants": ["*"] });
        assert_eq!(
            user(&config(), &everywhere, None).tenants,
            TenantAccess::All
        );
    }

    #[test]
    fn group_scopes_must_be_known_scopes() {
        let scopes = crate::scopes::ScopesConfig::default_config();
        let parsed = parse_group_scopes("viewers: [application:read]\n", &scopes).unwrap();
        assert_eq!(parsed["viewers"].len(), 1);
        let error = parse_group_scopes("viewers: [aplication:read]\n", &scopes).unwrap_err();
        assert!(error.contains("aplication:read"), "{error}");
        assert!(parse_group_scopes("- a\n", &scopes).is_err());
    }

    #[test]
    fn tokens_of_others_expired_or_early_are_refused() {
        let base =
            json!({ "iss": "https://idp.example", "aud": "compass", "sub": "a", "exp": 2_000 });
        let reason = |change: &dyn Fn(&mut Value), now: i64| {
            let mut claims = base.clone();
            change(&mut claims);
            check_claims(&config(), &claims, now)
                .err()
                .map(|r| r.reason)
        };
        assert_eq!(reason(&|_| {}, 1_000), None);
        assert_eq!(reason(&|_| {}, 2_100), Some("expired_token"));
        assert_eq!(
            reason(&|c| c["nbf"] = json!(1_500), 1_000),
            Some("expired_token")
        );
        assert_eq!(
            reason(&|c| c["iss"] = json!("https://evil"), 1_000),
            Some("invalid_claims")
        );
        assert_eq!(
            reason(&|c| c["aud"] = json!("other"), 1_000),
            Some("invalid_claims")
        );
        assert_eq!(
            reason(&|c| c["sub"] = Value::Null, 1_000),
            Some("invalid_claims")
        );
    }
}
