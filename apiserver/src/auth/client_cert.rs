//! Users of client certificates: the TLS handshake has already checked that the certificate
//! chains to the control plane's CA, is meant for client authentication and is valid now; here
//! its subject becomes the user, the common name (CN) its name and each organization (O) a
//! group, as kube-apiserver reads them.

use super::user::UserInfo;
use crate::der;

/// Whether a certificate (DER) is outside its validity at `now` (Unix seconds). The handshake
/// checked it when the connection opened; a keep-alive connection may outlive it, and each
/// request is checked again, as kube-apiserver does.
pub fn expired(certificate: &[u8], now: i64) -> bool {
    der::tbs_elements(certificate)
        .and_then(|(tbs, _)| der::validity(&tbs))
        .is_none_or(|(not_before, not_after)| now < not_before || now > not_after)
}

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
    fn a_certificate_is_expired_outside_its_validity() {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2024, 1, 2);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let certificate = params.self_signed(&key).unwrap();
        let day = 1_704_067_200; // 2024-01-01T00:00:00Z
        assert!(!expired(certificate.der(), day + 3600));
        assert!(expired(certificate.der(), day + 2 * 86_400));
        assert!(expired(certificate.der(), day - 1));
        assert!(expired(b"garbage", day), "what cannot be read is not valid");
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
