#!/usr/bin/env bash
# Two simulated hosts on this machine, then init, join and cleanup between them with the real CLI.
# Needs root (namespaces, dockerd); installs Docker, etcd and iproute2 from Debian when missing.
# It removes what it made when done: the simulated hosts, and the test images (ignite-net-test/*)
# it built; test images that were there before it ran (npm test's) are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
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
