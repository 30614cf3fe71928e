// How many blocks finality advanced on this node over `seconds` (first argument).
async function run(nodeName, networkInfo, args) {
  const seconds = Number(args?.[0] ?? 10);
  const { wsUri, userDefinedTypes } = networkInfo.nodesByName[nodeName];
  const api = await zombie.connect(wsUri, userDefinedTypes);
  const finalised = async () =>
    (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  try {
    const before = await finalised();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return (await finalised()) - before;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
