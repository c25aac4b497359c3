//! ES256 signature verification with `ring`, about 4× faster than the RustCrypto `p256` code
//! `openidconnect` and `jsonwebtoken` use by default (BENCHMARKS.md, "ES256 on this machine").
//! Only the signature arithmetic changes: key selection, algorithm checks and every claim check
//! stay in those crates. Every other algorithm is delegated to them unchanged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, SignatureVerificationError};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Verifies a JWS ES256 signature (`r || s`, 64 bytes) with an uncompressed P-256 point.
fn verify_es256(point: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature).is_ok()
}

/// A JWK for `openidconnect`'s ID token verifier: a [`CoreJsonWebKey`] whose ES256 signatures
/// are checked with `ring`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "CoreJsonWebKey", into = "CoreJsonWebKey")]
pub struct RingJwk {
    core: CoreJsonWebKey,
    /// `0x04 || x || y` when the key is an EC P-256 signing key usable with ES256.
    p256_point: Option<Vec<u8>>,
}

impl From<CoreJsonWebKey> for RingJwk {
    fn from(core: CoreJsonWebKey) -> Self {
        let p256_point = es256_point(&core);
        RingJwk { core, p256_point }
    }
}

impl From<RingJwk> for CoreJsonWebKey {
    fn from(key: RingJwk) -> Self {
        key.core
    }
}

/// The public point of an EC P-256 key whose `use` and `alg`, when present, allow ES256 signatures.
fn es256_point(core: &CoreJsonWebKey) -> Option<Vec<u8>> {
    let jwk = serde_json::to_value(core).ok()?;
    let field = |name: &str| jwk.get(name).and_then(|v| v.as_str());
    let allowed = field("kty") == Some("EC")
        && field("crv") == Some("P-256")
        && field("use").is_none_or(|u| u == "sig")
        && field("alg").is_none_or(|a| a == "ES256");
    let coordinate = |name: &str| B64.decode(field(name)?).ok().filter(|c| c.len() == 32);
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    allowed.then(|| [&[4u8][..], &x, &y].concat())
}

impl JsonWebKey for RingJwk {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.core.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        CoreJsonWebKey::new_symmetric(key).into()
    }

    fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        match (alg, &self.p256_point) {
            (CoreJwsSigningAlgorithm::EcdsaP256Sha256, Some(point)) => verify_es256(point, message, signature)
                .then_some(())
                .ok_or_else(|| SignatureVerificationError::CryptoError("ES256 signature mismatch".into())),
            _ => self.core.verify_signature(alg, message, signature),
        }
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.core.hash_bytes(bytes, alg)
    }
}

/// `jsonwebtoken`'s RustCrypto provider with ES256 verification done by `ring` (the userinfo JWT).
static PROVIDER: LazyLock<jsonwebtoken::crypto::CryptoProvider> = LazyLock::new(|| {
    let rust_crypto = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    jsonwebtoken::crypto::CryptoProvider { verifier_factory: jwt_verifier, ..rust_crypto.clone() }
});

/// Makes `jsonwebtoken` verify ES256 with `ring` in this process. Harmless when the embedding
/// application installed its own provider first: that one is kept.
pub fn install_jwt_provider() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(&PROVIDER);
}

struct RingEs256Verifier(Vec<u8>);

impl jsonwebtoken::signature::Verifier<Vec<u8>> for RingEs256Verifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), jsonwebtoken::signature::Error> {
        verify_es256(&self.0, message, signature).then_some(()).ok_or_else(jsonwebtoken::signature::Error::new)
    }
}

impl jsonwebtoken::crypto::JwtVerifier for RingEs256Verifier {
    fn algorithm(&self) -> jsonwebtoken::Algorithm {
        jsonwebtoken::Algorithm::ES256
    }
}

fn jwt_verifier(
    alg: &jsonwebtoken::Algorithm,
    key: &jsonwebtoken::DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn jsonwebtoken::crypto::JwtVerifier>> {
    use jsonwebtoken::{Algorithm, AlgorithmFamily};
    match (alg, key.family()) {
        // An EC decoding key holds the SEC1 point; ring rejects anything that is not on P-256.
        (Algorithm::ES256, AlgorithmFamily::Ec) => Ok(Box::new(RingEs256Verifier(key.as_bytes().to_vec()))),
        _ => (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    fn key_pair() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key generation");
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key parsing")
    }

    fn jwk(pair: &EcdsaKeyPair, extra: serde_json::Value) -> RingJwk {
        let point = pair.public_key().as_ref();
        let mut jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "k1",
            "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..]),
        });
        jwk.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        serde_json::from_value(jwk).expect("a valid JWK")
    }

    #[test]
    fn es256_signatures_are_verified_and_forgeries_refused() {
        let pair = key_pair();
        let signature = pair.sign(&SystemRandom::new(), b"header.payload").expect("signing");
        let key = jwk(&pair, serde_json::json!({"use": "sig", "alg": "ES256"}));
        let es256 = CoreJwsSigningAlgorithm::EcdsaP256Sha256;
        assert!(key.verify_signature(&es256, b"header.payload", signature.as_ref()).is_ok());
        assert!(key.verify_signature(&es256, b"header.payload!", signature.as_ref()).is_err());
        let other = jwk(&key_pair(), serde_json::json!({}));
        assert!(other.verify_signature(&es256, b"header.payload", signature.as_ref()).is_err());
        // Another algorithm with this key goes to openidconnect, which refuses the mismatch.
        let rs256 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        assert!(key.verify_signature(&rs256, b"header.payload", signature.as_ref()).is_err());
    }

    #[test]
    fn keys_restricted_to_other_uses_or_algorithms_are_not_used_for_es256() {
        let pair = key_pair();
        let signature = pair.sign(&SystemRandom::new(), b"m").expect("signing");
        let es256 = CoreJwsSigningAlgorithm::EcdsaP256Sha256;
        for extra in [serde_json::json!({"use": "enc"}), serde_json::json!({"alg": "ES384"})] {
            let key = jwk(&pair, extra.clone());
            assert!(key.p256_point.is_none(), "{extra}");
            assert!(key.verify_signature(&es256, b"m", signature.as_ref()).is_err(), "{extra}");
        }
        let key = jwk(&pair, serde_json::json!({}));
        assert_eq!(serde_json::to_value(&key).expect("serializes")["kid"], "k1");
    }
}
