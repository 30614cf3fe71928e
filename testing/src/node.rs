//! One local `ehr-node` process on loopback, and where its binary is.
//!
//! Every node gets free ports, its own base path (removed when the node is dropped) and a log
//! file; dropping a [`Node`] kills its process, so a failing test never leaves nodes behind.

use std::{
	fs::File,
	io::{Read, Seek, SeekFrom},
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use ehr_client::Rpc;

use crate::{wait_until, Error, Result};

/// The environment variable that names the `ehr-node` binary (`scripts/env.sh` sets it).
pub const NODE_BIN_VAR: &str = "EHR_NODE_BIN";

/// The `ehr-node` binary named by `$EHR_NODE_BIN`, if it is set.
pub fn node_binary_from_env() -> Option<PathBuf> {
	std::env::var_os(NODE_BIN_VAR).map(PathBuf::from)
}

/// The `ehr-node` binary to test: `$EHR_NODE_BIN`, else the one built in the same target
/// directory as the running test (`cargo test --release --workspace` builds both).
///
/// A test harness runs from `target/<profile>/deps/`, a binary from `target/<profile>/`, where
/// `ehr-node` is; so the directory of the running executable and its parent are searched.
///
/// # Panics
///
/// If neither names an existing file: the tests cannot run without the node.
pub fn node_binary() -> PathBuf {
	if let Some(bin) = node_binary_from_env() {
		return bin;
	}
	let exe = std::env::current_exe().expect("the path of the running executable");
	let found =
		exe.ancestors().skip(1).take(2).map(|dir| dir.join("ehr-node")).find(|bin| bin.exists());
	found.unwrap_or_else(|| {
		panic!(
			"no ehr-node next to {} or in its parent directory: build the workspace, or set \
			 {NODE_BIN_VAR}",
			exe.display()
		)
	})
}

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
		NodeConfig::authority(binary, "local", name)
	}

	/// A validator of chain `chain` (a preset such as `local`, or a chain spec file) with the
	/// development keys of `name` (`--alice`, ...).
	pub fn authority(binary: impl Into<PathBuf>, chain: &str, name: &str) -> Self {
		NodeConfig {
			binary: binary.into(),
			name: name.into(),
			args: vec!["--chain".into(), chain.into(), "--validator".into(), format!("--{name}")],
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
		Rpc::new(&self.url()).map_err(Error::from)
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
	/// carries the node's best and finalized numbers and the last lines of its log.
	pub async fn finalized_at_least(&self, n: u32, timeout: Duration) -> Result<u32> {
		let rpc = self.rpc()?;
		let what = format!("node {} finalizes #{n}", self.name);
		let reached = wait_until(&what, timeout, || {
			let rpc = rpc.clone();
			async move { Ok(rpc.finalized_number().await.ok().filter(|f| *f >= n)) }
		})
		.await;
		match reached {
			Ok(f) => Ok(f),
			Err(e) => Err(Error::Timeout(format!(
				"{e} (best #{}, finalized #{}); log:\n{}",
				rpc.best_number().await.unwrap_or_default(),
				rpc.finalized_number().await.unwrap_or_default(),
				self.log_tail(40)
			))),
		}
	}

	/// Waits until the node has at least `at_least` peers; returns their number. The error
	/// carries the last lines of the node's log.
	pub async fn wait_peers(&self, at_least: u64, timeout: Duration) -> Result<u64> {
		let rpc = self.rpc()?;
		let what = format!("node {} has {at_least} peers", self.name);
		wait_until(&what, timeout, || {
			let rpc = rpc.clone();
			async move { Ok(rpc.peers().await.ok().filter(|p| *p >= at_least)) }
		})
		.await
		.map_err(|e| Error::Timeout(format!("{e}; log:\n{}", self.log_tail(30))))
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.kill();
		if std::thread::panicking() {
			eprintln!("--- last log lines of node {} ---\n{}", self.name, self.log_tail(40));
		}
	}
}
