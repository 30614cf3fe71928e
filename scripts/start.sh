#!/usr/bin/env bash
# Starts ehr-chain locally, building ehr-node first if needed.
#
#   scripts/start.sh           the local network of four hospital authorities (Alice, Bob,
#                              Charlie, Dave), one ehr-node each, on this machine
#   scripts/start.sh --dev     a single development node (Alice authors and finalizes alone)
#   scripts/start.sh --fresh   wipe the chain data of the chosen mode first
#   scripts/start.sh --no-page do not build and serve the patient page
#   scripts/start.sh --no-gateways  do not start the hospitals' document gateways
#   scripts/start.sh --logs    follow every process's log here instead of the status line
#
# Chain data lives in $EHR_DATA_DIR (default ~/.local/share/ehr-chain) in ParityDB, so a second
# run continues the same chain. Stop with Ctrl-C; every node is stopped with the script.
# Next to the nodes, scripts/patient-page.sh serves the patient page (docs/patient-page.md) on
# http://127.0.0.1:8080 (EHR_PAGE_PORT), pointed at ws://127.0.0.1:9944; stopped with the nodes.
# Each hospital's document gateway (ehr-gateway, docs/gateway.md) runs next to its node on
# http://127.0.0.1:8440 + i, the URL the genesis registers, as the genesis' gateway account
# //<Name>//stash, keeping documents under the node's base path.
# Each process logs to its own file in <chain data>/logs (alice-node.log, alice-gateway.log, ...,
# page.log; the previous run's are kept as *.log.1). After the summary one status line shows, per
# hospital, the best and finalized block, the node's peers and whether its gateway answers, and
# whether the page does: rewritten in place every 2 s on a terminal, otherwise printed as a new
# line every 30 s (EHR_STATUS_EVERY seconds in either case).
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

mode=local
fresh=0
page=1
gateways=1
follow=0
page_port="${EHR_PAGE_PORT:-8080}"
for arg in "$@"; do
	case "$arg" in
		--dev) mode=dev ;;
		--fresh) fresh=1 ;;
		--no-page) page=0 ;;
		--no-gateways) gateways=0 ;;
		--logs) follow=1 ;;
		-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
		*) die "unknown option $arg (see --help)" ;;
	esac
done

if [ -t 1 ]; then tty=1; else tty=0; fi
every="${EHR_STATUS_EVERY:-$([ "$tty" = 1 ] && echo 2 || echo 30)}"
[[ "$every" =~ ^[1-9][0-9]*$ ]] || die "EHR_STATUS_EVERY must be a whole number of seconds, not '$every'"

ensure_prereqs
log "building ehr-node (profile $EHR_PROFILE; incremental after the first build)"
cargo build --"$EHR_PROFILE" --workspace --locked

data="${EHR_DATA_DIR:-$HOME/.local/share/ehr-chain}/$mode"
[ "$fresh" = 1 ] && rm -rf "$data"
logs="$data/logs"
mkdir -p "$logs"
# This run's logs start empty; the previous run's stay next to them as *.log.1.
for f in "$logs"/*.log; do
	[ -e "$f" ] && mv -f "$f" "$f.1"
done

pids=()             # nodes and gateways: when one exits, the script stops the rest
declare -A proc=()  # pid -> the name of its log file (alice-node, alice-gateway, ...)
log_files=()
page_pid=""
tail_pid=""
status_shown=0

# Ends the status line, so that what follows starts on a line of its own.
end_status_line() {
	if [ "$status_shown" = 1 ]; then
		printf '\n'
		status_shown=0
	fi
}

cleanup() {
	trap - INT TERM EXIT
	end_status_line
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
	if [ -n "$page_pid" ]; then
		# patient-page.sh may still be installing or building (npm, node): stop that too.
		command -v pkill >/dev/null 2>&1 && pkill -TERM -P "$page_pid" 2>/dev/null || true
		kill "$page_pid" 2>/dev/null || true
	fi
	[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}" 2>/dev/null || true
	if [ -n "$tail_pid" ]; then
		sleep 0.5 # the nodes' last lines
		kill "$tail_pid" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
}
stop() {
	end_status_line
	log "stopping"
	cleanup
	exit 0
}
trap stop INT TERM
trap cleanup EXIT

# start NAME COMMAND...: runs COMMAND in the background, its output into logs/NAME.log.
start() {
	local name="$1"; shift
	: >"$logs/$name.log" # there before `tail -F` looks for it
	"$@" >>"$logs/$name.log" 2>&1 &
	pids+=($!)
	proc[$!]="$name"
	log_files+=("$logs/$name.log")
}

common=(--no-telemetry)
gateway_bin="$CARGO_TARGET_DIR/$EHR_PROFILE/ehr-gateway"

# The document gateway of hospital $1 (0-based), next to its node's RPC port and base path.
run_gateway() {
	local i="$1" name="$2" base="$3"
	[ "$gateways" = 1 ] || return 0
	local who="${name^}"
	start "$name-gateway" "$gateway_bin" --node-rpc "http://127.0.0.1:$((9944 + i))" \
		--listen "127.0.0.1:$((8440 + i))" --base-path "$base" --suri "//$who//stash"
}

# The patient page, served next to the network; not in `pids`, so the network does not stop
# when the page server does (e.g. its port is taken).
page_note="http://127.0.0.1:$page_port/?rpc=ws://127.0.0.1:9944"
if [ "$page" = 1 ]; then
	: >"$logs/page.log"
	if [ "$mode" = dev ]; then
		page_args=(--chain dev)
	else
		page_args=(--chain local --nodes ws://127.0.0.1:9945,ws://127.0.0.1:9946,ws://127.0.0.1:9947)
		page_note+="&nodes=ws://127.0.0.1:9945,ws://127.0.0.1:9946,ws://127.0.0.1:9947"
	fi
	scripts/patient-page.sh --port "$page_port" --rpc ws://127.0.0.1:9944 "${page_args[@]}" >>"$logs/page.log" 2>&1 &
	page_pid=$!
	log_files+=("$logs/page.log")
else
	page_note="not served (--no-page); run scripts/patient-page.sh"
fi

if [ "$follow" = 1 ]; then
	watch_note="The logs follow, each line after the name of its file."
else
	watch_note="Status every $every s, per hospital: best/finalized block, peers"
	[ "$gateways" = 1 ] && watch_note+=", gateway (up; wait: answering,
not serving yet; down: not answering)"
	[ "$page" = 1 ] && watch_note+="; then the page (starting, up or exited)"
	watch_note+="."
fi

if [ "$mode" = dev ]; then
	names=(alice)
	start alice-node "$EHR_NODE_BIN" --dev --base-path "$data" --rpc-port 9944 \
		--prometheus-port 9615 "${common[@]}"
	run_gateway 0 alice "$data"
	cat <<MSG

ehr-chain development node (Alice) is starting.
  JSON-RPC / WebSocket:  ws://127.0.0.1:9944   (Polkadot.js Apps: custom endpoint)
  Prometheus metrics:    http://127.0.0.1:9615/metrics
  Document gateway:      http://127.0.0.1:8440   (docs/gateway.md; ehr-doc talks to it)
  Patient page:          $page_note
  Chain data:            $data
  Logs:                  $logs/*.log
$watch_note
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
		start "$name-node" "$EHR_NODE_BIN" "${args[@]}"
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
  Logs: $logs/*.log
$watch_note
Press Ctrl-C to stop.

MSG
fi

# rpc URL JSON: the answer of the JSON-RPC server at URL to JSON (nothing if it does not answer).
rpc() {
	curl -sf --max-time 2 -H 'content-type: application/json' -d "$2" "$1" 2>/dev/null || true
}

# hex_number 0x..: the number in decimal, or "-" if it is not a hex number.
hex_number() {
	if [[ "$1" =~ ^0x[0-9a-fA-F]{1,15}$ ]]; then echo $((16#${1#0x})); else echo -; fi
}

# node_status I: "BEST FINALIZED PEERS SYNCING" of the node with RPC port 9944 + I, from its
# JSON-RPC (chain_getHeader, chain_getFinalizedHead and that block's header, system_health);
# nothing if it does not answer.
node_status() {
	local url="http://127.0.0.1:$((9944 + $1))" out best fin peers syncing
	out=$(rpc "$url" '[{"jsonrpc":"2.0","id":1,"method":"chain_getHeader","params":[]},
		{"jsonrpc":"2.0","id":2,"method":"chain_getFinalizedHead","params":[]},
		{"jsonrpc":"2.0","id":3,"method":"system_health","params":[]}]')
	[ -n "$out" ] || return 0
	read -r best fin peers syncing < <(jq -r '(map({key: (.id | tostring), value: .result})
		| from_entries) as $r
		| [$r["1"].number // "-", $r["2"] // "-", $r["3"].peers // "-", $r["3"].isSyncing // false]
		| @tsv' <<<"$out" 2>/dev/null) || return 0
	if [[ "$fin" =~ ^0x[0-9a-fA-F]{64}$ ]]; then
		out=$(rpc "$url" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getHeader\",\"params\":[\"$fin\"]}")
		[[ "$out" =~ \"number\":\"(0x[0-9a-fA-F]+)\" ]] && fin=${BASH_REMATCH[1]} || fin=-
	fi
	echo "$(hex_number "$best") $(hex_number "${fin:--}") $peers $syncing"
}

# gateway_status I: the gateway on port 8440 + I, by its gateway_info (which it answers from
# memory once it knows its chain and hospital): up, wait (it answers with an error: it does not
# know them yet) or down (nothing answers).
gateway_status() {
	local out
	out=$(rpc "http://127.0.0.1:$((8440 + $1))" '{"jsonrpc":"2.0","id":1,"method":"gateway_info","params":[]}')
	if [ -z "$out" ]; then
		echo down
	elif [[ "$out" == *'"result":{'* ]]; then
		echo up
	else
		echo wait
	fi
}

# page_status: up (it serves /), starting (its script runs: npm ci and the build come first)
# or exited (see logs/page.log).
page_status() {
	if ! kill -0 "$page_pid" 2>/dev/null; then
		echo exited
	elif curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$page_port/" 2>/dev/null; then
		echo up
	else
		echo starting
	fi
}

# collect_status: the state of every node and gateway, and of the page, into st_*.
collect_status() {
	local i
	printf -v st_time '%(%H:%M:%S)T' -1
	st_node=() st_gw=() st_page=""
	for i in "${!names[@]}"; do
		st_node[i]=$(node_status "$i")
		if [ "$gateways" = 1 ]; then st_gw[i]=$(gateway_status "$i"); fi
	done
	if [ "$page" = 1 ]; then st_page=$(page_status); fi
}

# status_line SHORT: the collected state in one line; SHORT=1 names the hospitals by initial
# and leaves words out.
status_line() {
	local short="$1" i name n line="$st_time" sep=" "
	local -a node
	for i in "${!names[@]}"; do
		name=${names[$i]}
		read -r -a node <<<"${st_node[$i]}"
		if [ "$short" = 1 ]; then
			name=${name:0:1}
			name=${name^}
			if [ ${#node[@]} -eq 4 ]; then n="${node[0]}/${node[1]} ${node[2]}p"; else n="-"; fi
			[ "$gateways" = 1 ] && n+=" ${st_gw[$i]}"
		else
			if [ ${#node[@]} -eq 4 ]; then
				n="${node[0]}/${node[1]} ${node[2]} peers"
				[ "${node[3]}" = true ] && n+=" syncing"
			else
				n="no rpc"
			fi
			[ "$gateways" = 1 ] && n+=" gw ${st_gw[$i]}"
		fi
		line+="$sep $name $n"
		sep=" |"
	done
	if [ "$page" = 1 ]; then
		line+="$sep page $st_page"
		[ "$st_page" = exited ] && [ "$short" = 0 ] && line+=" (page.log)"
	fi
	echo "$line"
}

# Prints the status: on a terminal over the previous one, cut to the terminal's width (the
# short form when the full line does not fit), else as a line of its own.
show_status() {
	local line cols
	collect_status
	if [ "$tty" = 1 ]; then
		cols=$(tput cols 2>/dev/null || echo 80)
		[[ "$cols" =~ ^[0-9]+$ ]] && [ "$cols" -gt 1 ] || cols=80
		line=$(status_line 0)
		[ ${#line} -lt "$cols" ] || line=$(status_line 1)
		printf '\r%s%s' "${line:0:cols-1}" "$(tput el 2>/dev/null || printf '\033[K')"
		status_shown=1
	else
		status_line 0
	fi
}

ended=""
if [ "$follow" = 1 ]; then
	awk_flags=()
	# mawk (Debian's awk) reads a pipe in blocks unless interactive.
	[[ "$(awk -W version 2>&1 </dev/null)" == *mawk* ]] && awk_flags=(-W interactive)
	# One tail for every log; each of its "==> file <==" headers names the file of the lines
	# that follow (the blank line before a header is tail's). Both ignore Ctrl-C, so that the
	# nodes' last lines show; the script stops them after the nodes.
	(trap '' INT; exec tail -n +1 -F "${log_files[@]}") > >(trap '' INT; exec awk "${awk_flags[@]}" '
		/^==> .* <==$/ { name = substr($0, 5, length($0) - 8); sub(/.*\//, "", name)
			sub(/\.log$/, "", name); held = 0; next }
		held { print "[" name "] "; held = 0 }
		/^$/ { held = 1; next }
		{ print "[" name "] " $0; fflush() }') &
	tail_pid=$!
	# Until a node or gateway exits, or Ctrl-C.
	wait -n -p ended "${pids[@]}" || true
else
	[ "$tty" = 1 ] && show_status
	while :; do
		sleep "$every" &
		sleeper=$!
		wait -n -p ended "${pids[@]}" "$sleeper" || true
		[ "${ended:-}" = "$sleeper" ] || break
		show_status
	done
	kill "$sleeper" 2>/dev/null || true
fi

# A node or gateway exited: the local network stops with it.
end_status_line
name="a node or gateway"
[ -n "${ended:-}" ] && [ -n "${proc[$ended]:-}" ] && name="${proc[$ended]}"
log "$name exited; stopping the others. The end of $logs/$name.log:"
tail -n 20 "$logs/$name.log" >&2 2>/dev/null || true
