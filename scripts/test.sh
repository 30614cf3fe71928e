#!/usr/bin/env bash
# Runs every test of ehr-chain: formatting, Rust unit, runtime and end-to-end tests (real
# ehr-node processes on loopback), and the Polkadot.js tests. Installs missing prerequisites
# first. Safe to run again; the second run builds incrementally.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$EHR_ROOT"

ensure_prereqs

log "cargo fmt --check"
cargo fmt --all -- --check

log "lint docker/: hadolint and the compose file's YAML"
ensure_lint_tools
"$EHR_VENV/bin/hadolint" --config docker/hadolint.yaml docker/Dockerfile
"$EHR_VENV/bin/python" - docker/compose.yml <<'PY'
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
services = compose["services"]
assert sorted(services) == ["alice", "bob", "charlie", "dave"], sorted(services)
for name, svc in services.items():
    assert isinstance(svc["command"], list) and svc["volumes"], name
print(f"{sys.argv[1]}: {len(services)} services")
PY

log "cargo test (profile $EHR_PROFILE, target $CARGO_TARGET_DIR)"
# One build serves everything: the test harnesses and the ehr-node binary the end-to-end tests
# start come out of this same invocation.
cargo test --"$EHR_PROFILE" --workspace --locked

log "benchmark test suites (every benchmark runs once on each pallet's mock runtime)"
# Only the pallet crates and their FRAME dependencies build with `runtime-benchmarks` (about a
# minute); the node and the runtime's wasm are not rebuilt.
cargo test --"$EHR_PROFILE" --locked -p pallet-hospital-registry -p pallet-patient-records -p pallet-consent -p pallet-access-log \
	--features runtime-benchmarks benchmarking::

log "storage migrations under try-runtime (pre_upgrade and post_upgrade checks)"
cargo test --"$EHR_PROFILE" --locked -p pallet-hospital-registry -p pallet-patient-records --features try-runtime migrations::

log "JavaScript (@polkadot/api) tests against $EHR_NODE_BIN"
ensure_js_deps "$EHR_ROOT/tests/js"
(cd tests/js && EHR_NODE_BIN="$EHR_NODE_BIN" npm test --silent)

log "JavaScript integrator example (examples/js)"
ensure_js_deps "$EHR_ROOT/examples/js"
(cd examples/js && EHR_NODE_BIN="$EHR_NODE_BIN" npm test --silent)

log "patient page in headless Chromium"
ensure_browser
ensure_js_deps "$EHR_ROOT/patient-web"
(cd patient-web && EHR_NODE_BIN="$EHR_NODE_BIN" npm test --silent)

log "zombienet: four hospital validators (native provider), pause, resume, kill -9 restart"
scripts/zombienet.sh
