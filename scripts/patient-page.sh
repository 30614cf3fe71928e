#!/usr/bin/env bash
# Builds the patient page (patient-web/) and serves it on 127.0.0.1.
#
#   scripts/patient-page.sh [--port N] [--rpc ws://HOST:PORT] [--nodes URL,URL] [--chain CHAIN]
#
# --port (or EHR_PAGE_PORT): default 8080. --rpc (or EHR_RPC): the node the printed link points the
# page at, default ws://127.0.0.1:9944 (the first node of scripts/start.sh). --nodes: the other
# hospitals' nodes the page offers. --chain (dev, local or a chain spec file; default local): the
# chain whose raw spec the page checks finality from (ehr-node export-chain-spec). Open the
# printed URL; the page takes its node from `?rpc=`. Stop with Ctrl-C. See docs/patient-page.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"

port="${EHR_PAGE_PORT:-8080}"
rpc="${EHR_RPC:-ws://127.0.0.1:9944}"
nodes=""
chain=local
while [ $# -gt 0 ]; do
	case "$1" in
		--port) port="${2:?--port needs a value}"; shift 2 ;;
		--rpc) rpc="${2:?--rpc needs a value}"; shift 2 ;;
		--nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
		--chain) chain="${2:?--chain needs a value}"; shift 2 ;;
		-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
done

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	|| die "node and npm are needed (scripts/start.sh installs them, or: apt-get install nodejs npm)"
ensure_js_deps "$EHR_ROOT/patient-web"
if [ -f "$chain" ]; then
	spec=$(realpath "$chain")
else
	[ -x "$EHR_NODE_BIN" ] || die "$EHR_NODE_BIN not found: build the node first (cargo build --$EHR_PROFILE -p ehr-node)"
	spec="$CARGO_TARGET_DIR/chain-spec-$chain.json"
	"$EHR_NODE_BIN" export-chain-spec --chain "$chain" --raw >"$spec.tmp" 2>/dev/null \
		|| die "ehr-node cannot export the chain spec of --chain $chain"
	mv "$spec.tmp" "$spec"
fi
cd "$EHR_ROOT/patient-web"
node build.mjs
exec node serve.mjs --port "$port" --rpc "$rpc" --nodes "$nodes" --chain-spec "$spec"
