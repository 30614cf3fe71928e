//! HTTPS for the gateway's server: a certificate chain and its private key read from PEM files,
//! read again on `SIGHUP` (a renewed certificate is served to the next connections without a
//! restart; a file that does not load leaves the current one in place, and says so).

use std::{
	path::PathBuf,
	sync::{Arc, RwLock},
};

use rustls::{
	pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
	ServerConfig,
};

/// Where the gateway's certificate and key are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
	/// The certificate chain, leaf first (PEM).
	pub cert: PathBuf,
	/// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
	pub key: PathBuf,
}

/// The server's TLS settings, replaceable while it runs.
pub struct Tls {
	files: TlsFiles,
	current: RwLock<Arc<ServerConfig>>,
}

/// The TLS settings of `files`: TLS 1.2 and 1.3 with rustls' safe defaults, HTTP/1.1.
fn load(files: &TlsFiles) -> Result<ServerConfig, String> {
	let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
		.and_then(|certs| certs.collect())
		.map_err(|e| format!("TLS certificate {}: {e}", files.cert.display()))?;
	if certs.is_empty() {
		return Err(format!("TLS certificate {}: no certificate in it", files.cert.display()));
	}
	let key = PrivateKeyDer::from_pem_file(&files.key)
		.map_err(|e| format!("TLS key {}: {e}", files.key.display()))?;
	let mut config =
		ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
			.with_safe_default_protocol_versions()
			.map_err(|e| format!("TLS: {e}"))?
			.with_no_client_auth()
			.with_single_cert(certs, key)
			.map_err(|e| {
				format!(
					"TLS certificate {} and key {} do not go together: {e}",
					files.cert.display(),
					files.key.display()
				)
			})?;
	config.alpn_protocols = vec![b"http/1.1".to_vec()];
	Ok(config)
}

impl Tls {
	/// Loads the certificate and key of `files`.
	pub fn new(files: TlsFiles) -> Result<Tls, String> {
		let config = load(&files)?;
		Ok(Tls { files, current: RwLock::new(Arc::new(config)) })
	}

	/// Reads the files again; on failure the settings in use stay.
	pub fn reload(&self) -> Result<(), String> {
		let config = Arc::new(load(&self.files)?);
		*self.current.write().map_err(|_| "TLS settings lock poisoned".to_string())? = config;
		Ok(())
	}

	/// An acceptor with the current settings, for one connection.
	pub fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, String> {
		let config = self.current.read().map_err(|_| "TLS settings lock poisoned".to_string())?;
		Ok(tokio_rustls::TlsAcceptor::from(config.clone()))
	}

	/// The files it serves.
	pub fn files(&self) -> &TlsFiles {
		&self.files
	}
}
