//! A node's storage read over JSON-RPC, whole or under a prefix, to compare state before and
//! after a change or to search all of it; and an account's free balance.

use codec::Decode;
use ehr_client::{
	runtime::{AccountId, Balance, Nonce, Runtime},
	Rpc,
};
use frame_system::AccountInfo;
use serde_json::Value;
use sp_core::H256;

use crate::Result;

/// The free balance of `who` at the best block: 0 for an account the chain keeps no balance of
/// (a patient registered without funds exists all the same, by the registry's reference).
pub async fn free_balance(rpc: &Rpc, who: &AccountId) -> Result<Balance> {
	let key = frame_system::Account::<Runtime>::hashed_key_for(who);
	let Some(raw) = rpc.storage(&key, None).await? else { return Ok(0) };
	let info =
		AccountInfo::<Nonce, <Runtime as frame_system::Config>::AccountData>::decode(&mut &raw[..])
			.map_err(|e| ehr_client::Error::Decode(format!("System::Account of {who}: {e}")))?;
	Ok(info.data.free)
}

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
