//! What a runtime is assigned, as one fingerprint: the runtime's scenarios and, for every
//! application sharing one of them, its uid and generation (a change of its spec). The agents'
//! push channel waits for it to change.

use compass_crds::Runtime;
use sha2::{Digest, Sha256};

use super::{
    labels::uid_of,
    scenario_membership::{applications_sharing, of_runtime},
};
use crate::state::Caches;

/// The fingerprint of what `runtime` of `namespace` is assigned.
pub fn fingerprint(caches: &Caches, namespace: &str, runtime: &Runtime) -> String {
    let mut digest = Sha256::new();
    for scenario in of_runtime(runtime) {
        digest.update(scenario.as_bytes());
        digest.update([0]);
    }
    digest.update([1]);
    for application in applications_sharing(caches, namespace, runtime) {
        digest.update(uid_of(&application).as_bytes());
        digest.update(
            application
                .metadata
                .generation
                .unwrap_or_default()
                .to_be_bytes(),
        );
    }
    compass_crds::hex::lower(&digest.finalize())
}
