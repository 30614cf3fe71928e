#!/usr/bin/env bash
# Runs the zombienet test of four hospital validators (zombienet/four-hospitals.zndsl, native
# provider: four local ehr-node processes) against the built ehr-node, bounded in time, and
# prints one PASS or FAIL line. Zombienet downloads nothing: it runs $EHR_NODE_BIN.
#
#   scripts/zombienet.sh            # test (what scripts/test.sh runs)
#   scripts/zombienet.sh spawn      # start the network and keep it up (Ctrl+C stops it)
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

[ -x "$EHR_NODE_BIN" ] || {
	ensure_prereqs
	cargo build --"$EHR_PROFILE" --locked -p ehr-node
}
ensure_js_deps "$EHR_ROOT/zombienet"
export EHR_NODE_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/ehr-zombienet.XXXXXX")
cd zombienet
if [ "${1:-test}" = spawn ]; then
	exec npx zombienet --provider native --dir "$work/net" --force spawn ./four-hospitals.toml
fi
start=$(date +%s)
if timeout "${EHR_ZOMBIENET_TIMEOUT:-900}" npx zombienet --provider native --dir "$work/net" --force \
	test ./four-hospitals.zndsl; then
	echo "PASS: zombienet four-hospitals test in $(($(date +%s) - start)) s"
	rm -rf "$work"
else
	echo "FAIL: zombienet four-hospitals test after $(($(date +%s) - start)) s; node logs in $work/net"
	exit 1
fi
