//! The gateway over HTTPS, with certificates made by a certificate authority the test creates
//! (`ehr_testing::TestCa`), against the `ehr-gateway` binary. No node is needed: every answer
//! of the gateway, a refusal included, shows that the TLS connection carried the request.
//!
//! A client trusting the CA is answered; one trusting only the system's roots, and a plain-HTTP
//! client, are not. A renewed certificate from another CA is served after `SIGHUP` without a
//! restart, and a broken one leaves the current one in use. A gateway refuses to start with
//! plain HTTP off loopback, or with a certificate file that does not load.

use std::{
	path::Path,
	process::{Child, Command, Stdio},
	time::Duration,
};

use ehr_client::{
	gateway::{Gateway, Trust},
	Error,
};
use ehr_testing::{free_port, wait_until, TestCa};
use sp_core::H256;

const GATEWAY_BIN: &str = env!("CARGO_BIN_EXE_ehr-gateway");
const WAIT: Duration = Duration::from_secs(30);

/// Whether the gateway at `url` answered (anything, a refusal included) a client of `trust`.
async fn answered(url: &str, trust: &Trust) -> Result<(), String> {
	let gateway = Gateway::with_trust(url, H256::zero(), trust).map_err(|e| e.to_string())?;
	match gateway.info().await {
		Ok(_) | Err(Error::Refused(_)) => Ok(()),
		Err(e) => Err(e.to_string()),
	}
}

struct Running {
	child: Child,
	log: std::path::PathBuf,
}

impl Running {
	fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}
}

impl Drop for Running {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn gateway(dir: &Path, listen: &str, extra: &[&str]) -> Running {
	let log = dir.join(format!("gateway-{}.log", listen.replace(':', "_")));
	let out = std::fs::File::create(&log).unwrap();
	// The node's port is closed: the gateway serves, and refuses what needs the node.
	let child = Command::new(GATEWAY_BIN)
		.args(["--node-rpc", &format!("http://127.0.0.1:{}", free_port().unwrap())])
		.args(["--listen", listen, "--suri", "//Alice//stash", "--no-publish-key"])
		.arg("--store")
		.arg(dir.join(format!("store-{}", listen.replace(':', "_"))))
		.args(extra)
		.stdin(Stdio::null())
		.stdout(out.try_clone().unwrap())
		.stderr(out)
		.spawn()
		.unwrap();
	Running { child, log }
}

#[tokio::test]
async fn the_gateway_serves_https_renews_its_certificate_on_sighup_and_keeps_plain_http_on_loopback(
) {
	let dir = tempfile::tempdir().unwrap();
	let path = |name: &str| dir.path().join(name);
	let (ca1, ca2) = (TestCa::new("Alice General CA").unwrap(), TestCa::new("Renewed CA").unwrap());
	ca1.write_ca(&path("ca1.pem")).unwrap();
	ca2.write_ca(&path("ca2.pem")).unwrap();
	ca1.issue(&path("cert.pem"), &path("key.pem")).unwrap();
	let (trust1, trust2) = (Trust::CaFile(path("ca1.pem")), Trust::CaFile(path("ca2.pem")));

	let port = free_port().unwrap();
	let listen = format!("127.0.0.1:{port}");
	let cert = path("cert.pem").to_str().unwrap().to_string();
	let key = path("key.pem").to_str().unwrap().to_string();
	let running = gateway(dir.path(), &listen, &["--tls-cert", &cert, "--tls-key", &key]);
	let url = format!("https://127.0.0.1:{port}");
	let up = wait_until("the gateway serves HTTPS", WAIT, || {
		let (url, trust) = (url.clone(), trust1.clone());
		async move { Ok(answered(&url, &trust).await.ok()) }
	})
	.await;
	up.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", running.log()));
	assert!(running.log().contains(&format!("serving on https://{listen}")), "{}", running.log());

	// Neither the system's roots nor the other CA vouch for the certificate; plain HTTP to
	// the HTTPS port gets no answer.
	assert!(answered(&url, &Trust::System).await.is_err());
	assert!(answered(&url, &trust2).await.is_err());
	assert!(answered(&format!("http://127.0.0.1:{port}"), &trust1).await.is_err());

	// A renewed certificate, from another CA, is served after SIGHUP without a restart.
	ca2.issue(&path("cert.pem"), &path("key.pem")).unwrap();
	let pid = running.child.id().to_string();
	assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
	let renewed = wait_until("the renewed certificate is served", WAIT, || {
		let (url, trust) = (url.clone(), trust2.clone());
		async move { Ok(answered(&url, &trust).await.ok()) }
	})
	.await;
	renewed.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", running.log()));
	assert!(running.log().contains("TLS certificate"), "{}", running.log());
	assert!(answered(&url, &trust1).await.is_err(), "the old CA no longer vouches");

	// A broken certificate file: the one in use stays, and the log says so.
	std::fs::write(path("cert.pem"), "not a certificate").unwrap();
	assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
	let kept = wait_until("the failed reload is logged", WAIT, || {
		let log = running.log();
		async move { Ok(log.contains("the certificate in use stays").then_some(())) }
	})
	.await;
	kept.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", running.log()));
	answered(&url, &trust2).await.unwrap();

	// Plain HTTP is served on loopback, and refused off it unless allowed.
	let plain_port = free_port().unwrap();
	let plain = gateway(dir.path(), &format!("127.0.0.1:{plain_port}"), &[]);
	let plain_url = format!("http://127.0.0.1:{plain_port}");
	let served = wait_until("the gateway serves plain HTTP on loopback", WAIT, || {
		let url = plain_url.clone();
		async move { Ok(answered(&url, &Trust::System).await.ok()) }
	})
	.await;
	served.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", plain.log()));
	let everywhere = format!("0.0.0.0:{}", free_port().unwrap());
	let mut refused = gateway(dir.path(), &everywhere, &[]);
	let status = refused.child.wait().unwrap();
	assert!(!status.success());
	assert!(refused.log().contains("is not a loopback address"), "{}", refused.log());
	let allowed_port = free_port().unwrap();
	let allowed = gateway(dir.path(), &format!("0.0.0.0:{allowed_port}"), &["--allow-plain-http"]);
	let allowed_url = format!("http://127.0.0.1:{allowed_port}");
	let served = wait_until("plain HTTP off loopback, allowed", WAIT, || {
		let url = allowed_url.clone();
		async move { Ok(answered(&url, &Trust::System).await.ok()) }
	})
	.await;
	served.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", allowed.log()));

	// A certificate file that does not load stops the gateway at start-up.
	let broken_port = free_port().unwrap();
	let mut broken = gateway(
		dir.path(),
		&format!("127.0.0.1:{broken_port}"),
		&["--tls-cert", &cert, "--tls-key", &key],
	);
	assert!(!broken.child.wait().unwrap().success());
	assert!(broken.log().contains("TLS certificate"), "{}", broken.log());
}
