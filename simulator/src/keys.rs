//! Signing keys: generated at start (never stored), rotated on an interval or on demand, the
//! previous key kept in the JWKS for a grace period.

use crate::config::SigningAlg;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// One asymmetric signing key and its public JWK.
struct SigningKey {
    kid: String,
    alg: SigningAlg,
    encoding: EncodingKey,
    jwk: Value,
    retired_at: Option<Instant>,
}

/// The provider's key ring: one active key per asymmetric algorithm plus retired ones.
pub struct KeyRing {
    keys: Vec<SigningKey>,
    grace: Duration,
}

fn random_kid() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

fn generate(alg: SigningAlg) -> anyhow::Result<SigningKey> {
    let kid = random_kid();
    let (encoding, jwk) = match alg {
        SigningAlg::ES256 => {
            let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
            let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&secret.public_key(), false);
            let (x, y) = (point.x().map(|x| B64.encode(x)), point.y().map(|y| B64.encode(y)));
            let der = secret.to_pkcs8_der()?;
            (
                EncodingKey::from_ec_der(der.as_bytes()),
                json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "use": "sig", "alg": "ES256", "kid": kid}),
            )
        }
        SigningAlg::RS256 => {
            let secret = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
            let der = secret.to_pkcs1_der()?;
            (
                EncodingKey::from_rsa_der(der.as_bytes()),
                json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": B64.encode(secret.n().to_bytes_be()),
                    "e": B64.encode(secret.e().to_bytes_be()),
                }),
            )
        }
        SigningAlg::HS256 => anyhow::bail!("HS256 uses the client secret, not a generated key"),
    };
    Ok(SigningKey { kid, alg, encoding, jwk, retired_at: None })
}

/// The `jsonwebtoken` algorithm for a registered algorithm.
pub fn algorithm(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::ES256 => Algorithm::ES256,
        SigningAlg::RS256 => Algorithm::RS256,
        SigningAlg::HS256 => Algorithm::HS256,
    }
}

impl KeyRing {
    /// Generates one ES256 and one RS256 key.
    pub fn generate(grace: Duration) -> anyhow::Result<Self> {
        Ok(KeyRing { keys: vec![generate(SigningAlg::ES256)?, generate(SigningAlg::RS256)?], grace })
    }

    /// Replaces the active keys with new ones; the old ones stay published for the grace period.
    pub fn rotate(&mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        for key in self.keys.iter_mut().filter(|k| k.retired_at.is_none()) {
            key.retired_at = Some(now);
        }
        self.keys.push(generate(SigningAlg::ES256)?);
        self.keys.push(generate(SigningAlg::RS256)?);
        let grace = self.grace;
        self.keys.retain(|k| k.retired_at.is_none_or(|t| now.duration_since(t) <= grace));
        Ok(())
    }

    fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().rev().find(|k| k.alg == alg && k.retired_at.is_none())
    }

    /// The active key id for an asymmetric algorithm.
    pub fn active_kid(&self, alg: SigningAlg) -> Option<String> {
        self.active(alg).map(|k| k.kid.clone())
    }

    /// The public JWKS (active and retired-but-in-grace keys).
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Signs claims with the client's registered algorithm (HS256: with its secret).
    pub fn sign<T: Serialize>(&self, alg: SigningAlg, client_secret: &str, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(algorithm(alg));
        let token = match alg {
            SigningAlg::HS256 => jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(client_secret.as_bytes()))?,
            _ => {
                let key = self.active(alg).ok_or_else(|| anyhow::anyhow!("no active {alg:?} key"))?;
                header.kid = Some(key.kid.clone());
                jsonwebtoken::encode(&header, claims, &key.encoding)?
            }
        };
        Ok(token)
    }

    /// Verifies a token this provider signed for a client (expiry ignored: an `id_token_hint` may
    /// be old). Returns its claims.
    pub fn verify_own(&self, token: &str, alg: SigningAlg, client_secret: &str) -> Option<Value> {
        let mut validation = Validation::new(algorithm(alg));
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let decode = |key: &DecodingKey| jsonwebtoken::decode::<Value>(token, key, &validation).ok().map(|d| d.claims);
        match alg {
            SigningAlg::HS256 => decode(&DecodingKey::from_secret(client_secret.as_bytes())),
            _ => {
                let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
                let key = self.keys.iter().find(|k| k.kid == kid && k.alg == alg)?;
                let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk.clone()).ok()?;
                decode(&DecodingKey::from_jwk(&jwk).ok()?)
            }
        }
    }
}

/// A key unknown to the provider, for fault injection ("signed by another key").
pub fn rogue_key(alg: SigningAlg) -> anyhow::Result<(EncodingKey, String)> {
    let key = generate(alg)?;
    Ok((key.encoding, key.kid))
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    B64.encode(&digest[..16])
}

/// A random URL-safe string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    B64.encode(buf)
}

/// PKCE S256: base64url(SHA-256(verifier)).
pub fn pkce_s256(verifier: &str) -> String {
    use sha2::Digest;
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}
