#!/usr/bin/env bash
# Seals and opens one large document a chunk at a time with `ehr-doc seal` and `ehr-doc open`
# (the streamed scheme, client/src/document.rs) and prints each one's rate and peak resident
# memory, with a PASS or FAIL line: PASS when the opened file is the original, byte for byte,
# and neither process grew past the memory bound.
#
#   scripts/stream-check.sh [--size-mib N] [--max-rss-mib M]     (defaults: 2048 and 64)
#
# Needs the release build of ehr-doc (scripts/test.sh or `cargo build --release -p
# ehr-gateway`) and about 3 x N MiB free under $TMPDIR. No node: `open` checks the sealed
# file against the commitment `seal` printed. Bounded by `timeout` (10 minutes).
set -euo pipefail
. "$(dirname "$0")/env.sh"

size_mib=2048
max_rss_mib=64
while [ $# -gt 0 ]; do
	case "$1" in
		--size-mib) size_mib=$2; shift 2 ;;
		--max-rss-mib) max_rss_mib=$2; shift 2 ;;
		*) die "usage: scripts/stream-check.sh [--size-mib N] [--max-rss-mib M]" ;;
	esac
done
doc="$CARGO_TARGET_DIR/release/ehr-doc"
[ -x "$doc" ] || die "no $doc: build it first (cargo build --release -p ehr-gateway)"
[ -x /usr/bin/time ] || {
	log "installing Debian packages: time"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ehr-stream.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run NAME COMMAND...: runs COMMAND under /usr/bin/time; prints "seconds peak-KiB".
run() {
	local name=$1
	shift
	timeout 600 /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.json"
	cat "$work/$name.time"
}

log "a $size_mib MiB document (random bytes)"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/scan.dcm"

read -r seal_s seal_kib < <(run seal "$doc" seal --file "$work/scan.dcm" --out "$work/scan.sealed" \
	--key-out "$work/scan.key")
commitment=$(jq -r .commitment "$work/seal.json")
read -r open_s open_kib < <(run open "$doc" open --commitment "$commitment" --file "$work/scan.sealed" \
	--key-file "$work/scan.key" --out "$work/scan.opened")

rate() { awk -v n="$size_mib" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mib() { echo $(($1 / 1024)); }
echo "seal: $size_mib MiB in $seal_s s = $(rate "$seal_s") MiB/s, peak resident $(mib "$seal_kib") MiB"
echo "open: $size_mib MiB in $open_s s = $(rate "$open_s") MiB/s, peak resident $(mib "$open_kib") MiB"

if ! cmp -s "$work/scan.dcm" "$work/scan.opened"; then
	echo "FAIL: the opened document is not the original"
	exit 1
fi
if [ "$(mib "$seal_kib")" -gt "$max_rss_mib" ] || [ "$(mib "$open_kib")" -gt "$max_rss_mib" ]; then
	echo "FAIL: a process grew past $max_rss_mib MiB resident"
	exit 1
fi
echo "PASS: $size_mib MiB sealed at $(rate "$seal_s") MiB/s and opened at $(rate "$open_s") MiB/s, each within $max_rss_mib MiB resident"
