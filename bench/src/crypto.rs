//! What one ES256 signature costs on this machine with the RustCrypto `p256` crate (what the
//! backend's `openidconnect` and `jsonwebtoken` and the simulator use) and with `ring` (already
//! in the dependency tree through rustls): the evidence behind finding 3.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use std::time::{Duration, Instant};

/// Microseconds per operation.
#[derive(Debug, Clone, Default)]
pub struct Es256 {
    /// `p256` sign.
    pub p256_sign_us: f64,
    /// `p256` verify.
    pub p256_verify_us: f64,
    /// `ring` sign.
    pub ring_sign_us: f64,
    /// `ring` verify.
    pub ring_verify_us: f64,
}

/// Times `f` over at most `max` calls or `within`, whichever ends first; µs per call.
fn time(max: u32, within: Duration, mut f: impl FnMut() -> bool) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut done = 0u32;
    while done < max && start.elapsed() < within {
        if !f() {
            anyhow::bail!("a signature did not verify");
        }
        done += 1;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(done.max(1)))
}

/// Measures sign and verify with both libraries (single thread).
pub fn es256(max: u32, within: Duration) -> anyhow::Result<Es256> {
    use p256::pkcs8::EncodePrivateKey;
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, UnparsedPublicKey,
    };
    // A JWT-sized signing input.
    let message = vec![b'e'; 900];
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let verifying = VerifyingKey::from(&key);
    let signature: Signature = key.sign(&message);
    let p256_sign_us = time(max, within, || {
        let s: Signature = key.sign(&message);
        s.to_bytes().len() == 64
    })?;
    let p256_verify_us = time(max, within, || verifying.verify(&message, &signature).is_ok())?;

    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = key.to_pkcs8_der().map_err(|e| anyhow::anyhow!("pkcs8: {e}"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_bytes(), &rng)
        .map_err(|e| anyhow::anyhow!("ring key: {e}"))?;
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref().to_vec());
    let ring_signature = pair.sign(&rng, &message).map_err(|e| anyhow::anyhow!("ring sign: {e}"))?;
    let ring_sign_us = time(max, within, || pair.sign(&rng, &message).is_ok())?;
    let ring_verify_us = time(max, within, || public.verify(&message, ring_signature.as_ref()).is_ok())?;
    // Both libraries agree on the format: ring verifies p256's signature.
    if public.verify(&message, &signature.to_bytes()).is_err() {
        anyhow::bail!("ring rejected a p256 signature");
    }
    Ok(Es256 { p256_sign_us, p256_verify_us, ring_sign_us, ring_verify_us })
}
