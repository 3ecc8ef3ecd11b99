#!/usr/bin/env bash
# Installs the test oracles: independent readers and writers from the npm
# registry (MCAP: @mcap/core; CDR: @foxglove/cdr; Foxglove WebSocket:
# @foxglove/ws-protocol), exactly as tests/oracles/package-lock.json pins
# them, into tests/oracles/node_modules. They are only ever run by tests,
# never built into purr. Idempotent: skipped when the lock file has not
# changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../tests/oracles"
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    echo "setup-oracles: node and npm are needed for the oracle tests" >&2
    exit 1
fi
stamp=node_modules/.purr-lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error > /dev/null
cp package-lock.json "$stamp"
