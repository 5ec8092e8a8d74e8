#!/usr/bin/env bash
# Two simulated hosts on this machine, then init, join and cleanup between them with the real CLI.
# Needs root (namespaces, dockerd); installs Docker, etcd and iproute2 from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/test-setup.sh >/dev/null
npm run --silent build
exec npx tsx examples/two-hosts.ts
