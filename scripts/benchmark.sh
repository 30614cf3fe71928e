#!/usr/bin/env bash
# Runs the FRAME benchmarks of ehr-chain's pallets and writes each pallet's `weights.rs`.
#
#   scripts/benchmark.sh                      all ehr-chain pallets
#   scripts/benchmark.sh pallet_hospital_registry
#
# Needs a node built with `--features runtime-benchmarks` (which adds frame-benchmarking-cli and
# its cumulus/polkadot dependencies). That feature set differs from the normal build, so it gets
# its own target directory and never invalidates the normal one. Run it on a quiet machine:
# weights are measured times.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

ensure_prereqs
export CARGO_TARGET_DIR="${EHR_BENCH_TARGET_DIR:-$HOME/.cache/ehr-chain/target-bench}"
log "building ehr-node with runtime-benchmarks into $CARGO_TARGET_DIR"
cargo build --release --locked -p ehr-node --features runtime-benchmarks
bin="$CARGO_TARGET_DIR/release/ehr-node"

# pallet name -> crate directory
declare -A dirs=(
	[pallet_access_log]=pallets/access-log
	[pallet_consent]=pallets/consent
	[pallet_hospital_registry]=pallets/hospital-registry
	[pallet_patient_records]=pallets/patient-records
)
pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=("${!dirs[@]}")

for p in "${pallets[@]}"; do
	dir=${dirs[$p]:-}
	[ -n "$dir" ] || die "unknown pallet $p (known: ${!dirs[*]})"
	log "benchmarking $p"
	"$bin" benchmark pallet \
		--chain dev \
		--pallet "$p" \
		--extrinsic '*' \
		--steps "${EHR_BENCH_STEPS:-50}" \
		--repeat "${EHR_BENCH_REPEAT:-20}" \
		--header scripts/weights-header.txt \
		--template scripts/weight-template.hbs \
		--output "$dir/src/weights.rs"
done
log "weights written; review the diff and commit it"
