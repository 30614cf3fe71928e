//! A node's storage read over JSON-RPC, whole or under a prefix, to compare state before and
//! after a change or to search all of it.

use ehr_client::Rpc;
use serde_json::Value;
use sp_core::H256;

use crate::Result;

/// Keys asked for in one `state_getKeysPaged` request.
const PAGE: usize = 1000;

/// Every storage entry (key, value) under `prefix` (all of them for an empty prefix) at block
/// `at`, in key order.
pub async fn storage_entries(
	rpc: &Rpc,
	prefix: &[u8],
	at: H256,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
	let mut entries = Vec::new();
	let mut start: Option<String> = None;
	loop {
		let params = vec![
			Value::from(format!("0x{}", hex::encode(prefix))),
			Value::from(PAGE),
			start.clone().map(Value::from).unwrap_or(Value::Null),
			Value::from(format!("{at:?}")),
		];
		let keys: Vec<String> = rpc.call("state_getKeysPaged", params).await?;
		for k in &keys {
			let key = hex::decode(k.trim_start_matches("0x")).map_err(|e| {
				ehr_client::Error::Decode(format!("state_getKeysPaged key {k}: {e}"))
			})?;
			let value = rpc.storage(&key, Some(at)).await?.unwrap_or_default();
			entries.push((key, value));
		}
		// A page shorter than asked for is the last one.
		if keys.len() < PAGE {
			return Ok(entries);
		}
		start = keys.last().cloned();
	}
}
