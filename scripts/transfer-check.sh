#!/usr/bin/env bash
# Moves one large document through a gateway's streamed routes, end to end, and prints its
# rates and the memory it took, with a PASS or FAIL line.
#
#   scripts/transfer-check.sh [--size-mib N] [--min-mib-s R]     (defaults: 2048 and 100)
#
# Runs the two-hospital end-to-end test (gateway/tests/two_hospitals.rs) with its large study
# set to N MiB: Dave seals and uploads it with `ehr-doc upload` to Bob Memorial's HTTPS gateway
# (directory store), it is anchored, and Charlie fetches, checks and opens it with `ehr-doc
# fetch`. The test itself fails if the file does not come back byte for byte, or if ehr-doc or
# the gateway grew by more than 64 MiB of resident memory; this script adds the rates: PASS
# when upload (seal + send) and fetch (receive + check + open) each reach R MiB/s.
#
# Builds what it needs first (incrementally, from the test command's tree), needs about 4 x N MiB
# free under $TMPDIR, and is bounded by `timeout` (20 minutes).
set -euo pipefail
. "$(dirname "$0")/env.sh"

size_mib=2048
min_rate=100
while [ $# -gt 0 ]; do
	case "$1" in
		--size-mib) size_mib=$2; shift 2 ;;
		--min-mib-s) min_rate=$2; shift 2 ;;
		*) die "usage: scripts/transfer-check.sh [--size-mib N] [--min-mib-s R]" ;;
	esac
done
ensure_prereqs
ensure_lint_tools
sync_build_src
log "building the test binaries (incremental)"
exe=$(cd "$EHR_BUILD_SRC" && cargo test --"$EHR_PROFILE" --locked --workspace --no-run \
	--message-format=json-render-diagnostics |
	jq -r 'select(.reason == "compiler-artifact" and .profile.test and .target.name == "two_hospitals") | .executable')
[ -x "$exe" ] || die "the two_hospitals test binary was not built"

out=$(mktemp "${TMPDIR:-/tmp}/ehr-transfer.XXXXXX")
trap 'rm -f "$out"' EXIT
log "two hospitals, a $size_mib MiB study (the whole scenario runs: about 3 minutes more)"
status=0
(cd "$EHR_ROOT/gateway" && EHR_LARGE_DOCUMENT_MIB=$size_mib EHR_GATEWAY_FETCHES=50 \
	timeout 1200 "$exe" --nocapture) >"$out" 2>&1 || status=$?
line=$(grep -m1 '^streamed document of' "$out" || true)
if [ -z "$line" ]; then
	tail -n 40 "$out" >&2
	echo "FAIL transfer-check: no figures (the test exited with $status)"
	exit 1
fi
echo "$line"
read -r up down < <(sed -E 's/.* = ([0-9.]+) MiB\/s, fetch .* = ([0-9.]+) MiB\/s;.*/\1 \2/' <<<"$line")
if [ "$status" -ne 0 ]; then
	grep -E 'panicked|assert' "$out" | head -n 5 >&2 || true
	echo "FAIL transfer-check: the test failed (exit $status); upload $up MiB/s, fetch $down MiB/s"
	exit 1
fi
if awk -v u="$up" -v d="$down" -v m="$min_rate" 'BEGIN { exit !(u >= m && d >= m) }'; then
	echo "PASS transfer-check: $size_mib MiB, upload $up MiB/s, fetch $down MiB/s (>= $min_rate), memory within 64 MiB"
else
	echo "FAIL transfer-check: $size_mib MiB, upload $up MiB/s, fetch $down MiB/s (< $min_rate)"
	exit 1
fi
