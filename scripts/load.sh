#!/usr/bin/env bash
# Measures ehr-chain on this machine and writes docs/performance.md (figures, machine, commands).
# (The FRAME weights in the pallets' weights.rs are scripts/benchmark.sh's.)
#
#   scripts/load.sh             the load run on the local network of four hospital validators:
#                               transfers, single records, batches (10 minutes), consent
#                               decisions over RPC (about 20 minutes)
#   scripts/load.sh --quick     the same with short durations (about 5 minutes)
#   scripts/load.sh --weights   first rerun the weight comparison of the calls against
#                               transfer_keep_alive and remark (scripts/weight-ratios.sh, about
#                               15 minutes) into docs/weight-ratios.md
#
# The load tool (ehr-load) starts the four nodes itself on free ports with fresh chain data and
# stops them at the end. Every stage has a time bound; the last line says PASS or FAIL. A
# target that is not met does not fail the run: the report says so and what bounded it.
# Run it on an otherwise idle machine: the nodes and the tool share its cores.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

quick=0
weights=0
for arg in "$@"; do
	case "$arg" in
		--quick) quick=1 ;;
		--weights) weights=1 ;;
		-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $arg (see --help)" ;;
	esac
done

fail() { printf '\nload: FAIL: %s\n' "$*"; exit 1; }

ensure_prereqs
log "building ehr-node and ehr-load (profile $EHR_PROFILE)"
cargo build --"$EHR_PROFILE" --workspace --locked
load_bin="$CARGO_TARGET_DIR/$EHR_PROFILE/ehr-load"

if [ "$weights" = 1 ]; then
	log "weights of the calls against the baselines, one benchmark run (bound: 40 min)"
	table=$(timeout 2400 scripts/weight-ratios.sh --markdown) || fail "weight comparison failed"
	{
		echo "# Weights against the baselines"
		echo
		echo "Written by \`scripts/load.sh --weights\` on $(date -u +%Y-%m-%d) (commit" \
			"$(git rev-parse --short HEAD)): one \`ehr-node benchmark pallet\` run (steps 20," \
			"repeat 10) over the baselines and ehr-chain's main calls; each weight is execution" \
			"plus the runtime's database weights (ParityDB: 8 us a read, 50 us a write)," \
			"components at their maximum where shown."
		echo
		echo "$table"
	} >docs/weight-ratios.md
fi

if [ "$quick" = 1 ]; then
	durations=(--duration 20 --batch-duration 30 --latency-duration 15 --warmup 6 --decide-duration 15)
	bound=900
else
	durations=(--duration 60 --batch-duration 600 --latency-duration 30 --warmup 10 --decide-duration 30)
	bound=2400
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "load run on the local four-validator network (bound: $bound s)"
timeout --kill-after=30 "$bound" "$load_bin" --network local --node-bin "$EHR_NODE_BIN" \
	"${durations[@]}" --json "$work/load.json" --markdown "$work/load.md" ||
	fail "ehr-load failed or ran over $bound s (its output is above)"

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
mem=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
{
	cat <<MD
# Performance

Written by \`scripts/load.sh$([ "$quick" = 1 ] && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit
\`$(git rev-parse --short HEAD)\`. Machine: $(nproc) cores (${cpu:-unknown CPU}), ${mem:-unknown memory},
${os:-Linux}, $(rustc --version | cut -d' ' -f1-2). Every figure below is from this one run; what
bounds each one and the changes that would meet the unmet targets are in
[performance-bounds.md](performance-bounds.md).

## Load on the local network of four hospital validators

\`ehr-load\` (crate \`load/\`) started the four authorities of the \`local\` chain (Alice, Bob,
Charlie, Dave; Aura, 2 s slots, GRANDPA) as four \`ehr-node\` processes on this machine, prepared
fresh actors through the hospital's own calls (doctors registered, 64 patients enrolled, each
granting one doctor lab results), and then, scenario after scenario on the same network:

- prepared every call before the scenario started (8 signers a scenario, each signer's stream
  sent to one node, as a hospital's EHR system talks to its own node, through an
  \`ehr_client::Submitter\` of that node: nonces in order, dropped extrinsics re-signed and
  resubmitted, every call's outcome reported); each run counts the calls accepted, finalized,
  failed, refused (by reason) and vanished (accepted with no outcome), which must be 0;
- first submitted as fast as the network finalized (in flight at most 6 s of the best finalized
  rate so far): the *sustained rate* is the units finalized per second after the warm-up;
- then offered 80% of that rate, paced, for the *submit-to-finality latency* of a loaded network
  that keeps up (submission to the moment a node reported the block finalized);
- finally sent \`ehr_decide\` requests open loop at 2,000/s to one node while it produced blocks.

MD
	cat "$work/load.md"
	echo
	if [ -f docs/weight-ratios.md ]; then
		echo "## Weights"
		echo
		echo "From [weight-ratios.md](weight-ratios.md) (\`scripts/load.sh --weights\`):"
		echo
		sed -n '/^| call /,$p' docs/weight-ratios.md
		echo
	fi
	cat <<MD
## Off-chain verification of the access log

\`cargo run --release -p pallet-access-log --example verify_speed\`: see
[access-log.md](access-log.md) (target: at least 1,000,000 entries/s).

## Reproduce

    scripts/load.sh             # this page (about 20 minutes)
    scripts/load.sh --quick     # short durations, about 5 minutes
    scripts/load.sh --weights   # also the weight comparison (about 15 more minutes)
    $load_bin --help   # the load tool's options (any running network: --url)
MD
} >docs/performance.md
sed -i "s|$load_bin|target/release/ehr-load|" docs/performance.md
printf '\nload: PASS: docs/performance.md written (%s)\n' "$(grep -c '\*\*no\*\*' docs/performance.md || true) target(s) not met"
