//! Signing keys: generated at start (never stored), rotated on an interval or on demand, the
//! previous key kept in the JWKS for a grace period. Time comes from the caller (the simulator's
//! clock, see `Simulator::advance_clock`), so rotation and grace can be tested without waiting.

use crate::config::SigningAlg;
use crate::faults::Forgery;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::pkcs8::EncodePublicKey;
use rand::RngCore;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The private half of a signing key, parsed once.
enum Signer {
    /// ES256 with `ring`: ~20 µs a token, against ~500 with `jsonwebtoken` (RustCrypto `p256`,
    /// and the PKCS#8 key parsed again for every token).
    Ecdsa(Box<EcdsaKeyPair>),
    /// RS256 with `jsonwebtoken`.
    Rsa(EncodingKey),
}

/// One asymmetric signing key and its public JWK.
struct SigningKey {
    kid: String,
    alg: SigningAlg,
    signer: Signer,
    jwk: Value,
    /// The public key as PEM (SubjectPublicKeyInfo), for the key-confusion fault.
    public_pem: String,
    retired_at: Option<Instant>,
}

/// The provider's key ring: one active key per asymmetric algorithm plus retired ones.
pub struct KeyRing {
    keys: Vec<SigningKey>,
    /// Rotate when the active keys are this old (`None`: only on demand).
    interval: Option<Duration>,
    grace: Duration,
    rotated_at: Instant,
}

fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
}

fn random_kid() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

fn generate(alg: SigningAlg) -> anyhow::Result<SigningKey> {
    let kid = random_kid();
    let (signer, jwk, public_pem) = match alg {
        SigningAlg::ES256 => {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| anyhow::anyhow!("ES256 key generation failed"))?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .map_err(|_| anyhow::anyhow!("ES256 key rejected by ring"))?;
            // The uncompressed SEC1 point: 0x04 || x || y.
            let point = pair.public_key().as_ref();
            let (x, y) = (B64.encode(&point[1..33]), B64.encode(&point[33..65]));
            let public_pem = pem(p256::PublicKey::from_sec1_bytes(point)?.to_public_key_der()?.as_bytes());
            (
                Signer::Ecdsa(Box::new(pair)),
                json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "use": "sig", "alg": "ES256", "kid": kid}),
                public_pem,
            )
        }
        SigningAlg::RS256 => {
            let secret = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
            let der = secret.to_pkcs1_der()?;
            (
                Signer::Rsa(EncodingKey::from_rsa_der(der.as_bytes())),
                json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": B64.encode(secret.n().to_bytes_be()),
                    "e": B64.encode(secret.e().to_bytes_be()),
                }),
                pem(rsa::RsaPublicKey::from(&secret).to_public_key_der()?.as_bytes()),
            )
        }
        SigningAlg::HS256 => anyhow::bail!("HS256 uses the client secret, not a generated key"),
    };
    Ok(SigningKey { kid, alg, signer, jwk, public_pem, retired_at: None })
}

impl SigningKey {
    /// A compact JWS of `claims` with this key, under a header naming `kid` (this key's own, or
    /// another one for the spoofed-kid forgery).
    fn sign<T: Serialize>(&self, kid: &str, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(algorithm(self.alg));
        header.kid = Some(kid.to_owned());
        match &self.signer {
            Signer::Rsa(encoding) => Ok(jsonwebtoken::encode(&header, claims, encoding)?),
            Signer::Ecdsa(pair) => {
                // What `jsonwebtoken::encode` does: base64url(JSON header) "." base64url(JSON
                // claims), signed; ES256's JWS signature is r || s (the "fixed" format).
                let mut token = B64.encode(serde_json::to_vec(&header)?);
                token.push('.');
                B64.encode_string(serde_json::to_vec(claims)?, &mut token);
                let signature = pair
                    .sign(&SystemRandom::new(), token.as_bytes())
                    .map_err(|_| anyhow::anyhow!("ES256 signing failed"))?;
                token.push('.');
                B64.encode_string(signature.as_ref(), &mut token);
                Ok(token)
            }
        }
    }
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
    /// Generates one ES256 and one RS256 key at `now`.
    pub fn generate(interval: Option<Duration>, grace: Duration, now: Instant) -> anyhow::Result<Self> {
        Ok(KeyRing {
            keys: vec![generate(SigningAlg::ES256)?, generate(SigningAlg::RS256)?],
            interval,
            grace,
            rotated_at: now,
        })
    }

    /// Whether the rotation interval has elapsed at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.interval.is_some_and(|every| now.saturating_duration_since(self.rotated_at) >= every)
    }

    /// Replaces the active keys with new ones; the old ones stay published for the grace period.
    pub fn rotate(&mut self, now: Instant) -> anyhow::Result<()> {
        let fresh = [generate(SigningAlg::ES256)?, generate(SigningAlg::RS256)?];
        for key in self.keys.iter_mut().filter(|k| k.retired_at.is_none()) {
            key.retired_at = Some(now);
        }
        self.keys.extend(fresh);
        self.rotated_at = now;
        let grace = self.grace;
        self.keys.retain(|k| k.retired_at.is_none_or(|t| now.saturating_duration_since(t) < grace));
        Ok(())
    }

    /// The keys still valid at `now`: active ones and retired ones within the grace period.
    fn published(&self, now: Instant) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter().filter(move |k| k.retired_at.is_none_or(|t| now.saturating_duration_since(t) < self.grace))
    }

    fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().rev().find(|k| k.alg == alg && k.retired_at.is_none())
    }

    /// The active key id for an asymmetric algorithm.
    pub fn active_kid(&self, alg: SigningAlg) -> Option<String> {
        self.active(alg).map(|k| k.kid.clone())
    }

    /// The public JWKS at `now` (active keys and retired keys within the grace period).
    pub fn jwks(&self, now: Instant) -> Value {
        json!({ "keys": self.published(now).map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Signs claims with the client's registered algorithm (HS256: with its secret).
    pub fn sign<T: Serialize>(&self, alg: SigningAlg, client_secret: &str, claims: &T) -> anyhow::Result<String> {
        match alg {
            SigningAlg::HS256 => Ok(jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                claims,
                &EncodingKey::from_secret(client_secret.as_bytes()),
            )?),
            _ => {
                let key = self.active(alg).ok_or_else(|| anyhow::anyhow!("no active {alg:?} key"))?;
                key.sign(&key.kid, claims)
            }
        }
    }

    /// Signs claims wrongly, on purpose, for a client registered with `alg`.
    pub fn forge<T: Serialize>(&self, forgery: Forgery, alg: SigningAlg, claims: &T) -> anyhow::Result<String> {
        // An asymmetric algorithm other than the client's (ES256 for an HS256 client).
        let other = if alg == SigningAlg::ES256 { SigningAlg::RS256 } else { SigningAlg::ES256 };
        let published = if alg == SigningAlg::HS256 { SigningAlg::ES256 } else { alg };
        match forgery {
            Forgery::UnknownKey => {
                let key = generate(published)?;
                key.sign(&key.kid, claims)
            }
            Forgery::SpoofedKid => {
                let published_kid =
                    self.active(published).ok_or_else(|| anyhow::anyhow!("no active {published:?} key"))?.kid.clone();
                generate(published)?.sign(&published_kid, claims)
            }
            Forgery::AlgNone => {
                let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let payload = B64.encode(serde_json::to_vec(claims)?);
                Ok(format!("{header}.{payload}."))
            }
            Forgery::Hs256WithPublicKey => {
                let key = self.active(published).ok_or_else(|| anyhow::anyhow!("no active {published:?} key"))?;
                let mut header = Header::new(Algorithm::HS256);
                header.kid = Some(key.kid.clone());
                Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key.public_pem.as_bytes()))?)
            }
            Forgery::WrongAlg => self.sign(other, "", claims),
        }
    }

    /// Verifies a token this provider signed for a client (expiry ignored: an `id_token_hint` may
    /// be old) with a key published at `now`. Returns its claims.
    pub fn verify_own(&self, token: &str, alg: SigningAlg, client_secret: &str, now: Instant) -> Option<Value> {
        let mut validation = Validation::new(algorithm(alg));
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let decode = |key: &DecodingKey| jsonwebtoken::decode::<Value>(token, key, &validation).ok().map(|d| d.claims);
        match alg {
            SigningAlg::HS256 => decode(&DecodingKey::from_secret(client_secret.as_bytes())),
            _ => {
                let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
                let key = self.published(now).find(|k| k.kid == kid && k.alg == alg)?;
                let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk.clone()).ok()?;
                decode(&DecodingKey::from_jwk(&jwk).ok()?)
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es256_tokens_have_jsonwebtokens_header_and_verify_with_the_jwk_and_the_pem() -> anyhow::Result<()> {
        let now = Instant::now();
        let ring = KeyRing::generate(None, Duration::from_secs(60), now)?;
        let claims = json!({"iss": "http://localhost", "sub": "agent", "aud": "client"});
        let token = ring.sign(SigningAlg::ES256, "", &claims)?;

        let mut header = Header::new(Algorithm::ES256);
        header.kid = ring.active_kid(SigningAlg::ES256);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts[0], B64.encode(serde_json::to_vec(&header)?));
        assert_eq!(B64.decode(parts[2])?.len(), 64, "JWS ES256 signatures are r || s");
        assert_eq!(ring.verify_own(&token, SigningAlg::ES256, "", now), Some(claims.clone()));

        let key = ring.active(SigningAlg::ES256).ok_or_else(|| anyhow::anyhow!("no ES256 key"))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let from_pem = DecodingKey::from_ec_pem(key.public_pem.as_bytes())?;
        assert_eq!(jsonwebtoken::decode::<Value>(&token, &from_pem, &validation)?.claims, claims);

        for forgery in [Forgery::UnknownKey, Forgery::SpoofedKid] {
            let forged = ring.forge(forgery, SigningAlg::ES256, &claims)?;
            assert_eq!(ring.verify_own(&forged, SigningAlg::ES256, "", now), None, "{forgery:?}");
        }
        Ok(())
    }
}
