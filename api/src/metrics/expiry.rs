//! The gauge of when the soonest client certificate expires, per subject kind, read from the
//! SystemAuths at each scrape.

use std::sync::{Arc, OnceLock};

use compass_cache::Shared;
use compass_crds::{SubjectKind, SystemAuth};
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{family::Family, gauge::Gauge},
};

use super::KindLabel;
use crate::gateway::ConsumerKind;

/// The gauge of the soonest certificate expiry per subject kind, computed from the SystemAuth
/// store at each scrape (a few thousand identities cost well under a millisecond).
#[derive(Clone, Default)]
pub(super) struct SoonestExpiry {
    pub(super) store: Arc<OnceLock<Shared<SystemAuth>>>,
}

impl std::fmt::Debug for SoonestExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoonestExpiry").finish_non_exhaustive()
    }
}

impl Collector for SoonestExpiry {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let family = Family::<KindLabel, Gauge>::default();
        if let Some(store) = self.store.get() {
            for (kind, seconds) in soonest_expiries(&store.all()) {
                family.get_or_create(&KindLabel { kind }).set(seconds);
            }
        }
        let metric = encoder.encode_descriptor(
            "certificate_soonest_expiry_seconds",
            "Unix time of the soonest expiry among the client certificates not revoked, by subject kind.",
            None,
            family.metric_type(),
        )?;
        family.encode(metric)
    }
}

/// Per subject kind, the unix time at which its first valid (not revoked) certificate expires.
fn soonest_expiries(auths: &[Arc<SystemAuth>]) -> Vec<(&'static str, i64)> {
    let mut soonest: Vec<(&'static str, i64)> = Vec::new();
    for auth in auths {
        let Some(status) = &auth.status else { continue };
        let kind = match auth.spec.subject.kind {
            SubjectKind::Application => ConsumerKind::Application,
            SubjectKind::Runtime => ConsumerKind::Runtime,
            SubjectKind::IntegrationSystem => ConsumerKind::IntegrationSystem,
        }
        .as_str();
        // The spec's revocation list counts at once, before the operator mirrors it in the
        // status's flag.
        let valid = status
            .certificates
            .iter()
            .filter(|c| !c.revoked && !auth.spec.revoked_certificates.contains(&c.serial_number));
        for certificate in valid {
            let seconds = certificate.not_after.0.as_second();
            match soonest.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, known)) => *known = (*known).min(seconds),
                None => soonest.push((kind, seconds)),
            }
        }
    }
    soonest
}

#[cfg(test)]
mod tests {
    use compass_crds::{IssuedCertificate, SystemAuthSpec, SystemAuthStatus, SystemAuthSubject};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn auth(
        kind: SubjectKind,
        certificates: &[(&str, i64, bool)],
        revoked: &[&str],
    ) -> Arc<SystemAuth> {
        let certificates = certificates
            .iter()
            .map(|(serial, not_after, flag)| IssuedCertificate {
                serial_number: (*serial).to_owned(),
                fingerprint: String::new(),
                subject: String::new(),
                not_before: Time(jiff::Timestamp::UNIX_EPOCH),
                not_after: Time(jiff::Timestamp::from_second(*not_after).unwrap()),
                revoked: *flag,
            })
            .collect();
        let mut object = SystemAuth::new(
            "a",
            SystemAuthSpec {
                subject: SystemAuthSubject {
                    kind,
                    name: "x".into(),
                },
                revoked_certificates: revoked.iter().map(|s| (*s).to_owned()).collect(),
            },
        );
        object.status = Some(SystemAuthStatus {
            certificates,
            ..SystemAuthStatus::default()
        });
        Arc::new(object)
    }

    #[test]
    fn the_soonest_expiry_skips_revoked_certificates_and_is_kept_per_kind() {
        let auths = [
            auth(
                SubjectKind::Runtime,
                &[("01", 300, false), ("02", 100, true)],
                &[],
            ),
            auth(SubjectKind::Runtime, &[("03", 200, false)], &[]),
            auth(
                SubjectKind::Application,
                &[("04", 50, false), ("05", 70, false)],
                &["04"],
            ),
            auth(SubjectKind::IntegrationSystem, &[], &[]),
        ];
        let mut soonest = soonest_expiries(&auths);
        soonest.sort();
        assert_eq!(soonest, [("application", 70), ("runtime", 200)]);
    }
}
