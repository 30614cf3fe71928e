#!/usr/bin/env bash
# Records the current runtime as a release: builds it and copies its compressed wasm into
# runtime/releases/ehr_runtime-<spec_version>.compact.compressed.wasm, with the commit and the
# hashes in runtime/releases/releases.txt. node/tests/upgrade.rs upgrades a network from the
# newest release older than the code. Run it from a clean checkout of the commit you release.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

ensure_prereqs
[ -z "$(git status --porcelain -- runtime pallets primitives Cargo.toml Cargo.lock)" ] ||
	die "the runtime's sources have uncommitted changes: release a commit"
spec=$(sed -n 's/^[[:space:]]*spec_version: \([0-9]*\),.*/\1/p' runtime/src/lib.rs)
[ -n "$spec" ] || die "no spec_version in runtime/src/lib.rs"
out="runtime/releases/ehr_runtime-$spec.compact.compressed.wasm"
[ ! -e "$out" ] || die "$out exists: bump spec_version for a new release"

log "building ehr-runtime (spec $spec)"
cargo build --"$EHR_PROFILE" --locked -p ehr-runtime
cp "$CARGO_TARGET_DIR/$EHR_PROFILE/wbuild/ehr-runtime/ehr_runtime.compact.compressed.wasm" "$out"
sha=$(sha256sum "$out" | cut -d' ' -f1)
blake=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],"rb").read(), digest_size=32).hexdigest())' "$out")
printf '%s\t%s\tsha256:%s\tblake2-256:0x%s\t%s\n' "$spec" "$(git rev-parse HEAD)" "$sha" "$blake" "$(basename "$out")" \
	>>runtime/releases/releases.txt
log "released spec $spec: $out (blake2-256 0x$blake); commit it with releases.txt"
