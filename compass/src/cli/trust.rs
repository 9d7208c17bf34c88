//! Flags of the trust half, shared by `compass up` and `compass api`: where callers reach the
//! API, the subject and validity of the Connector's certificates, its CA's Secret and how long
//! one-time tokens live.

use std::time::Duration;

use clap::Args;
use compass_api::{
    connector::{certificates::CertificateValidity, signing::SubjectTemplate},
    server::ApiConfig,
};

use super::parse_duration;

/// How the Connector establishes trust.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The URL callers reach the API at (`https://compass.example.com`), put into the Connector
    /// and Director URLs handed out with tokens. Without it, the host each caller reached.
    #[arg(long, env = "COMPASS_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// The subject fields of every client certificate besides its common name (the client id),
    /// as `O=…,OU=…,L=…,ST=…,C=…`.
    #[arg(
        long,
        env = "COMPASS_CONNECTOR_SUBJECT",
        default_value = "O=Compass,OU=Connected Systems,L=Local,ST=Local,C=DE",
        value_parser = parse_subject
    )]
    pub connector_subject: SubjectTemplate,

    /// The Secret of the system namespace holding the Connector's CA (`ca.crt`, `ca.key`);
    /// generated on first start when it does not exist.
    #[arg(
        long,
        env = "COMPASS_CONNECTOR_CA_SECRET",
        default_value = compass_api::connector::authority::DEFAULT_SECRET
    )]
    pub connector_ca_secret: String,

    /// How long applications' certificates are valid (`90d`).
    #[arg(long, env = "COMPASS_APPLICATION_CERTIFICATE_VALIDITY", default_value = "90d", value_parser = parse_duration)]
    pub application_certificate_validity: Duration,

    /// How long runtimes' certificates are valid (`30d`); their agents renew on their own.
    #[arg(long, env = "COMPASS_RUNTIME_CERTIFICATE_VALIDITY", default_value = "30d", value_parser = parse_duration)]
    pub runtime_certificate_validity: Duration,

    /// How long an application's one-time token is valid.
    #[arg(long, env = "COMPASS_APPLICATION_TOKEN_LIFETIME", default_value = "5m", value_parser = parse_duration)]
    pub application_token_lifetime: Duration,

    /// How long a runtime's one-time token is valid (an agent may start late).
    #[arg(long, env = "COMPASS_RUNTIME_TOKEN_LIFETIME", default_value = "60m", value_parser = parse_duration)]
    pub runtime_token_lifetime: Duration,

    /// How long the token for one certificate signing request is valid.
    #[arg(long, env = "COMPASS_CSR_TOKEN_LIFETIME", default_value = "5m", value_parser = parse_duration)]
    pub csr_token_lifetime: Duration,
}

impl TrustArgs {
    /// Puts these settings into `config`.
    pub fn apply(self, config: &mut ApiConfig) {
        config.public_url = self
            .public_url
            .map(|u| u.as_str().trim_end_matches('/').to_owned());
        config.connector.subject = self.connector_subject;
        config.connector.ca_secret = Some(self.connector_ca_secret);
        config.connector.validity = CertificateValidity {
            application: self.application_certificate_validity,
            runtime: self.runtime_certificate_validity,
        };
        config.token_lifetimes.application = self.application_token_lifetime;
        config.token_lifetimes.runtime = self.runtime_token_lifetime;
        config.token_lifetimes.certificate_signing = self.csr_token_lifetime;
    }
}

/// Parses `O=…,OU=…,L=…,ST=…,C=…` (each field once, in any order) and checks the values.
fn parse_subject(text: &str) -> Result<SubjectTemplate, String> {
    let mut fields = std::collections::BTreeMap::new();
    for part in text.split(',') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not FIELD=value"))?;
        let key = key.trim().to_ascii_uppercase();
        if !["O", "OU", "L", "ST", "C"].contains(&key.as_str()) {
            return Err(format!(
                "{key:?} is not a subject field here: give O, OU, L, ST and C (CN is the client id)"
            ));
        }
        if fields
            .insert(key.clone(), value.trim().to_owned())
            .is_some()
        {
            return Err(format!("{key} is given twice"));
        }
    }
    let mut take = |key: &str| {
        fields
            .remove(key)
            .ok_or_else(|| format!("the subject needs {key}=…"))
    };
    let template = SubjectTemplate {
        organization: take("O")?,
        organizational_unit: take("OU")?,
        locality: take("L")?,
        province: take("ST")?,
        country: take("C")?,
    };
    template.validate()?;
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_needs_every_field_once_and_sane_values() {
        let template = parse_subject("C=PL, O=Acme,OU=IT,L=Gliwice,ST=Silesia").unwrap();
        assert_eq!(
            template.subject_for("id"),
            "O=Acme,OU=IT,L=Gliwice,ST=Silesia,C=PL,CN=id"
        );
        assert!(
            parse_subject("O=Acme,OU=IT,L=x,ST=y")
                .unwrap_err()
                .contains("needs C")
        );
        assert!(
            parse_subject("O=Acme,O=B,OU=IT,L=x,ST=y,C=DE")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_subject("O=Acme,OU=IT,L=x,ST=y,C=DE,CN=z")
                .unwrap_err()
                .contains("client id")
        );
        assert!(parse_subject("O=A/B,OU=IT,L=x,ST=y,C=DE").is_err());
    }
}
