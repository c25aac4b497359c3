//! The deployment's own certificate authorities (`ca_bundle`): RIE networks and TLS-inspecting
//! proxies use certificates the public web's authorities do not sign.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// Reads every certificate of a PEM file; an unreadable file, or one without a certificate, is
/// an error naming the setting.
pub fn read_bundle(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("ca_bundle `{shown}`: cannot read it: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("ca_bundle `{shown}`: not a PEM certificate bundle: {e}"))?;
    if certificates.is_empty() {
        anyhow::bail!("ca_bundle `{shown}`: no certificate in it (expected PEM `BEGIN CERTIFICATE` blocks)");
    }
    Ok(certificates)
}

/// A TLS client configuration trusting the public web's authorities and the bundle, if any
/// (for Redis over `rediss://`).
pub fn client_config(bundle: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = bundle {
        for certificate in read_bundle(path)? {
            roots.add(certificate).map_err(|e| anyhow::anyhow!("ca_bundle `{}`: {e}", path.display()))?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
