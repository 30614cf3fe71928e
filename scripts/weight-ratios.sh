#!/usr/bin/env bash
# Measures, in one benchmark run on this machine, the weight of ehr-chain's main calls and of
# the two baselines (`balances.transfer_keep_alive`, `system.remark` with an empty remark), and
# prints each call's total weight (execution + the runtime's database weights, ParityDB: 8 us a
# read, 50 us a write) as a ratio of the baselines. Components are taken at their maximum
# (a batch of 100 records, a grant listing no records: `grant(r)` at r = 0 is the all-records
# grant, also shown at its maximum).
#
#   scripts/weight-ratios.sh              # steps 20, repeat 10 (about 15 minutes)
#   scripts/weight-ratios.sh --markdown   # the same as a markdown table (scripts/load.sh)
#
# Needs the benchmark build (scripts/benchmark.sh's target directory); run on a quiet machine.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

ensure_prereqs
export CARGO_TARGET_DIR="${EHR_BENCH_TARGET_DIR:-$HOME/.cache/ehr-chain/target-bench}"
cargo build --release --locked -p ehr-node --features runtime-benchmarks
bin="$CARGO_TARGET_DIR/release/ehr-node"
out=$(mktemp -d)
"$bin" benchmark pallet --chain dev \
	--pallet frame_system,pallet_balances,pallet_hospital_registry,pallet_patient_records,pallet_consent,pallet_access_log \
	--extrinsic remark,transfer_keep_alive,enrol_patient,add_record,add_records,approve_amendment,grant,revoke,declare_emergency,log_read,append \
	--steps "${EHR_BENCH_STEPS:-20}" --repeat "${EHR_BENCH_REPEAT:-10}" \
	--template scripts/ratio-template.hbs --output "$out" >"$out/run.log" 2>&1 ||
	{ tail -20 "$out/run.log"; die "benchmark run failed"; }
cat "$out"/*.rs | python3 scripts/weight_ratios.py "$@"
rm -rf "$out"
