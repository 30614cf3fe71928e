// Number of active hospitals in the registry, read with the `ehr_hospitals` JSON-RPC method
// (over HTTP on the node's RPC port, as a hospital's EHR system calls it).
async function run(nodeName, networkInfo) {
  const { wsUri } = networkInfo.nodesByName[nodeName];
  const res = await fetch(wsUri.replace(/^ws/, 'http'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ehr_hospitals', params: [] }),
  });
  const { result, error } = await res.json();
  if (error) throw new Error(JSON.stringify(error));
  return result.filter((h) => h.status === 'active').length;
}

module.exports = { run };
