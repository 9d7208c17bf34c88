//! Users of client certificates: the TLS handshake has already checked that the certificate
//! chains to the control plane's CA, is meant for client authentication and is valid now; here
//! its subject becomes the user, the common name (CN) its name and each organization (O) a
//! group, as kube-apiserver reads them.

use super::user::UserInfo;
use crate::der;

/// The user a verified client certificate (DER) stands for; `None` when its subject has no
/// common name.
pub fn user_of(certificate: &[u8]) -> Option<UserInfo> {
    let (tbs, _) = der::tbs_elements(certificate)?;
    let subject = tbs.get(der::subject_index(&tbs))?;
    let (name, organizations) = der::read_name(subject)?;
    (!name.is_empty()).then(|| UserInfo::authenticated(name, organizations))
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

    use super::*;

    fn certificate(name: &DistinguishedName) -> Vec<u8> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = name.clone();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_common_name_is_the_user_and_the_organization_a_group() {
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "compass:tenant:acme:editors");
        name.push(DnType::CommonName, "alice");
        let user = user_of(&certificate(&name)).unwrap();
        assert_eq!(user.name, "alice");
        assert_eq!(
            user.groups,
            ["compass:tenant:acme:editors", "system:authenticated"]
        );
    }

    #[test]
    fn a_certificate_without_a_common_name_or_garbage_is_no_user() {
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "devs");
        assert_eq!(user_of(&certificate(&name)), None);
        assert_eq!(user_of(b"\x30\x05garbage"), None);
        assert_eq!(user_of(&[]), None);
    }
}
