//! Compact JSON Web Signatures with ES256 (ECDSA P-256, SHA-256) on ring: the signing key of
//! ServiceAccount tokens, kept in the data directory, and the signature check. Claims are the
//! caller's business; this module only vouches that the server signed them.

use std::{fs, io, path::Path};

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use ring::{
    rand::SystemRandom,
    signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
        UnparsedPublicKey,
    },
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Why a token is not one the server signed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// Signed with another algorithm or key.
    #[error("the token is not signed with the server's ES256 key")]
    ForeignKey,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    Signature,
}

/// The server's ES256 signing key.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    key_id: String,
    rng: SystemRandom,
}

const PEM_LABEL: &str = "PRIVATE KEY";

impl SigningKey {
    /// Reads the PKCS#8 key at `path`, or creates one there (mode 0600) on first start.
    pub fn load_or_create(path: &Path) -> io::Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = if path.exists() {
            pem_decode(&fs::read_to_string(path)?)?
        } else {
            let generated = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| io::Error::other("generating the token signing key failed"))?;
            let der = generated.as_ref().to_vec();
            crate::pki::write_private(path, crate::der::pem(PEM_LABEL, &der).as_bytes())?;
            der
        };
        Self::from_pkcs8(&pkcs8, rng)
            .map_err(|e| io::Error::other(format!("{} is not a P-256 key: {e}", path.display())))
    }

    /// A key kept only in memory, for servers without a data directory (tests).
    pub fn ephemeral() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the operating system provides randomness");
        Self::from_pkcs8(pkcs8.as_ref(), rng).expect("a freshly generated key is valid")
    }

    fn from_pkcs8(pkcs8: &[u8], rng: SystemRandom) -> Result<Self, ring::error::KeyRejected> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)?;
        let digest = Sha256::digest(pair.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(&digest[..16]);
        Ok(Self { pair, key_id, rng })
    }

    /// Signs `claims` into a compact JWT.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "ES256", "kid": self.key_id });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // NB: signing with a valid key only fails if the system has no randomness, and then
        // nothing else of the server works either.
        let signature = self
            .pair
            .sign(&self.rng, signing_input.as_bytes())
            .expect("the operating system provides randomness");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }

    /// The claims of `token` if this key signed it.
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| JwtError::Malformed)
        };
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
        if header["alg"] != "ES256" || header["kid"] != self.key_id.as_str() {
            return Err(JwtError::ForeignKey);
        }
        let signing_input = &token[..token.len() - signature.len() - 1];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.pair.public_key().as_ref())
            .verify(signing_input.as_bytes(), &decode(signature)?)
            .map_err(|_| JwtError::Signature)?;
        serde_json::from_slice(&decode(claims)?).map_err(|_| JwtError::Malformed)
    }
}

fn pem_decode(pem: &str) -> io::Result<Vec<u8>> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body.trim()).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_their_key_after_a_reload_and_not_with_another() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sa.key");
        let key = SigningKey::load_or_create(&path).unwrap();
        let token = key.sign(&json!({ "sub": "alice" }));
        let reloaded = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(reloaded.verify(&token).unwrap()["sub"], "alice");
        let other = SigningKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_eq!(other.verify(&token), Err(JwtError::ForeignKey));
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::load_or_create(&dir.path().join("sa.key")).unwrap();
        let token = key.sign(&json!({ "sub": "alice" }));
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#),
            parts[2]
        );
        assert_eq!(key.verify(&forged), Err(JwtError::Signature));
        assert_eq!(key.verify("a.b"), Err(JwtError::Malformed));
    }
}
