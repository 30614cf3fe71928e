// A Polkadot.js client decodes ehr-chain's metadata, signs a transfer, and sees it finalized with
// its event: the proof that generic wallets (Polkadot.js Apps) work with the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { startDevNode } from './lib/node.mjs';

test('a Polkadot.js client signs a transfer that is finalized with its event', { timeout: 180_000 }, async () => {
  const node = await startDevNode();
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });

    // Chain properties and metadata as wallets read them.
    const props = api.registry.getChainProperties();
    assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'EHR');
    assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
    assert.equal(props.ss58Format.unwrap().toNumber(), 42);
    assert.equal(api.runtimeVersion.specName.toString(), 'ehr-chain');
    assert.ok(api.runtimeMetadata.version >= 15, `metadata v${api.runtimeMetadata.version}`);

    // Runtime APIs are discoverable from the metadata alone: no custom type definitions.
    const hospitals = await api.call.hospitalRegistryApi.hospitals();
    assert.equal(hospitals.length, 1);
    assert.equal(hospitals[0].name.toUtf8(), 'Alice General');
    assert.ok(hospitals[0].status.isActive);

    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const alice = keyring.addFromUri('//Alice');
    const ferdie = keyring.addFromUri('//Ferdie');
    const amount = 7n * 10n ** 12n;
    const before = (await api.query.system.account(ferdie.address)).data.free.toBigInt();

    const finalized = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not finalized within 60 s; log:\n${node.logTail()}`)), 60_000);
      api.tx.balances.transferKeepAlive(ferdie.address, amount)
        .signAndSend(alice, ({ status, events, dispatchError }) => {
          if (dispatchError) { clearTimeout(timer); reject(new Error(dispatchError.toString())); }
          if (status.isFinalized) { clearTimeout(timer); resolve({ block: status.asFinalized, events }); }
        })
        .catch((e) => { clearTimeout(timer); reject(e); });
    });

    const transfer = finalized.events.find(({ event }) => api.events.balances.Transfer.is(event));
    assert.ok(transfer, 'a Balances.Transfer event');
    const [from, to, value] = transfer.event.data;
    assert.equal(from.toString(), alice.address);
    assert.equal(to.toString(), ferdie.address);
    assert.equal(value.toBigInt(), amount);
    assert.ok(finalized.events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

    const at = await api.at(finalized.block);
    const after = (await at.query.system.account(ferdie.address)).data.free.toBigInt();
    assert.equal(after - before, amount);
  } finally {
    if (api) await api.disconnect();
    await node.stop();
  }
});
