#!/usr/bin/env bash
# Two simulated hosts on this machine, then init, join and cleanup between them with the real CLI.
# Needs root (namespaces, dockerd); it prints what it installs first (Debian packages when missing, npm
# packages, the local test images, the CNI plugins inside the simulated hosts).
# It removes what it made when done: the simulated hosts, and the test images (ignite-net-test/*)
# it built; test images that were there before it ran (npm test's) are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
# What it installs, said before it does anything. The lists are read from where they are defined
# (scripts/test-setup.sh's PACKAGES, test/_helpers/images.ts's image names), so they cannot drift.
packages=$(sed -n 's/^PACKAGES=(\(.*\))$/\1/p' scripts/test-setup.sh)
missing=$(for p in $packages; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"; done)
images=$(sed -n "s/^export const TEST_[A-Z_]*_IMAGE = '\(.*\)';$/\1/p" test/_helpers/images.ts | tr '\n' ' ')
cat <<EOT
examples/two-hosts.sh installs on this machine:
  Debian packages (apt-get, when missing): ${packages}
    missing now: ${missing:-none}
  npm packages into ./node_modules (npm ci), when it is missing; then builds dist/
  a running dockerd on /var/run/docker.sock, if none answers
  local test images, built without a registry: ${images}
    (removed again at the end unless they were there before)
and inside each simulated host (its own /etc/cni, /opt/cni/bin, /run/flannel; not this machine's):
  CNI plugins into /opt/cni/bin (init/join --install-cni-plugins): bridge, host-local, portmap, firewall
    copied from /usr/lib/cni (containernetworking-plugins), flannel out of ignite-net-test/flannel-cni-plugin
    (a test fixture that delegates to bridge + host-local as flannel's plugin does); removed with the simulated hosts at the end.

EOT
test_images() { docker images -q --filter 'reference=ignite-net-test/*' 2>/dev/null | sort -u || true; }
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
before=$(command -v docker >/dev/null && test_images || true)
bash scripts/test-setup.sh >/dev/null
npm run --silent build
rc=0
npx tsx examples/two-hosts.ts || rc=$?
built=$(comm -13 <(printf '%s\n' "$before") <(test_images) | sed '/^$/d')
if [[ -n "$built" ]]; then
  echo "removing the test images it built ($(echo "$built" | wc -l))…"
  # shellcheck disable=SC2086 # one image id per word
  docker rmi -f $built >/dev/null
fi
exit "$rc"
