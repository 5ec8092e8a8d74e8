#!/usr/bin/env bash
# Test set-up, run by `npm test` (as its pretest script) as root on Debian/Ubuntu: installs what the
# tests need, makes sure a Docker Engine answers on /var/run/docker.sock, and builds the local test
# images (no registry is needed). Idempotent and fast when everything is already there.
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "the tests need root (network namespaces, dockerd): run them with sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# Debian packages the tests use: Docker Engine, etcd 3.4 (packed into the etcd test image, and its
# etcdctl used by tests), iproute2 (namespaces, veths, `ip` inside the stand-in image, `ss`), iptables
# (dockerd needs it), containernetworking-plugins (the real bridge, host-local, portmap and firewall in
# /usr/lib/cni, which init and join copy into the CNI bin dir), zsh (`zsh -n` checks the generated
# zsh completion script; ~1 MB).
PACKAGES=(docker.io etcd-server etcd-client iproute2 iptables ca-certificates openssl busybox-static containernetworking-plugins zsh)
DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/ignite-net-ci-dockerd.log
APT_LOG=/var/log/ignite-net-ci-apt.log

declare -a PHASES=()
phase_start=0
phase_name=''
begin() {
  phase_name="$1"
  phase_start=$(date +%s.%N)
  echo "==> ${phase_name}"
}
end() {
  local secs
  secs=$(awk -v a="$phase_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  PHASES+=("$(printf '%-22s %7ss' "$phase_name" "$secs")")
  echo "<== ${phase_name} (${secs}s)"
  phase_name=''
}
summary() {
  local rc=$?
  if [[ -n "$phase_name" ]]; then
    PHASES+=("$(printf '%-22s %8s' "$phase_name" 'FAILED')")
  fi
  echo
  echo '==> test set-up timings'
  for p in "${PHASES[@]}"; do echo "    $p"; done
  exit "$rc"
}
trap summary EXIT

docker_answers() {
  [[ -S "$DOCKER_SOCK" ]] && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# ------------------------------------------------------------------------------------------ packages
begin 'apt packages'
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]} (apt's output: ${APT_LOG})"
  # apt talks on stderr too (debconf's "delaying package configuration…"): all of it goes to the log,
  # which is printed only when apt fails.
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$APT_LOG" 2>&1; then
    echo "apt-get failed; its output (${APT_LOG}):" >&2
    cat "$APT_LOG" >&2
    exit 1
  fi
else
  echo "already installed: ${PACKAGES[*]}"
fi
node --version
end

# ------------------------------------------------------------------------------------------- dockerd
begin 'docker daemon'
if docker_answers; then
  echo "dockerd already answering on ${DOCKER_SOCK}"
else
  echo "starting dockerd (log: ${DOCKERD_LOG})"
  # setsid + nohup: the daemon outlives this script, so a re-run (and later test runs) find it up.
  # Every other inherited fd is closed first: a lock held around this script (`flock <file> npm test`)
  # would otherwise be held by dockerd for as long as it runs.
  setsid nohup bash -c 'for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec dockerd' >>"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker_answers && break
    sleep 0.5
  done
  if ! docker_answers; then
    echo "dockerd did not answer on ${DOCKER_SOCK} within 60s; its log:" >&2
    tail -n 200 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
fi
docker version --format 'Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}})'
end

# ---------------------------------------------------------------------------------------- test images
begin 'test images'
npx tsx scripts/build-test-images.ts
end

