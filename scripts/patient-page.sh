#!/usr/bin/env bash
# Builds the patient page (patient-web/) and serves it on 127.0.0.1.
#
#   scripts/patient-page.sh [--port N] [--rpc ws://HOST:PORT]
#
# --port (or EHR_PAGE_PORT): default 8080. --rpc (or EHR_RPC): the node the printed link points the
# page at, default ws://127.0.0.1:9944 (the first node of scripts/start.sh). Open the printed URL;
# the page takes its node from its `?rpc=` parameter. Stop with Ctrl-C. See docs/patient-page.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"

port="${EHR_PAGE_PORT:-8080}"
rpc="${EHR_RPC:-ws://127.0.0.1:9944}"
while [ $# -gt 0 ]; do
	case "$1" in
		--port) port="${2:?--port needs a value}"; shift 2 ;;
		--rpc) rpc="${2:?--rpc needs a value}"; shift 2 ;;
		-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
done

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	|| die "node and npm are needed (scripts/start.sh installs them, or: apt-get install nodejs npm)"
ensure_js_deps "$EHR_ROOT/patient-web"
cd "$EHR_ROOT/patient-web"
node build.mjs
exec node serve.mjs --port "$port" --rpc "$rpc"
