#!/usr/bin/env bash
# The whole test suite: install the Debian peers the tests need, lint, type-check and build, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-peers.sh
npx biome check .
npx tsc -p tsconfig.json
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' | sort)
