#!/usr/bin/env bash
# Starts ehr-chain locally, building ehr-node first if needed.
#
#   scripts/start.sh           the local network of four hospital authorities (Alice, Bob,
#                              Charlie, Dave), one ehr-node each, on this machine
#   scripts/start.sh --dev     a single development node (Alice authors and finalizes alone)
#   scripts/start.sh --fresh   wipe the chain data of the chosen mode first
#   scripts/start.sh --no-page do not build and serve the patient page
#   scripts/start.sh --no-gateways  do not start the hospitals' document gateways
#
# Chain data lives in $EHR_DATA_DIR (default ~/.local/share/ehr-chain) in ParityDB, so a second
# run continues the same chain. Stop with Ctrl-C; every node is stopped with the script.
# Next to the nodes, scripts/patient-page.sh serves the patient page (docs/patient-page.md) on
# http://127.0.0.1:8080 (EHR_PAGE_PORT), pointed at ws://127.0.0.1:9944; stopped with the nodes.
# Each hospital's document gateway (ehr-gateway, docs/gateway.md) runs next to its node on
# http://127.0.0.1:8440 + i, the URL the genesis registers, as the genesis' gateway account
# //<Name>//stash, keeping documents under the node's base path.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

mode=local
fresh=0
page=1
gateways=1
page_port="${EHR_PAGE_PORT:-8080}"
for arg in "$@"; do
	case "$arg" in
		--dev) mode=dev ;;
		--fresh) fresh=1 ;;
		--no-page) page=0 ;;
		--no-gateways) gateways=0 ;;
		-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $arg (see --help)" ;;
	esac
done

ensure_prereqs
log "building ehr-node (profile $EHR_PROFILE; incremental after the first build)"
cargo build --"$EHR_PROFILE" --workspace --locked

data="${EHR_DATA_DIR:-$HOME/.local/share/ehr-chain}/$mode"
[ "$fresh" = 1 ] && rm -rf "$data"
mkdir -p "$data"

pids=()
page_pid=""
cleanup() {
	trap - INT TERM EXIT
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
	[ -n "$page_pid" ] && kill "$page_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Prefixes every log line of a node with its name, so four nodes stay readable in one terminal.
run_node() {
	local name="$1"; shift
	"$EHR_NODE_BIN" "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
	pids+=($!)
}

common=(--no-telemetry)
gateway_bin="$CARGO_TARGET_DIR/$EHR_PROFILE/ehr-gateway"

# The document gateway of hospital $1 (0-based), next to its node's RPC port and base path.
run_gateway() {
	local i="$1" name="$2" base="$3"
	[ "$gateways" = 1 ] || return 0
	local who="${name^}"
	"$gateway_bin" --node-rpc "http://127.0.0.1:$((9944 + i))" --listen "127.0.0.1:$((8440 + i))" \
		--base-path "$base" --suri "//$who//stash" > >(sed -u "s/^/[gateway-$name] /") 2>&1 &
	pids+=($!)
}

# The patient page, served next to the network; not in `pids`, so the network does not stop
# when the page server does (e.g. its port is taken).
page_note="http://127.0.0.1:$page_port/?rpc=ws://127.0.0.1:9944"
if [ "$page" = 1 ]; then
	scripts/patient-page.sh --port "$page_port" --rpc ws://127.0.0.1:9944 > >(sed -u "s/^/[page] /") 2>&1 &
	page_pid=$!
else
	page_note="not served (--no-page); run scripts/patient-page.sh"
fi

if [ "$mode" = dev ]; then
	run_node dev --dev --base-path "$data" --rpc-port 9944 --prometheus-port 9615 "${common[@]}"
	run_gateway 0 alice "$data"
	cat <<MSG

ehr-chain development node (Alice) is starting.
  JSON-RPC / WebSocket:  ws://127.0.0.1:9944   (Polkadot.js Apps: custom endpoint)
  Prometheus metrics:    http://127.0.0.1:9615/metrics
  Document gateway:      http://127.0.0.1:8440   (docs/gateway.md; ehr-doc talks to it)
  Patient page:          $page_note
  Chain data:            $data
Press Ctrl-C to stop.

MSG
else
	names=(alice bob charlie dave)
	boot=""
	for i in 0 1 2 3; do
		name=${names[$i]}
		mkdir -p "$data/$name"
		# A fixed node key per hospital, so that the bootnode address is known in advance.
		key="$data/$name/node-key"
		[ -f "$key" ] || "$EHR_NODE_BIN" key generate-node-key --file "$key" 2>/dev/null
		peer=$("$EHR_NODE_BIN" key inspect-node-key --file "$key")
		p2p=$((30333 + i)); rpc=$((9944 + i)); prom=$((9615 + i))
		args=(--chain local --validator "--$name" --name "hospital-$name"
			--base-path "$data/$name" --node-key-file "$key"
			--port "$p2p" --rpc-port "$rpc" --prometheus-port "$prom" "${common[@]}")
		[ -n "$boot" ] && args+=(--bootnodes "$boot")
		run_node "$name" "${args[@]}"
		run_gateway "$i" "$name" "$data/$name"
		[ -z "$boot" ] && boot="/ip4/127.0.0.1/tcp/$p2p/p2p/$peer"
	done
	cat <<MSG

ehr-chain local network: four hospital authorities are starting.
  alice    ws://127.0.0.1:9944   (Polkadot.js Apps: custom endpoint)
  bob      ws://127.0.0.1:9945
  charlie  ws://127.0.0.1:9946
  dave     ws://127.0.0.1:9947
  Prometheus metrics on ports 9615-9618; bootnode $boot
  Document gateways on http://127.0.0.1:8440-8443 (docs/gateway.md; ehr-doc talks to them)
  Patient page: $page_note
  Chain data: $data
Press Ctrl-C to stop.

MSG
fi

# Wait for any node to exit (a crash stops the whole local network), or for Ctrl-C.
wait -n "${pids[@]}" || true
log "a node or gateway exited; stopping the others"
