#!/usr/bin/env bash
# The longer fuzz run of the ehr-chain runtime (ehr-fuzz), and its figures in docs/fuzzing.md.
#
#   scripts/fuzz.sh                 fuzz for 30 minutes, then write the figures to
#                                   docs/fuzzing.md
#   scripts/fuzz.sh --minutes N     fuzz for N minutes instead
#   scripts/fuzz.sh --no-docs       do not touch docs/fuzzing.md
#
# Inputs that reach new coverage are kept in $HOME/.cache/ehr-chain/fuzz-corpus, so every run
# starts where the last one stopped. A failing input is saved under fuzz-failures/ and the
# last line says FAIL with the command that replays it; otherwise PASS. The bounded run of the
# test command is fuzz/tests/bounded.rs.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

minutes=30
docs=1
while [ $# -gt 0 ]; do
	case "$1" in
		--minutes) minutes="${2:?--minutes needs a number}"; shift ;;
		--no-docs) docs=0 ;;
		-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
case "$minutes" in ''|*[!0-9]*) die "--minutes needs a whole number" ;; esac

ensure_prereqs
# The commit the fuzzer is built from (marked if the working tree has changes).
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
log "building ehr-fuzz (profile $EHR_PROFILE)"
cargo build --"$EHR_PROFILE" --locked -p ehr-fuzz
corpus="$HOME/.cache/ehr-chain/fuzz-corpus"
mkdir -p "$corpus"
before=$(find "$corpus" -type f | wc -l)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
seed=$(date +%s)

log "fuzzing for $minutes min from a corpus of $before inputs (seed $seed)"
status=0
timeout $((minutes * 60 + 600)) "$CARGO_TARGET_DIR/$EHR_PROFILE/ehr-fuzz" \
	--duration $((minutes * 60)) --seed "$seed" --corpus "$corpus" \
	--failures fuzz-failures --json | tee "$out" || status=$?
summary=$(grep '^{' "$out" | tail -n 1)
[ -n "$summary" ] || { echo "fuzz: FAIL: no summary (exit status $status)"; exit 1; }

if [ "$docs" = 1 ]; then
	SUMMARY="$summary" MINUTES="$minutes" CORPUS_BEFORE="$before" \
		COMMIT="$commit" \
		CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
		CORES="$(nproc)" python3 - <<'PY'
import json, os, datetime
s = json.loads(os.environ["SUMMARY"])
by = {}
for c in sorted(s["succeededCalls"]):
    pallet, _, call = c.partition(".")
    by.setdefault(pallet, []).append(call)
secs = s["seconds"]
lines = [
    "# Fuzzing the runtime: the longer run",
    "",
    "`scripts/fuzz.sh` runs the runtime fuzzer (`ehr-fuzz`, crate `fuzz/`) for a set time and writes",
    "this page. What the fuzzer does and checks is described in [security.md](security.md) and in",
    "`fuzz/src/lib.rs`; the test command runs a bounded run of it (`fuzz/tests/bounded.rs`: the tour,",
    "then 8,000 inputs from a fixed seed, about a minute).",
    "",
    "## How an input becomes actions",
    "",
    "An input is read action by action. The first byte of an action, modulo 16, makes it a block",
    "boundary (0), a jump in time (1) or an extrinsic from the action tables (any other value). The",
    "tables are in `fuzz/src/actions.rs`: one per pallet (`HospitalRegistry`; `Council`, motions on",
    "the registry's governance calls and the votes and closes that carry them; `PatientRecords`;",
    "`Consent`; `AccessLog`; `Balances`) and one of raw calls of the four ehr-chain pallets. Each line",
    "is a name, a weight and the generator that reads the call's arguments from the input's next",
    "bytes. A new call is one more line at the end of its pallet's table; `fuzz/tests/bounded.rs`",
    "fails while a call of the four pallets has no line.",
    "",
    "The byte after the first picks the table, the next one the line, by weighted rendezvous hashing",
    "on names: each line draws `weight` scores from a fixed hash of its name, the draw's number and",
    "the byte, and the line with the highest score wins. A line's scores depend on its name and the",
    "byte alone, so appending a line moves only the byte values the new line wins (about its share of",
    "the table's weight), and moves them to the new line: every other byte value picks the line it",
    "picked before, and a saved input (corpus, failure, tour) keeps its meaning up to its first action",
    "that picks the new line. The order of the lines does not matter, and removing a line moves only",
    "the byte values that picked it. Changing what a generator reads changes the inputs that pick it,",
    "from that action on.",
    "",
    "Every run starts with the tour: one input that takes every line once, in table order, each with",
    "the first of 24 random argument draws whose extrinsic succeeds (else the best draw: dispatched",
    "with an error, then refused by the transaction checks). Every line therefore makes an extrinsic",
    "in every run, whatever the seed; the summary counts the lines that did (`ehr-fuzz --no-tour`",
    "leaves the tour out).",
    "",
    "## The last run",
    "",
    f"Last run: {datetime.date.today().isoformat()}, commit {os.environ['COMMIT']}, on {os.environ['CORES']} cores ({os.environ['CPU']}), "
    f"{os.environ['MINUTES']} minutes, seed {s['seed']}, starting from a corpus of {os.environ['CORPUS_BEFORE']} inputs.",
    "",
    "| figure | value |",
    "|---|---:|",
    f"| time | {secs:,.0f} s |",
    f"| inputs executed | {s['inputs']:,} ({s['inputs']/secs:,.0f}/s) |",
    f"| extrinsics dispatched (signed, through `Executive`) | {s['dispatched']:,} ({s['dispatched']/secs:,.0f}/s) |",
    f"| extrinsics refused by the transaction checks | {s['refused']:,} |",
    f"| blocks executed (each followed by every pallet's invariant check) | {s['blocks']:,} |",
    f"| coverage points (call, outcome) | {s['points']:,} |",
    f"| action table entries that made an extrinsic | {s['entriesExercised']} of {s['entries']} |",
    f"| corpus kept (inputs that reached a new point) | {s['corpus']:,} |",
    f"| worst ratio of an extrinsic's CPU time to its charged weight | {s['worstCpuToWeight']:.3f} |",
    f"| timing outliers not repeated when measured again | {s['unconfirmedTimingOutliers']:,} |",
    f"| failures | {s['failure'] or 'none'} |",
    "",
    f"Calls that succeeded at least once ({len(s['succeededCalls'])} of the {s['calls']} called):",
    "",
]
for pallet, idx in by.items():
    lines.append(f"- `{pallet}`: " + ", ".join(f"`{c}`" for c in idx))
if s["entriesMissed"]:
    lines += ["", "Entries of the action tables that made no extrinsic: " + ", ".join(f"`{e}`" for e in s["entriesMissed"]) + "."]
lines += [
    "",
    "The registry's governance calls (admit, suspend, reinstate, remove a hospital, authorize a",
    "runtime upgrade, end a guardianship, switch node permissioning) are reached through council",
    "motions (`council.propose`, `vote`, `close`).",
    "A CPU/weight ratio below 1 means every call ran in less CPU time than the weight it was",
    "charged; native execution against in-memory state is faster than the benchmarked wasm with",
    "database costs, so a ratio near or above 1 would mean a grossly under-weighted call.",
    "",
    "The action tables (`fuzz/src/actions.rs`) include the attacker's moves: `record_guardian` and",
    "`remove_guardian` signed by every role; `contest_guardian` and `review_guardianship` by",
    "anyone; record contents that anchor again a commitment some record already anchored; and",
    "grants at their bounds, duplicates included. The invariants checked after every block include",
    "\"every guardian is backed by its hospital's verification\" and \"every record's commitment is",
    "indexed to a record of that commitment\" ([security.md](security.md#invariants-and-fuzzing)).",
    "",
]
open("docs/fuzzing.md", "w").write("\n".join(lines))
print("wrote docs/fuzzing.md")
PY
fi

if [ "$status" = 0 ]; then
	echo "fuzz: PASS: $(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print("{:,} inputs, {:,} extrinsics, no failure".format(s["inputs"], s["dispatched"]))' "$summary")"
else
	echo "fuzz: FAIL: $(grep '^FAIL' "$out" | tail -n 1)"
	exit 1
fi
