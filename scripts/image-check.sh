#!/usr/bin/env bash
# Builds the runtime images of docker/Dockerfile and starts them, without a container daemon
# or a registry: only Debian's package archive is needed.
#
#   scripts/image-check.sh     its last line is `PASS: ...` (exit 0) or `FAIL: ...` (exit 1)
#
# 1. tools: installs mmdebstrap, buildah and podman (and curl, jq) from Debian if missing.
# 2. base: makes a Debian bookworm base with `mmdebstrap --variant=minbase` once, kept as
#    ~/.cache/ehr-chain/images/debian-bookworm-minbase.tar (delete it to make a fresh one), and
#    imports it as localhost/debian:bookworm-slim, the image the Dockerfile starts from.
# 3. images: builds, with `buildah bud --isolation chroot`, the Dockerfile's default target (the
#    node) and its `gateway` target, with `--build-arg BINARIES=prebuilt` from a build context
#    holding the binaries of $CARGO_TARGET_DIR/release (build them first), and checks their
#    user, volume, ports and entrypoint.
# 4. node: starts `ehr-node --dev` from the node image (`buildah run --isolation chroot`, which
#    shares the host's network: RPC on a free loopback port), a host directory as its /data;
#    checks that it answers JSON-RPC and imports blocks, runs as uid 10001 and keeps its chain
#    database in that directory, owned by 10001.
# 5. gateway: starts `ehr-gateway` from the gateway image against that node, as the dev chain's
#    gateway account //Alice//stash, its store in another host directory; checks that it answers
#    `gateway_info` over HTTP JSON-RPC, runs as uid 10001 and keeps its store there.
#
# Bounded: the whole takes at most EHR_IMAGE_CHECK_TIMEOUT seconds (900). Every container and
# process it starts is stopped and removed when it ends, however it ends. The base, the images
# (localhost/ehr-node:image-check, localhost/ehr-gateway:image-check) and buildah's layer cache
# stay, so a second run rebuilds only what changed. Runs as root; any other user needs sudo.
set -euo pipefail
. "$(dirname "$0")/env.sh"

limit="${EHR_IMAGE_CHECK_TIMEOUT:-900}"
if [ -z "${EHR_IMAGE_CHECK_BOUNDED:-}" ]; then
	# The check runs again under `timeout`, which signals its whole process group (buildah and
	# the containers' processes) when the time is up, or when this script is stopped.
	EHR_IMAGE_CHECK_BOUNDED=1 timeout --kill-after=30 "$limit" bash "$0" "$@" &
	bounded=$!
	trap 'kill -TERM "$bounded" 2>/dev/null || true' INT TERM
	while :; do
		rc=0
		wait "$bounded" || rc=$?
		# A signal ends `wait` early; the check then cleans up, and is waited for again.
		kill -0 "$bounded" 2>/dev/null || break
	done
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL: the image check did not end within $limit s (EHR_IMAGE_CHECK_TIMEOUT)"
	fi
	[ "$rc" = 0 ] || exit 1
	exit 0
fi

cd "$EHR_ROOT"
node_image=localhost/ehr-node:image-check
gateway_image=localhost/ehr-gateway:image-check
base_image=localhost/debian:bookworm-slim
base_tar="$HOME/.cache/ehr-chain/images/debian-bookworm-minbase.tar"
bin_dir="$CARGO_TARGET_DIR/$EHR_PROFILE"
# A container's name ends with the pid of the run that made it (see remove_stale_containers).
prefix="ehr-image-check"

started=$(date +%s)
phase_name=""
phase_started=$started
phase_times=()
pids=()       # the `buildah run` processes started (the node and gateway run below them)
containers=() # the working containers made
work=""
result=""
root_cmd=() # what runs a command as root in the background (see as_root)
[ "$(id -u)" = 0 ] || root_cmd=(sudo)
why=""

# env.sh's die, which also keeps the reason for the FAIL line.
die() {
	why="$*"
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# phase NAME: ends the running phase, noting its time, and starts NAME.
phase() {
	local now
	now=$(date +%s)
	if [ -n "$phase_name" ]; then
		phase_times+=("$phase_name $((now - phase_started)) s")
		log "$phase_name: $((now - phase_started)) s"
	fi
	phase_name=$1
	phase_started=$now
	[ -n "$phase_name" ] && log "$phase_name"
	return 0
}

# running PID: whether process PID is alive (`ps`, since it may be root's and we not).
running() { ps -p "$1" >/dev/null 2>&1; }

# descendants PID: the pids of every process below PID.
descendants() {
	local child
	for child in $(ps -o pid= --ppid "$1"); do
		echo "$child"
		descendants "$child"
	done
}

# Stops the containers' processes (each `buildah run` and, should it not pass the signal on,
# what runs below it), then removes the containers and the work directory.
cleanup() {
	local pid c _ all=()
	for pid in "${pids[@]}"; do
		all+=("$pid")
		mapfile -t -O "${#all[@]}" all < <(descendants "$pid")
	done
	for pid in "${all[@]}"; do as_root kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${all[@]}"; do
		for _ in $(seq 1 40); do
			running "$pid" || break
			sleep 0.25
		done
		if running "$pid"; then as_root kill -KILL "$pid" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	for c in "${containers[@]}"; do as_root buildah rm "$c" >/dev/null 2>&1 || true; done
	if [ -n "$work" ]; then as_root rm -rf "$work"; fi
	return 0
}

on_exit() {
	local rc=$? f
	trap - EXIT INT TERM
	if [ -n "$work" ] && { [ "$rc" != 0 ] || [ -z "$result" ]; }; then
		for f in "$work"/*.log; do
			[ -f "$f" ] || continue
			log "the end of ${f##*/}"
			tail -n 30 "$f" >&2
		done
	fi
	cleanup
	if [ "$rc" = 0 ] && [ -n "$result" ]; then
		echo "PASS: $result"
		exit 0
	fi
	echo "FAIL: the image check failed in phase '${phase_name:-start}' after $(($(date +%s) - started)) s: ${why:-see above}"
	exit 1
}
trap on_exit EXIT
trap 'exit 1' INT TERM

# A run killed before its cleanup leaves its working containers; remove those whose run is over.
remove_stale_containers() {
	local c
	for c in $(as_root buildah containers --noheading --format '{{.ContainerName}}' 2>/dev/null); do
		[[ "$c" == "$prefix"-* ]] || continue
		running "${c##*-}" && continue
		as_root buildah rm "$c" >/dev/null 2>&1 || true
	done
}

taken=" "
port=""
# free_port: a loopback TCP port that nobody listens on and this run has not taken yet, below
# the ephemeral range, into $port.
free_port() {
	local _
	for _ in $(seq 1 200); do
		port=$((20000 + RANDOM % 12000))
		[[ "$taken" == *" $port "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			taken+="$port "
			return 0
		fi
	done
	die "no free port"
}

# rpc PORT METHOD: the JSON answer of the JSON-RPC server on PORT (nothing if none).
rpc() {
	curl -s --max-time 5 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[]}" "http://127.0.0.1:$1" || true
}

# descendant PID NAME: the pid of the first process called NAME below PID.
descendant() {
	local p
	for p in $(descendants "$1"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# check_user PID NAME: the process runs as uid and gid 10001 (real, effective, saved, fs).
check_user() {
	local ids
	ids=$(awk '/^(Uid|Gid):/ { print $2, $3, $4, $5 }' "/proc/$1/status" | tr '\n' ' ')
	[ "$ids" = "10001 10001 10001 10001 10001 10001 10001 10001 " ] ||
		die "$2 runs with uid and gid $ids, not 10001"
	log "$2 (pid $1) runs as uid 10001, gid 10001"
}

# check_volume DIR WHAT: DIR holds files, all owned by uid 10001.
check_volume() {
	local files others
	files=$(as_root find "$1" -type f | wc -l)
	[ "$files" -gt 0 ] || die "$2: no file in the volume $1"
	others=$(as_root find "$1" ! -uid 10001 | head -n 3)
	[ -z "$others" ] || die "$2: not owned by uid 10001 in the volume: $others"
	log "$2: $files files in the volume, all owned by uid 10001"
}

# start_container IMAGE NAME DATA_DIR COMMAND...: runs COMMAND in a new working container of
# IMAGE, the host directory DATA_DIR as its /data, output to $work/NAME.log; its `buildah run`
# pid is appended to pids.
start_container() {
	local image=$1 name=$2 data=$3 ctr="$prefix-$2-$$"
	shift 3
	mkdir -p "$data"
	as_root chown 10001:10001 "$data"
	as_root buildah from --pull=never --name "$ctr" "$image" >/dev/null
	containers+=("$ctr")
	# buildah run would mount its own empty volume over a bind mount at the image's VOLUME.
	as_root buildah config --volume /data- "$ctr"
	# Not through the function as_root: $! must be the pid of buildah (or sudo) itself.
	"${root_cmd[@]}" buildah run --isolation chroot --network host -v "$data:/data" "$ctr" -- "$@" \
		>"$work/$name.log" 2>&1 </dev/null &
	pids+=($!)
}

phase tools
missing=()
for tool in mmdebstrap buildah podman curl jq ps:procps; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi
remove_stale_containers
for b in ehr-node ehr-gateway ehr-doc; do
	[ -x "$bin_dir/$b" ] ||
		die "no $bin_dir/$b: build it first (cargo build --$EHR_PROFILE --locked -p ehr-node -p ehr-gateway)"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ehr-image-check.XXXXXX")

phase base
if [ ! -s "$base_tar" ]; then
	log "making the Debian base with mmdebstrap into $base_tar"
	mkdir -p "${base_tar%/*}"
	# Slim like Debian's own -slim images: no manual pages, documentation (but copyright
	# notices) or translations; the dpkg settings stay in the image for later installs.
	as_root mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		bookworm "$work/base.tar" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" </dev/null
	as_root chown "$(id -u):$(id -g)" "$work/base.tar"
	mv "$work/base.tar" "$base_tar"
fi
# The base image remembers which tar it came from; the same tar is not imported twice, so that
# buildah's layer cache over it stays valid.
stamp=$(stat -c '%s-%Y' "$base_tar")
label=$(as_root podman image inspect --format '{{index .Labels "ehr-chain.base-tar"}}' "$base_image" 2>/dev/null || true)
if [ "$label" != "$stamp" ]; then
	log "importing $base_tar as $base_image"
	as_root podman import --quiet --change 'CMD ["bash"]' --change "LABEL ehr-chain.base-tar=$stamp" \
		--change "LABEL ehr-chain.image-check=base" "$base_tar" "$base_image" >/dev/null
fi

phase images
mkdir -p "$work/context/bin"
cp "$bin_dir/ehr-node" "$bin_dir/ehr-gateway" "$bin_dir/ehr-doc" "$work/context/bin/"
# build TARGET IMAGE: builds the Dockerfile's TARGET (empty: the default) as IMAGE.
build() {
	local target=() logf="$work/build-${1:-default}.log"
	[ -n "$1" ] && target=(--target "$1")
	log "buildah bud ${target[*]:-(default target)} -t $2"
	# The label marks every image of the build, the cached layers too, as this check's.
	as_root buildah bud --isolation chroot --pull=never --layers --force-rm \
		--label ehr-chain.image-check=1 --build-arg BINARIES=prebuilt "${target[@]}" \
		-f docker/Dockerfile -t "$2" "$work/context" \
		>"$logf" 2>&1 || die "buildah bud ${target[*]:-(default target)} failed (the end of $logf above)"
	# The builder stage compiles from source; with prebuilt binaries it must not run.
	! grep -q 'AS builder' "$logf" || die "the builder stage ran although BINARIES=prebuilt"
}
build gateway "$gateway_image"
build "" "$node_image"
# check_config IMAGE ENTRYPOINT PORT: the image runs ENTRYPOINT as 10001 with a /data volume
# and exposes PORT.
check_config() {
	local config
	config=$(as_root buildah inspect --type image "$1" | jq -c '.OCIv1.config')
	jq -e --arg e "$2" --arg p "$3/tcp" '.User == "10001:10001" and (.Volumes | has("/data"))
		and .Entrypoint == [$e] and (.ExposedPorts | has($p))' <<<"$config" >/dev/null ||
		die "$1: not user 10001, volume /data, entrypoint $2, port $3: $config"
	log "$1: entrypoint $2, user 10001:10001, volume /data, port $3"
}
check_config "$node_image" /usr/local/bin/ehr-node 9944
check_config "$gateway_image" /usr/local/bin/ehr-gateway 8440
# This check's images that nothing uses any more: those of earlier runs, whose binaries or
# base have been replaced since, with their layers.
as_root podman image prune --force --filter label=ehr-chain.image-check >/dev/null

phase node
free_port
node_rpc=$port
free_port
node_p2p=$port
start_container "$node_image" node "$work/node-data" /usr/local/bin/ehr-node --dev \
	--base-path /data --rpc-port "$node_rpc" --listen-addr "/ip4/127.0.0.1/tcp/$node_p2p" \
	--no-mdns --no-prometheus --no-telemetry
node_run=${pids[-1]}
health=""
for _ in $(seq 1 120); do
	running "$node_run" || die "the node's container exited"
	health=$(rpc "$node_rpc" system_health)
	[[ "$health" == *'"result"'* ]] && break
	sleep 0.5
done
[[ "$health" == *'"result"'* ]] || die "the node does not answer system_health on port $node_rpc"
log "system_health: $health"
best=0
for _ in $(seq 1 60); do
	best=$(rpc "$node_rpc" chain_getHeader | jq -r '.result.number // "0x0"' 2>/dev/null || echo 0x0)
	best=$((best))
	[ "$best" -ge 2 ] && break
	sleep 1
done
[ "$best" -ge 2 ] || die "the node imported no block after #$best in 60 s"
log "the node imported block #$best"
node_pid=$(descendant "$node_run" ehr-node) || die "no ehr-node process below buildah run"
check_user "$node_pid" ehr-node
as_root test -d "$work/node-data/chains" || die "no chains/ in the node's volume"
check_volume "$work/node-data" "the node's chain database"

phase gateway
free_port
gateway_port=$port
start_container "$gateway_image" gateway "$work/gateway-data" /usr/local/bin/ehr-gateway \
	--store /data --node-rpc "http://127.0.0.1:$node_rpc" --listen "127.0.0.1:$gateway_port" \
	--suri //Alice//stash
gateway_run=${pids[-1]}
info=""
for _ in $(seq 1 120); do
	running "$gateway_run" || die "the gateway's container exited"
	info=$(rpc "$gateway_port" gateway_info)
	# A result, or an error while it learns its chain: either way it serves JSON-RPC.
	# (jq -e on no input at all succeeds.)
	[ -n "$info" ] && jq -e '.jsonrpc == "2.0" and (has("result") or has("error"))' <<<"$info" \
		>/dev/null 2>&1 && break
	info=""
	sleep 0.5
done
[ -n "$info" ] || die "the gateway does not answer gateway_info on port $gateway_port"
log "gateway_info: $info"
gateway_pid=$(descendant "$gateway_run" ehr-gateway) || die "no ehr-gateway process below buildah run"
check_user "$gateway_pid" ehr-gateway
check_volume "$work/gateway-data" "the gateway's store"

phase ""
times=$(printf '%s, ' "${phase_times[@]}")
result="$node_image and $gateway_image built from docker/Dockerfile with prebuilt binaries and \
started: ehr-node --dev answered JSON-RPC at block #$best, ehr-gateway answered gateway_info, \
both as uid 10001 with their data on the volume; $(($(date +%s) - started)) s (${times%, })"
