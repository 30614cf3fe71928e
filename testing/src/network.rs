//! Several local `ehr-node` processes that make one network: the first node started, the others
//! booting from it; and what every node of it must show (peers, finality, no conflicting
//! finality).

use std::{path::PathBuf, time::Duration};

use crate::{Error, Node, NodeConfig, Result};

/// The four authorities of the local network (`--chain local`), one for each founding hospital.
pub const LOCAL_AUTHORITIES: [&str; 4] = ["alice", "bob", "charlie", "dave"];

/// Starts a node for each of `configs`: the first, then, once it answers JSON-RPC, the others with
/// it as their only bootnode (bootnodes in their configs are replaced). Returns the nodes in the
/// order of `configs` once each answers JSON-RPC, waiting up to `timeout` for each.
pub async fn start(configs: Vec<NodeConfig>, timeout: Duration) -> Result<Vec<Node>> {
	let mut configs = configs.into_iter();
	let Some(first) = configs.next() else { return Ok(Vec::new()) };
	let mut first = Node::start(first)?;
	first.wait_rpc(timeout).await?;
	let boot = first.multiaddr().await?;
	let mut nodes = vec![first];
	for mut config in configs {
		config.bootnodes = vec![boot.clone()];
		nodes.push(Node::start(config)?);
	}
	for node in nodes.iter_mut().skip(1) {
		node.wait_rpc(timeout).await?;
	}
	Ok(nodes)
}

/// Starts the authorities `names` of the local network (a subset of [`LOCAL_AUTHORITIES`], the
/// first one the bootnode) from `binary`, as [`start`] does.
pub async fn start_local(
	binary: impl Into<PathBuf>,
	names: &[&str],
	timeout: Duration,
) -> Result<Vec<Node>> {
	let binary = binary.into();
	let configs = names.iter().map(|name| NodeConfig::local_authority(binary.clone(), name));
	start(configs.collect(), timeout).await
}

/// Waits until every node of `nodes` has every other one as a peer.
pub async fn wait_connected(nodes: &[Node], timeout: Duration) -> Result<()> {
	let others = nodes.len().saturating_sub(1) as u64;
	for node in nodes {
		node.wait_peers(others, timeout).await?;
	}
	Ok(())
}

/// Waits until every node of `nodes` has finalized block `n` (each within `timeout`).
pub async fn finalized_by_all(nodes: &[Node], n: u32, timeout: Duration) -> Result<()> {
	for node in nodes {
		node.finalized_at_least(n, timeout).await?;
	}
	Ok(())
}

/// Checks that every pair of `nodes` agrees on every block all of them have finalized, and
/// returns that common finalized height.
pub async fn no_conflicting_finality(nodes: &[Node]) -> Result<u32> {
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
