//! Compact JSON Web Signatures with ES256 (ECDSA P-256, SHA-256) on ring: the signing key of
//! ServiceAccount tokens (kept in the data directory) and of the Gateway's OAuth access tokens
//! (kept in a Secret), its public JWK, and the signature check. Claims are the caller's business;
//! this module only vouches that the key signed them. Keys of other issuers are in [`super::jwk`].

use std::{fs, io, path::Path};

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::jwk::{Unverified, VerifyingKey};

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
    /// A key that is not a usable P-256 or RSA public key, or a JWK this module does not read.
    #[error("the key is not usable: {0}")]
    Key(String),
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

    /// A fresh P-256 key in PKCS#8 DER, to keep where the key is to live.
    pub fn generate_pkcs8() -> Result<Vec<u8>, JwtError> {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| JwtError::Key("the system has no randomness".to_owned()))
    }

    /// The key in PKCS#8 DER, as PEM (`PRIVATE KEY`).
    pub fn pkcs8_pem(der: &[u8]) -> String {
        crate::der::pem(PEM_LABEL, der)
    }

    /// The key of a PEM `PRIVATE KEY` (PKCS#8) block.
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        let der = pem_decode(pem).map_err(|e| JwtError::Key(e.to_string()))?;
        Self::from_pkcs8_der(&der)
    }

    /// The key of a PKCS#8 DER P-256 private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JwtError> {
        Self::from_pkcs8(der, SystemRandom::new()).map_err(|e| JwtError::Key(e.to_string()))
    }

    fn from_pkcs8(pkcs8: &[u8], rng: SystemRandom) -> Result<Self, ring::error::KeyRejected> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)?;
        let digest = Sha256::digest(pair.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(&digest[..16]);
        Ok(Self { pair, key_id, rng })
    }

    /// The key id (`kid`) of the tokens it signs: derived from the public key, so the same key
    /// always has the same id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as a JWK (RFC 7517), with `kid`, `alg` and `use`, for a JWKS document.
    pub fn public_jwk(&self) -> Value {
        // NB: ring gives the uncompressed point: 0x04, then x and y of 32 bytes each.
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            "kid": self.key_id,
            "alg": "ES256",
            "use": "sig",
        })
    }

    /// The public half, which checks what this key signed.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::es256(Some(self.key_id.clone()), self.pair.public_key().as_ref())
    }

    /// Signs `claims` into a compact JWT.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(None, claims)
    }

    /// Signs `claims` into a compact JWT whose header names its media type `typ` (RFC 9068's
    /// `at+jwt` for access tokens), so a token of one kind cannot pass for another.
    pub fn sign_typed(&self, typ: &str, claims: &Value) -> String {
        self.sign_with(Some(typ), claims)
    }

    fn sign_with(&self, typ: Option<&str>, claims: &Value) -> String {
        let mut header = json!({ "alg": "ES256", "kid": self.key_id });
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
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
        let token = Unverified::parse(token)?;
        if token.alg() != "ES256" || token.kid() != Some(self.key_id.as_str()) {
            return Err(JwtError::ForeignKey);
        }
        token.verify(&self.verifying_key())
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
