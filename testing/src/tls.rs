//! Certificates for testing HTTPS: a certificate authority made for the test ([`TestCa`]) that
//! issues server certificates for loopback.

use std::{net::IpAddr, path::Path};

use rcgen::{
	BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyUsagePurpose, SanType,
};

use crate::{Error, Result};

fn rcgen_error(e: rcgen::RcgenError) -> Error {
	Error::Io(std::io::Error::other(format!("certificate: {e}")))
}

/// A certificate authority that exists only for one test.
pub struct TestCa {
	cert: Certificate,
}

impl TestCa {
	/// A new authority named `name`.
	pub fn new(name: &str) -> Result<TestCa> {
		let mut params = CertificateParams::new(Vec::new());
		params.distinguished_name.push(DnType::CommonName, name);
		params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
		params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
		Ok(TestCa { cert: Certificate::from_params(params).map_err(rcgen_error)? })
	}

	/// Writes the authority's certificate (PEM) to `path`: what a client trusts.
	pub fn write_ca(&self, path: &Path) -> Result<()> {
		std::fs::write(path, self.cert.serialize_pem().map_err(rcgen_error)?)?;
		Ok(())
	}

	/// Issues a server certificate for `127.0.0.1` and `localhost` and writes it and its key
	/// (PEM) to `cert` and `key`, each replaced at once (written beside, then renamed).
	pub fn issue(&self, cert: &Path, key: &Path) -> Result<()> {
		let mut params = CertificateParams::new(vec!["localhost".to_string()]);
		params.subject_alt_names.push(SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
		params.distinguished_name.push(DnType::CommonName, "localhost");
		let leaf = Certificate::from_params(params).map_err(rcgen_error)?;
		let pem = leaf.serialize_pem_with_signer(&self.cert).map_err(rcgen_error)?;
		for (path, text) in [(key, leaf.serialize_private_key_pem()), (cert, pem)] {
			let tmp = path.with_extension("tmp");
			std::fs::write(&tmp, text)?;
			std::fs::rename(&tmp, path)?;
		}
		Ok(())
	}
}
