//! A real S3-compatible server on loopback ([`S3Server`]): `scripts/s3-server.py`, moto's
//! server from `$EHR_VENV` (which `scripts/env.sh` installs), checking every request's
//! signature against the one key it makes.

use std::{
	fs::File,
	io::{BufRead, BufReader},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use crate::{free_port, Error, Result};

/// The launcher script, in the checkout beside this crate.
fn script() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/s3-server.py")
}

/// The Python of `$EHR_VENV`, which has moto's server.
fn python() -> Result<PathBuf> {
	let venv = std::env::var_os("EHR_VENV").ok_or_else(|| {
		Error::Io(std::io::Error::other(
			"EHR_VENV is not set: run the tests through scripts/test.sh, or `. scripts/env.sh && \
			 ensure_lint_tools` first (it installs moto's S3 server there)",
		))
	})?;
	Ok(PathBuf::from(venv).join("bin/python"))
}

/// A running S3 server; dropping it kills the server.
pub struct S3Server {
	child: Child,
	/// Its URL (`http://127.0.0.1:<port>`).
	pub endpoint: String,
	/// Its region.
	pub region: String,
	/// The access key it accepts.
	pub access_key_id: String,
	/// That key's secret.
	pub secret_access_key: String,
	port: u16,
	buckets: Vec<String>,
	log: PathBuf,
	_dir: tempfile::TempDir,
}

impl S3Server {
	/// Starts a server with the given (empty) buckets and waits until it serves.
	pub fn start(buckets: &[&str]) -> Result<S3Server> {
		let dir = tempfile::tempdir()?;
		let log = dir.path().join("s3-server.log");
		let buckets: Vec<String> = buckets.iter().map(|b| b.to_string()).collect();
		let (child, keys) = Self::spawn(free_port()?, &buckets, &log)?;
		Ok(S3Server {
			child,
			endpoint: keys.0,
			region: keys.1,
			access_key_id: keys.2,
			secret_access_key: keys.3,
			port: keys.4,
			buckets,
			log,
			_dir: dir,
		})
	}

	#[allow(clippy::type_complexity)]
	fn spawn(
		port: u16,
		buckets: &[String],
		log: &PathBuf,
	) -> Result<(Child, (String, String, String, String, u16))> {
		let mut cmd = Command::new(python()?);
		cmd.arg(script()).args(["--port", &port.to_string()]);
		for b in buckets {
			cmd.args(["--bucket", b]);
		}
		let mut child = cmd
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(File::options().create(true).append(true).open(log)?)
			.spawn()?;
		let stdout = child.stdout.take().ok_or_else(|| Error::Timeout("no stdout".into()))?;
		// The first line is the server's JSON description, printed once it serves.
		let (tx, rx) = std::sync::mpsc::channel();
		std::thread::spawn(move || {
			let mut line = String::new();
			let _ = BufReader::new(stdout).read_line(&mut line);
			let _ = tx.send(line);
		});
		let started = Instant::now();
		let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
		let info: serde_json::Value = match serde_json::from_str(&line) {
			Ok(v) => v,
			Err(_) => {
				let _ = child.kill();
				let _ = child.wait();
				return Err(Error::Timeout(format!(
					"the S3 server on port {port} did not start within {:?}: {}",
					started.elapsed(),
					std::fs::read_to_string(log).unwrap_or_default()
				)));
			},
		};
		let field = |k: &str| info[k].as_str().unwrap_or_default().to_string();
		Ok((
			child,
			(
				field("endpoint"),
				field("region"),
				field("access_key_id"),
				field("secret_access_key"),
				port,
			),
		))
	}

	/// Kills the server (whatever it was doing) and starts it again on the same port, with the
	/// same key and the same buckets, empty: objects are held in its memory.
	pub fn restart(&mut self) -> Result<()> {
		self.kill();
		let (child, keys) = Self::spawn(self.port, &self.buckets, &self.log)?;
		self.child = child;
		if keys.2 != self.access_key_id {
			return Err(Error::Io(std::io::Error::other("the restarted server has another key")));
		}
		Ok(())
	}

	/// Kills the server.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// The environment a client of this server needs (`AWS_*`), as pairs.
	pub fn env(&self) -> Vec<(&'static str, String)> {
		vec![
			("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
			("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
			("AWS_REGION", self.region.clone()),
			("AWS_ENDPOINT_URL", self.endpoint.clone()),
		]
	}

	/// The server's log (its requests, one a line).
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}
}

impl Drop for S3Server {
	fn drop(&mut self) {
		self.kill();
	}
}
