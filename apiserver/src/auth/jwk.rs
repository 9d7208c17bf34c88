//! Checking JSON Web Signatures against public keys: a compact JWT taken apart before it is
//! trusted ([`Unverified`]), and public keys read from JWKs (RFC 7517) of ES256 (P-256) and RS256
//! (RSA, 2048 to 8192 bits) on ring ([`VerifyingKey`]). No other algorithm is accepted, and
//! never `none`.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde_json::Value;

use super::jwt::JwtError;

/// The algorithms a [`VerifyingKey`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl Algorithm {
    /// The name JOSE headers use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Material {
    /// The uncompressed point: 0x04, x, y.
    Ec(Vec<u8>),
    /// Modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// A public key that checks signatures of one algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    material: Material,
}

impl VerifyingKey {
    /// An ES256 key from its uncompressed point (0x04, x, y).
    pub fn es256(kid: Option<String>, point: &[u8]) -> Self {
        Self {
            kid,
            algorithm: Algorithm::Es256,
            material: Material::Ec(point.to_vec()),
        }
    }

    /// The key of a JWK: `kty` `EC` with `crv` `P-256`, or `kty` `RSA`. A JWK naming another
    /// `alg` than the one its type implies, or meant for encryption (`use: enc`), is refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JwtError> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| {
            let value = text(name).ok_or_else(|| JwtError::Key(format!("no `{name}`")))?;
            URL_SAFE_NO_PAD
                .decode(value)
                .map_err(|_| JwtError::Key(format!("`{name}` is not base64url")))
        };
        if text("use").is_some_and(|u| u != "sig") {
            return Err(JwtError::Key("not a signing key (`use`)".to_owned()));
        }
        let (algorithm, material) = match (text("kty"), text("crv")) {
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwtError::Key(
                        "a P-256 point has 32-byte x and y".to_owned(),
                    ));
                }
                let point = [&[4u8][..], &x, &y].concat();
                (Algorithm::Es256, Material::Ec(point))
            }
            (Some("RSA"), _) => {
                let (n, e) = (bytes("n")?, bytes("e")?);
                (Algorithm::Rs256, Material::Rsa { n, e })
            }
            (kty, crv) => {
                return Err(JwtError::Key(format!(
                    "unsupported key type {kty:?} (curve {crv:?}): only EC P-256 and RSA are read"
                )));
            }
        };
        if let Some(alg) = text("alg")
            && alg != algorithm.as_str()
        {
            return Err(JwtError::Key(format!(
                "`alg` {alg} does not fit the key type; only ES256 and RS256 are accepted"
            )));
        }
        Ok(Self {
            kid: text("kid").map(str::to_owned),
            algorithm,
            material,
        })
    }

    /// The key id, if the JWK named one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm it checks.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn check(&self, message: &[u8], signature: &[u8]) -> Result<(), JwtError> {
        let checked = match &self.material {
            Material::Ec(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature)
            }
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
        };
        checked.map_err(|_| JwtError::Signature)
    }
}

/// A compact JWT taken apart, not yet trusted: its header and claims can be read to pick the key
/// (`alg`, `kid`, `iss`), and [`verify`](Self::verify) says whether that key signed it.
#[derive(Debug)]
pub struct Unverified<'a> {
    header: Value,
    claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Unverified<'a> {
    /// Splits `token` into header, claims and signature: three base64url parts, the first two
    /// JSON objects.
    pub fn parse(token: &'a str) -> Result<Self, JwtError> {
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
        let object = |part: &str| {
            serde_json::from_slice::<Value>(&decode(part)?)
                .ok()
                .filter(Value::is_object)
                .ok_or(JwtError::Malformed)
        };
        Ok(Self {
            header: object(header)?,
            claims: object(claims)?,
            signing_input: &token[..header.len() + 1 + claims.len()],
            signature: decode(signature)?,
        })
    }

    /// The header's `alg` (empty when absent).
    pub fn alg(&self) -> &str {
        self.header["alg"].as_str().unwrap_or_default()
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header["kid"].as_str()
    }

    /// The header's `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.header["typ"].as_str()
    }

    /// The claims, unverified: only for choosing the key (`iss`).
    pub fn unverified_claims(&self) -> &Value {
        &self.claims
    }

    /// The claims, if `key` signed the token with the algorithm its header names.
    pub fn verify(self, key: &VerifyingKey) -> Result<Value, JwtError> {
        if self.alg() != key.algorithm.as_str() {
            return Err(JwtError::ForeignKey);
        }
        key.check(self.signing_input.as_bytes(), &self.signature)?;
        Ok(self.claims)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::jwt::SigningKey;

    #[test]
    fn a_public_jwk_checks_what_its_private_key_signed_and_nothing_else() {
        let key = SigningKey::ephemeral();
        let jwk = key.public_jwk();
        let public = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(public.kid(), Some(key.key_id()));
        assert_eq!(public, key.verifying_key());
        let token = key.sign_typed("at+jwt", &json!({ "sub": "client" }));
        let parsed = Unverified::parse(&token).unwrap();
        assert_eq!(parsed.typ(), Some("at+jwt"));
        assert_eq!(parsed.verify(&public).unwrap()["sub"], "client");
        let other = SigningKey::ephemeral().verifying_key();
        let parsed = Unverified::parse(&token).unwrap();
        assert_eq!(parsed.verify(&other), Err(JwtError::Signature));
    }

    #[test]
    fn the_header_algorithm_must_be_the_keys() {
        let key = SigningKey::ephemeral();
        let token = key.sign(&json!({ "sub": "client" }));
        let (_, rest) = token.split_once('.').unwrap();
        for alg in ["none", "HS256", "RS256"] {
            let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg }).to_string());
            let forged = format!("{header}.{rest}");
            let parsed = Unverified::parse(&forged).unwrap();
            assert_eq!(
                parsed.verify(&key.verifying_key()),
                Err(JwtError::ForeignKey)
            );
        }
    }

    #[test]
    fn unusable_jwks_are_refused() {
        let rsa_as_es = json!({ "kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "ES256" });
        assert!(VerifyingKey::from_jwk(&rsa_as_es).is_err());
        let secret = json!({ "kty": "oct", "k": "c2VjcmV0" });
        assert!(VerifyingKey::from_jwk(&secret).is_err());
        let short = json!({ "kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ" });
        assert!(VerifyingKey::from_jwk(&short).is_err());
        let encryption = json!({ "kty": "RSA", "n": "AQAB", "e": "AQAB", "use": "enc" });
        assert!(VerifyingKey::from_jwk(&encryption).is_err());
        let rsa = json!({ "kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r1" });
        assert_eq!(
            VerifyingKey::from_jwk(&rsa).unwrap().algorithm(),
            Algorithm::Rs256
        );
        for malformed in ["a.b", "a.b.c.d", "e30.e30.!!", "W10.e30.AA"] {
            assert!(Unverified::parse(malformed).is_err(), "{malformed}");
        }
    }

    /// A throwaway RSA key for the RS256 test (ring cannot generate RSA keys).
    const RSA_TEST_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDaGD3lik4R+pG7\n\
TUtxidq0DlgiUc1mYu+onORBKuDP2VYPftzW38gvfum8S+44Y9kGE7y2zDZzS5j+\n\
7Gw+62Z/e+gUg+HbuBBQUbSwzqAKq56Kmeigz72maVqDB6b6eDzvnGg/J8LD0gex\n\
XsgMHQI+rJMwxymCs8X38HmS4w/J775TZDAX9/GCxmvfJt5G1lTZKWyERv4qg/ye\n\
i6FT8e5tdexjQ5JdThu2MjTCb846aU+SDP/I7iY0ePfzFO5gPTZakWRyz4ETXep6\n\
fLoi8ssVAmRwtCIbr7e2XU5OGoRf6kHA+4xvZZ0hnKNHURyfNGkuMrpjivqwl6wy\n\
j+Tcf5/LAgMBAAECggEAFs01sh5xcXAXir7Bi6d52J0D+jlANsX9lXeAZmR5EvH/\n\
jT4vu5KznMJG5fta9sVQUXzVxuzMfTsNo2AMzyU7AaAZkFowzmZ3j4DYryrjJkpx\n\
bb86nY7VSU/heSqJ0CJVs0glyViQWdBxzR8CM5YC1Tz4ueml/YwVv17XxGjTOULo\n\
bbsTke2prjK3bINOonMJh12aXrEg8dXx7n/SdvsCXkew0z29MNKLA7+ku2RNe3sg\n\
h1pe/xpuZ6oDxzhlsDlTbKZg8/0v8TFuZ1HxlKlxDUEWV1YkFIOVik/sDSh9g/wu\n\
BAP5h1+5J+QLyjw3ShaQP1a1NduVO4lsRP1So9UszQKBgQD+AeFWeIkXF42E/iF5\n\
tYaxg1RFoBHpasAejCVSAq8v34K7v+7B8qkevvc3YrjBuuPd47UJzktv4qY22yEk\n\
XnpRUAjAHoRWl5GlXDwc8Ux3XhNIkftHdj1yqG5gb7uS5C/85CPDuUDdh+Dm+EF8\n\
VJ+G9x1uP6T3BeM+meJTTfV4JQKBgQDbzj0W+LBh7kSd2iNFWrS48l6OJ+uXMcyB\n\
wHYA2gHwXcNM0vwGdwvXEDOBbFrJk/RPW7oXnL2ecqL1J8MvJ4pN0xOrVVprJlFb\n\
Y58DdO0FWJ0wRDRzmgHjZLI1SJpJaPuvHrAigUELAxGWWcimPT+tzkihn2UMgs78\n\
ymD6Mkr9LwKBgQD3COkY6h2aIcP3RhlUf2FCH1HEbUs+Uh4LF43sVsP+sUg6RQ51\n\
/gTQ7DUO3qqFb7fRw3X81W+0nx+8Vh3De0dG8amw/30BomN6CVxFYcBWj139xEw4\n\
Uhys+HZwv/oTgG3TbCYEYpVdXpsyxtsZikukPY2X/bn4rPc3mP3uuvEzKQKBgEv9\n\
W+9SIKBqoDw2StVSS4JZAEmDEZaet8XvxJv8wojX0YoAsvKFO4mpZzUKQcTIqsC4\n\
xHgfTwq1NRMuIPNvZwgKvhUQmAbNI3lF0pZ+WObtQMKMAdopVxfHGzkClZxleAWN\n\
xXTYXKUy9WSWO6EFMbujwkZl9ahCnM6WJLq6omQvAoGBAMDI6MAdI2H96HTZb9fM\n\
yJ5CNoBy8YhocyL9327YeB8rYRqf+mVlv51iLZA6VF2GlmpU7jBM34kkjum2zyyB\n\
R2is9uS/dNM6RI8Q6ATU7Czr0aQpx9+N37LUZrkKv2V9ZVsML7Jv+9dyrEXQkh4m\n\
kVgtVnPRX2MpeJzdChvZdqRh\n\
-----END PRIVATE KEY-----\n";

    #[test]
    fn an_rsa_jwk_checks_rs256_signatures() {
        use ring::{rand::SystemRandom, signature::RsaKeyPair};
        let der = base64::engine::general_purpose::STANDARD
            .decode(
                RSA_TEST_KEY
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap();
        let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
        let public: RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
        let jwk = json!({
            "kty": "RSA",
            "kid": "r1",
            "n": URL_SAFE_NO_PAD.encode(&public.n),
            "e": URL_SAFE_NO_PAD.encode(&public.e),
        });
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "kid": "r1" }).to_string());
        let claims = URL_SAFE_NO_PAD.encode(json!({ "sub": "alice" }).to_string());
        let input = format!("{header}.{claims}");
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));
        let parsed = Unverified::parse(&token).unwrap();
        assert_eq!(parsed.verify(&key).unwrap()["sub"], "alice");
        let tampered = token.replacen(&claims, &URL_SAFE_NO_PAD.encode(r#"{"sub":"root"}"#), 1);
        let parsed = Unverified::parse(&tampered).unwrap();
        assert_eq!(parsed.verify(&key), Err(JwtError::Signature));
    }
}
