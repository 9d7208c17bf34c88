//! Who a Connector request comes from, for its audit lines and its rate limit: the holder of
//! the client certificate it presented, or of the one-time token it carries (looked up in the
//! stores, not redeemed, and never written down).

use crate::{
    audit::Consumer,
    connector::{schema::Credential, tokens},
    gateway::certificates::{subject_uid, tenant_of},
    state::Caches,
};
use compass_crds::SystemAuth;

/// The consumer `credential` stands for, if it names a known identity.
pub fn consumer_of(credential: &Credential, caches: &Caches) -> Option<Consumer> {
    match credential {
        Credential::Certificate(identity) => Some(of_auth(&identity.auth, caches)),
        Credential::Token(token) => tokens::holder(caches, token)
            .ok()
            .map(|auth| of_auth(&auth, caches)),
        Credential::Refused(_) => None,
    }
}

fn of_auth(auth: &SystemAuth, caches: &Caches) -> Consumer {
    // The consumer id is the subject's, as the Director's lines name the same caller.
    let id = subject_uid(caches, auth).or_else(|| auth.metadata.uid.clone());
    Consumer {
        id: id.unwrap_or_default(),
        kind: auth.spec.subject.kind.into(),
        tenant: tenant_of(caches, auth),
    }
}
