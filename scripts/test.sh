#!/usr/bin/env bash
# Runs the tests of ehr-chain and prints one PASS or FAIL line per suite and one for the whole.
#
#   scripts/test.sh           every test (what CI runs): formatting, lint, Rust unit, runtime,
#                             benchmark and migration tests, end-to-end tests with real ehr-node
#                             processes, the Polkadot.js, integrator and browser tests, zombienet,
#                             the container images built and started
#   scripts/test.sh --quick   the inner loop: formatting, Rust unit and runtime tests and the
#                             dev-node end-to-end test (about half a minute after the build)
#
# Installs missing prerequisites first; safe to run again (the second run builds incrementally).
# Everything is built first, one feature set at a time; then the suites run in three lanes at
# once: the end-to-end suites spend most of their time waiting for 2-second blocks, so two
# networks and the CPU-bound suites share the two cores without slowing each other much. Each
# suite's output goes to its own log; a failing suite's log tail is printed at the end.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

quick=false
case "${1:-}" in
	--quick) quick=true ;;
	"") ;;
	*) die "usage: scripts/test.sh [--quick]" ;;
esac

ensure_prereqs
# The Python tools some suites start: the S3 server (the gateway's tests), the SMTP server
# (ehr-notify's), the linters of docker/.
ensure_lint_tools
started=$(date +%s)
logs=$(mktemp -d "${TMPDIR:-/tmp}/ehr-test.XXXXXX")
suites="$logs/suites.tsv" # lane, name, working directory, command (tab-separated)
: >"$suites"

# add LANE NAME DIR COMMAND...: queues a suite.
add() {
	local lane=$1 name=$2 dir=$3
	shift 3
	printf '%s\t%s\t%s\t%s\n' "$lane" "$name" "$dir" "$*" >>"$suites"
}

# build_tests LABEL ARGS...: builds the test targets of `cargo test ARGS` and prints, per test
# executable, its suite name and package directory and the executable (tab-separated).
build_tests() {
	local label=$1
	shift
	log "cargo test --no-run $* (profile $EHR_PROFILE, target $CARGO_TARGET_DIR, from $EHR_BUILD_SRC)"
	(cd "$EHR_BUILD_SRC" && cargo test --"$EHR_PROFILE" --locked --no-run --message-format=json-render-diagnostics "$@") |
		jq -r --arg suffix "$label" 'select(.reason == "compiler-artifact" and .profile.test and .executable != null)
			| (.manifest_path | sub("/Cargo.toml$"; "")) as $dir
			| (.package_id | if test("#[^@]+@") then capture("#(?<n>[^@]+)@").n else ($dir | sub(".*/"; "")) end) as $pkg
			| [$pkg + "::" + .target.name + $suffix, $dir, .executable] | @tsv'
}

# split_modules: reads the lines of build_tests and writes them back, except that a test binary
# made of one module per scenario (`ehr-node`'s `e2e`) becomes one suite per module: its
# command runs the binary with the module's filter (`e2e faults::`).
split_modules() {
	local name dir exe m
	while IFS=$'\t' read -r name dir exe; do
		if [ "$name" = "ehr-node::e2e" ]; then
			for m in $("$exe" --list | sed -n 's/^\([a-z_0-9]*\)::.*: test$/\1/p' | sort -u); do
				printf '%s\t%s\t%s\n' "ehr-node::$m" "$dir" "$exe $m::"
			done
		else
			printf '%s\t%s\t%s\n' "$name" "$dir" "$exe"
		fi
	done
}

# The end-to-end suites that start networks of several nodes, in two lanes of about equal time;
# everything else (unit, runtime, single-node and CPU-bound suites) runs in the third lane.
lane_of() {
	case "$1" in
		ehr-node::consortium_network | ehr-node::upgrade | ehr-node::local_network | js:polkadot) echo 1 ;;
		js:patient-page) echo 3 ;;
		ehr-node::faults | ehr-gateway::two_hospitals | zombienet | images | js:*) echo 2 ;;
		*) echo 3 ;;
	esac
}

log "cargo fmt --check"
cargo fmt --all -- --check
log "mirroring the checkout into $EHR_BUILD_SRC"
sync_build_src

if $quick; then
	build_tests "" --workspace | split_modules >"$logs/tests-1.tsv"
	while IFS=$'\t' read -r name dir exe; do
		case "$name" in
			# The end-to-end suites but one, and the bounded fuzz run, wait for the full command.
			ehr-node::dev_node) add 3 "$name" "$dir" "$exe" ;;
			ehr-node::* | ehr-gateway::two_hospitals | ehr-notify::notify | ehr-load::smoke | ehr-fuzz::bounded) ;;
			*) add 3 "$name" "$dir" "$exe" ;;
		esac
	done <"$logs/tests-1.tsv"
else
	log "lint docker/: hadolint and the compose files' YAML"
	"$EHR_VENV/bin/hadolint" --config docker/hadolint.yaml docker/Dockerfile
	"$EHR_VENV/bin/python" - docker/compose.yml docker/compose.s3.yml <<'PY'
import sys, yaml
hospitals = ["alice", "bob", "charlie", "dave"]
gateways = [f"{h}-gateway" for h in hospitals]
compose = yaml.safe_load(open(sys.argv[1]))
services = compose["services"]
assert sorted(services) == sorted(hospitals + gateways), sorted(services)
for name, svc in services.items():
    assert isinstance(svc["command"], list) and svc["volumes"], name
    assert svc["build"]["target"] == ("gateway" if name in gateways else "node"), name
    # Published ports are on the host's loopback only: Alice's node and Alice General's gateway.
    for port in svc.get("ports", []):
        assert port.startswith("127.0.0.1:") and name in ("alice", "alice-gateway"), (name, port)
for h in hospitals:
    assert f"--node-rpc=http://{h}:9944" in services[f"{h}-gateway"]["command"], h
s3 = yaml.safe_load(open(sys.argv[2]))["services"]
assert sorted(s3) == sorted(gateways), sorted(s3)
for name, svc in s3.items():
    entry = svc["entrypoint"]
    assert entry[0] == "/usr/local/bin/ehr-gateway", name
    assert any(a.startswith("--s3-bucket=") for a in entry), name
    assert "AWS_SECRET_ACCESS_KEY" in svc["environment"], name
print(f"{sys.argv[1]}: {len(services)} services; {sys.argv[2]}: {len(s3)} gateways on S3")
PY

	# One build serves the test harnesses and the ehr-node binary the end-to-end tests start.
	build_tests "" --workspace | split_modules >"$logs/tests-2.tsv"
	while IFS=$'\t' read -r name dir exe; do
		add "$(lane_of "$name")" "$name" "$dir" "$exe"
	done <"$logs/tests-2.tsv"
	# Every benchmark runs once on each pallet's mock runtime; only the pallet crates and their
	# FRAME dependencies build with the feature (about a minute), not the node or the wasm.
	build_tests "[runtime-benchmarks]" --features runtime-benchmarks \
		-p pallet-hospital-registry -p pallet-patient-records -p pallet-consent -p pallet-access-log --lib \
		>"$logs/tests-3.tsv"
	while IFS=$'\t' read -r name dir exe; do
		if [[ $name == *"[runtime-benchmarks]" ]]; then add 3 "$name" "$dir" "$exe benchmarking::"; fi
	done <"$logs/tests-3.tsv"
	# Storage migrations under try-runtime: their pre_upgrade and post_upgrade checks.
	build_tests "[try-runtime]" --features try-runtime \
		-p pallet-hospital-registry -p pallet-patient-records -p pallet-access-log --lib >"$logs/tests-4.tsv"
	while IFS=$'\t' read -r name dir exe; do
		if [[ $name == *"[try-runtime]" ]]; then add 3 "$name" "$dir" "$exe migrations::"; fi
	done <"$logs/tests-4.tsv"

	ensure_js_deps "$EHR_ROOT/tests/js"
	ensure_js_deps "$EHR_ROOT/examples/js"
	ensure_browser
	ensure_js_deps "$EHR_ROOT/patient-web"
	ensure_js_deps "$EHR_ROOT/zombienet"
	while read -r name dir; do
		add "$(lane_of "$name")" "$name" "$dir" npm test --silent
	done <<<$'js:polkadot tests/js\njs:integrator examples/js\njs:patient-page patient-web'
	add "$(lane_of zombienet)" zombienet . scripts/zombienet.sh
	# The images of docker/Dockerfile, built from the binaries just built and started
	# (scripts/image-check.sh: buildah, no container daemon).
	add "$(lane_of images)" images . scripts/image-check.sh
	# A document sealed and opened a chunk at a time stays within its memory bound.
	add 3 stream . scripts/stream-check.sh --size-mib 512
fi

# run_lane LANE: runs the lane's suites one after the other, each with its own log.
run_lane() {
	local lane=$1 l name dir cmd logf t0 rc
	while IFS=$'\t' read -r l name dir cmd; do
		[ "$l" = "$lane" ] || continue
		logf="$logs/$(tr -c 'A-Za-z0-9_.-' '_' <<<"$name").log"
		t0=$(date +%s)
		rc=0
		# shellcheck disable=SC2086 # the command is split into words on purpose
		(cd "$dir" && exec timeout --kill-after=30 "${EHR_SUITE_TIMEOUT:-1500}" $cmd) >"$logf" 2>&1 </dev/null || rc=$?
		# A test filter (`benchmarking::`) that matches nothing must not pass as a suite.
		if [ "$rc" = 0 ] && [[ $cmd == *"::" ]] && grep -q '^running 0 tests' "$logf"; then
			echo "the filter of '$cmd' matched no test" >>"$logf"
			rc=3
		fi
		printf '%s\t%s\t%s\t%s\t%s\n' "$lane" "$name" "$rc" "$(($(date +%s) - t0))" "$logf" >>"$logs/results.tsv"
		printf '    lane %s: %-52s %s in %4d s\n' "$lane" "$name" "$([ "$rc" = 0 ] && echo PASS || echo "FAIL ($rc)")" \
			"$(($(date +%s) - t0))" >&2
	done <"$suites"
}

log "running $(wc -l <"$suites") suites in three lanes (logs in $logs)"
run_started=$(date +%s)
: >"$logs/results.tsv"
pids=()
for lane in 1 2 3; do
	run_lane "$lane" &
	pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
run_time=$(($(date +%s) - run_started))

failed=$(awk -F'\t' '$3 != 0' "$logs/results.tsv")
ran=$(wc -l <"$logs/results.tsv")
queued=$(wc -l <"$suites")
log "suites by time (seconds)"
sort -t$'\t' -k4,4nr "$logs/results.tsv" | awk -F'\t' '{ printf "  %5d  lane %s  %-52s %s\n", $4, $1, $2, ($3 == 0 ? "PASS" : "FAIL") }' >&2
if [ -n "$failed" ] || [ "$ran" != "$queued" ]; then
	while IFS=$'\t' read -r _ name rc _ logf; do
		log "FAIL: $name (exit $rc), last lines of $logf"
		tail -n 80 "$logf" >&2
	done <<<"$failed"
	echo "FAIL: $((ran - $(grep -c . <<<"$failed"))) of $queued suites passed; tests ran $run_time s, $(($(date +%s) - started)) s in all (logs in $logs)"
	exit 1
fi
echo "PASS: $queued suites in $run_time s of tests, $(($(date +%s) - started)) s in all$($quick && echo ' (quick)')"
rm -rf "$logs"
