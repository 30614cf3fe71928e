//! Local `ehr-node` processes on loopback: for the end-to-end tests, the load tool and scripts.
//!
//! Every node gets free ports, its own base path (removed when the node is dropped) and a log
//! file; dropping a [`Node`] kills its process, so a failing test never leaves nodes behind.

use std::{
	fs::File,
	future::Future,
	io::{Read, Seek, SeekFrom},
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use crate::{Error, Result, Rpc};

/// A free TCP port on 127.0.0.1 (the OS picks one; it is released again for the node to bind).
pub fn free_port() -> Result<u16> {
	Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// How to start one node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
	/// Path of the `ehr-node` binary.
	pub binary: PathBuf,
	/// A name for logs and messages (`alice`, `bob`, ...).
	pub name: String,
	/// Extra command-line arguments (`--dev`, `--chain local --alice --validator`, ...).
	pub args: Vec<String>,
	/// Multiaddresses of nodes to connect to first.
	pub bootnodes: Vec<String>,
}

impl NodeConfig {
	/// A single-node development chain (`--dev`: Alice authors and finalizes alone).
	pub fn dev(binary: impl Into<PathBuf>) -> Self {
		NodeConfig {
			binary: binary.into(),
			name: "dev".into(),
			args: vec!["--dev".into()],
			bootnodes: vec![],
		}
	}

	/// One authority of the local four-hospital network (`alice`, `bob`, `charlie`, `dave`).
	pub fn local_authority(binary: impl Into<PathBuf>, name: &str) -> Self {
		NodeConfig {
			binary: binary.into(),
			name: name.into(),
			args: vec!["--chain".into(), "local".into(), "--validator".into(), format!("--{name}")],
			bootnodes: vec![],
		}
	}
}

/// A running `ehr-node` process.
pub struct Node {
	/// Name given in its [`NodeConfig`].
	pub name: String,
	/// JSON-RPC port (HTTP and WebSocket) on 127.0.0.1.
	pub rpc_port: u16,
	/// libp2p port on 127.0.0.1.
	pub p2p_port: u16,
	/// Prometheus port on 127.0.0.1.
	pub prometheus_port: u16,
	config: NodeConfig,
	base: tempfile::TempDir,
	log: PathBuf,
	child: Option<Child>,
}

impl Node {
	/// Starts a node with `config` on free ports and a fresh base path.
	pub fn start(config: NodeConfig) -> Result<Node> {
		let base = tempfile::Builder::new().prefix(&format!("ehr-{}-", config.name)).tempdir()?;
		// An authority refuses to start without a persistent network key: give each node one,
		// kept across restarts in its base path.
		let key = base.path().join("node-key");
		let out = Command::new(&config.binary)
			.args(["key", "generate-node-key", "--file"])
			.arg(&key)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.status()?;
		if !out.success() {
			return Err(Error::Io(std::io::Error::other("ehr-node key generate-node-key failed")));
		}
		let mut node = Node {
			name: config.name.clone(),
			rpc_port: free_port()?,
			p2p_port: free_port()?,
			prometheus_port: free_port()?,
			log: base.path().join("node.log"),
			config,
			base,
			child: None,
		};
		node.spawn()?;
		Ok(node)
	}

	fn spawn(&mut self) -> Result<()> {
		let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
		let mut cmd = Command::new(&self.config.binary);
		cmd.args(&self.config.args)
			.arg("--base-path")
			.arg(self.base.path().join("data"))
			.arg("--node-key-file")
			.arg(self.base.path().join("node-key"))
			.args(["--rpc-port", &self.rpc_port.to_string()])
			.args(["--prometheus-port", &self.prometheus_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port)])
			.args(["--name", &self.name])
			.arg("--no-mdns")
			.arg("--no-telemetry");
		for b in &self.config.bootnodes {
			cmd.args(["--bootnodes", b]);
		}
		cmd.env("RUST_LOG", std::env::var("EHR_NODE_LOG").unwrap_or_else(|_| "info".into()))
			.stdin(Stdio::null())
			.stdout(log.try_clone()?)
			.stderr(log);
		self.child = Some(cmd.spawn()?);
		Ok(())
	}

	/// JSON-RPC endpoint.
	pub fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc_port)
	}

	/// A JSON-RPC client of this node.
	pub fn rpc(&self) -> Result<Rpc> {
		Rpc::new(&self.url())
	}

	/// Base path of the node (its database and keystore live under `data/`).
	pub fn base_path(&self) -> &Path {
		self.base.path()
	}

	/// The last `lines` lines of the node's log, for failure messages.
	pub fn log_tail(&self, lines: usize) -> String {
		let mut s = String::new();
		if let Ok(mut f) = File::open(&self.log) {
			let len = f.metadata().map(|m| m.len()).unwrap_or(0);
			let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
			let _ = f.read_to_string(&mut s);
		}
		let all: Vec<&str> = s.lines().collect();
		all[all.len().saturating_sub(lines)..].join("\n")
	}

	/// Whole log of the node so far.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// Whether the process is still running.
	pub fn is_running(&mut self) -> bool {
		matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
	}

	/// Waits until the node answers JSON-RPC.
	pub async fn wait_rpc(&mut self, timeout: Duration) -> Result<Rpc> {
		let rpc = self.rpc()?;
		let start = Instant::now();
		loop {
			if rpc.genesis_hash().await.is_ok() {
				return Ok(rpc);
			}
			if !self.is_running() {
				return Err(Error::Timeout(format!(
					"node {} exited before answering RPC; log:\n{}",
					self.name,
					self.log_tail(30)
				)));
			}
			if start.elapsed() > timeout {
				return Err(Error::Timeout(format!(
					"node {} did not answer RPC on {} within {timeout:?}; log:\n{}",
					self.name,
					self.url(),
					self.log_tail(30)
				)));
			}
			tokio::time::sleep(Duration::from_millis(200)).await;
		}
	}

	/// The node's libp2p address, to give other nodes as a bootnode.
	pub async fn multiaddr(&self) -> Result<String> {
		let peer_id: String = self.rpc()?.call("system_localPeerId", vec![]).await?;
		Ok(format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.p2p_port, peer_id))
	}

	/// Stops the process (SIGKILL) and waits for it; the base path is kept for a restart.
	pub fn kill(&mut self) -> Result<()> {
		if let Some(mut c) = self.child.take() {
			// A paused process dies on SIGKILL as well; resuming first is not needed.
			let _ = c.kill();
			c.wait()?;
		}
		Ok(())
	}

	/// Freezes the process (SIGSTOP), as a hung server would be: its connections stay open but
	/// it answers nothing, votes nothing and authors nothing until [`Node::resume`].
	pub fn pause(&mut self) -> Result<()> {
		self.signal(libc::SIGSTOP)
	}

	/// Lets a paused process run again (SIGCONT).
	pub fn resume(&mut self) -> Result<()> {
		self.signal(libc::SIGCONT)
	}

	fn signal(&mut self, sig: libc::c_int) -> Result<()> {
		let child = self.child.as_ref().ok_or_else(|| {
			Error::Io(std::io::Error::other(format!("node {} is not running", self.name)))
		})?;
		let pid = libc::pid_t::try_from(child.id())
			.map_err(|_| Error::Io(std::io::Error::other("pid out of range")))?;
		// SAFETY: `kill` only sends a signal to our own child process; no memory is shared.
		if unsafe { libc::kill(pid, sig) } != 0 {
			return Err(Error::Io(std::io::Error::last_os_error()));
		}
		Ok(())
	}

	/// Starts the process again on the same ports and base path (after [`Node::kill`]).
	pub fn restart(&mut self) -> Result<()> {
		self.kill()?;
		self.spawn()
	}
	/// Waits until the node has finalized block `n`; returns its finalized number. The error
	/// carries the last lines of the node's log.
	pub async fn finalized_at_least(&self, n: u32, timeout: Duration) -> Result<u32> {
		let rpc = self.rpc()?;
		let what = format!("node {} finalizes #{n}", self.name);
		wait_until(&what, timeout, || {
			let rpc = rpc.clone();
			async move { Ok(rpc.finalized_number().await.ok().filter(|f| *f >= n)) }
		})
		.await
		.map_err(|e| Error::Timeout(format!("{e}; log:\n{}", self.log_tail(40))))
	}
}

/// Checks that every pair of `nodes` agrees on every block all of them have finalized, and
/// returns that common finalized height.
pub async fn no_conflicting_finality(nodes: &[&Node]) -> Result<u32> {
	let mut common = u32::MAX;
	for n in nodes {
		common = common.min(n.rpc()?.finalized_number().await?);
	}
	let Some((first, rest)) = nodes.split_first() else { return Ok(0) };
	for height in 1..=common {
		let expected = first.rpc()?.block_hash(height).await?;
		for n in rest {
			if n.rpc()?.block_hash(height).await? != expected {
				return Err(Error::Conflict(format!(
					"nodes {} and {} finalized different #{height}",
					first.name, n.name
				)));
			}
		}
	}
	Ok(common)
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.kill();
		if std::thread::panicking() {
			eprintln!("--- last log lines of node {} ---\n{}", self.name, self.log_tail(40));
		}
	}
}

/// Polls `check` every 250 ms until it returns `Some`, failing with `what` and the elapsed time
/// after `timeout`.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
	F: FnMut() -> Fut,
	Fut: Future<Output = Result<Option<T>>>,
{
	let start = Instant::now();
	let mut last_err = None;
	loop {
		match check().await {
			Ok(Some(v)) => return Ok(v),
			Ok(None) => {},
			Err(e) => last_err = Some(e.to_string()),
		}
		if start.elapsed() > timeout {
			return Err(Error::Timeout(format!(
				"{what}: not reached within {timeout:?}{}",
				last_err.map(|e| format!(" (last error: {e})")).unwrap_or_default()
			)));
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}
